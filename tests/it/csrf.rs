//! The CSRF check as a browser meets it: a form page gets a cookie and a hidden field, its
//! post goes through, a post without the token, with a wrong one or with another browser's
//! is refused before the handler runs; the header variant, Bearer clients, the origin check
//! (also behind a trusted proxy), and the output cache never serving one visitor's token to
//! another.

use std::sync::{Arc, Mutex};

use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, Responder};
use drupe::testing::{Part, RequestBuilder, TestClient, TestResponse};
use drupe::{App, Config, Page, State, Templates, controller};

struct Site;

/// What `save` stored.
struct Saved(Arc<Mutex<Vec<String>>>);

#[controller]
impl Site {
    /// A form: the handler passes no token.
    #[expose]
    fn form(&self) -> Page {
        Page::new("form.html", minijinja::context! { title => "New post" })
    }

    /// A form its handler marks as public (it is not: it carries the visitor's token).
    #[expose]
    fn public_form(&self, req: HttpRequest) -> HttpResponse {
        let mut res =
            Page::new("form.html", minijinja::context! { title => "Public" }).respond_to(&req);
        res.headers_mut().insert(
            CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=600"),
        );
        res
    }

    /// A page without a form.
    #[expose]
    fn plain(&self) -> Page {
        Page::new("plain.html", minijinja::context! {})
    }

    #[expose]
    fn save(&self, text: String, saved: State<Saved>) -> &'static str {
        saved.0.lock().unwrap().push(text);
        "saved"
    }

    /// Saves, then answers what `/plain` answers.
    #[expose]
    fn save_and_show(&self, text: String, saved: State<Saved>) -> drupe::InternalRedirect {
        saved.0.lock().unwrap().push(text);
        drupe::InternalRedirect::to("/plain")
    }
}

struct Fixture {
    client: TestClient,
    saved: Arc<Mutex<Vec<String>>>,
    _templates: tempfile::TempDir,
}

impl Fixture {
    async fn new(toml: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("form.html"),
            "<h1>{{ title }}</h1>\n\
             <form method=\"post\" action=\"/save\">{{ csrf_field }}<input name=\"text\"></form>\n\
             <meta name=\"csrf-token\" content=\"{{ csrf_token }}\">\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("plain.html"), "<p>{{ request.path }}</p>").unwrap();
        let saved = Arc::new(Mutex::new(Vec::new()));
        let config = Config::from_toml(&format!("[\"/\"]\ntools.csrf.on = true\n{toml}")).unwrap();
        let app = App::builder(Site)
            .config(config)
            .templates(Templates::from_dir(dir.path()))
            .state(Saved(saved.clone()))
            .build()
            .unwrap();
        Self {
            client: TestClient::new(app).await,
            saved,
            _templates: dir,
        }
    }

    fn saved(&self) -> Vec<String> {
        self.saved.lock().unwrap().clone()
    }
}

/// A browser: its cookie, and the tokens of the form it loaded.
struct Browser {
    cookie: String,
    field: String,
    meta: String,
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let at = text
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} in {text}"))
        + start.len();
    &text[at..at + text[at..].find(end).unwrap()]
}

/// `name=value` of the response's `Set-Cookie`.
fn cookie_of(r: &TestResponse) -> String {
    let set = r.header("set-cookie").expect("a Set-Cookie");
    set.split(';').next().unwrap().to_owned()
}

/// Loads the form as a browser without a cookie.
async fn load_form(c: &TestClient) -> Browser {
    let r = c.get("/form").send().await;
    r.assert_status(200)
        .assert_header("cache-control", "private");
    let page = r.text();
    Browser {
        cookie: cookie_of(&r),
        field: between(&page, "name=\"csrf_token\" value=\"", "\"").to_owned(),
        meta: between(&page, "content=\"", "\"").to_owned(),
    }
}

async fn post(c: &TestClient, cookie: &str, form: &[(&str, &str)]) -> TestResponse {
    c.post("/save")
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
}

