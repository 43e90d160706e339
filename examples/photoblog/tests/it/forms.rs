//! The photoblog's form pages and the output cache: a page that carries a browser's CSRF token
//! is that browser's alone, whoever asked for the same URL before.

use drupe::testing::Part;

use crate::support::{SignedIn, csrf_token_in, png, sign_in, sqlite_client};

/// The owner signs in from two browsers, A and B. A loads a form page; B then loads the same
/// URL: B gets a page of its own (never A's from the cache), with a token that fits B's
/// cookie and not A's; a visitor gets the login, not A's page. B's forms go through.
#[actix_web::test]
async fn form_pages_are_never_shared_by_the_cache() {
    let (c, dir) = sqlite_client("forms-cache").await;
    let (a, b) = (sign_in(&c).await, sign_in(&c).await);
    assert_ne!(a.cookie, b.cookie);
    let forms = [
        "/album/new/",
        "/album/new",
        "/album/1/edit",
        "/album/1/delete",
        "/album/1/upload",
    ];
    let mut seen = Vec::new();
    for path in forms {
        let a_page = c.get(path).accept("text/html").signed_in(&a).send().await;
        a_page.assert_status(200);
        let a_token =
            csrf_token_in(&a_page.text()).unwrap_or_else(|| panic!("{path}: no token: {a_page:?}"));
        let b_page = c.get(path).accept("text/html").signed_in(&b).send().await;
        b_page.assert_status(200);
        assert_ne!(
            b_page.header("x-cache"),
            Some("HIT"),
            "{path}: B got a stored page: {b_page:?}"
        );
        let b_token = csrf_token_in(&b_page.text()).unwrap();
        assert!(!b_page.text().contains(&a_token), "{path}: A's token");
        // Neither page may be kept by any cache on the way.
        a_page.assert_header("cache-control", "no-store");
        b_page.assert_header("cache-control", "no-store");
        // Each token fits its own browser's cookie only.
        for (token, fits) in [(&a_token, false), (&b_token, true)] {
            let r = c
                .post("/album/1/edit")
                .signed_in(&b)
                .form(&[("csrf_token", token), ("title", "")])
                .send()
                .await;
            // The form's own check (an empty title) answers when the token passed.
            assert_eq!(r.status(), if fits { 400 } else { 403 }, "{path}: {r:?}");
        }
        let visitor = c.get(path).accept("text/html").send().await;
        visitor.assert_status(303);
        assert!(!visitor.text().contains(&a_token), "{path}");
        seen.push(format!(
            "{path}: x-cache {}, a token for its own cookie; a visitor: 303 to the login",
            b_page.header("x-cache").unwrap_or("-")
        ));
    }
    crate::support::hole(
        "csrf_page_cached",
        "the owner's browser A loads a form page, then browser B and a visitor the same URL",
        &seen.join("; "),
    );

    // B's forms, with B's own cookie and token, go through.
    let made = c
        .post("/album/new")
        .signed_in(&b)
        .form(&[("csrf_token", &b.token), ("title", "B's album")])
        .send()
        .await;
    made.assert_status(303);
    let album = made.header("location").unwrap().to_owned();
    c.post(&format!("{album}/edit"))
        .signed_in(&b)
        .form(&[("csrf_token", &b.token), ("title", "B's album, renamed")])
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
        .signed_in(&b)
        .multipart(&[
            Part::text("csrf_token", &b.token),
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

/// A form shown again with its errors carries the browser's token too: not stored either.
#[actix_web::test]
async fn a_form_shown_again_with_its_errors_is_no_store() {
    let (c, dir) = sqlite_client("forms-errors").await;
    let owner = sign_in(&c).await;
    let again = c
        .post("/album/new")
        .signed_in(&owner)
        .form(&[("csrf_token", &owner.token), ("title", "")])
        .send()
        .await;
    again
        .assert_status(400)
        .assert_header("cache-control", "no-store")
        .assert_contains("title is required.");
    assert!(csrf_token_in(&again.text()).is_some(), "{again:?}");
    c.post("/album/1/upload")
        .signed_in(&owner)
        .multipart(&[
            Part::text("csrf_token", &owner.token),
            Part::text("film_id", "1"),
        ])
        .send()
        .await
        .assert_status(400)
        .assert_header("cache-control", "no-store")
        .assert_contains("Choose a photo")
        .assert_contains(r#"name="csrf_token""#);
    let _ = std::fs::remove_dir_all(&dir);
}
