//! Invalidations after an unsafe request: every URI at once, and never longer than
//! `invalidate_timeout`, whatever the backend does.

use std::sync::Arc;
use std::time::Duration;

use drupe::App;
use drupe::cache::{Backend, BackendError, BackendStats, Caching, Lookup, Memory, Stored};
use drupe::testing::TestClient;
use futures_util::future::BoxFuture;

use super::{Calls, Root};

/// The memory backend, with invalidations that wait for one another (`Meet`) or never end
/// (`Hang`).
struct Held {
    memory: Memory,
    invalidations: Invalidations,
}

enum Invalidations {
    /// Each waits until this many are under way.
    Meet(Arc<tokio::sync::Barrier>),
    Hang,
}

impl Backend for Held {
    fn lookup<'a>(
        &'a self,
        uri: &'a str,
        variant_of: &'a (dyn Fn(&[String]) -> String + Send + Sync),
    ) -> BoxFuture<'a, Result<Lookup, BackendError>> {
        self.memory.lookup(uri, variant_of)
    }

    fn store<'a>(
        &'a self,
        uri: &'a str,
        vary: &'a [String],
        variant: String,
        entry: Arc<Stored>,
        max_variants: usize,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        self.memory.store(uri, vary, variant, entry, max_variants)
    }

    fn invalidate<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(async move {
            match &self.invalidations {
                Invalidations::Meet(b) => {
                    b.wait().await;
                }
                Invalidations::Hang => std::future::pending::<()>().await,
            }
            self.memory.invalidate(uri).await
        })
    }

    fn clear(&self) -> BoxFuture<'_, Result<(), BackendError>> {
        self.memory.clear()
    }

    fn stats(&self) -> BoxFuture<'_, BackendStats> {
        self.memory.stats()
    }
}

fn app_on(invalidations: Invalidations, timeout: f64) -> (App, Caching) {
    let cache = Caching::with_backend(Held {
        memory: Memory::new(100, 1 << 20),
        invalidations,
    });
    let app = App::builder(Root {
        calls: Arc::new(Calls::default()),
    })
    .tool(cache.clone())
    .set("/", "tools.caching.on", true)
    .set("/", "tools.caching.debug_header", true)
    .set("/", "tools.caching.invalidate_timeout", timeout)
    .build()
    .unwrap();
    (app, cache)
}

#[actix_web::test]
async fn the_uris_of_one_request_are_invalidated_together() {
    // `POST /create` invalidates itself, its Location (/thing) and /count: three at once.
    let (app, cache) = app_on(
        Invalidations::Meet(Arc::new(tokio::sync::Barrier::new(3))),
        60.0,
    );
    let c = TestClient::new(app).await;
    c.get("/count")
        .send()
        .await
        .assert_header("x-cache", "MISS");
    c.get("/thing")
        .send()
        .await
        .assert_header("x-cache", "MISS");
    // One after another, the first would wait for the other two forever.
    tokio::time::timeout(Duration::from_secs(20), c.post("/create").send())
        .await
        .expect("the invalidations ran together")
        .assert_status(201);
    c.get("/count")
        .send()
        .await
        .assert_header("x-cache", "MISS");
    c.get("/thing")
        .send()
        .await
        .assert_header("x-cache", "MISS");
    let stats = cache.stats().await;
    assert_eq!((stats.invalidations, stats.backend_errors), (3, 0));
}

#[actix_web::test]
async fn a_stuck_backend_delays_an_unsafe_request_by_the_deadline_at_most() {
    let (app, cache) = app_on(Invalidations::Hang, 0.2);
    let c = TestClient::new(app).await;
    tokio::time::timeout(Duration::from_secs(20), c.post("/create").send())
        .await
        .expect("the response did not wait for the stuck backend")
        .assert_status(201);
    // Each unfinished invalidation counts as a backend failure.
    assert_eq!(cache.stats().await.backend_errors, 3);
}