#[actix_web::test]
async fn a_form_gets_a_cookie_and_a_field_and_its_post_goes_through() {
    let f = Fixture::new("").await;
    let c = &f.client;
    let r = c.get("/form").send().await;
    let set = r.header("set-cookie").expect("a cookie for a new browser");
    assert!(set.starts_with("csrf="), "{set}");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attr), "{attr} in {set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP: {set}");
    r.assert_contains("<input type=\"hidden\" name=\"csrf_token\" value=\"");
    let b = load_form(c).await;
    assert_ne!(b.field, b.meta, "a fresh mask for every token");
    post(c, &b.cookie, &[("text", "hello"), ("csrf_token", &b.field)])
        .await
        .assert_text("saved");
    // The header variant, as a script sends it.
    c.post("/save")
        .header("cookie", &b.cookie)
        .header("x-csrf-token", &b.meta)
        .form(&[("text", "from a script")])
        .send()
        .await
        .assert_text("saved");
    // A multipart form carries it the same way.
    c.post("/save")
        .header("cookie", &b.cookie)
        .multipart(&[Part::text("csrf_token", &b.field), Part::text("text", "mp")])
        .send()
        .await
        .assert_text("saved");
    assert_eq!(f.saved(), ["hello", "from a script", "mp"]);
    // A browser with its cookie gets new tokens and no new cookie.
    let again = c.get("/form").header("cookie", &b.cookie).send().await;
    again
        .assert_header("cache-control", "private")
        .assert_no_header("set-cookie");
    let token = between(&again.text(), "value=\"", "\"").to_owned();
    assert_ne!(token, b.field);
    post(c, &b.cookie, &[("text", "later"), ("csrf_token", &token)])
        .await
        .assert_text("saved");
}

#[actix_web::test]
async fn posts_without_a_valid_token_are_refused_before_the_handler() {
    let f = Fixture::new("").await;
    let c = &f.client;
    let a = load_form(c).await;
    let b = load_form(c).await;
    let refused = |r: TestResponse, says: &str| {
        r.assert_status(403)
            .assert_contains("CSRF check")
            .assert_contains(says);
    };
    refused(
        post(c, &a.cookie, &[("text", "x")]).await,
        "carries no CSRF token",
    );
    refused(
        post(c, &a.cookie, &[("text", "x"), ("csrf_token", "garbage")]).await,
        "not made for this browser",
    );
    // Browser a's token with browser b's cookie: a page of another site that read a's form
    // could not post it with a's cookie... nor with any other.
    refused(
        post(c, &b.cookie, &[("text", "x"), ("csrf_token", &a.field)]).await,
        "not made for this browser",
    );
    refused(
        c.post("/save")
            .form(&[("text", "x"), ("csrf_token", &a.field)])
            .send()
            .await,
        "no CSRF cookie",
    );
    // The cookie's own value is not a token.
    let secret = a.cookie.split_once('=').unwrap().1;
    refused(
        c.post("/save")
            .header("cookie", &a.cookie)
            .header("x-csrf-token", secret)
            .form(&[("text", "x")])
            .send()
            .await,
        "not made for this browser",
    );
    for method in ["PUT", "PATCH", "DELETE"] {
        let r = c
            .request(method.parse().unwrap(), "/save?text=x")
            .header("cookie", &a.cookie)
            .send()
            .await;
        refused(r, "carries no CSRF token");
    }
    assert!(f.saved().is_empty(), "the handler ran: {:?}", f.saved());
}

#[actix_web::test]
async fn a_bad_form_body_is_answered_as_such() {
    let f = Fixture::new("").await;
    let c = &f.client;
    let b = load_form(c).await;
    c.post("/save")
        .header("cookie", &b.cookie)
        .body("application/x-www-form-urlencoded", "text=%zz")
        .send()
        .await
        .assert_status(400)
        .assert_contains("Invalid percent-encoding in the form body.");
    let huge = "x".repeat(2 << 20);
    c.post("/save")
        .header("cookie", &b.cookie)
        .form(&[("text", &huge), ("csrf_token", &b.field)])
        .send()
        .await
        .assert_status(413);
    assert!(f.saved().is_empty());
}

#[actix_web::test]
async fn bearer_and_basic_requests_need_no_token_but_meet_the_origin_check() {
    let f = Fixture::new("").await;
    let c = &f.client;
    for auth in ["Bearer abc", "Basic YTpi"] {
        c.post("/save")
            .header("authorization", auth)
            .form(&[("text", auth), ("csrf_token", "ignored")])
            .send()
            .await
            .assert_text("saved");
        c.post("/save")
            .header("authorization", auth)
            .header("origin", "https://evil.example")
            .form(&[("text", "x")])
            .send()
            .await
            .assert_status(403);
    }
    // Other schemes are not exempt.
    c.post("/save")
        .header("authorization", "Digest abc")
        .form(&[("text", "x")])
        .send()
        .await
        .assert_status(403);
    assert_eq!(f.saved(), ["Bearer abc", "Basic YTpi"]);
}

