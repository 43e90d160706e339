//! The photoblog's database when it cannot serve: locked by another writer past the busy
//! timeout (a 503 to retry, not a 500).

use std::time::{Duration, Instant};

use drupe::testing::TestClient;
use serde_json::json;
use sqlx::Connection;

use crate::photoblog_tests::{blog_on, temp_dir};

/// Another process holds SQLite's write lock longer than the busy timeout (5 s): a write is
/// answered 503 with `Retry-After`, and goes through once the lock is released.
#[actix_web::test]
async fn a_write_locked_out_past_the_busy_timeout_is_a_503() {
    let dir = temp_dir("db-locked");
    let file = dir.join("pb.db");
    let c =
        TestClient::new(blog_on(&format!("sqlite:{}", file.display()), &dir, "memory").await).await;
    let mut other =
        sqlx::sqlite::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let started = Instant::now();
    let r = c
        .post("/services/rest/album/")
        .json(&json!({"title": "Locked out"}))
        .send()
        .await;
    assert_eq!(r.status(), 503, "{r:?}");
    assert!(r.header("retry-after").is_some(), "{r:?}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the answer came after {:?}",
        started.elapsed()
    );
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    c.post("/services/rest/album/")
        .json(&json!({"title": "Let in"}))
        .send()
        .await
        .assert_status(201);
    let _ = std::fs::remove_dir_all(&dir);
}
