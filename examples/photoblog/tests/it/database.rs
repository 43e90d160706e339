//! The photoblog's database when it cannot serve: locked by another writer past the busy
//! timeout (a 503 to retry, not a 500), or not reachable at start-up (the message names the
//! server and the database, never the password); a read beside writers that hold every pooled connection; and a
//! database of the first schema, migrated in place.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use drupe::testing::TestClient;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::support::{ByOwner, blog_on, temp_dir};

/// The photoblog on a SQLite file in a fresh folder named after `what`, with the `cache`
/// backend: its client, the folder and the file.
async fn file_blog(what: &str, cache: &str) -> (TestClient, PathBuf, PathBuf) {
    let dir = temp_dir(what);
    let file = dir.join("pb.db");
    let app = blog_on(&format!("sqlite:{}", file.display()), &dir, cache).await;
    (TestClient::new(app).await, dir, file)
}

/// Another connection to `file` (another process, as far as SQLite can tell) that has begun
/// `begin` (`BEGIN IMMEDIATE`: the write lock; `BEGIN EXCLUSIVE`).
async fn holding(file: &Path, begin: &'static str) -> sqlx::sqlite::SqliteConnection {
    let url = format!("sqlite://{}", file.display());
    let mut other = sqlx::sqlite::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query(begin).execute(&mut other).await.unwrap();
    other
}

