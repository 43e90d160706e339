//! `tools.session_auth` as a browser and an API client meet it: the login form, the redirect
//! to it and back (never elsewhere), a new session id at login (fixation) and at logout (a
//! copied cookie opens nothing afterwards), 401 for API clients, failed passwords counted by
//! the rate limiter, the form's CSRF token, and the settings that cannot work.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use drupe::auth::{SessionAuth, SignedIn};
use drupe::sessions::Session;
use drupe::testing::{TestClient, TestResponse};
use drupe::tools::{Identity, Scheme, verifier_fn};
use drupe::{App, AppBuilder, HttpError, Page, Templates, controller};

#[derive(Clone, Default)]
struct Site {
    runs: Arc<AtomicUsize>,
}

#[controller]
impl Site {
    /// Public, and it writes the session: a visitor has an id before signing in.
    #[expose]
    async fn index(&self, session: Session) -> Result<String, HttpError> {
        session.insert("visited", true).await?;
        Ok("home".into())
    }

    /// Only for the signed-in.
    #[expose]
    fn private(&self, who: Identity) -> String {
        self.runs.fetch_add(1, Ordering::SeqCst);
        format!("hello {} ({:?})", who.name(), who.scheme())
    }

    /// A public page under the tool, which reads the session of every request it covers.
    #[expose]
    fn news(&self) -> &'static str {
        "news"
    }

    /// `/g` answers what `/private` answers (a target longer than the client's path).
    #[expose]
    fn g(&self) -> drupe::InternalRedirect {
        drupe::InternalRedirect::to("/private")
    }

    /// A form page, public GETs around it: the handler asks for a signed-in caller.
    #[expose]
    fn form(&self, who: SignedIn) -> String {
        self.runs.fetch_add(1, Ordering::SeqCst);
        format!("a form for {}", who.0.name())
    }
}

const HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

fn check() -> SessionAuth {
    SessionAuth::new(verifier_fn(|user, password| async move {
        Ok((user == "admin" && password == "secret").then(|| Identity::new(user, Scheme::Session)))
    }))
}

/// The site with sessions everywhere and session_auth on `/private` (the login and logout
/// paths are the tool's, at the root).
fn site(site: Site) -> AppBuilder {
    App::builder(site)
        .set("/", "tools.sessions.on", true)
        .tool(check())
        .set("/", "tools.session_auth.on", true)
        // Writes need a signed-in caller everywhere, and `/private` every method.
        .set(
            "/",
            "tools.session_auth.methods",
            vec!["POST", "PUT", "PATCH", "DELETE"],
        )
        .set(
            "/private",
            "tools.session_auth.methods",
            Vec::<String>::new(),
        )
}

/// `name=value` of the response's `Set-Cookie`.
fn cookie(res: &TestResponse) -> String {
    let set = res.header("set-cookie").expect("a Set-Cookie");
    set.split(';').next().unwrap().to_owned()
}

async fn login(
    c: &TestClient,
    cookie_in: Option<&str>,
    password: &str,
    next: &str,
) -> TestResponse {
    let mut r = c.post("/login").form(&[
        ("username", "admin"),
        ("password", password),
        ("next", next),
    ]);
    if let Some(k) = cookie_in {
        r = r.header("cookie", k);
    }
    r.send().await
}

