//! Stampedes: one handler call per key while concurrent misses wait for its result.

use std::sync::Arc;
use std::time::Duration;

use drupe::cache::Caching;
use drupe::testing::TestClient;
use drupe::{App, controller};

use super::{Calls, Root, setup};

#[actix_web::test]
async fn a_hundred_concurrent_misses_run_the_handler_once() {
    let (c, calls, _) = setup().await;
    let requests = (0..100).map(|_| c.get("/slow").send());
    let answers = futures_util::future::join_all(requests).await;
    assert_eq!(calls.get(), 1, "the handler ran more than once");
    for a in &answers {
        a.assert_status(200).assert_text("slow 1");
    }
    let hits = answers
        .iter()
        .filter(|a| a.header("x-cache") == Some("HIT"))
        .count();
    assert_eq!(hits, 99);
}

#[actix_web::test]
async fn waiters_are_released_at_once_when_nothing_is_stored() {
    let calls = Arc::new(Calls::default());
    let app = App::builder(Root {
        calls: calls.clone(),
    })
    .tool(Caching::memory(100, 1 << 20))
    .set("/", "tools.caching.on", true)
    .set("/", "tools.caching.stampede_timeout", 60.0)
    .build()
    .unwrap();
    let c = TestClient::new(app).await;
    let requests = (0..5).map(|_| c.get("/slow_uncacheable").send());
    // Waiters that waited for the stampede timeout (60 s) would fail this bound.
    let answers = tokio::time::timeout(
        Duration::from_secs(20),
        futures_util::future::join_all(requests),
    )
    .await
    .expect("waiters were released when the first response could not be stored");
    for a in &answers {
        a.assert_status(200);
        assert!(a.text().starts_with("fresh "), "{a:?}");
    }
    assert_eq!(calls.get(), 5, "each waiter computed its own answer");
}

/// A page whose first computation waits for the test to open the gate.
struct Gated {
    calls: Arc<Calls>,
    gate: Arc<tokio::sync::Semaphore>,
}

#[controller]
impl Gated {
    #[expose]
    async fn page(&self) -> String {
        let n = self.calls.hit();
        if n == 1 {
            let _ = self.gate.acquire().await;
        }
        format!("page {n}")
    }
}

#[actix_web::test]
async fn a_no_cache_request_neither_replaces_nor_waits_for_the_loader() {
    let calls = Arc::new(Calls::default());
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let cache = Caching::memory(100, 1 << 20);
    let app = App::builder(Gated {
        calls: calls.clone(),
        gate: gate.clone(),
    })
    .tool(cache.clone())
    .set("/", "tools.caching.on", true)
    .set("/", "tools.caching.debug_header", true)
    .set("/", "tools.caching.stampede_timeout", 60.0)
    .build()
    .unwrap();
    let c = TestClient::new(app).await;
    // Five misses: one computes (held at the gate), four wait for it.
    let crowd = futures_util::future::join_all((0..5).map(|_| c.get("/page").send()));
    let refresh = async {
        while cache.stats().await.misses < 5 {
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
        // A refresh meanwhile computes its own answer...
        let r = c
            .get("/page")
            .header("cache-control", "no-cache")
            .send()
            .await;
        // ... and only then does the first computation end.
        gate.add_permits(1);
        r
    };
    // A hang here would be waiters left behind by their loader.
    let (crowd, refresh) = tokio::time::timeout(
        Duration::from_secs(30),
        futures_util::future::join(crowd, refresh),
    )
    .await
    .expect("every request was answered");
    refresh
        .assert_text("page 2")
        .assert_header("x-cache", "MISS");
    for r in &crowd {
        r.assert_text("page 1");
    }
    let hits = crowd
        .iter()
        .filter(|r| r.header("x-cache") == Some("HIT"))
        .count();
    assert_eq!(hits, 4, "the waiters were served the first computation");
    assert_eq!(calls.get(), 2);
}