/// Another process holds SQLite's write lock longer than the busy timeout (5 s): a write is
/// answered 503 with `Retry-After`, and goes through once the lock is released.
#[actix_web::test]
async fn a_write_locked_out_past_the_busy_timeout_is_a_503() {
    let (c, dir, file) = file_blog("db-locked", "memory").await;
    let mut other = holding(&file, "BEGIN IMMEDIATE").await;
    let started = Instant::now();
    let r = c
        .post("/services/rest/album/")
        .by_owner()
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
        .by_owner()
        .json(&json!({"title": "Let in"}))
        .send()
        .await
        .assert_status(201);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Another process holds SQLite's exclusive lock with a change of its own not yet committed:
/// readers are not held up (the database is in write-ahead-log mode) and see what was
/// committed, while the change is invisible until it is.
#[actix_web::test]
async fn a_reader_is_not_held_up_by_a_writer() {
    let (c, dir, file) = file_blog("db-reader", "off").await;
    let title = |r: &drupe::testing::TestResponse| r.json::<Value>()["title"].clone();
    let before = c.get("/services/rest/album/1").send().await;
    before.assert_status(200);
    let mut other = holding(&file, "BEGIN EXCLUSIVE").await;
    sqlx::query("UPDATE album SET title = 'Uncommitted' WHERE id = 1")
        .execute(&mut other)
        .await
        .unwrap();
    // Held up, the read would wait out the busy timeout and answer 503.
    let during = c.get("/services/rest/album/1").send().await;
    during.assert_status(200);
    assert_eq!(title(&during), title(&before));
    sqlx::query("COMMIT").execute(&mut other).await.unwrap();
    let after = c.get("/services/rest/album/1").send().await;
    assert_eq!(title(&after), json!("Uncommitted"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every pooled connection waits on a write lock another process holds (five album
/// creations, the pool has four): a read is still answered at once, before any of those
/// writes, because a read of a SQLite file runs on the request's own thread; the writes go
/// through when the lock is released.
#[actix_web::test]
async fn a_read_does_not_queue_behind_writers_holding_the_pool() {
    use futures_util::future::{Either, join_all, select};
    let (c, dir, file) = file_blog("db-read-beside-writers", "off").await;
    // The owner's password checked once first (a check is remembered for a minute): the
    // writes below then go straight for the pool instead of hashing for seconds.
    c.post("/services/rest/token")
        .by_owner()
        .send()
        .await
        .assert_status(201);
    let mut other = holding(&file, "BEGIN IMMEDIATE").await;
    let writes = join_all((0..5).map(|i| {
        c.post("/services/rest/album/")
            .by_owner()
            .json(&json!({ "title": format!("Waiting {i}") }))
            .send()
    }));
    let read = async {
        // Time for the writes to take the pool's connections and wait on the lock.
        tokio::time::sleep(Duration::from_millis(500)).await;
        c.get("/services/rest/album/1").send().await
    };
    let (writes, read) = (std::pin::pin!(writes), std::pin::pin!(read));
    let writes = match select(writes, read).await {
        Either::Right((read, writes)) => {
            read.assert_status(200);
            writes
        }
        Either::Left((writes, _)) => panic!(
            "the read waited for the writes to give up their connections: {:?}",
            writes.iter().map(|w| w.status()).collect::<Vec<_>>()
        ),
    };
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    for w in writes.await {
        w.assert_status(201);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The photoblog cannot reach its database at start-up: it exits with 70 and says which
/// server and database it tried, without the password that came in the URL.
// Unix only, as every test of a photoblog process (CI runs the Windows build under Wine,
// where it is untried).
#[cfg(unix)]
#[test]
fn a_database_that_cannot_be_reached_is_named_without_its_password() {
    let bin = env!("CARGO_BIN_EXE_photoblog");
    let dir = temp_dir("db-unreachable");
    // Nothing listens on a port just freed.
    let port = crate::support::free_port();
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

/// A database made by the first schema, when the application assigned ids, is migrated in
/// place on SQLite and on PostgreSQL: its rows keep their ids, new rows get the ids after
/// them from the database, and deleting an album still takes its films with it.
#[actix_web::test]
async fn a_database_of_the_first_schema_keeps_its_rows_and_ids() {
    let dir = temp_dir("db-first-schema");
    let file = dir.join("pb.db");
    let driver_url = crate::support::sqlite_driver_url(&file);
    let app_url = format!("sqlite:{}", file.display());
    first_schema_is_migrated("sqlite", &driver_url, &app_url, &dir.join("sqlite")).await;
    let pg = crate::support::postgres_db().await;
    first_schema_is_migrated("postgres", &pg, &pg, &dir.join("postgres")).await;
    let _ = std::fs::remove_dir_all(&dir);
}

async fn first_schema_is_migrated(kind: &str, driver_url: &str, app_url: &str, dir: &Path) {
    sqlx::any::install_default_drivers();
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(kind);
    let mut first = sqlx::migrate::Migrator::new(folder).await.unwrap();
    first.migrations = first
        .migrations
        .iter()
        .filter(|m| m.version == 1)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let pool = sqlx::AnyPool::connect(driver_url).await.unwrap();
    first.run(&pool).await.unwrap();
    for sql in [
        "INSERT INTO photoblog (id, name, title) VALUES (1, 'photoblog', 'A drupe photoblog')",
        "INSERT INTO album VALUES (7, 'c0ffee', 'old', 'Old album', 'ada', '', '', 0, 0, 1)",
        "INSERT INTO film VALUES (3, 'old-film', 'Old film', 0, 0, 7)",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
    let c = TestClient::new(blog_on(app_url, dir, "memory").await).await;
    let old: Value = c.get("/services/rest/album/7").send().await.json();
    assert_eq!(old["title"], "Old album", "{kind}");
    let new = c
        .post("/services/rest/album/")
        .by_owner()
        .json(&json!({"title": "New album"}))
        .send()
        .await;
    new.assert_status(201);
    assert_eq!(
        new.json::<Value>()["id"],
        8,
        "{kind}: the id after the old ones"
    );
    let films: Vec<Value> = c.get("/services/rest/film?album_id=8").send().await.json();
    assert!(
        films.iter().all(|f| f["id"].as_i64() > Some(3)),
        "{kind}: {films:?}"
    );
    c.delete("/services/rest/album/7")
        .by_owner()
        .send()
        .await
        .assert_status(204);
    c.get("/services/rest/film/3")
        .send()
        .await
        .assert_status(404);
}

/// Each test makes a database of its own, named after its process; those of processes that
/// are gone are dropped, those of live ones kept (Linux: elsewhere none is dropped).
#[cfg(target_os = "linux")]
#[actix_web::test]
async fn the_databases_of_finished_test_runs_are_dropped() {
    let url = crate::support::postgres_db().await;
    let base = url.rsplit_once('/').unwrap().0;
    let mut admin = sqlx::postgres::PgConnection::connect(&format!("{base}/postgres"))
        .await
        .unwrap();
    // Pids past Linux's largest (2^22): no process has them.
    let gone = "photoblog_4294967295_0";
    let ours = url.rsplit_once('/').unwrap().1;
    for sql in [
        format!("DROP DATABASE IF EXISTS {gone}"),
        format!("CREATE DATABASE {gone}"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    crate::support::drop_stale_databases(&mut admin).await;
    let left: Vec<(String,)> = sqlx::query_as("SELECT datname FROM pg_database")
        .fetch_all(&mut admin)
        .await
        .unwrap();
    let left: Vec<String> = left.into_iter().map(|(n,)| n).collect();
    assert!(!left.iter().any(|n| n == gone), "{left:?}");
    assert!(left.iter().any(|n| n == ours), "{left:?}");
}
