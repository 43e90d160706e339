//! Request timeouts over a real socket: a handler past its deadline is cancelled and the
//! client gets 503 (or 504) with `Retry-After` (RFC 9110 §10.2.3, §15.6.4, §15.6.5) that no
//! cache keeps (RFC 9111 §5.2.2.5); the coverage report counts it; blocking work is not
//! cancelled, its late answer dropped and logged.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use drupe::cache::Caching;
use drupe::coverage::Coverage;
use drupe::testing::TestServer;
use drupe::{App, AppBuilder, HttpError, State, controller};

/// What the handlers saw of their own fate.
#[derive(Default)]
struct Seen {
    finished: AtomicBool,
    dropped: AtomicBool,
    calls: AtomicU32,
    blocking_done: AtomicBool,
    /// Holds a blocking call until the test lets it end.
    release: (std::sync::Mutex<bool>, std::sync::Condvar),
}

impl Seen {
    fn wait_release(&self) {
        let (lock, cv) = &self.release;
        let g = lock.lock().unwrap();
        let _g = cv
            .wait_timeout_while(g, Duration::from_secs(30), |released| !*released)
            .unwrap();
    }
    fn let_go(&self) {
        let (lock, cv) = &self.release;
        *lock.lock().unwrap() = true;
        cv.notify_all();
    }
}

/// Marks `dropped` when the handler's future is dropped before it finished.
struct OnDrop(Arc<Seen>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        if !self.0.finished.load(Ordering::SeqCst) {
            self.0.dropped.store(true, Ordering::SeqCst);
        }
    }
}

struct Root;

#[controller]
impl Root {
    #[expose]
    async fn slow(&self, ms: u64, seen: State<Arc<Seen>>) -> String {
        let _guard = OnDrop(Arc::clone(&seen));
        actix_web::rt::time::sleep(Duration::from_millis(ms)).await;
        seen.finished.store(true, Ordering::SeqCst);
        format!("slept {ms} ms")
    }

    /// Slow the first time only.
    #[expose]
    async fn once(&self, seen: State<Arc<Seen>>) -> String {
        if seen.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            actix_web::rt::time::sleep(Duration::from_secs(5)).await;
        }
        "fast now".into()
    }

    /// Blocks until the test lets it go (`hold=true`), or for `ms`.
    #[expose]
    async fn blocking(
        &self,
        ms: u64,
        hold: Option<bool>,
        seen: State<Arc<Seen>>,
    ) -> Result<String, HttpError> {
        let seen = Arc::clone(&seen);
        drupe::timeout::block(move || {
            if hold == Some(true) {
                seen.wait_release();
            } else {
                std::thread::sleep(Duration::from_millis(ms));
            }
            seen.blocking_done.store(true, Ordering::SeqCst);
            format!("blocked {ms} ms")
        })
        .await
    }

    #[expose]
    async fn free(&self) -> &'static str {
        actix_web::rt::time::sleep(Duration::from_millis(400)).await;
        "no deadline here"
    }
}

fn builder(seen: &Arc<Seen>) -> AppBuilder {
    App::builder(Root)
        .state(Arc::clone(seen))
        .tool(Caching::memory(100, 1 << 20))
        .set("/", "tools.timeout.on", true)
        .set("/", "tools.timeout.seconds", 0.25)
        .set("/free", "tools.timeout.on", false)
        .set("/once", "tools.caching.on", true)
        // 503 among the statuses the cache may store: only `no-store` keeps it out.
        .set(
            "/once",
            "tools.caching.cacheable",
            toml::Value::Array(vec![200.into(), 503.into()]),
        )
        .set("/", "tools.coverage.on", true)
}

#[actix_web::test]
async fn past_its_deadline_a_handler_is_cancelled_with_a_503_rfc_9110_section_15_6_4() {
    let seen = Arc::new(Seen::default());
    let app = builder(&seen).build().unwrap();
    let coverage = app.tool::<Coverage>().unwrap().clone();
    let s = TestServer::start(app).await;
    let c = s.client();
    c.get("/slow?ms=10")
        .send()
        .await
        .assert_status(200)
        .assert_text("slept 10 ms");
    seen.finished.store(false, Ordering::SeqCst);
    let r = c
        .get("/slow?ms=3000")
        .accept("application/json")
        .send()
        .await;
    r.assert_status(503)
        .assert_header("retry-after", "1")
        .assert_header("cache-control", "no-store")
        .assert_header("content-type", "application/problem+json");
    assert!(
        seen.dropped.load(Ordering::SeqCst),
        "the handler's future was dropped"
    );
    assert!(!seen.finished.load(Ordering::SeqCst), "and never resumed");
    // Another path without a deadline takes its time.
    c.get("/free").send().await.assert_text("no deadline here");
    // The coverage report counts the 503.
    let data = coverage.snapshot();
    let slow = data.handlers.iter().find(|h| h.name == "slow").unwrap();
    assert_eq!(slow.methods["GET"].statuses, [(200, 1), (503, 1)].into());
}

