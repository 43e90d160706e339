//! The photoblog's database when it cannot serve: locked by another writer past the busy
//! timeout (a 503 to retry, not a 500), or not reachable at start-up (the message names the
//! server and the database, never the password).

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

/// The photoblog cannot reach its database at start-up: it exits with 70 and says which
/// server and database it tried, without the password that came in the URL.
// Unix only, as every test of a photoblog process: the example is built by the host's cargo,
// which a test running under Wine cannot start.
#[cfg(unix)]
#[test]
fn a_database_that_cannot_be_reached_is_named_without_its_password() {
    let bin = crate::process::example_binary("photoblog");
    let dir = temp_dir("db-unreachable");
    // Nothing listens on a port just freed.
    let port = crate::process::free_port();
    let url = format!("postgres://blog:Pa55-w0rd-Secret@127.0.0.1:{port}/photos");
    let out = std::process::Command::new(bin)
        .args(["--bind", "127.0.0.1:0", "--database", &url, "--data-dir"])
        .arg(dir.join("photos"))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(70), "{log}");
    assert!(
        log.contains(&format!("127.0.0.1:{port}/photos")) && log.contains("blog"),
        "the message names the server, the database and the user: {log}"
    );
    assert!(
        !log.contains("Pa55-w0rd-Secret"),
        "the password is in the log: {log}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
