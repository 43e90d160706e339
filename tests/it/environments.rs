//! Environments (`engine.environment`): CherryPy's presets, filled in under what the
//! configuration sets. Production keeps internals out of answers and serves no coverage
//! report; development shows what went wrong inside a 500 and serves the report; test quiets
//! the log; an explicit setting wins over every preset.

use drupe::testing::TestClient;
use drupe::{App, HttpError, controller};

struct Root;

#[controller]
impl Root {
    #[expose]
    fn index(&self) -> &'static str {
        "hi"
    }

    #[expose]
    fn fails(&self) -> Result<String, HttpError> {
        Err(HttpError::internal(
            "the database said: relation \"albums\" <does not exist>",
        ))
    }

    #[expose]
    fn wants(&self, n: u32) -> String {
        n.to_string()
    }
}

fn app(environment: &str, extra: &[(&str, bool)]) -> App {
    let mut b = App::builder(Root)
        .set_global("engine.environment", environment)
        .set("/", "tools.coverage.on", true);
    for (key, value) in extra {
        b = if key.starts_with("request.") {
            b.set("/", key, *value)
        } else {
            b.set_global(key, *value)
        };
    }
    b.build().unwrap()
}

const DETAIL: &str = "the database said: relation \"albums\" <does not exist>";

#[actix_web::test]
async fn production_keeps_internals_out_and_serves_no_coverage_report() {
    let a = app("production", &[]);
    assert!(!a.settings().engine.autoreload.on);
    let c = TestClient::new(a).await;
    for accept in ["text/plain", "text/html", "application/problem+json"] {
        let res = c.get("/fails").accept(accept).send().await;
        res.assert_status(500);
        assert!(!res.text().contains("albums"), "{accept}: {}", res.text());
        assert!(!res.text().contains("Traceback"), "{accept}");
    }
    // A mismatch answers without naming the parameter.
    let res = c.get("/wants").send().await;
    res.assert_status(404);
    assert!(!res.text().contains("Missing parameters"), "{}", res.text());
    c.get("/_coverage/").send().await.assert_status(404);
}

#[actix_web::test]
async fn development_shows_what_went_wrong_inside_a_500_and_serves_the_report() {
    let a = app("development", &[]);
    assert!(a.settings().engine.autoreload.on);
    assert!(a.settings().server.access_log);
    let c = TestClient::new(a).await;
    let plain = c.get("/fails").accept("text/plain").send().await;
    plain.assert_status(500).assert_contains("Traceback:\n");
    plain.assert_contains(DETAIL);
    // Escaped in the page, as it is text from inside.
    c.get("/fails")
        .accept("text/html")
        .send()
        .await
        .assert_status(500)
        .assert_contains("<pre id=\"traceback\">")
        .assert_contains("relation &quot;albums&quot; &lt;does not exist&gt;");
    let problem: serde_json::Value = c
        .get("/fails")
        .accept("application/problem+json")
        .send()
        .await
        .json();
    assert_eq!(problem["traceback"], DETAIL, "{problem}");
    assert!(problem["request_id"].is_string(), "{problem}");
    c.get("/wants")
        .send()
        .await
        .assert_status(404)
        .assert_contains("Missing parameters: n");
    c.get("/_coverage/").send().await.assert_status(200);
}

#[actix_web::test]
async fn explicit_settings_win_over_the_preset() {
    let a = app(
        "development",
        &[
            ("request.show_tracebacks", false),
            ("engine.autoreload.on", false),
            ("coverage.report", false),
        ],
    );
    assert!(!a.settings().engine.autoreload.on);
    let c = TestClient::new(a).await;
    let res = c.get("/fails").accept("text/plain").send().await;
    res.assert_status(500);
    assert!(!res.text().contains("albums"), "{}", res.text());
    c.get("/_coverage/").send().await.assert_status(404);
    // And the other way: production with the report asked for.
    let c = TestClient::new(app("production", &[("coverage.report", true)])).await;
    c.get("/_coverage/").send().await.assert_status(200);
}

#[test]
fn test_quiets_the_log_and_an_unknown_environment_is_refused() {
    let a = app("test", &[]);
    assert!(a.settings().engine.quiet);
    assert!(!a.settings().server.access_log);
    assert!(!a.settings().engine.autoreload.on);
    // Without an environment: none of the presets.
    let plain = App::new(Root).unwrap();
    assert!(!plain.settings().engine.quiet);
    assert!(!plain.settings().engine.autoreload.on);
    let err = App::builder(Root)
        .set_global("engine.environment", "staging")
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("engine.environment"), "{err}");
    assert!(err.contains("production"), "{err}");
}