#[actix_web::test]
async fn cross_site_requests_are_refused_even_with_a_valid_token() {
    let f = Fixture::new(r#"tools.csrf.trusted_origins = ["https://app.example"]"#).await;
    let c = &f.client;
    let b = load_form(c).await;
    let send = |name: &'static str, value: &'static str| {
        c.post("/save")
            .header("cookie", &b.cookie)
            .header(name, value)
            .form(&[("text", value), ("csrf_token", &b.field)])
            .send()
    };
    send("sec-fetch-site", "cross-site")
        .await
        .assert_status(403)
        .assert_contains("Sec-Fetch-Site");
    send("origin", "https://evil.example")
        .await
        .assert_status(403)
        .assert_contains("is not this site (http://localhost:8080)");
    send("origin", "null").await.assert_status(403);
    // The client's default Host is localhost:8080.
    send("origin", "http://localhost:8080")
        .await
        .assert_text("saved");
    send("sec-fetch-site", "same-origin")
        .await
        .assert_text("saved");
    send("origin", "https://app.example")
        .await
        .assert_text("saved");
    assert_eq!(
        f.saved(),
        [
            "http://localhost:8080",
            "same-origin",
            "https://app.example"
        ]
    );
}

/// As a TLS-terminating proxy forwards it.
fn proxied(r: RequestBuilder<'_>) -> RequestBuilder<'_> {
    r.header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "shop.example")
}

#[actix_web::test]
async fn behind_a_trusted_proxy_the_own_origin_is_the_forwarded_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("form.html"), "{{ csrf_field }}").unwrap();
    let saved = Arc::new(Mutex::new(Vec::new()));
    let config = Config::from_toml(
        "[global]\nserver.trusted_proxies = [\"127.0.0.1\"]\n[\"/\"]\ntools.csrf.on = true\n",
    )
    .unwrap();
    let app = App::builder(Site)
        .config(config)
        .templates(Templates::from_dir(dir.path()))
        .state(Saved(saved.clone()))
        .build()
        .unwrap();
    let c = TestClient::new(app).await;
    let page = proxied(c.get("/form")).send().await;
    let set = page.header("set-cookie").unwrap();
    assert!(
        set.starts_with("__Host-csrf=") && set.contains("Secure"),
        "{set}"
    );
    let cookie = cookie_of(&page);
    let token = between(&page.text(), "value=\"", "\"").to_owned();
    let post = |origin: &'static str| {
        c.post("/save")
            .header("cookie", &cookie)
            .header("origin", origin)
            .form(&[("text", origin), ("csrf_token", &token)])
    };
    proxied(post("https://shop.example"))
        .send()
        .await
        .assert_text("saved");
    proxied(post("http://localhost:8080"))
        .send()
        .await
        .assert_status(403);
    // From a peer that is no trusted proxy the headers count for nothing.
    proxied(post("https://shop.example"))
        .peer("203.0.113.1:4000".parse().unwrap())
        .send()
        .await
        .assert_status(403)
        .assert_contains("(https://shop.example) is not this site (http://localhost:8080)");
    // Over plain HTTP the cookie has the other name: `__Host-csrf` is not read there.
    post("http://localhost:8080")
        .send()
        .await
        .assert_status(403)
        .assert_contains("no CSRF cookie");
    assert_eq!(*saved.lock().unwrap(), ["https://shop.example"]);
}

