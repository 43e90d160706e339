//! Signing in to the photoblog's forms: a visitor is sent to `/login` and changes nothing;
//! the owner signs in and out, the session id changing each time (fixation, a copied
//! cookie); every form and REST write passes the CSRF check; a password guesser is slowed
//! down; two instances on one Redis share the session; and the pages stay cacheable for
//! visitors while the owner's never are.

use drupe::testing::{Part, TestClient, TestResponse};

use crate::support::{
    OwnerSession, SignedIn, cookies_set_by, csrf_token_in, login_form, merge_cookies, owner_auth,
    png, sign_in, sqlite_client,
};

const HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// The form pages, each with the `next` the login gets.
const FORM_PAGES: [(&str, &str); 4] = [
    ("/album/new", "%2Falbum%2Fnew"),
    ("/album/1/edit", "%2Falbum%2F1%2Fedit"),
    ("/album/1/upload", "%2Falbum%2F1%2Fupload"),
    ("/album/1/delete", "%2Falbum%2F1%2Fdelete"),
];

/// What the REST services show, read past the cache.
async fn state(c: &TestClient) -> Vec<String> {
    let mut seen = Vec::new();
    for path in [
        "/services/rest/album/",
        "/services/rest/film/",
        "/services/rest/photo/",
    ] {
        let r = c
            .get(path)
            .accept("application/json")
            .header("cache-control", "no-cache")
            .send()
            .await;
        r.assert_status(200);
        seen.push(r.text());
    }
    seen
}

/// A post of each form, with `cookie` and `token` (none when empty), as a browser sends it.
async fn post_each_form(
    c: &TestClient,
    cookie: &str,
    token: &str,
    accept: &str,
) -> Vec<TestResponse> {
    let mut answers = Vec::new();
    let with_token = |mut fields: Vec<(&'static str, String)>| {
        if !token.is_empty() {
            fields.push(("csrf_token", token.to_owned()));
        }
        fields
    };
    for (path, fields) in [
        ("/album/new", vec![("title", "Forged".to_owned())]),
        ("/album/1/edit", vec![("title", "Forged".to_owned())]),
        ("/album/1/delete", vec![]),
    ] {
        let fields = with_token(fields);
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut r = c.post(path).accept(accept).form(&pairs);
        if !cookie.is_empty() {
            r = r.header("cookie", cookie);
        }
        answers.push(r.send().await);
    }
    let mut parts = vec![
        Part::text("film_id", "1"),
        Part::file("file", "x.png", "image/png", png(20, 20, 9)),
    ];
    if !token.is_empty() {
        parts.push(Part::text("csrf_token", token));
    }
    let mut r = c.post("/album/1/upload").accept(accept).multipart(&parts);
    if !cookie.is_empty() {
        r = r.header("cookie", cookie);
    }
    answers.push(r.send().await);
    answers
}

