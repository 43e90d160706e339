//! The photoblog's form pages and the output cache: a page that carries a visitor's CSRF token
//! is that visitor's alone, whoever asked for the same URL before.

use drupe::testing::{Part, TestResponse};

use crate::support::{png, sqlite_client};

/// The token a response's `Set-Cookie` gives, if it sets one.
fn token_set_by(r: &TestResponse) -> Option<String> {
    let cookie = r.header("set-cookie")?;
    let (name_value, _) = cookie.split_once(';').unwrap_or((cookie, ""));
    let (name, value) = name_value.split_once('=')?;
    (name == "photoblog_csrf").then(|| value.to_owned())
}

fn cookie(token: &str) -> String {
    format!("photoblog_csrf={token}")
}

/// Visitor A loads a form page with its cookie; visitor B, without one, then loads the same
/// URL: B gets its own token and its cookie, never A's page, and B's form goes through.
#[actix_web::test]
async fn form_pages_are_never_shared_by_the_cache() {
    let (c, dir) = sqlite_client("forms-cache").await;
    let forms = [
        "/album/new/",
        "/album/new",
        "/album/1/edit",
        "/album/1/upload",
    ];
    let mut seen = Vec::new();
    for path in forms {
        let first = c.get(path).accept("text/html").send().await;
        first.assert_status(200);
        let a = token_set_by(&first).unwrap_or_else(|| panic!("{path}: no cookie: {first:?}"));
        // A comes back with its cookie: no new cookie, A's token in the page.
        let again = c
            .get(path)
            .accept("text/html")
            .header("cookie", &cookie(&a))
            .send()
            .await;
        again
            .assert_status(200)
            .assert_contains(&format!("value=\"{a}\""));
        // B, no cookie: a fresh token of its own, set by the response.
        let b_page = c.get(path).accept("text/html").send().await;
        b_page.assert_status(200);
        assert_ne!(
            b_page.header("x-cache"),
            Some("HIT"),
            "{path}: B got a stored page: {b_page:?}"
        );
        assert!(
            !b_page.text().contains(&a),
            "{path}: B was shown A's token: {b_page:?}"
        );
        let b = token_set_by(&b_page)
            .unwrap_or_else(|| panic!("{path}: B was given no cookie: {b_page:?}"));
        assert_ne!(a, b, "{path}");
        b_page.assert_contains(&format!("value=\"{b}\""));
        // Neither page may be kept by any cache on the way.
        again.assert_header("cache-control", "no-store");
        b_page.assert_header("cache-control", "no-store");
        seen.push(format!(
            "{path}: x-cache {}, its own token and cookie",
            b_page.header("x-cache").unwrap_or("-")
        ));
    }
    crate::support::hole(
        "csrf_page_cached",
        "visitor A (with the CSRF cookie) loads a form page, then visitor B without a cookie",
        &seen.join("; "),
    );

    // B's forms, with B's own cookie and token, go through.
    let b_page = c.get("/album/new/").send().await;
    let b = token_set_by(&b_page).expect("a cookie for B");
    let made = c
        .post("/album/new")
        .header("cookie", &cookie(&b))
        .form(&[("csrf", &b), ("title", "B's album")])
        .send()
        .await;
    made.assert_status(303);
    let album = made.header("location").unwrap().to_owned();
    c.post(&format!("{album}/edit"))
        .header("cookie", &cookie(&b))
        .form(&[("csrf", &b), ("title", "B's album, renamed")])
        .send()
        .await
        .assert_status(303);
    let films: Vec<serde_json::Value> = c
        .get(&format!(
            "/services/rest/film?album_id={}",
            album.rsplit('/').next().unwrap()
        ))
        .send()
        .await
        .json();
    c.post(&format!("{album}/upload"))
        .header("cookie", &cookie(&b))
        .multipart(&[
            Part::text("csrf", &b),
            Part::text("film_id", &films[0]["id"].to_string()),
            Part::file("file", "b.png", "image/png", png(24, 16, 5)),
        ])
        .send()
        .await
        .assert_status(303);
    c.get(&album)
        .send()
        .await
        .assert_status(200)
        .assert_contains("B&#x27;s album, renamed");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A form shown again with its errors carries the visitor's token too: not stored either.
#[actix_web::test]
async fn a_form_shown_again_with_its_errors_is_no_store() {
    let (c, dir) = sqlite_client("forms-errors").await;
    let token = "0123456789abcdef0123456789abcdef";
    c.post("/album/new")
        .header("cookie", &cookie(token))
        .form(&[("csrf", token), ("title", "")])
        .send()
        .await
        .assert_status(400)
        .assert_header("cache-control", "no-store")
        .assert_contains(&format!("value=\"{token}\""));
    c.post("/album/1/upload")
        .header("cookie", &cookie(token))
        .multipart(&[Part::text("csrf", token), Part::text("film_id", "1")])
        .send()
        .await
        .assert_status(400)
        .assert_header("cache-control", "no-store")
        .assert_contains("Choose a photo");
    let _ = std::fs::remove_dir_all(&dir);
}
