//! What reaches the store: nothing for requests that leave their session alone, and a 503
//! when it fails.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use drupe::sessions::{Changes, MemoryStore, Record, SessionStore, Sessions, StoreError};
use drupe::testing::TestClient;
use futures_util::future::LocalBoxFuture;

use super::{builder, cookie, varies_on_cookie};

/// A store that counts what reaches it, over memory.
struct Counting {
    calls: AtomicUsize,
    inner: MemoryStore,
}

impl Counting {
    fn inner(&self) -> &MemoryStore {
        self.calls.fetch_add(1, Ordering::SeqCst);
        &self.inner
    }
}

impl SessionStore for Counting {
    fn load<'a>(
        &'a self,
        id: &'a str,
    ) -> LocalBoxFuture<'a, Result<Option<Arc<Record>>, StoreError>> {
        self.inner().load(id)
    }
    fn save<'a>(
        &'a self,
        id: &'a str,
        changes: &'a Changes,
    ) -> LocalBoxFuture<'a, Result<(), StoreError>> {
        self.inner().save(id, changes)
    }
    fn remove<'a>(&'a self, id: &'a str) -> LocalBoxFuture<'a, Result<(), StoreError>> {
        self.inner().remove(id)
    }
}

#[actix_web::test]
async fn requests_that_do_not_use_the_session_never_reach_the_store() {
    let store = Arc::new(Counting {
        calls: AtomicUsize::new(0),
        inner: MemoryStore::new(100),
    });
    let c = TestClient::new(
        builder(Sessions::with_store(store.clone()))
            .build()
            .unwrap(),
    )
    .await;
    let id = cookie(&c.get("/counter").send().await);
    let before = store.calls.load(Ordering::SeqCst);
    for path in ["/plain", "/idle"] {
        let res = c.get(path).header("cookie", &id).send().await;
        res.assert_status(200)
            .assert_no_header("set-cookie")
            .assert_no_header("cache-control");
        assert!(!varies_on_cookie(&res));
    }
    assert_eq!(store.calls.load(Ordering::SeqCst), before);
    // Reading a session nobody wrote to: no store, no cookie, and not private — every
    // visitor without a session sees the same — but varying on the cookie.
    let peek = c.get("/peek").send().await;
    peek.assert_text("None")
        .assert_no_header("set-cookie")
        .assert_no_header("cache-control");
    assert!(varies_on_cookie(&peek));
    assert_eq!(store.calls.load(Ordering::SeqCst), before);
    // Reading one that holds something: private.
    c.get("/peek")
        .header("cookie", &id)
        .send()
        .await
        .assert_header("cache-control", "private");
}

/// A store that always fails.
struct Down;

impl SessionStore for Down {
    fn load<'a>(
        &'a self,
        _: &'a str,
    ) -> LocalBoxFuture<'a, Result<Option<Arc<Record>>, StoreError>> {
        Box::pin(async { Err(StoreError("connection refused".into())) })
    }
    fn save<'a>(
        &'a self,
        _: &'a str,
        _: &'a Changes,
    ) -> LocalBoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async { Err(StoreError("connection refused".into())) })
    }
    fn remove<'a>(&'a self, _: &'a str) -> LocalBoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async { Err(StoreError("connection refused".into())) })
    }
}

#[actix_web::test]
async fn a_store_that_fails_answers_503_with_retry_after_and_logs_why() {
    let log = crate::capture::Log::new();
    let _guard = log.on_this_thread();
    let c = TestClient::new(
        builder(Sessions::with_store(Arc::new(Down)))
            .build()
            .unwrap(),
    )
    .await;
    let planted = "session_id=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    // The load fails (a cookie to look up), and the save (a new session).
    for cookie in [Some(planted), None] {
        let mut r = c.get("/counter");
        if let Some(v) = cookie {
            r = r.header("cookie", v);
        }
        let res = r.send().await;
        res.assert_status(503)
            .assert_header("retry-after", "5")
            .assert_no_header("set-cookie");
        assert!(!res.text().contains("refused"), "{}", res.text());
    }
    assert!(log.text().contains("connection refused"), "{}", log.text());
    // Requests that do not use the session are served.
    c.get("/plain").send().await.assert_status(200);
}
