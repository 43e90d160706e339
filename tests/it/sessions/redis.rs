//! Sessions in a real `redis-server` started on a free port: shared by two instances, written
//! concurrently, and unreachable.

use std::sync::Arc;

use drupe::sessions::{RedisStore, Sessions};
use drupe::testing::TestClient;
use redis::AsyncCommands;
use serde_json::json;

use super::{builder, concurrent_writers, cookie, read, set_cookie};
use crate::cache_redis::RedisServer;

async fn client(sessions: Sessions) -> TestClient {
    TestClient::new(builder(sessions).build().unwrap()).await
}

#[actix_web::test]
async fn concurrent_writers_of_different_keys_both_land_in_redis() {
    let redis = RedisServer::start();
    concurrent_writers(&client(Sessions::redis(&redis.url())).await).await;
}

#[actix_web::test]
async fn two_instances_share_their_sessions() {
    let redis = RedisServer::start();
    let one = client(Sessions::redis(&redis.url())).await;
    let two = client(Sessions::redis(&redis.url())).await;
    let id = cookie(&one.get("/counter").send().await);
    two.get("/counter")
        .header("cookie", &id)
        .send()
        .await
        .assert_json(json!({"count": 2}));
    one.get("/counter")
        .header("cookie", &id)
        .send()
        .await
        .assert_json(json!({"count": 3}));
    // Renewed on one, the old id is dead on the other too.
    let renewed = cookie(&two.get("/renew").header("cookie", &id).send().await);
    assert_eq!(read(&one, &renewed).await["count"], json!(3));
    one.get("/counter")
        .header("cookie", &id)
        .send()
        .await
        .assert_json(json!({"count": 1}));
}

#[actix_web::test]
async fn a_session_is_one_hash_under_the_prefix_that_expires_with_it() {
    let redis = RedisServer::start();
    let store = RedisStore::new(&redis.url()).with_prefix("shop:sess:");
    let c = TestClient::new(
        builder(Sessions::with_store(Arc::new(store)))
            .set("/", "tools.sessions.idle_timeout", 60)
            .build()
            .unwrap(),
    )
    .await;
    let id = cookie(&c.get("/counter").send().await);
    let key = format!("shop:sess:{}", id.trim_start_matches("session_id="));
    let mut conn = redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let hash: std::collections::HashMap<String, String> = conn.hgetall(&key).await.unwrap();
    assert_eq!(
        hash.get("k:count").map(String::as_str),
        Some("1"),
        "{hash:?}"
    );
    assert!(
        hash.contains_key("created") && hash.contains_key("seen"),
        "{hash:?}"
    );
    let ttl: i64 = conn.pttl(&key).await.unwrap();
    assert!((55_000..=60_000).contains(&ttl), "{ttl}");
    c.get("/purge").header("cookie", &id).send().await;
    let exists: bool = conn.exists(&key).await.unwrap();
    assert!(!exists);
}

#[actix_web::test]
async fn an_unreachable_redis_answers_503() {
    let port = crate::process::free_port();
    let c = client(Sessions::redis(&format!("redis://127.0.0.1:{port}/"))).await;
    let planted = "session_id=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let res = c.get("/counter").header("cookie", planted).send().await;
    res.assert_status(503).assert_header("retry-after", "5");
    assert_eq!(set_cookie(&res), None);
    c.get("/counter").send().await.assert_status(503);
    c.get("/plain").send().await.assert_status(200);
}