#[actix_web::test]
async fn the_output_cache_never_serves_one_visitors_token_to_another() {
    let f = Fixture::new("tools.caching.on = true").await;
    let c = &f.client;
    let a = load_form(c).await;
    let b = load_form(c).await;
    assert_ne!(a.cookie, b.cookie);
    assert_ne!(a.field, b.field);
    // Even a page its handler says is public: each visitor renders their own.
    let mut seen = Vec::new();
    for visitor in [&a, &b, &a, &b] {
        let r = c
            .get("/public_form")
            .header("cookie", &visitor.cookie)
            .send()
            .await;
        r.assert_status(200)
            .assert_header("cache-control", "private, max-age=600")
            .assert_no_header("set-cookie");
        assert_ne!(r.header("x-cache"), Some("HIT"));
        let token = between(&r.text(), "value=\"", "\"").to_owned();
        assert!(!seen.contains(&token), "a token served twice");
        seen.push(token.clone());
        post(
            c,
            &visitor.cookie,
            &[("text", "mine"), ("csrf_token", &token)],
        )
        .await
        .assert_text("saved");
        let other = if std::ptr::eq(visitor, &a) { &b } else { &a };
        post(
            c,
            &other.cookie,
            &[("text", "theirs"), ("csrf_token", &token)],
        )
        .await
        .assert_status(403);
    }
    assert_eq!(f.saved(), ["mine"; 4]);
    // A page without a token costs no cookie and is cached as usual.
    let plain = c.get("/plain").send().await;
    plain
        .assert_no_header("set-cookie")
        .assert_no_header("cache-control");
    c.get("/plain")
        .send()
        .await
        .assert_header("x-cache", "HIT")
        .assert_no_header("set-cookie");
}

#[test]
fn settings_are_checked_at_build() {
    for (toml, says) in [
        (
            r#"tools.csrf.trusted_origins = ["app.example"]"#,
            "`app.example` is not an origin",
        ),
        (r#"tools.csrf.header = "X CSRF""#, "is not a header name"),
        (r#"tools.csrf.field = "a\"b""#, "is not a form field name"),
    ] {
        let config = Config::from_toml(&format!("[\"/\"]\n{toml}\n")).unwrap();
        let err = App::builder(Site).config(config).build().unwrap_err();
        assert!(err.to_string().contains(says), "{err}");
    }
}

/// A tree with a resource, whose verbs the document lists one by one.
#[controller]
struct Api {
    #[mount]
    notes: Notes,
}

#[controller]
impl Api {
    #[expose]
    fn index(&self) -> &'static str {
        "api"
    }
}

struct Notes;

#[drupe::resource]
impl Notes {
    async fn get(&self) -> &'static str {
        "notes"
    }

    async fn post(&self) -> &'static str {
        "posted"
    }
}

#[actix_web::test]
async fn the_document_lists_the_403_of_unsafe_methods() {
    let app = App::builder(Api { notes: Notes })
        .set("/", "tools.csrf.on", true)
        .build()
        .unwrap();
    let c = TestClient::new(app).await;
    let doc: serde_json::Value = c.get("/openapi.json").send().await.json();
    let notes = &doc["paths"]["/notes"];
    let post = notes["post"]["responses"]["403"]["description"]
        .as_str()
        .unwrap_or_else(|| panic!("no 403 for POST /notes in {notes}"));
    assert!(post.contains("CSRF check"), "{post}");
    assert!(notes["get"]["responses"].get("403").is_none(), "{notes}");
}

/// The hop of an internal redirect after a checked POST is a GET: it is not checked again
/// (the form it had is gone), and the visitor gets the target's page.
#[actix_web::test]
async fn an_internal_redirect_after_a_checked_post_is_answered() {
    let f = Fixture::new("").await;
    let c = &f.client;
    let b = load_form(c).await;
    c.post("/save_and_show")
        .header("cookie", &b.cookie)
        .form(&[("text", "hopped"), ("csrf_token", &b.field)])
        .send()
        .await
        .assert_status(200)
        .assert_text("<p>&#x2f;save_and_show</p>");
    assert_eq!(f.saved(), ["hopped"]);
    // Without the token the POST itself is refused, hop or not.
    c.post("/save_and_show")
        .header("cookie", &b.cookie)
        .form(&[("text", "forged")])
        .send()
        .await
        .assert_status(403);
    assert_eq!(f.saved(), ["hopped"]);
}

/// A page carrying a token is different bytes on every answer: the ETag tool gives it no tag
/// (one would never revalidate), while a page without one keeps its tag.
#[actix_web::test]
async fn a_page_with_a_token_gets_no_tag() {
    let f = Fixture::new("tools.etags.autotags = true").await;
    let c = &f.client;
    c.get("/form")
        .send()
        .await
        .assert_status(200)
        .assert_no_header("etag");
    let plain = c.get("/plain").send().await;
    assert!(plain.header("etag").is_some());
}
