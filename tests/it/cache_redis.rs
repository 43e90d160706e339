//! The Redis backend against a real `redis-server` (installed by `.ci/run`), started by the
//! tests on a free port: two application instances share it, and it is stopped mid-run.

#![cfg(all(feature = "redis", unix))]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use std::sync::Arc;

use drupe::App;
use drupe::cache::Caching;
use drupe::testing::TestClient;
use redis::AsyncCommands;
use serde_json::json;

use crate::cache::{Calls, Root, app};
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
        Self::with(port, &[])
    }

    /// A server with `extra` arguments (`--rename-command KEYS ""`...).
    pub(crate) fn with(port: u16, extra: &[&str]) -> Self {
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
            .args(extra)
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

/// The prefix of the keys `Caching::redis` writes.
const PREFIX: &str = "drupe:cache:v1:";

/// A connection to look at what the cache left in Redis.
async fn look(redis: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// The keys matching `pattern`, sorted.
async fn keys(c: &mut redis::aio::MultiplexedConnection, pattern: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut iter = c.scan_match::<_, String>(pattern).await.unwrap();
    while let Some(k) = iter.next_item().await {
        found.push(k.unwrap());
    }
    // SCAN may return a key more than once (when Redis resizes its table during the walk, as
    // after thousands of deletions): the set of keys is what the tests compare.
    found.sort();
    found.dedup();
    found
}

async fn pttl(c: &mut redis::aio::MultiplexedConnection, key: &str) -> i64 {
    redis::cmd("PTTL").arg(key).query_async(c).await.unwrap()
}

/// `GET /varied` with `X-V: v` (an answer fresh for `v` seconds that varies on `X-V`).
async fn varied(c: &TestClient, v: &str, outcome: &str) {
    c.get("/varied")
        .header("x-v", v)
        .send()
        .await
        .assert_status(200)
        .assert_contains(&format!("varied {v} "))
        .assert_header("x-cache", outcome);
}

#[actix_web::test]
async fn nothing_the_cache_writes_to_redis_lives_forever() {
    let redis = RedisServer::start();
    let c = TestClient::new(app(
        Arc::new(Calls::default()),
        Caching::redis(&redis.url()),
    ))
    .await;
    let mut r = look(&redis).await;
    let uri = "http://localhost:8080/varied";
    let (vary, index) = (format!("{PREFIX}vary:{uri}"), format!("{PREFIX}keys:{uri}"));
    varied(&c, "2", "MISS").await;
    varied(&c, "1", "MISS").await;
    let all = keys(&mut r, &format!("{PREFIX}*")).await;
    // Two variants, `vary:`, `keys:`, and the index of URIs (for invalidation by prefix).
    assert_eq!(all.len(), 5, "{all:?}");
    let uris_ttl = pttl(&mut r, &format!("{PREFIX}uris")).await;
    // The index outlives the longest variant it indexes (read first, it is no younger).
    let (vary_ttl, index_ttl) = (pttl(&mut r, &vary).await, pttl(&mut r, &index).await);
    let longest = pttl(&mut r, &format!("{PREFIX}var:{uri}\0x-v:2\n")).await;
    assert!(longest > 1000 && longest <= 2000, "{longest}");
    assert!(
        vary_ttl >= longest && index_ttl >= longest && uris_ttl >= longest,
        "{vary_ttl} {index_ttl} {uris_ttl} {longest}"
    );
    // A store removes what has expired from the index.
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
    varied(&c, "2", "HIT").await;
    varied(&c, "3", "MISS").await;
    let members: Vec<String> = r.smembers(&index).await.unwrap();
    assert_eq!(members.len(), 2, "{members:?}");
    // Once the last variant has expired, nothing is left.
    actix_web::rt::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(
        keys(&mut r, &format!("{PREFIX}*")).await,
        Vec::<String>::new()
    );
    crate::reliability::hole(
        "redis_forever",
        "two variants of a URI stored in Redis, then left to expire",
        &format!(
            "vary:, keys: and the index of URIs expire with the longest variant (PTTL \
             {vary_ttl}, {index_ttl} and {uris_ttl} ms, the variant {longest} ms); nothing left \
             once it expired"
        ),
    );
}

#[actix_web::test]
async fn a_uri_keeps_max_variants_in_redis() {
    let redis = RedisServer::start();
    let app = App::builder(Root {
        calls: Arc::new(Calls::default()),
    })
    .tool(Caching::redis(&redis.url()))
    .set("/", "tools.caching.on", true)
    .set("/", "tools.caching.debug_header", true)
    .set("/", "tools.caching.max_variants", 4)
    .build()
    .unwrap();
    let c = TestClient::new(app).await;
    // Each later value is fresh for longer: those closest to expiry go first.
    for v in 100..110 {
        varied(&c, &v.to_string(), "MISS").await;
    }
    let mut r = look(&redis).await;
    let members: Vec<String> = r
        .smembers(format!("{PREFIX}keys:http://localhost:8080/varied"))
        .await
        .unwrap();
    assert_eq!(members.len(), 4, "{members:?}");
    assert_eq!(keys(&mut r, &format!("{PREFIX}var:*")).await.len(), 4);
    for v in 106..110 {
        varied(&c, &v.to_string(), "HIT").await;
    }
    varied(&c, "105", "MISS").await;
}

#[actix_web::test]
async fn clear_scans_and_deletes_in_batches_where_keys_is_disabled() {
    // Shared Redis servers often disable KEYS, which blocks every other client.
    let redis = RedisServer::with(free_port(), &["--rename-command", "KEYS", ""]);
    let cache = Caching::redis(&redis.url());
    let c = TestClient::new(app(Arc::new(Calls::default()), cache.clone())).await;
    c.get("/count")
        .send()
        .await
        .assert_header("x-cache", "MISS");
    let mut r = look(&redis).await;
    let mut pipe = redis::pipe();
    for i in 0..2500 {
        pipe.set(format!("{PREFIX}var:http://x/{i}\0"), "v")
            .ignore();
    }
    pipe.set("someone:else", "kept").ignore();
    let () = pipe.query_async(&mut r).await.unwrap();
    cache.clear().await.expect("clear works without KEYS");
    assert_eq!(
        keys(&mut r, &format!("{PREFIX}*")).await,
        Vec::<String>::new()
    );
    assert_eq!(keys(&mut r, "someone:*").await, ["someone:else"]);
    // More than one deletion: the keys went in batches.
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut r)
        .await
        .unwrap();
    let deletions: u64 = stats
        .lines()
        .filter(|l| l.starts_with("cmdstat_unlink:") || l.starts_with("cmdstat_del:"))
        .filter_map(|l| {
            l.split("calls=")
                .nth(1)?
                .split(',')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum();
    assert!(deletions >= 3, "{stats}");
    c.get("/count")
        .send()
        .await
        .assert_header("x-cache", "MISS");
}

#[actix_web::test]
async fn lifetimes_past_what_a_clock_holds_get_the_longest_ttl() {
    let redis = RedisServer::start();
    let c = TestClient::new(app(
        Arc::new(Calls::default()),
        Caching::redis(&redis.url()),
    ))
    .await;
    let huge = "18446744073709551615";
    varied(&c, huge, "MISS").await;
    varied(&c, huge, "HIT").await;
    let mut r = look(&redis).await;
    let key = format!("{PREFIX}var:http://localhost:8080/varied\0x-v:{huge}\n");
    let ttl = pttl(&mut r, &key).await;
    let longest = (1i64 << 31) * 1000;
    assert!(ttl <= longest && ttl > longest - 60_000, "{ttl}");
}

#[actix_web::test]
async fn an_answer_the_encoding_cannot_hold_is_not_stored() {
    let redis = RedisServer::start();
    let c = TestClient::new(app(
        Arc::new(Calls::default()),
        Caching::redis(&redis.url()),
    ))
    .await;
    // The encoding counts headers in 16 bits.
    let path = "/many_headers?n=65536";
    c.get(path).send().await.assert_text("many 1");
    c.get(path)
        .send()
        .await
        .assert_text("many 2")
        .assert_header("x-cache", "MISS");
    c.get("/many_headers?n=3")
        .send()
        .await
        .assert_text("many 3");
    c.get("/many_headers?n=3")
        .send()
        .await
        .assert_text("many 3")
        .assert_header("x-cache", "HIT")
        .assert_header("x-h2", "v");
}
