//! The CORS tool: preflights answered before the handler (allowed, or refused by origin,
//! method or header), the headers of every other response (errors and the dispatcher's own
//! 404 and 405 included), origin patterns and what they do not match, `Vary: Origin` and the
//! output cache, and the settings refused at build.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use drupe::testing::{TestClient, TestResponse, TestServer};
use drupe::{App, AppBuilder, Config, Cors, HttpError, Negotiated, controller, resource};

struct Root {
    api: Api,
}

#[controller]
impl Root {
    #[mount]
    fn api(&self) -> &Api {
        &self.api
    }

    /// Outside the tool's paths.
    #[expose]
    fn public(&self) -> &'static str {
        "public"
    }
}

#[controller]
struct Api {
    #[mount]
    items: Items,
    #[mount]
    probe: Probe,
}

#[controller]
impl Api {
    /// Not a resource: answers every method.
    #[expose]
    fn plain(&self) -> &'static str {
        "plain"
    }

    #[expose]
    fn fail(&self) -> Result<&'static str, HttpError> {
        Err(HttpError::bad_request("no such thing"))
    }

    /// Sets `Vary: Origin` itself.
    #[expose]
    fn varies(&self) -> actix_web::HttpResponse {
        actix_web::HttpResponse::Ok()
            .insert_header(("vary", "origin"))
            .body("varies")
    }

    #[expose]
    #[produces(json)]
    fn negotiated(&self) -> Negotiated<Vec<u8>> {
        Negotiated::new(vec![1])
    }

    /// Counts its calls, for the cache.
    #[expose]
    fn cached(&self) -> String {
        let n = self.items.calls.fetch_add(1, Ordering::SeqCst) + 1;
        format!("render {n}")
    }
}

/// A collection resource: `GET`, `POST`.
#[derive(Default)]
struct Items {
    calls: Arc<AtomicUsize>,
}

#[resource]
impl Items {
    fn get(&self) -> &'static str {
        "items"
    }

    fn post(&self) -> &'static str {
        "posted"
    }
}

/// A resource with an `OPTIONS` handler of its own, which counts its calls.
#[derive(Default)]
struct Probe {
    calls: Arc<AtomicUsize>,
}

#[resource]
impl Probe {
    fn get(&self) -> &'static str {
        "probe"
    }

    fn options(&self) -> &'static str {
        self.calls.fetch_add(1, Ordering::SeqCst);
        "my own options"
    }
}

const APP: &str = "https://app.example";

fn root() -> (Root, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let items = Items::default();
    let probe = Probe::default();
    let (renders, options) = (items.calls.clone(), probe.calls.clone());
    (
        Root {
            api: Api { items, probe },
        },
        renders,
        options,
    )
}

/// The tool at `/api`: two origins (one a pattern), two request headers, one exposed header,
/// credentials, ten minutes of preflight.
fn builder() -> (AppBuilder, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let (tree, renders, options) = root();
    let b = App::builder(tree).tool_at(
        "/api",
        Cors::new()
            .allow_origin(APP)
            .allow_origin("https://*.example.com")
            .allow_headers(["Content-Type", "X-Token"])
            .expose_headers(["ETag"])
            .allow_credentials(true)
            .max_age(600),
    );
    (b, renders, options)
}

async fn client() -> TestClient {
    TestClient::new(builder().0.build().unwrap()).await
}

async fn preflight(c: &TestClient, path: &str, origin: &str, method: &str) -> TestResponse {
    c.options(path)
        .header("origin", origin)
        .header("access-control-request-method", method)
        .send()
        .await
}

/// None of the headers that grant anything.
fn assert_refused(r: &TestResponse) {
    for name in [
        "access-control-allow-origin",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-allow-credentials",
        "access-control-max-age",
    ] {
        r.assert_no_header(name);
    }
}