/// A visitor asking for a form page is sent to the login with `next` (a browser) or gets 401
/// (an API client); its posts of the forms — with a CSRF token of its own, so that only the
/// login stops them — are the same, and change nothing. The pages show "Sign in" and none of
/// the owner's buttons.
#[actix_web::test]
async fn visitors_are_sent_to_the_login_and_change_nothing() {
    let (c, dir) = sqlite_client("signin-visitors").await;
    let before = state(&c).await;
    for (path, next) in FORM_PAGES {
        c.get(path)
            .header("accept", HTML)
            .send()
            .await
            .assert_status(303)
            .assert_header("location", &format!("/login?next={next}"));
        c.get(path)
            .accept("application/json")
            .send()
            .await
            .assert_status(401)
            .assert_header(
                "www-authenticate",
                r#"Session realm="photoblog", login="/login""#,
            );
    }
    let (cookie, token) = login_form(&c).await;
    for r in post_each_form(&c, &cookie, &token, HTML).await {
        r.assert_status(303);
        let to = r.header("location").unwrap_or_default();
        assert!(to.starts_with("/login?next=%2Falbum%2F"), "{r:?}");
    }
    for r in post_each_form(&c, &cookie, &token, "application/json").await {
        r.assert_status(401);
    }
    // Without a token, the CSRF check answers first.
    for r in post_each_form(&c, "", "", HTML).await {
        r.assert_status(403).assert_contains("CSRF check");
    }
    assert_eq!(
        state(&c).await,
        before,
        "a visitor's post changed something"
    );
    for page in ["/", "/album/1"] {
        let r = c.get(page).send().await;
        r.assert_status(200)
            .assert_contains(r#"<a href="/login?next="#);
        let text = r.text();
        assert!(
            !text.contains("Signed in") && !text.contains("/upload") && !text.contains("/edit"),
            "{page} shows the owner's buttons to a visitor: {text}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The session cookie a response sets (`session_id=...`).
fn session_set_by(r: &TestResponse) -> Option<String> {
    cookies_set_by(r)
        .into_iter()
        .find(|c| c.starts_with("session_id="))
}

/// Signs in with `cookie` (the CSRF cookie and maybe a session id) and `password`.
async fn log_in(
    c: &TestClient,
    cookie: &str,
    token: &str,
    password: &str,
    next: &str,
) -> TestResponse {
    c.post("/login")
        .header("accept", HTML)
        .header("cookie", cookie)
        .form(&[
            ("username", "admin"),
            ("password", password),
            ("next", next),
            ("csrf_token", token),
        ])
        .send()
        .await
}

/// The owner's walk: a form page sends it to the login, which brings it back there signed in;
/// a wrong password shows the form again. The session id changes at login, whatever id the
/// browser held (one planted by someone else included), and at logout, after which a copy of
/// the cookie taken while signed in opens nothing.
#[actix_web::test]
async fn the_owner_signs_in_and_out_and_the_session_id_changes_each_time() {
    let (c, dir) = sqlite_client("signin-owner").await;
    let to_login = c.get("/album/new").header("accept", HTML).send().await;
    let login = to_login.header("location").unwrap().to_owned();
    let form = c.get(&login).header("accept", HTML).send().await;
    form.assert_status(200)
        .assert_header("cache-control", "no-store")
        .assert_contains("<h1>Sign in</h1>")
        .assert_contains(r#"name="next" value="&#x2f;album&#x2f;new""#)
        .assert_contains(r#"type="password""#);
    let cookie = merge_cookies("", &cookies_set_by(&form));
    let token = csrf_token_in(&form.text()).unwrap();

    let wrong = log_in(&c, &cookie, &token, "not-the-password", "/album/new").await;
    wrong
        .assert_status(401)
        .assert_contains("Wrong user name or password.")
        .assert_contains(r#"value="admin""#);
    assert_eq!(session_set_by(&wrong), None, "no session for a failure");

    // An id planted before the login: one the site never made, then a live one (what a
    // logout leaves, as an attacker could get for itself).
    let planted = "session_id=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let res = log_in(
        &c,
        &format!("{cookie}; {planted}"),
        &token,
        crate::support::OWNER_PASSWORD,
        "/album/new",
    )
    .await;
    res.assert_status(303)
        .assert_header("location", "/album/new");
    let first = session_set_by(&res).expect("a session cookie");
    assert_ne!(first, planted);
    let set = res.header("set-cookie").unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let mut owner = OwnerSession {
        cookie: merge_cookies(&cookie, std::slice::from_ref(&first)),
        token: token.clone(),
    };
    c.get("/album/new")
        .signed_in(&owner)
        .send()
        .await
        .assert_status(200)
        .assert_contains("Signed in as admin");
    c.get("/logout")
        .signed_in(&owner)
        .send()
        .await
        .assert_status(405)
        .assert_header("allow", "POST");
    let out = c
        .post("/logout")
        .signed_in(&owner)
        .form(&[("csrf_token", &token)])
        .send()
        .await;
    out.assert_status(303).assert_header("location", "/");
    let live = session_set_by(&out).expect("a new id at logout");
    assert_ne!(live, first);
    owner.update(&out);
    let res = log_in(
        &c,
        &owner.cookie,
        &token,
        crate::support::OWNER_PASSWORD,
        "/",
    )
    .await;
    res.assert_status(303);
    let second = session_set_by(&res).expect("a session cookie");
    assert_ne!(second, live, "fixation: the id changes at login");
    // The planted id opens nothing; the new one does.
    let with = |session: &str| merge_cookies(&cookie, &[session.to_owned()]);
    for k in [&live, &first] {
        c.get("/album/new")
            .header("accept", HTML)
            .header("cookie", &with(k))
            .send()
            .await
            .assert_status(303);
    }
    c.get("/album/new")
        .header("cookie", &with(&second))
        .send()
        .await
        .assert_status(200);

    // A copy of the cookie taken while signed in, replayed after the logout.
    let stolen = with(&second);
    c.post("/logout")
        .header("cookie", &stolen)
        .form(&[("csrf_token", &token)])
        .send()
        .await
        .assert_status(303);
    let before = state(&c).await;
    c.get("/album/new")
        .header("accept", HTML)
        .header("cookie", &stolen)
        .send()
        .await
        .assert_status(303)
        .assert_header("location", "/login?next=%2Falbum%2Fnew");
    for r in post_each_form(&c, &stolen, &token, "application/json").await {
        r.assert_status(401);
    }
    assert_eq!(
        state(&c).await,
        before,
        "a replayed cookie changed something"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every form needs its token, the owner's included: without one, or from another site, a
/// post is a 403 and changes nothing — the logout too (the owner stays signed in). The REST
/// services take a form post too: with the owner's Basic credentials, from another site's
/// page it is a 403; without credentials, a 401; from curl (no `Origin`), it works. The
/// pages' session never writes through the REST services.
#[actix_web::test]
async fn every_form_and_rest_form_post_is_checked_for_csrf() {
    let (c, dir) = sqlite_client("signin-csrf").await;
    let owner = sign_in(&c).await;
    let before = state(&c).await;
    for r in post_each_form(&c, &owner.cookie, "", HTML).await {
        r.assert_status(403).assert_contains("CSRF check");
    }
    for r in post_each_form(&c, &owner.cookie, "0123456789abcdef", HTML).await {
        r.assert_status(403).assert_contains("CSRF check");
    }
    // The right token from another site's page: its `Origin` gives it away.
    c.post("/album/new")
        .signed_in(&owner)
        .header("origin", "http://evil.example")
        .form(&[("csrf_token", &owner.token), ("title", "Forged")])
        .send()
        .await
        .assert_status(403);
    c.post("/logout")
        .signed_in(&owner)
        .send()
        .await
        .assert_status(403);
    c.get("/album/new")
        .signed_in(&owner)
        .send()
        .await
        .assert_status(200);
    // The REST services, with a form from another site's page.
    let form = [("title", "Forged")];
    c.post("/services/rest/album/")
        .header("authorization", &owner_auth())
        .header("origin", "http://evil.example")
        .form(&form)
        .send()
        .await
        .assert_status(403)
        .assert_contains("CSRF check");
    for origin in [Some("http://evil.example"), None] {
        let mut r = c.post("/services/rest/album/").form(&form);
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        let r = r.send().await;
        r.assert_status(401);
        assert!(
            r.headers().get_all("www-authenticate").any(|v| v
                .to_str()
                .unwrap_or_default()
                .starts_with("Basic realm=\"photoblog\"")),
            "{r:?}"
        );
    }
    c.post("/services/rest/album/")
        .signed_in(&owner)
        .accept("application/json")
        .json(&serde_json::json!({"title": "Forged"}))
        .send()
        .await
        .assert_status(401);
    assert_eq!(state(&c).await, before, "a refused post changed something");
    c.post("/services/rest/album/")
        .header("authorization", &owner_auth())
        .form(&[("title", "From curl")])
        .send()
        .await
        .assert_status(201);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--config FILE` merges a drupe configuration over the photoblog's: here a stricter budget
/// of failures (2 at once, then 1 an hour) turns the third wrong password into a 429, where
/// the photoblog's own (10 at once) still answers 401.
#[actix_web::test]
async fn a_configuration_file_sets_any_tool_per_path() {
    let dir = crate::support::temp_dir("signin-config");
    let file = dir.join("photoblog.toml");
    std::fs::write(
        &file,
        "[ \"/\" ]\ntools.rate_limit.failures = { rate = 1, per = \"hour\", burst = 2 }\n",
    )
    .unwrap();
    let database = format!("sqlite:{}", dir.join("pb.db").display());
    let mut settings = crate::support::settings_on(&database, &dir, "memory");
    settings.config = Some(file);
    let c = TestClient::new(photoblog::build(&settings).await.unwrap()).await;
    let mut statuses = Vec::new();
    for n in 0..3 {
        let r = c
            .delete("/services/rest/album/1")
            .header(
                "authorization",
                &crate::support::basic("admin", &format!("guess-{n}")),
            )
            .send()
            .await;
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 429]);

    // A file that cannot be read, or that says something the tools refuse, stops the start
    // with a message naming it.
    let (missing, wrong) = (dir.join("missing.toml"), dir.join("wrong.toml"));
    std::fs::write(&wrong, "[ \"/\" ]\ntools.rate_limit.failures = \"lots\"\n").unwrap();
    for (path, says) in [
        (&missing, "missing.toml"),
        (&wrong, "tools.rate_limit.failures"),
    ] {
        settings.config = Some(path.clone());
        let Err(err) = photoblog::build(&settings).await else {
            panic!("{} was accepted", path.display());
        };
        assert!(err.to_string().contains(says), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Twenty wrong passwords at the login form: the rate limiter's failures budget (10, then 5
/// a minute) answers 429 with `Retry-After`, the right password included, until it refills.
#[actix_web::test]
async fn twenty_wrong_passwords_get_a_429() {
    let (c, dir) = sqlite_client("signin-guess").await;
    let (cookie, token) = login_form(&c).await;
    let mut statuses = Vec::new();
    let mut last = None;
    for n in 0..20 {
        let r = log_in(&c, &cookie, &token, &format!("guess-{n}"), "/").await;
        statuses.push(r.status().as_u16());
        last = Some(r);
    }
    // The first ones are checked (and fail); from the eleventh on at the latest, none is.
    let first_429 = statuses.iter().position(|s| *s == 429);
    assert!(
        statuses[0] == 401
            && first_429.is_some_and(|i| i <= 10 && statuses[i..].iter().all(|s| *s == 429)),
        "{statuses:?}"
    );
    let last = last.unwrap();
    let wait: u64 = last.header("retry-after").unwrap().parse().unwrap();
    assert!(wait > 0 && wait <= 60, "{last:?}");
    let right = log_in(&c, &cookie, &token, crate::support::OWNER_PASSWORD, "/").await;
    right.assert_status(429);
    assert_eq!(session_set_by(&right), None);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The home page, an album and the feed are kept by the output cache for visitors, and the
/// owner's pages (which say who is signed in) never: neither stored nor served from it.
#[actix_web::test]
async fn pages_are_cached_for_visitors_and_never_for_the_owner() {
    let (c, dir) = sqlite_client("signin-cache").await;
    let owner = sign_in(&c).await;
    for page in ["/", "/album/1", "/feed"] {
        c.get(page).send().await.assert_header("x-cache", "MISS");
        let mine = c.get(page).signed_in(&owner).send().await;
        mine.assert_status(200);
        assert_ne!(mine.header("x-cache"), Some("HIT"), "{page}: {mine:?}");
        assert!(
            mine.header("cache-control")
                .unwrap_or_default()
                .contains("private"),
            "{page}: {mine:?}"
        );
        let visitor = c.get(page).send().await;
        visitor.assert_header("x-cache", "HIT");
        assert!(!visitor.text().contains("Signed in"), "{page}");
        if page != "/feed" {
            mine.assert_contains("Signed in as admin");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two instances with their sessions in one Redis: signed in on one, the owner is signed in
/// on the other, whose forms take the token the first gave; signed out on the second, the
/// first refuses the cookie.
#[cfg(unix)]
#[actix_web::test]
async fn two_instances_on_one_redis_share_the_session() {
    use crate::support::{RedisServer, settings_on, temp_dir};
    let redis = RedisServer::start();
    let dir = temp_dir("signin-redis");
    let database = format!("sqlite:{}", dir.join("pb.db").display());
    let settings = photoblog::Settings {
        sessions: redis.url(),
        ..settings_on(&database, &dir, "memory")
    };
    let a = TestClient::new(photoblog::build(&settings).await.unwrap()).await;
    let b = TestClient::new(photoblog::build(&settings).await.unwrap()).await;
    let owner = sign_in(&a).await;
    b.get("/album/new")
        .signed_in(&owner)
        .send()
        .await
        .assert_status(200)
        .assert_contains("Signed in as admin");
    let made = b
        .post("/album/new")
        .signed_in(&owner)
        .form(&[("csrf_token", &owner.token), ("title", "Made on B")])
        .send()
        .await;
    made.assert_status(303);
    let album = made.header("location").unwrap().to_owned();
    a.get(&album).send().await.assert_contains("Made on B");
    b.post("/logout")
        .signed_in(&owner)
        .form(&[("csrf_token", &owner.token)])
        .send()
        .await
        .assert_status(303);
    a.get("/album/new")
        .header("accept", HTML)
        .signed_in(&owner)
        .send()
        .await
        .assert_status(303);
    let _ = std::fs::remove_dir_all(&dir);
}
