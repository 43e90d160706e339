//! The photoblog's pages and their forms: the home page, an album, a photo, the album forms
//! (the owner's, CSRF-checked), an upload and a delete through them.

use drupe::testing::Part;
use serde_json::Value;

use crate::support::{SignedIn, csrf_token_in, png, sign_in, sqlite_client};

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

    // The forms are the owner's: signed in, with the CSRF token the pages carry.
    let owner = sign_in(&c).await;
    let form = c.get("/album/new").signed_in(&owner).send().await;
    form.assert_status(200)
        .assert_contains("Signed in as admin")
        .assert_contains(r#"action="/logout""#);
    let token = csrf_token_in(&form.text()).expect("a token in the form");
    // A form without its token, or with one not made for this browser, changes nothing.
    for fields in [
        vec![("title", "Forged")],
        vec![("title", "Forged"), ("csrf_token", "0123456789abcdef")],
    ] {
        c.post("/album/new")
            .signed_in(&owner)
            .form(&fields)
            .send()
            .await
            .assert_status(403)
            .assert_contains("CSRF check");
    }
    let made = c
        .post("/album/new")
        .signed_in(&owner)
        .form(&[
            ("csrf_token", &token),
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
        .signed_in(&owner)
        .form(&[("csrf_token", &token), ("title", "")])
        .send()
        .await
        .assert_status(400)
        .assert_contains("title is required.");
    let id = location.rsplit('/').next().unwrap();
    c.get(&format!("/album/{id}/edit"))
        .signed_in(&owner)
        .send()
        .await
        .assert_status(200)
        .assert_contains("From the form");
    c.post(&format!("/album/{id}/edit"))
        .signed_in(&owner)
        .form(&[("csrf_token", &token), ("title", "Renamed")])
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
        .signed_in(&owner)
        .multipart(&[
            Part::text("csrf_token", &token),
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
        .signed_in(&owner)
        .multipart(&[
            Part::text("csrf_token", &token),
            Part::text("film_id", &film),
            Part::file("file", "a.txt", "text/plain", &b"plain text"[..]),
        ])
        .send()
        .await
        .assert_status(415)
        .assert_contains("not a PNG, JPEG, GIF or WebP image");
    c.post(&format!("/album/{id}/upload"))
        .signed_in(&owner)
        .multipart(&[
            Part::text("csrf_token", &token),
            Part::text("film_id", "1"),
            Part::file("file", "a.png", "image/png", png(30, 30, 4)),
        ])
        .send()
        .await
        .assert_status(404);
    // Delete: the confirmation, then the form.
    c.get(&format!("/album/{id}/delete"))
        .signed_in(&owner)
        .send()
        .await
        .assert_status(200)
        .assert_contains("1 photo go with it");
    c.post(&format!("/album/{id}/delete"))
        .form(&[("csrf_token", &token)])
        .send()
        .await
        .assert_status(403);
    c.post(&format!("/album/{id}/delete"))
        .signed_in(&owner)
        .form(&[("csrf_token", &token)])
        .send()
        .await
        .assert_status(303)
        .assert_header("location", "/");
    c.get(&format!("/album/{id}"))
        .send()
        .await
        .assert_status(404);
}