#[actix_web::test]
async fn a_browser_is_sent_to_the_form_and_back_an_api_client_gets_a_401() {
    let s = Site::default();
    let runs = s.runs.clone();
    let c = TestClient::new(site(s).build().unwrap()).await;
    c.get("/private?x=1")
        .header("accept", HTML)
        .send()
        .await
        .assert_status(303)
        .assert_header("location", "/login?next=%2Fprivate%3Fx%3D1");
    c.get("/private")
        .header("accept", "application/json")
        .send()
        .await
        .assert_status(401)
        .assert_header(
            "www-authenticate",
            r#"Session realm="drupe", login="/login""#,
        );
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    // Public pages stay public.
    c.get("/").send().await.assert_text("home");

    let form = c
        .get("/login?next=%2Fprivate%3Fx%3D1")
        .header("accept", HTML)
        .send()
        .await;
    form.assert_status(200)
        .assert_header("cache-control", "no-store")
        // minijinja's HTML escaping writes `/` as `&#x2f;`.
        .assert_contains(r#"name="next" value="&#x2f;private?x=1""#)
        .assert_contains(r#"name="password" type="password""#);

    let res = login(&c, None, "secret", "/private?x=1").await;
    res.assert_status(303)
        .assert_header("location", "/private?x=1");
    let k = cookie(&res);
    c.get("/private")
        .header("cookie", &k)
        .send()
        .await
        .assert_text("hello admin (Session)");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[actix_web::test]
async fn a_wrong_password_shows_the_form_again_and_counts_against_the_account() {
    let c = TestClient::new(site(Site::default()).build().unwrap()).await;
    let res = login(&c, None, "guess", "/private").await;
    res.assert_status(401)
        .assert_contains("Wrong user name or password.")
        .assert_contains(r#"value="admin""#);
    assert!(
        res.header("set-cookie").is_none(),
        "no session for a failure"
    );
    // The rate limiter's failures budget (on by default: a burst of 10) closes the account:
    // the right password waits too, so guessing it tells nothing.
    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(login(&c, None, "guess", "/").await.status().as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    let res = login(&c, None, "secret", "/").await;
    res.assert_status(429);
    assert!(res.header("retry-after").is_some());
}

#[actix_web::test]
async fn the_session_id_changes_at_login_and_at_logout() {
    let c = TestClient::new(site(Site::default()).build().unwrap()).await;
    // A visitor (or an attacker who planted it) has an id before signing in.
    let before = cookie(&c.get("/").send().await);
    let res = login(&c, Some(&before), "secret", "/private").await;
    let after = cookie(&res);
    assert_ne!(before, after, "fixation: the id changes at login");
    c.get("/private")
        .header("cookie", &before)
        .header("accept", HTML)
        .send()
        .await
        .assert_status(303);
    c.get("/private")
        .header("cookie", &after)
        .send()
        .await
        .assert_status(200);

    // GET cannot sign out (a link or an image could); POST does.
    c.get("/logout")
        .header("cookie", &after)
        .send()
        .await
        .assert_status(405)
        .assert_header("allow", "POST");
    let out = c.post("/logout").header("cookie", &after).send().await;
    out.assert_status(303).assert_header("location", "/");
    // The cookie copied before the logout opens nothing.
    c.get("/private")
        .header("cookie", &after)
        .header("accept", "application/json")
        .send()
        .await
        .assert_status(401);
}

#[actix_web::test]
async fn next_never_leads_to_another_site() {
    let c = TestClient::new(site(Site::default()).build().unwrap()).await;
    for evil in [
        "//evil.example/x",
        "https://evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "",
    ] {
        login(&c, None, "secret", evil)
            .await
            .assert_status(303)
            .assert_header("location", "/");
    }
    // And the form escapes what it shows.
    c.get("/login?next=%22%3E%3Cscript%3E")
        .send()
        .await
        .assert_contains("&quot;&gt;&lt;script&gt;");
}

#[actix_web::test]
async fn with_the_csrf_tool_the_login_form_carries_a_token_and_needs_it() {
    let c = TestClient::new(
        site(Site::default())
            .set("/", "tools.csrf.on", true)
            .build()
            .unwrap(),
    )
    .await;
    let form = c.get("/login").send().await;
    form.assert_contains(r#"name="csrf_token""#);
    // Without the token, the password is never even checked.
    login(&c, None, "secret", "/").await.assert_status(403);
    let body = form.text();
    let token = body
        .split(r#"name="csrf_token" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let res = c
        .post("/login")
        .header("cookie", &cookie(&form))
        .form(&[
            ("username", "admin"),
            ("password", "secret"),
            ("next", "/private"),
            ("csrf_token", &token),
        ])
        .send()
        .await;
    res.assert_status(303).assert_header("location", "/private");
}

#[test]
fn session_auth_needs_its_verifier_and_the_sessions_tool() {
    let err = App::builder(Site::default())
        .set("/", "tools.sessions.on", true)
        .set("/", "tools.session_auth.on", true)
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("SessionAuth::new"), "{err}");
    let err = App::builder(Site::default())
        .tool_at("/", check())
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("tools.sessions"), "{err}");
    let err = App::builder(Site::default())
        .set("/", "tools.sessions.on", true)
        .tool_at("/", check())
        .set("/", "tools.session_auth.login_path", "login")
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("is not a path"), "{err}");
}

#[actix_web::test]
async fn a_handler_taking_signed_in_sends_a_browser_to_the_form_where_the_tool_covers_no_get() {
    let s = Site::default();
    let runs = s.runs.clone();
    let c = TestClient::new(site(s).build().unwrap()).await;
    c.get("/form")
        .header("accept", HTML)
        .send()
        .await
        .assert_status(303)
        .assert_header("location", "/login?next=%2Fform");
    c.get("/form")
        .send()
        .await
        .assert_status(401)
        .assert_header(
            "www-authenticate",
            r#"Session realm="drupe", login="/login""#,
        );
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    let k = cookie(&login(&c, None, "secret", "/form").await);
    c.get("/form")
        .header("cookie", &k)
        .send()
        .await
        .assert_text("a form for admin");
    // A write anywhere under the tool needs the caller too.
    c.post("/").send().await.assert_status(401);
}

/// The tool reads every covered request's session; a visitor who has none sees what every
/// such visitor sees, so the output cache keeps that page (RFC 9111 §4.1: per `Cookie`, the
/// response says `Vary: Cookie`), and never a signed-in visitor's page.
#[actix_web::test]
async fn pages_for_visitors_without_a_session_stay_cacheable_and_signed_in_ones_never_are() {
    let c = TestClient::new(
        site(Site::default())
            .set("/", "tools.caching.on", true)
            .set("/", "tools.caching.debug_header", true)
            .build()
            .unwrap(),
    )
    .await;
    let k = cookie(&login(&c, None, "secret", "/").await);
    let mine = c.get("/form").header("cookie", &k).send().await;
    mine.assert_text("a form for admin")
        .assert_header("cache-control", "private");
    // Another visitor never gets it from the cache.
    c.get("/form").send().await.assert_status(401);
    c.get("/form").send().await.assert_status(401);
    c.get("/form")
        .header("cookie", &k)
        .send()
        .await
        .assert_text("a form for admin");
    // A visitor without a session: the public page is kept, and served again.
    c.get("/news").send().await.assert_header("x-cache", "MISS");
    c.get("/news")
        .send()
        .await
        .assert_text("news")
        .assert_header("x-cache", "HIT");
}

/// A page under the tool.
struct Greeting;

#[controller]
impl Greeting {
    #[expose]
    fn index(&self) -> Page {
        Page::new("who.html", minijinja::context! {})
    }
}

/// Templates get the signed-in user's name as `user`, without the handler passing it; a
/// visitor's page has none (and stays shareable), the user's is private.
#[actix_web::test]
async fn templates_name_the_signed_in_user() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("who.html"),
        "{% if user %}signed in as {{ user }}{% else %}a visitor{% endif %}",
    )
    .unwrap();
    let app = App::builder(Greeting)
        .templates(Templates::from_dir(dir.path()))
        .set("/", "tools.sessions.on", true)
        .tool_at("/", check().methods(&["POST"]))
        .build()
        .unwrap();
    let c = TestClient::new(app).await;
    let visitor = c.get("/").send().await;
    visitor.assert_text("a visitor");
    assert_eq!(visitor.header("cache-control"), None, "{visitor:?}");
    let k = cookie(&login(&c, None, "secret", "/").await);
    c.get("/")
        .header("cookie", &k)
        .send()
        .await
        .assert_text("signed in as admin")
        .assert_header("cache-control", "private");
}

#[actix_web::test]
async fn the_login_path_answers_only_its_methods_and_allow_narrows_who_passes() {
    let c = TestClient::new(
        site(Site::default())
            .set("/private", "tools.session_auth.allow", vec!["someone-else"])
            .build()
            .unwrap(),
    )
    .await;
    c.put("/login")
        .send()
        .await
        .assert_status(405)
        .assert_header("allow", "GET, HEAD, POST");
    // Signed in, but not an account `allow` names: 403, and the handler never runs.
    let k = cookie(&login(&c, None, "secret", "/").await);
    c.get("/private")
        .header("cookie", &k)
        .send()
        .await
        .assert_status(403);
}

/// An internal redirect into the tool's paths: the hop is checked as the target's request,
/// with the application's mount prefix (the tool derived it from the client's path and the
/// target's, and a longer target overflowed).
#[actix_web::test]
async fn an_internal_redirect_into_a_private_path_is_checked() {
    let c = TestClient::new(site(Site::default()).build().unwrap()).await;
    c.get("/g").send().await.assert_status(401);
    let r = c.get("/g").header("accept", HTML).send().await;
    r.assert_status(303);
    assert!(r.header("location").unwrap().contains("/login"), "{r:?}");
}
