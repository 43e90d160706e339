//! What the tests share: a fresh folder and database for each, the photoblog built on them,
//! pictures, a Redis server of their own, and the records `RELIABILITY.md` is made from.

use std::io::Cursor;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use drupe::App;
use drupe::testing::TestClient;
use photoblog::{Settings, build};

static N: AtomicUsize = AtomicUsize::new(0);

/// A fresh folder for one test.
pub(crate) fn temp_dir(what: &str) -> PathBuf {
    let n = N.fetch_add(1, Ordering::SeqCst);
    let d = std::env::temp_dir().join(format!("photoblog-{what}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// PostgreSQL for the tests: `DRUPE_TEST_POSTGRES` (the server's URL, `.ci/run` sets it),
/// one fresh database per call.
pub(crate) async fn postgres_db() -> String {
    use sqlx::Connection;
    let base = std::env::var("DRUPE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432".to_owned());
    let mut admin = sqlx::postgres::PgConnection::connect(&format!("{base}/postgres"))
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at {base} ({e}): `bash .ci/run` installs and starts it"
            )
        });
    let name = format!(
        "photoblog_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    format!("{base}/{name}")
}

/// The photoblog on `database` with the `cache` backend, its files under `dir`.
pub(crate) async fn blog_on(database: &str, dir: &Path, cache: &str) -> App {
    let settings = Settings {
        database: database.to_owned(),
        cache: cache.to_owned(),
        data_dir: dir.join("photos"),
        max_upload: 1 << 20,
        ..Settings::default()
    };
    build(&settings).await.unwrap()
}

/// The photoblog on an in-memory SQLite database with the memory cache, its files in a fresh
/// folder named after `what`.
pub(crate) async fn sqlite_blog(what: &str) -> (App, PathBuf) {
    let dir = temp_dir(what);
    (blog_on("sqlite::memory:", &dir, "memory").await, dir)
}

/// [`sqlite_blog`] behind a client in process.
pub(crate) async fn sqlite_client(what: &str) -> (TestClient, PathBuf) {
    let (app, dir) = sqlite_blog(what).await;
    (TestClient::new(app).await, dir)
}

/// A `w`×`h` PNG of bands of colour.
pub(crate) fn png(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([seed, (x % 255) as u8, (y % 255) as u8])
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// A port nothing listens on right now.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("an ephemeral port")
        .port()
}

/// Tests that load the machine (many large decodes at once) take this lock in turn.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub(crate) async fn heavy() -> tokio::sync::MutexGuard<'static, ()> {
    HEAVY.lock().await
}

/// Records how a hole a review found is closed now: what was tried, what it got. The
/// records go where the framework's go (`target/tmp/reliability/`), which
/// `scripts/reliability.sh` gathers into `RELIABILITY.md`.
pub(crate) fn hole(name: &str, tried: &str, got: &str) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("reliability");
    std::fs::create_dir_all(&dir).expect("the records folder");
    let record = serde_json::json!({"tried": tried, "got": got});
    let text = serde_json::to_string_pretty(&record).expect("a JSON record");
    std::fs::write(dir.join(format!("hole_{name}.json")), text).expect("write the record");
}

/// A `redis-server` on a free port, killed when dropped.
#[cfg_attr(not(unix), allow(dead_code))]
pub(crate) struct RedisServer {
    child: Child,
    port: u16,
}

#[cfg_attr(not(unix), allow(dead_code))]
impl RedisServer {
    pub(crate) fn start() -> Self {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
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
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
