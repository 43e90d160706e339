//! What the tests share: a fresh folder and database for each, the photoblog built on them,
//! pictures, the owner's credentials and signed-in browser, a Redis server of their own, and
//! the records `RELIABILITY.md` is made from.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use drupe::testing::RequestBuilder;
pub(crate) use photoblog::testing::*;

/// `Authorization: Basic` for `user` and `password`.
pub(crate) fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    let pair = format!("{user}:{password}");
    let pair = base64::engine::general_purpose::STANDARD.encode(pair);
    format!("Basic {pair}")
}

/// The owner's credentials on a request: every write to the REST services needs them.
pub(crate) trait ByOwner {
    /// The request with the owner's `Authorization` header (Basic, `admin` and
    /// [`OWNER_PASSWORD`]).
    fn by_owner(self) -> Self;
}

impl ByOwner for RequestBuilder<'_> {
    fn by_owner(self) -> Self {
        self.header("authorization", &owner_auth())
    }
}

/// The owner's browser on a request: its session and CSRF cookies, as [`sign_in`] got them.
pub(crate) trait SignedIn {
    /// The request with `owner`'s `Cookie` header.
    fn signed_in(self, owner: &OwnerSession) -> Self;
}

impl SignedIn for RequestBuilder<'_> {
    fn signed_in(self, owner: &OwnerSession) -> Self {
        self.header("cookie", &owner.cookie)
    }
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
