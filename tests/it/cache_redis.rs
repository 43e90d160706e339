//! The Redis backend against a real `redis-server` (installed by `.ci/run`), started by the
//! tests on a free port: two application instances share it, and it is stopped mid-run.

#![cfg(all(feature = "redis", unix))]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use drupe::cache::Caching;
use drupe::testing::TestClient;
use serde_json::json;

use crate::process::free_port;

/// A `redis-server` on a free port, killed when dropped.
pub(crate) struct RedisServer {
    child: Child,
    pub(crate) port: u16,
}

impl RedisServer {
    pub(crate) fn start() -> Self {
        Self::on(free_port())
    }

    pub(crate) fn on(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is not installed: `bash .ci/run` installs it (apt redis-server)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, port }
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server now, as dropping it does.
    pub(crate) fn stop(self) {
        drop(self);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The tour, on a Redis cache shared with another instance.
fn tour_on(redis: &str) -> (drupe::App, Caching) {
    let cache = Caching::redis(redis);
    (crate::tour::app_with_cache(cache.clone()), cache)
}

#[actix_web::test]
async fn two_instances_share_entries_and_invalidations() {
    let redis = RedisServer::start();
    let (a, _) = tour_on(&redis.url());
    let (b, cache_b) = tour_on(&redis.url());
    let a = TestClient::new(a).await;
    let b = TestClient::new(b).await;
    a.get("/users/1")
        .send()
        .await
        .assert_status(200)
        .assert_header("x-cache", "MISS");
    // B has never computed it: it comes from Redis.
    b.get("/users/1")
        .send()
        .await
        .assert_status(200)
        .assert_header("x-cache", "HIT")
        .assert_json(json!({"id": 1, "name": "ada"}));
    b.get("/users/1")
        .accept("application/xml")
        .send()
        .await
        .assert_header("x-cache", "MISS");
    a.get("/users/1")
        .accept("application/xml")
        .send()
        .await
        .assert_header("x-cache", "HIT")
        .assert_contains("<user><id>1</id>");
    // A write on A invalidates on B at once (each instance here has its own store of users,
    // so B's next computation shows its own data; what matters is that it is recomputed).
    a.put("/users/1")
        .json(&json!({"name": "countess"}))
        .send()
        .await
        .assert_status(200);
    b.get("/users/1")
        .send()
        .await
        .assert_header("x-cache", "MISS");
    b.get("/users/1")
        .accept("application/xml")
        .send()
        .await
        .assert_header("x-cache", "MISS");
    let stats = cache_b.stats().await;
    assert!(
        stats.hits >= 1 && stats.backend.entries.unwrap_or(0) >= 1,
        "{stats:?}"
    );
    assert_eq!(stats.backend_errors, 0);
}

#[actix_web::test]
async fn redis_down_means_pass_through_and_recovery_when_it_returns() {
    let redis = RedisServer::start();
    let port = redis.port;
    let (app, cache) = tour_on(&redis.url());
    let c = TestClient::new(app).await;
    c.get("/feed").send().await.assert_header("x-cache", "MISS");
    c.get("/feed").send().await.assert_header("x-cache", "HIT");
    redis.stop();
    for _ in 0..5 {
        // Never an error for the client.
        c.get("/feed")
            .send()
            .await
            .assert_status(200)
            .assert_header("x-cache", "BYPASS");
    }
    assert!(cache.stats().await.backend_errors >= 1);
    let redis = RedisServer::on(port);
    // The connection manager reconnects by itself.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = c.get("/feed").send().await;
        r.assert_status(200);
        if r.header("x-cache") == Some("HIT") {
            break;
        }
        assert!(Instant::now() < deadline, "the cache never recovered");
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    drop(redis);
}

#[actix_web::test]
async fn redis_unreachable_from_the_start_passes_through() {
    let port = free_port();
    let (app, cache) = tour_on(&format!("redis://127.0.0.1:{port}/"));
    let c = TestClient::new(app).await;
    for _ in 0..3 {
        c.get("/users/2")
            .send()
            .await
            .assert_status(200)
            .assert_header("x-cache", "BYPASS");
    }
    c.put("/users/2")
        .json(&json!({"name": "grace"}))
        .send()
        .await
        .assert_status(200);
    assert!(cache.stats().await.backend_errors >= 1);
}
