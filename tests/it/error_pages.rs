//! Error pages over a real socket: `error_page.<status>` and `error_page.default` per path, for
//! clients that prefer HTML (RFC 9110 §12.5.1), problem details (RFC 9457) and text for the
//! others, and the request id a 5xx shows its user and writes in its log line.

use drupe::testing::TestServer;
use drupe::{App, AppBuilder, HttpError, Templates, controller};

#[controller]
struct Root {
    #[mount]
    site: Site,
    #[mount]
    api: Api,
}

#[controller]
impl Root {}

struct Site;

#[controller]
impl Site {
    #[expose]
    fn index(&self) -> &'static str {
        "site"
    }
    #[expose]
    fn gone(&self) -> Result<String, HttpError> {
        Err(HttpError::new(
            drupe::ErrorStatus::new(actix_web::http::StatusCode::GONE).unwrap(),
            "It went <away>.",
        ))
    }
    #[expose]
    fn boom(&self) -> Result<String, HttpError> {
        Err(HttpError::internal("the database password is hunter2"))
    }
    #[expose]
    fn missing(&self) -> Result<String, HttpError> {
        Err(HttpError::not_found("No such thing."))
    }
    #[expose]
    fn panics(&self) -> String {
        panic!("secret panic detail")
    }
}

struct Api;

#[controller]
impl Api {
    #[expose]
    fn boom(&self) -> Result<String, HttpError> {
        Err(HttpError::internal("the api's secret"))
    }
}

fn templates() -> (tempfile::TempDir, Templates) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("errors")).unwrap();
    std::fs::write(
        dir.path().join("errors/404.html"),
        "<h1 class=\"custom-404\">{{ status }} {{ reason }}</h1><p>{{ message }}</p><p>{{ path }}</p>",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("errors/any.html"),
        "<h1 class=\"custom-any\">{{ status }}</h1><p>{{ message }}</p><p id=\"rid\">{{ request_id }}</p>",
    )
    .unwrap();
    std::fs::write(dir.path().join("errors/broken.html"), "{{ nope( }}").unwrap();
    let t = Templates::from_dir(dir.path());
    (dir, t)
}

fn builder(t: Templates) -> AppBuilder {
    App::builder(Root {
        site: Site,
        api: Api,
    })
    .templates(t)
    .set("/site", "error_page.404", "errors/404.html")
    .set("/site", "error_page.default", "errors/any.html")
}

/// The page of the status, else the default one, for HTML clients; escaped values; problem
/// details and text for the others; no page where the path has none.
#[actix_web::test]
async fn pages_by_status_for_clients_that_prefer_html() {
    let (_dir, t) = templates();
    let s = TestServer::start(builder(t).build().unwrap()).await;
    let c = s.client();
    let r = c.get("/site/nothing/here").accept("text/html").send().await;
    r.assert_status(404)
        .assert_header("content-type", "text/html; charset=utf-8")
        .assert_contains("class=\"custom-404\">404 Not Found")
        // minijinja escapes `/` too.
        .assert_contains("<p>&#x2f;site&#x2f;nothing&#x2f;here</p>");
    let r = c
        .get("/site/gone")
        .accept("text/html,*/*;q=0.8")
        .send()
        .await;
    r.assert_status(410)
        .assert_contains("class=\"custom-any\">410")
        .assert_contains("It went &lt;away&gt;.");
    assert!(!r.text().contains("<away>"));
    // A client that prefers JSON: problem details, as without pages.
    let r = c
        .get("/site/nothing")
        .accept("application/json")
        .send()
        .await;
    r.assert_status(404)
        .assert_header("content-type", "application/problem+json");
    assert_eq!(r.json::<serde_json::Value>()["status"], 404);
    // No Accept: text.
    c.get("/site/nothing")
        .send()
        .await
        .assert_status(404)
        .assert_header("content-type", "text/plain; charset=utf-8");
    // Outside /site: the built-in page.
    let r = c.get("/api/nothing").accept("text/html").send().await;
    r.assert_status(404).assert_contains("Powered by drupe");
    assert!(!r.text().contains("custom"));
    // HEAD: the page's headers, no body.
    c.head("/site/nothing")
        .accept("text/html")
        .send()
        .await
        .assert_status(404)
        .assert_header("content-type", "text/html; charset=utf-8")
        .assert_empty();
}

/// A 5xx: the generic message, no internals, and one request id in the page, the header and
/// the problem details.
#[actix_web::test]
async fn a_server_error_shows_its_request_id_and_no_internals() {
    let (_dir, t) = templates();
    let s = TestServer::start(builder(t).build().unwrap()).await;
    let c = s.client();
    for p in ["/site/boom", "/site/panics"] {
        let r = c.get(p).accept("text/html").send().await;
        r.assert_status(500).assert_contains("custom-any");
        let id = r.header("x-request-id").expect("an id").to_owned();
        assert_eq!(id.len(), 16, "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        r.assert_contains(&format!("<p id=\"rid\">{id}</p>"));
        let body = r.text();
        assert!(
            !body.contains("hunter2") && !body.contains("secret"),
            "{body}"
        );
    }
    let r = c.get("/api/boom").accept("application/json").send().await;
    r.assert_status(500);
    let v: serde_json::Value = r.json();
    assert_eq!(v["request_id"], r.header("x-request-id").unwrap());
    assert!(!r.text().contains("secret"));
    let r = c.get("/api/boom").send().await;
    r.assert_contains(&format!(
        "Request id: {}",
        r.header("x-request-id").unwrap()
    ));
    // Two failures, two ids.
    let a = c.get("/api/boom").send().await;
    let b = c.get("/api/boom").send().await;
    assert_ne!(a.header("x-request-id"), b.header("x-request-id"));
}

/// A template that fails to render leaves the built-in page.
#[actix_web::test]
async fn a_broken_template_falls_back_to_the_built_in_page() {
    let (_dir, t) = templates();
    let app = builder(t)
        .set("/site", "error_page.404", "errors/broken.html")
        .build()
        .unwrap();
    let s = TestServer::start(app).await;
    s.client()
        .get("/site/nothing")
        .accept("text/html")
        .send()
        .await
        .assert_status(404)
        .assert_header("content-type", "text/html; charset=utf-8")
        .assert_contains("Powered by drupe");
}

/// A key that is no error status, or a page that is no template name, stops the build.
#[test]
fn bad_keys_stop_the_build() {
    for (key, value) in [
        ("error_page.200", toml::Value::String("x.html".into())),
        ("error_page.abc", toml::Value::String("x.html".into())),
        ("error_page.404", toml::Value::Integer(3)),
    ] {
        let (_dir, t) = templates();
        let err = builder(t)
            .set("/", key, value)
            .build()
            .err()
            .unwrap_or_else(|| panic!("{key} is refused"));
        assert!(err.to_string().contains(key), "{key}: {err}");
    }
}

/// With the output cache on, a stored 404 is the page the client got: a hit shows it too.
#[actix_web::test]
async fn the_cache_keeps_the_page_the_client_got() {
    let (_dir, t) = templates();
    let app = builder(t)
        .tool(drupe::cache::Caching::memory(100, 1 << 20))
        .set("/site", "tools.caching.on", true)
        .build()
        .unwrap();
    let s = TestServer::start(app).await;
    let c = s.client();
    for _ in 0..2 {
        c.get("/site/missing")
            .accept("text/html")
            .send()
            .await
            .assert_status(404)
            .assert_contains("custom-404");
    }
}
