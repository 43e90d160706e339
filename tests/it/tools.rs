//! Tools: hook points, per-path configuration from the builder and from TOML.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::HttpResponse;
use actix_web::http::header::{HeaderName, HeaderValue};
use drupe::testing::TestClient;
use drupe::tools::{After, Before, Exchange, Tool};
use drupe::{App, BuildError, Config, controller};

struct Root;

#[controller]
impl Root {
    #[expose]
    fn index(&self) -> &'static str {
        "index"
    }

    #[expose]
    fn guarded(&self) -> &'static str {
        "the handler ran"
    }
}

/// Answers instead of the handler when `?deny` is present; stamps responses; counts ends.
#[derive(Clone, Default)]
struct Guard {
    ended: Arc<AtomicUsize>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct GuardConfig {
    stamp: Option<String>,
}

impl Tool for Guard {
    type Config = GuardConfig;
    const NAME: &'static str = "guard";

    fn before_handler<'a>(&'a self, _: &'a GuardConfig, ex: &'a Exchange) -> Before<'a> {
        if ex.request().headers().contains_key("x-deny") {
            Before::Respond(HttpResponse::Forbidden().body("denied by the guard"))
        } else if ex.request().headers().contains_key("x-later") {
            Before::Pending(Box::pin(async {
                tokio::task::yield_now().await;
                Some(HttpResponse::Accepted().body("answered later"))
            }))
        } else {
            Before::Continue
        }
    }

    fn after_handler<'a>(
        &'a self,
        cfg: &'a GuardConfig,
        _: &'a Exchange,
        mut res: HttpResponse,
    ) -> After<'a> {
        if let Some(s) = &cfg.stamp {
            res.headers_mut().insert(
                HeaderName::from_static("x-stamp"),
                HeaderValue::from_str(s).unwrap(),
            );
        }
        After::Done(res)
    }

    fn on_end(&self, _: &GuardConfig, _: &Exchange, _: &HttpResponse) {
        self.ended.fetch_add(1, Ordering::SeqCst);
    }

    fn responses(&self, _: &GuardConfig, _: &str) -> Vec<(u16, &'static str)> {
        vec![(403, "denied by the guard"), (202, "answered later")]
    }
}