fn vary(r: &TestResponse) -> Vec<String> {
    r.headers()
        .get_all("vary")
        .flat_map(|v| v.to_str().unwrap().split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .collect()
}

#[actix_web::test]
async fn an_allowed_preflight_over_a_socket() {
    let s = TestServer::start(builder().0.build().unwrap()).await;
    let c = s.client();
    let r = c
        .options("/api/items")
        .header("origin", APP)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,x-token")
        .send()
        .await;
    r.assert_status(204)
        .assert_header("access-control-allow-origin", APP)
        .assert_header("access-control-allow-methods", "GET, HEAD, OPTIONS, POST")
        .assert_header("access-control-allow-headers", "Content-Type, X-Token")
        .assert_header("access-control-allow-credentials", "true")
        .assert_header("access-control-max-age", "600")
        .assert_header("allow", "GET, HEAD, OPTIONS, POST")
        .assert_empty();
    let v = vary(&r);
    for name in [
        "origin",
        "access-control-request-method",
        "access-control-request-headers",
    ] {
        assert!(v.contains(&name.to_owned()), "{v:?}");
    }
    // The actual request that follows.
    c.post("/api/items")
        .header("origin", APP)
        .send()
        .await
        .assert_text("posted")
        .assert_header("access-control-allow-origin", APP)
        .assert_header("access-control-allow-credentials", "true")
        .assert_header("access-control-expose-headers", "ETag");
    // An `Origin` that is not even text is just not allowed.
    let raw = s.raw(
        b"GET /api/items HTTP/1.1\r\nHost: localhost\r\nOrigin: https://\xffpp.example\r\nConnection: close\r\n\r\n",
    );
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    assert!(
        !raw.to_ascii_lowercase()
            .contains("access-control-allow-origin"),
        "{raw}"
    );
    s.stop().await;
}

#[actix_web::test]
async fn refused_preflights_get_the_plain_options_answer() {
    let c = client().await;
    // From an origin not listed.
    let r = preflight(&c, "/api/items", "https://evil.example", "POST").await;
    r.assert_status(204)
        .assert_header("allow", "GET, HEAD, OPTIONS, POST");
    assert_refused(&r);
    // For a method the resource does not have.
    let r = preflight(&c, "/api/items", APP, "DELETE").await;
    r.assert_status(204);
    assert_refused(&r);
    // Methods are case-sensitive: `post` is not `POST`.
    assert_refused(&preflight(&c, "/api/items", APP, "post").await);
    // With a header that is not allowed, beside one that is.
    let r = c
        .options("/api/items")
        .header("origin", APP)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type, x-other")
        .send()
        .await;
    r.assert_status(204);
    assert_refused(&r);
    // A requested list that is not a list of names.
    let r = c
        .options("/api/items")
        .header("origin", APP)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content type")
        .send()
        .await;
    assert_refused(&r);
    // `null` and a malformed origin.
    assert_refused(&preflight(&c, "/api/items", "null", "GET").await);
    assert_refused(&preflight(&c, "/api/items", "https://app.example/", "GET").await);
    // A preflight to a path the tree does not have keeps its 404.
    let r = preflight(&c, "/api/nope/nope", APP, "GET").await;
    r.assert_status(404);
    assert_refused(&r);
}

#[actix_web::test]
async fn a_preflight_never_reaches_the_handler() {
    let (b, _, options) = builder();
    let c = TestClient::new(b.build().unwrap()).await;
    preflight(&c, "/api/probe", APP, "GET")
        .await
        .assert_status(204)
        .assert_header("access-control-allow-origin", APP)
        .assert_header("access-control-allow-methods", "GET, HEAD, OPTIONS")
        .assert_empty();
    preflight(&c, "/api/probe", "https://evil.example", "GET")
        .await
        .assert_status(204);
    assert_eq!(options.load(Ordering::SeqCst), 0);
    // An `OPTIONS` without `Access-Control-Request-Method` is no preflight: the resource's
    // own `OPTIONS` answers, with the headers of any response.
    c.options("/api/probe")
        .header("origin", APP)
        .send()
        .await
        .assert_text("my own options")
        .assert_header("access-control-allow-origin", APP)
        .assert_no_header("access-control-allow-methods");
    assert_eq!(options.load(Ordering::SeqCst), 1);
    // Without a handler of its own, the method dispatcher's answer.
    c.options("/api/items")
        .header("origin", APP)
        .send()
        .await
        .assert_status(204)
        .assert_header("allow", "GET, HEAD, OPTIONS, POST")
        .assert_header("access-control-allow-origin", APP)
        .assert_no_header("access-control-allow-methods");
}

#[actix_web::test]
async fn methods_default_to_the_resources_own_and_are_bounded_by_them() {
    let c = client().await;
    // A path that is not a resource: the methods a page may use without a preflight.
    preflight(&c, "/api/plain", APP, "POST")
        .await
        .assert_header("access-control-allow-methods", "GET, HEAD, POST")
        .assert_text("");
    assert_refused(&preflight(&c, "/api/plain", APP, "PUT").await);
    // Configured: only those the resource answers, in its order.
    let (tree, _, _) = root();
    let app = App::builder(tree)
        .tool_at(
            "/api",
            Cors::new()
                .allow_origin(APP)
                .allow_methods(["post", "DELETE", "GET"]),
        )
        .build()
        .unwrap();
    let c = TestClient::new(app).await;
    preflight(&c, "/api/items", APP, "POST")
        .await
        .assert_header("access-control-allow-methods", "GET, POST");
    assert_refused(&preflight(&c, "/api/items", APP, "DELETE").await);
    assert_refused(&preflight(&c, "/api/items", APP, "HEAD").await);
    preflight(&c, "/api/plain", APP, "DELETE")
        .await
        .assert_header("access-control-allow-methods", "POST, DELETE, GET");
    // Neither credentials nor max-age unless set.
    let r = preflight(&c, "/api/items", APP, "GET").await;
    r.assert_no_header("access-control-allow-credentials")
        .assert_no_header("access-control-max-age")
        .assert_no_header("access-control-allow-headers");
}

#[actix_web::test]
async fn every_response_of_the_path_carries_the_origin_it_allows() {
    let c = client().await;
    c.get("/api/items")
        .header("origin", APP)
        .send()
        .await
        .assert_text("items")
        .assert_header("access-control-allow-origin", APP)
        .assert_header("access-control-allow-credentials", "true")
        .assert_header("access-control-expose-headers", "ETag")
        .assert_header("vary", "Origin");
    // Errors: the handler's, the dispatcher's 405 and 404.
    c.get("/api/fail")
        .header("origin", APP)
        .send()
        .await
        .assert_status(400)
        .assert_header("access-control-allow-origin", APP);
    c.delete("/api/items")
        .header("origin", APP)
        .send()
        .await
        .assert_status(405)
        .assert_header("allow", "GET, HEAD, OPTIONS, POST")
        .assert_header("access-control-allow-origin", APP);
    let r = c.get("/api/nope/nope").header("origin", APP).send().await;
    r.assert_status(404)
        .assert_header("access-control-allow-origin", APP);
    assert!(vary(&r).contains(&"origin".to_owned()), "{:?}", vary(&r));
    // Not allowed, or no `Origin` at all: nothing but `Vary`.
    for origin in [Some("https://evil.example"), None] {
        let mut req = c.get("/api/items");
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        let r = req.send().await;
        r.assert_text("items")
            .assert_header("vary", "Origin")
            .assert_no_header("access-control-allow-credentials")
            .assert_no_header("access-control-expose-headers");
        assert_refused(&r);
    }
    // Two `Origin` fields are no origin.
    let r = c
        .get("/api/items")
        .header("origin", APP)
        .header("origin", APP)
        .send()
        .await;
    assert_refused(&r);
    // Outside the tool's paths, nothing.
    c.get("/public")
        .header("origin", APP)
        .send()
        .await
        .assert_no_header("access-control-allow-origin")
        .assert_no_header("vary");
}

#[actix_web::test]
async fn vary_names_origin_once() {
    let c = client().await;
    let r = c.get("/api/varies").header("origin", APP).send().await;
    assert_eq!(vary(&r), ["origin"]);
    let r = c.get("/api/negotiated").header("origin", APP).send().await;
    assert_eq!(vary(&r), ["accept", "origin"]);
}

#[actix_web::test]
async fn a_pattern_matches_one_label_of_its_domain() {
    let c = client().await;
    for allowed in [
        "https://api.example.com",
        "https://api.example.com:443",
        "HTTPS://API.Example.com",
        "https://app.example",
    ] {
        c.get("/api/items")
            .header("origin", allowed)
            .send()
            .await
            // Answered as the browser sent it: its own serialization is what it compares.
            .assert_header("access-control-allow-origin", allowed);
    }
    for refused in [
        "https://evil.example.com.attacker.net",
        "https://example.com",
        "https://a.b.example.com",
        "http://api.example.com",
        "https://api.example.com:8443",
        "http://app.example",
        "https://app.example:8443",
        "https://app.example.evil",
        "https://app.example/",
        "null",
        "",
        "app.example",
    ] {
        let r = c.get("/api/items").header("origin", refused).send().await;
        r.assert_status(200);
        assert_refused(&r);
    }
}

#[actix_web::test]
async fn null_only_when_listed_and_any_without_credentials() {
    let (tree, _, _) = root();
    let app = App::builder(tree)
        .tool_at("/api", Cors::new().allow_origin("*").allow_headers(["*"]))
        .build()
        .unwrap();
    let c = TestClient::new(app).await;
    c.get("/api/items")
        .header("origin", "https://anyone.example")
        .send()
        .await
        .assert_header("access-control-allow-origin", "*")
        .assert_no_header("access-control-allow-credentials");
    preflight(&c, "/api/items", "https://anyone.example", "POST")
        .await
        .assert_header("access-control-allow-origin", "*")
        .assert_header("access-control-allow-headers", "*");
    assert_refused(&c.get("/api/items").header("origin", "null").send().await);

    let (tree, _, _) = root();
    let app = App::builder(tree)
        .tool_at("/api", Cors::new().allow_origin("null"))
        .build()
        .unwrap();
    let c = TestClient::new(app).await;
    c.get("/api/items")
        .header("origin", "null")
        .send()
        .await
        .assert_header("access-control-allow-origin", "null");
    assert_refused(&c.get("/api/items").header("origin", APP).send().await);
}

#[actix_web::test]
async fn the_cache_answers_each_origin_its_own_header() {
    let (b, renders, _) = builder();
    let app = b
        .tool(drupe::cache::Caching::memory(100, 1 << 20))
        .set("/api", "tools.caching.on", true)
        .build()
        .unwrap();
    let c = TestClient::new(app).await;
    c.get("/api/cached")
        .header("origin", APP)
        .send()
        .await
        .assert_text("render 1")
        .assert_header("x-cache", "MISS")
        .assert_header("access-control-allow-origin", APP);
    // Stored once, for every origin: none gets another's header.
    let r = c
        .get("/api/cached")
        .header("origin", "https://evil.example")
        .send()
        .await;
    r.assert_text("render 1").assert_header("x-cache", "HIT");
    assert_refused(&r);
    let r = c.get("/api/cached").send().await;
    r.assert_text("render 1")
        .assert_header("x-cache", "HIT")
        .assert_header("vary", "Origin");
    assert_refused(&r);
    c.get("/api/cached")
        .header("origin", "https://api.example.com")
        .send()
        .await
        .assert_text("render 1")
        .assert_header("x-cache", "HIT")
        .assert_header("access-control-allow-origin", "https://api.example.com");
    c.get("/api/cached")
        .header("origin", APP)
        .send()
        .await
        .assert_header("x-cache", "HIT")
        .assert_header("access-control-allow-origin", APP);
    assert_eq!(renders.load(Ordering::SeqCst), 1);
}

#[actix_web::test]
async fn toml_settings_and_the_openapi_document() {
    let config = Config::from_toml(
        r#"
        ["/api"]
        tools.cors.on = true
        tools.cors.origins = ["https://app.example"]
        tools.cors.methods = ["GET"]
        tools.cors.max_age = 60
        "#,
    )
    .unwrap();
    let (tree, _, _) = root();
    let c = TestClient::new(App::builder(tree).config(config).build().unwrap()).await;
    preflight(&c, "/api/probe", APP, "GET")
        .await
        .assert_header("access-control-allow-methods", "GET")
        .assert_header("access-control-max-age", "60");
    let doc: serde_json::Value = c.get("/openapi.json").send().await.json();
    let options = &doc["paths"]["/api/probe"]["options"]["responses"]["204"]["description"];
    assert!(
        options.as_str().unwrap().contains("CORS preflight"),
        "{options}"
    );
}

fn refused(builder: AppBuilder) -> String {
    match builder.build() {
        Ok(_) => panic!("the settings were accepted"),
        Err(e) => e.to_string(),
    }
}

fn build_error(toml: &str) -> String {
    let (tree, _, _) = root();
    refused(App::builder(tree).config(Config::from_toml(toml).unwrap()))
}

#[test]
fn settings_that_cannot_work_are_refused_at_build() {
    let err = build_error(
        r#"
["/api"]
tools.cors.on = true
tools.cors.origins = ["*"]
tools.cors.credentials = true
"#,
    );
    assert!(err.contains("tools.cors.origins"), "{err}");
    assert!(err.contains("credentials"), "{err}");
    assert!(err.contains("(line 4)"), "{err}");
    let err = build_error(
        r#"
["/api"]
tools.cors.on = true
tools.cors.origins = ["https://app.example/"]
"#,
    );
    assert!(err.contains("tools.cors.origins"), "{err}");
    assert!(
        err.contains("`https://app.example/` is not an origin"),
        "{err}"
    );
    let err = build_error(
        r#"
["/api"]
tools.cors.origins = ["https://*.com"]
"#,
    );
    assert!(err.contains("top-level domain"), "{err}");
    let err = build_error(
        r#"
["/api"]
tools.cors.on = true
tools.cors.origins = ["https://app.example"]
tools.cors.headers = ["*"]
tools.cors.credentials = true
"#,
    );
    assert!(err.contains("tools.cors.headers"), "{err}");
    let err = build_error(
        r#"
["/api"]
tools.cors.on = true
tools.cors.origins = ["https://app.example"]
tools.cors.expose_headers = ["bad header"]
"#,
    );
    assert!(err.contains("tools.cors.expose_headers"), "{err}");
    let err = build_error(
        r#"
["/api"]
tools.cors.on = true
tools.cors.origins = ["https://app.example"]
tools.cors.methods = ["GET POST"]
"#,
    );
    assert!(err.contains("tools.cors.methods"), "{err}");
    let err = build_error("[\"/api\"]\ntools.cors.on = true\n");
    assert!(err.contains("tools.cors.origins: not set"), "{err}");
    let err = build_error("[\"/api\"]\ntools.cors.max_age = -1\n");
    assert!(err.contains("tools.cors.max_age"), "{err}");
    // The builder's settings are checked the same way.
    let (tree, _, _) = root();
    let err = refused(App::builder(tree).tool_at(
        "/api",
        Cors::new().allow_origin("*").allow_credentials(true),
    ));
    assert!(err.contains("tools.cors.origins"), "{err}");
}
