//! Variants: the headers a response's `Vary` names pick the stored answer, and a URI keeps
//! at most `max_variants` of them.

use std::sync::Arc;

use drupe::App;
use drupe::cache::Caching;
use drupe::testing::TestClient;
use serde_json::json;

use super::limits::config_error;
use super::{Calls, Root, app, setup};

#[actix_web::test]
async fn variants_follow_vary_and_never_cross() {
    let (c, calls, _) = setup().await;
    c.get("/thing")
        .accept("application/json")
        .send()
        .await
        .assert_header("x-cache", "MISS")
        .assert_json(json!({"n": 1}));
    c.get("/thing")
        .accept("application/xml")
        .send()
        .await
        .assert_header("x-cache", "MISS")
        .assert_contains("<thing><n>2</n></thing>");
    c.get("/thing")
        .accept("application/json")
        .send()
        .await
        .assert_header("x-cache", "HIT")
        .assert_header("content-type", "application/json")
        .assert_json(json!({"n": 1}));
    c.get("/thing")
        .accept("application/xml")
        .send()
        .await
        .assert_header("x-cache", "HIT")
        .assert_header("content-type", "application/xml");
    assert_eq!(calls.get(), 2);
    // Vary: * is never stored.
    c.get("/with?header=vary&value=*")
        .send()
        .await
        .assert_header("x-cache", "MISS");
    c.get("/with?header=vary&value=*")
        .send()
        .await
        .assert_header("x-cache", "MISS");
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

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Whatever the Accept headers, a cached body always matches the Content-Type it is served
    /// with, and that type is one the client accepts.
    #[test]
    fn random_accept_headers_never_get_another_representation(
        accepts in proptest::collection::vec(
            proptest::sample::select(vec![
                "application/json", "application/xml", "text/xml", "text/json", "*/*",
                "application/*", "text/*", "application/xml;q=0.5, application/json",
                "text/x-json", "application/json;q=0, application/xml",
            ]),
            1..12,
        )
    ) {
        actix_web::rt::System::new().block_on(async {
            let (c, _, _) = setup().await;
            for accept in accepts {
                let r = c.get("/thing").accept(accept).send().await;
                r.assert_status(200);
                let ct = r.header("content-type").unwrap().to_owned();
                let body = r.text();
                if ct.contains("json") {
                    assert!(body.starts_with('{'), "{accept}: {ct} with {body}");
                } else {
                    assert!(body.contains("<thing>"), "{accept}: {ct} with {body}");
                }
                let chosen = drupe::negotiate::select(
                    accept,
                    &[ct.split(';').next().unwrap()].map(|m| drupe::negotiate::MediaRange::parse(m).unwrap()),
                ).unwrap();
                assert_eq!(chosen, Some(0), "{accept} does not accept {ct}");
            }
        });
    }
}