/// The statuses of one operation in the application's OpenAPI document.
async fn documented(c: &TestClient, path: &str) -> Vec<(String, String)> {
    let doc: serde_json::Value = c.get("/openapi.json").send().await.json();
    doc["paths"][path]["get"]["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("no GET {path} in {doc}"))
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v["description"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn the_document_lists_what_a_tool_answers_where_it_is_on() {
    let app = App::builder(Root)
        .tool_at("/guarded", Guard::default())
        .build()
        .unwrap();
    let c = TestClient::new(app).await;
    let guarded = documented(&c, "/guarded").await;
    let codes: Vec<&str> = guarded.iter().map(|(k, _)| k.as_str()).collect();
    // The handler's 200, the dispatcher's 400 and 404, the trailing-slash tool's 301 and the
    // ETag tool's 304 and 412 (both on everywhere by default), and the guard's two.
    assert_eq!(
        codes,
        ["200", "202", "301", "304", "400", "403", "404", "412"]
    );
    assert!(guarded.contains(&("403".into(), "denied by the guard".into())));
    let root: Vec<String> = documented(&c, "/")
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(root, ["200", "301", "304", "400", "404", "412"]);
}

#[actix_web::test]
async fn a_tool_answers_stamps_and_observes_only_where_it_is_on() {
    let guard = Guard::default();
    let config = Config::from_toml(
        r#"
        ["/guarded"]
        tools.guard.on = true
        tools.guard.stamp = "guarded"
        "#,
    )
    .unwrap();
    let app = App::builder(Root)
        .tool(guard.clone())
        .config(config)
        .build()
        .unwrap();
    let c = TestClient::new(app).await;
    c.get("/guarded")
        .send()
        .await
        .assert_status(200)
        .assert_header("x-stamp", "guarded")
        .assert_text("the handler ran");
    c.get("/guarded")
        .header("x-deny", "1")
        .send()
        .await
        .assert_status(403)
        .assert_header("x-stamp", "guarded")
        .assert_text("denied by the guard");
    c.get("/guarded")
        .header("x-later", "1")
        .send()
        .await
        .assert_status(202)
        .assert_text("answered later");
    c.get("/")
        .header("x-deny", "1")
        .send()
        .await
        .assert_status(200)
        .assert_no_header("x-stamp");
    // A 404 of the walk below the tool's path still reaches `on_end`.
    c.get("/guarded/x/y").send().await.assert_status(404);
    assert_eq!(guard.ended.load(Ordering::SeqCst), 4);
}

#[test]
fn configuration_errors_are_reported_at_build() {
    let err = App::builder(Root)
        .set("/", "tools.nosuch.on", true)
        .build()
        .unwrap_err();
    assert!(matches!(err, BuildError::Config(_)), "{err}");
    assert!(err.to_string().contains("tools.nosuch"), "{err}");
    let err = App::builder(Root)
        .tool(Guard::default())
        .set("/x", "tools.guard.stampp", "typo")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("stampp"), "{err}");
    let err = App::builder(Root)
        .set("/", "request.body.max_size", "lots")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("request.body.max_size"), "{err}");
    for bad in [toml::Value::Integer(0), toml::Value::from("many")] {
        let err = App::builder(Root)
            .set("/forms", "request.max_fields", bad)
            .build()
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("[\"/forms\"] request.max_fields: "), "{msg}");
        assert!(msg.contains("expected a number of fields above 0"), "{msg}");
    }
    let err = App::builder(Root)
        .set("/", "tools.trailing_slash.on", "yes")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("expected true or false"), "{err}");
    // A trailing-slash "redirect" that is not one (it used to be dropped without a word).
    let err = App::builder(Root)
        .set("/", "tools.trailing_slash.status", 200)
        .build()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("tools.trailing_slash.status: 200 is not a redirect"),
        "{err}"
    );
    // Global settings of the wrong shape name their key (coverage.* are read where it is on).
    for (key, value) in [
        // Replaced by server.trusted_proxies: an error that says so, whatever its value.
        ("server.behind_proxy", toml::Value::Boolean(true)),
        ("server.trusted_proxies", toml::Value::from("yes")),
        (
            "server.trusted_proxies",
            toml::Value::from(vec!["10.0.0.0/33"]),
        ),
        (
            "server.trusted_proxies",
            toml::Value::from(vec!["proxy.example"]),
        ),
        ("server.allowed_hosts", toml::Value::Integer(5)),
        ("server.body_timeout", toml::Value::Integer(-1)),
        ("server.body_timeout", toml::Value::Float(f64::NAN)),
        ("server.body_timeout", toml::Value::from("10 s")),
        ("openapi.on", toml::Value::from("yes")),
        ("openapi.path", toml::Value::Integer(5)),
        ("cache.backend", toml::Value::from("memcached")),
        ("cache.max_bytes", toml::Value::from("lots")),
        ("coverage.path", toml::Value::from("stats")),
        ("coverage.threshold", toml::Value::Integer(150)),
        ("coverage.file", toml::Value::Integer(5)),
    ] {
        let err = App::builder(Root)
            .set("/", "tools.coverage.on", true)
            .set_global(key, value)
            .build()
            .unwrap_err();
        assert!(matches!(err, BuildError::Config(_)), "{key}: {err}");
        assert!(err.to_string().contains(key), "{key}: {err}");
    }
}

#[test]
fn configuration_from_a_file() {
    let dir = crate::blog::temp_dir("config");
    let file = dir.join("app.toml");
    std::fs::write(&file, "[\"/\"]\ntools.trailing_slash.extra = true\n").unwrap();
    let app = App::builder(Root)
        .config_file(&file)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(
        app.config().get("/a/b", "tools.trailing_slash.extra"),
        Some(&toml::Value::Boolean(true))
    );
    assert!(
        App::builder(Root)
            .config_file(dir.join("missing.toml"))
            .is_err()
    );
}