/// RFC 9111 §5.2.2.5: a timed-out answer says `no-store`; the output cache does not keep it,
/// and the next request is answered afresh.
#[actix_web::test]
async fn a_timed_out_answer_is_never_cached() {
    let seen = Arc::new(Seen::default());
    let s = TestServer::start(builder(&seen).build().unwrap()).await;
    let c = s.client();
    c.get("/once").send().await.assert_status(503);
    let r = c.get("/once").send().await;
    r.assert_status(200).assert_text("fast now");
    assert_ne!(r.header("x-cache"), Some("HIT"));
}

/// `status = 504` and `retry_after` are the path's; bad values stop the build.
#[actix_web::test]
async fn status_and_retry_after_are_settings() {
    let seen = Arc::new(Seen::default());
    let app = builder(&seen)
        .set("/slow", "tools.timeout.status", 504)
        .set("/slow", "tools.timeout.retry_after", 30)
        .build()
        .unwrap();
    let s = TestServer::start(app).await;
    s.client()
        .get("/slow?ms=2000")
        .send()
        .await
        .assert_status(504)
        .assert_header("retry-after", "30");
    for (key, value) in [
        ("tools.timeout.status", toml::Value::Integer(500)),
        ("tools.timeout.seconds", toml::Value::Float(-1.0)),
        ("tools.timeout.seconds", toml::Value::Float(f64::NAN)),
    ] {
        let err = builder(&seen).set("/x", key, value).build().err();
        assert!(err.is_some_and(|e| e.to_string().contains(key)), "{key}");
    }
    let err = App::builder(Root)
        .set("/", "tools.timeout.on", true)
        .build()
        .err()
        .unwrap();
    assert!(err.to_string().contains("tools.timeout.seconds"), "{err}");
}

/// Blocking work runs to its end though its request was answered without it.
#[actix_web::test]
async fn a_blocking_call_is_not_cancelled() {
    let seen = Arc::new(Seen::default());
    let s = TestServer::start(builder(&seen).build().unwrap()).await;
    let c = s.client();
    c.get("/blocking?ms=10")
        .send()
        .await
        .assert_text("blocked 10 ms");
    seen.blocking_done.store(false, Ordering::SeqCst);
    c.get("/blocking?ms=0&hold=true")
        .send()
        .await
        .assert_status(503);
    assert!(!seen.blocking_done.load(Ordering::SeqCst), "still held");
    seen.let_go();
    for _ in 0..100 {
        if seen.blocking_done.load(Ordering::SeqCst) {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        seen.blocking_done.load(Ordering::SeqCst),
        "it ran to its end"
    );
}

/// The tour as a process, its log read from its standard error: a timed-out request's 503
/// carries the request id its log line carries, with the path and what ran late; a blocking
/// call's late answer is dropped and logged. (Unix: under Wine the test cannot run cargo to
/// build the example; the same log line is written on every platform.)
#[cfg(unix)]
#[test]
fn the_log_tells_a_timeout_by_the_id_the_client_was_shown() {
    use std::io::Read;
    let exe = crate::process::example_binary("tour");
    let port = crate::process::free_port();
    let mut child = std::process::Command::new(exe)
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the tour starts");
    crate::process::wait_port(port);
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let answer = crate::process::http(
        addr,
        b"GET /slow?ms=3000 HTTP/1.1\r\nHost: t\r\nAccept: text/html\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    let id = answer
        .lines()
        .find_map(|l| l.strip_prefix("x-request-id: "))
        .expect("an X-Request-Id")
        .trim()
        .to_owned();
    assert!(
        answer.contains(&format!("<code>{id}</code>")),
        "the page shows it: {answer}"
    );
    let blocked = crate::process::http(
        addr,
        b"GET /slow?ms=1500&blocking=true HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert!(blocked.starts_with("HTTP/1.1 503"), "{blocked}");
    // The blocking sleep ends half a second after the answer.
    std::thread::sleep(Duration::from_millis(1500));
    let _ = child.kill();
    let _ = child.wait();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    let line = log
        .lines()
        .find(|l| l.contains(&id))
        .unwrap_or_else(|| panic!("no log line with {id}:\n{log}"));
    assert!(line.contains("503") && line.contains("/slow"), "{line}");
    assert!(
        log.contains("the handler ran past its deadline and was cancelled"),
        "{log}"
    );
    assert!(log.contains("its answer was dropped"), "{log}");
}
