//! What a configuration or a response can ask of the cache beyond what it holds: settings out
//! of range are errors that name the key, lifetimes past what a clock holds are clamped.

use std::sync::Arc;

use drupe::App;
use drupe::cache::Caching;
use drupe::testing::TestClient;

use super::{Calls, Root, app};

/// The error building an app with `tools.caching.<key> = value` under `/`.
fn config_error(key: &str, value: impl Into<toml::Value>) -> String {
    let built = App::builder(Root {
        calls: Arc::new(Calls::default()),
    })
    .tool(Caching::memory(10, 1 << 20))
    .set("/", "tools.caching.on", true)
    .set("/", &format!("tools.caching.{key}"), value)
    .build();
    match built {
        Ok(_) => panic!("tools.caching.{key} was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn timeouts_must_be_finite_seconds() {
    for v in [f64::NAN, -1.0, f64::INFINITY, 1e9] {
        let e = config_error("stampede_timeout", v);
        assert!(
            e.contains("stampede_timeout") && e.contains("expected seconds from 0 to 3600"),
            "{v}: {e}"
        );
    }
    let e = config_error("stampede_timeout", "5");
    assert!(e.contains("stampede_timeout"), "{e}");
}

#[test]
fn the_default_freshness_must_fit_a_clock() {
    for v in [i64::MAX, 1 << 40, -1] {
        let e = config_error("delay", v);
        assert!(
            e.contains("delay") && e.contains("expected whole seconds from 0 to 2147483648"),
            "{v}: {e}"
        );
    }
}

#[actix_web::test]
async fn lifetimes_past_what_a_clock_holds_are_clamped() {
    let calls = Arc::new(Calls::default());
    let c = TestClient::new(app(calls.clone(), Caching::memory(100, 1 << 20))).await;
    for (header, value) in [
        ("cache-control", "max-age%3D18446744073709551615"),
        ("cache-control", "s-maxage%3D99999999999999999999999999"),
        ("expires", "Fri,%2031%20Dec%209999%2023:59:59%20GMT"),
    ] {
        let path = format!("/with?header={header}&value={value}");
        let before = calls.get();
        c.get(&path)
            .send()
            .await
            .assert_status(200)
            .assert_header("x-cache", "MISS");
        c.get(&path)
            .send()
            .await
            .assert_status(200)
            .assert_header("x-cache", "HIT");
        assert_eq!(calls.get(), before + 1, "{value}");
    }
}

/// Requests `/with?header=vary&value=x-v` (an answer with `Vary: X-V`) with each `X-V` value
/// in `values`, and asserts what the cache did.
async fn cycle(c: &TestClient, values: impl Iterator<Item = usize>, outcome: &str) {
    for v in values {
        c.get("/with?header=vary&value=x-v")
            .header("x-v", &v.to_string())
            .send()
            .await
            .assert_status(200)
            .assert_header("x-cache", outcome);
    }
}

#[actix_web::test]
async fn a_client_cycling_a_varying_header_keeps_32_variants_of_a_uri() {
    let cache = Caching::memory(100, 10 << 20);
    let c = TestClient::new(app(Arc::new(Calls::default()), cache.clone())).await;
    cycle(&c, 0..100, "MISS").await;
    // The 32 latest are kept...
    cycle(&c, (68..100).rev(), "HIT").await;
    // ... and no older one.
    cycle(&c, [67, 0].into_iter(), "MISS").await;
    // One URI in the store.
    assert_eq!(cache.stats().await.backend.entries, Some(1));
}

#[actix_web::test]
async fn max_variants_sets_the_bound() {
    let calls = Arc::new(Calls::default());
    let app = App::builder(Root {
        calls: calls.clone(),
    })
    .tool(Caching::memory(100, 10 << 20))
    .set("/", "tools.caching.on", true)
    .set("/", "tools.caching.debug_header", true)
    .set("/", "tools.caching.max_variants", 4)
    .build()
    .unwrap();
    let c = TestClient::new(app).await;
    cycle(&c, 0..10, "MISS").await;
    cycle(&c, (6..10).rev(), "HIT").await;
    cycle(&c, [5].into_iter(), "MISS").await;
    for v in [0, -3] {
        let e = config_error("max_variants", v);
        assert!(
            e.contains("max_variants: expected a count of at least 1"),
            "{e}"
        );
    }
}
