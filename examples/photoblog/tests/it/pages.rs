//! The photoblog's pages and their forms: the home page, an album, a photo, the album forms
//! (CSRF-checked), an upload and a delete through them.

use drupe::testing::Part;
use serde_json::Value;

use crate::support::{png, sqlite_client};

#[actix_web::test]
async fn the_pages_and_their_forms() {
    let (c, _dir) = sqlite_client("pages").await;
    let home = c.get("/").accept("text/html").send().await;
    home.assert_status(200)
        .assert_header("content-type", "text/html; charset=utf-8")
        .assert_header("x-content-type-options", "nosniff")
        .assert_contains("<link rel=\"alternate\" type=\"application/atom+xml\"")
        .assert_contains("City lights")
        .assert_contains("/_coverage/");
    assert!(
        home.header("content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );
    c.get("/?page=2").send().await.assert_status(404);
    c.get("/?page=0").send().await.assert_status(404);
    c.get("/?page=99999999999").send().await.assert_status(400);
    c.get("/album/1")
        .send()
        .await
        .assert_status(200)
        .assert_contains("Holidays in Brittany")
        // minijinja escapes `/` in values as `&#x2f;`, which the browser decodes.
        .assert_contains("&#x2f;photos&#x2f;thumbs&#x2f;")
        .assert_contains("/feed/album/1");
    c.get("/album/1/").send().await.assert_status(200);
    c.get("/album/999").send().await.assert_status(404);
    c.get("/album/x").send().await.assert_status(404);
    c.get("/photo/4")
        .send()
        .await
        .assert_status(200)
        .assert_contains("<img");
    c.get("/photo/999").send().await.assert_status(404);
    c.get("/feed")
        .send()
        .await
        .assert_header("content-type", "application/atom+xml")
        .assert_contains("<link rel=\"alternate\" href=\"http://localhost:8080/\"");
    c.get("/feed/album/2")
        .send()
        .await
        .assert_status(200)
        .assert_contains("<entry>");
    c.get("/feed/album/999").send().await.assert_status(404);
    c.get("/feed/other/2").send().await.assert_status(404);
    c.get("/static/style.css")
        .send()
        .await
        .assert_status(200)
        .assert_header("content-type", "text/css; charset=utf-8");

    // A form without its token changes nothing.
    c.post("/album/new")
        .form(&[
            ("title", "Forged"),
            ("csrf", "0123456789abcdef0123456789abcdef"),
        ])
        .send()
        .await
        .assert_status(403);
    c.post("/album/new")
        .form(&[("title", "Forged")])
        .send()
        .await
        .assert_status(403)
        .assert_contains("CSRF check");
    let form = c.get("/album/new").send().await;
    form.assert_status(200);
    let cookie = form
        .header("set-cookie")
        .expect("a token cookie")
        .to_owned();
    assert!(
        cookie.contains("SameSite=Strict") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .split('=')
        .nth(1)
        .unwrap()
        .to_owned();
    form.assert_contains(&format!("value=\"{token}\""));
    let cookie_header = format!("photoblog_csrf={token}");
    let made = c
        .post("/album/new")
        .header("cookie", &cookie_header)
        .form(&[
            ("csrf", &token),
            ("title", "From the form"),
            ("author", "me"),
        ])
        .send()
        .await;
    made.assert_status(303);
    let location = made.header("location").unwrap().to_owned();
    assert!(location.starts_with("/album/"), "{location}");
    c.get(&location)
        .send()
        .await
        .assert_status(200)
        .assert_contains("From the form");
    // Invalid input shows the form again, with the error, and creates nothing.
    c.post("/album/new")
        .header("cookie", &cookie_header)
        .form(&[("csrf", &token), ("title", "")])
        .send()
        .await
        .assert_status(400)
        .assert_contains("title is required.");
    let id = location.rsplit('/').next().unwrap();
    c.get(&format!("/album/{id}/edit"))
        .header("cookie", &cookie_header)
        .send()
        .await
        .assert_status(200)
        .assert_contains("From the form");
    c.post(&format!("/album/{id}/edit"))
        .header("cookie", &cookie_header)
        .form(&[("csrf", &token), ("title", "Renamed")])
        .send()
        .await
        .assert_status(303);
    c.get(&format!("/album/{id}"))
        .send()
        .await
        .assert_contains("Renamed");
    // Upload through the form.
    let films: Vec<Value> = c
        .get(&format!("/services/rest/film?album_id={id}"))
        .send()
        .await
        .json();
    let film = films[0]["id"].as_i64().unwrap().to_string();
    c.post(&format!("/album/{id}/upload"))
        .header("cookie", &cookie_header)
        .multipart(&[
            Part::text("csrf", &token),
            Part::text("film_id", &film),
            Part::text("legend", "Hello"),
            Part::file("file", "a.png", "image/png", png(30, 30, 3)),
        ])
        .send()
        .await
        .assert_status(303);
    c.get(&format!("/album/{id}"))
        .send()
        .await
        .assert_contains("alt=\"Hello\"");
    c.post(&format!("/album/{id}/upload"))
        .header("cookie", &cookie_header)
        .multipart(&[
            Part::text("csrf", &token),
            Part::text("film_id", &film),
            Part::file("file", "a.txt", "text/plain", &b"plain text"[..]),
        ])
        .send()
        .await
        .assert_status(415)
        .assert_contains("not a PNG, JPEG, GIF or WebP image");
    c.post(&format!("/album/{id}/upload"))
        .header("cookie", &cookie_header)
        .multipart(&[
            Part::text("csrf", &token),
            Part::text("film_id", "1"),
            Part::file("file", "a.png", "image/png", png(30, 30, 4)),
        ])
        .send()
        .await
        .assert_status(404);
    // Delete through the form.
    c.post(&format!("/album/{id}/delete"))
        .form(&[("csrf", &token)])
        .send()
        .await
        .assert_status(403);
    c.post(&format!("/album/{id}/delete"))
        .header("cookie", &cookie_header)
        .form(&[("csrf", &token)])
        .send()
        .await
        .assert_status(303)
        .assert_header("location", "/");
    c.get(&format!("/album/{id}"))
        .send()
        .await
        .assert_status(404);
}
