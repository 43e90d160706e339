//! Stopping within the shutdown timeout: exactly the configured time (sub-second included),
//! and never longer, even with a worker stuck on the CPU.

use std::time::Duration;

use drupe::App;
use drupe::testing::TestServer;

use super::{Root, engine_on, free_port, get, wait_started};
#[cfg(unix)]
use super::{exit_within, here, serve_child, signal};

/// A worker busy on the CPU (its handler a loop, as when binding a huge form) cannot keep the
/// process alive past `server.shutdown_timeout`: after SIGTERM it exits anyway, non-zero, the
/// log saying requests were abandoned.
#[cfg(unix)]
#[test]
fn a_worker_stuck_on_the_cpu_does_not_outlive_the_shutdown_timeout() {
    let me = here!();
    let _heavy = crate::heavy_blocking();
    let (mut child, url, log) = serve_child(&me, "127.0.0.1:0", &[("DRUPE_SHUTDOWN_TIMEOUT", "1")]);
    let addr: std::net::SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    // The client may see its connection cut: only the process's end is checked.
    std::thread::spawn(move || {
        let _ = std::panic::catch_unwind(|| get(addr, "/spin?ms=120000"));
    });
    log.wait_line("spinning request started", 1, Duration::from_secs(20));
    signal(&child, "TERM");
    let t = std::time::Instant::now();
    // A bound that only catches a hang: the timeout is 1 s, the handler spins for 120 s.
    let exit = exit_within(&mut child, Duration::from_secs(20), &log);
    let took = t.elapsed();
    let text = log.text();
    assert!(!exit.success(), "{exit:?}\n{text}");
    assert!(text.contains("still running"), "{text}");
    assert!(text.contains("abandoned"), "{text}");
    crate::reliability::hole(
        "stuck_worker",
        "SIGTERM while a handler spins on the CPU for 120 s, server.shutdown_timeout = 1",
        &format!(
            "exit status {:?} after {:.1} s, the log saying the request was abandoned",
            exit.code(),
            took.as_secs_f64()
        ),
    );
}

/// A fractional `server.shutdown_timeout` is honoured, not cut to whole seconds (1.9 s was
/// 1 s): a request of 1.3 s in flight when the stop begins finishes.
#[test]
fn a_fractional_shutdown_timeout_is_not_cut_to_whole_seconds() {
    let bind = format!("127.0.0.1:{}", free_port());
    let engine = engine_on(&bind, Duration::from_millis(1900));
    engine.start().unwrap();
    let addr = bind.parse().unwrap();
    let slow = std::thread::spawn(move || {
        std::panic::catch_unwind(|| get(addr, "/slow?ms=1300&tag=fractional"))
            .unwrap_or_else(|_| "connection cut".to_owned())
    });
    wait_started("fractional");
    engine.exit();
    let answer = slow.join().unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("slept 1300"),
        "{answer:?}"
    );
}

/// `TestServer` serves as the engine does, so its stop follows the application's
/// `server.shutdown_timeout`: with 0.3 s, a request needing 3 s is cut rather than awaited.
#[actix_web::test]
async fn test_server_stops_within_the_applications_shutdown_timeout() {
    let app = App::builder(Root)
        .set_global("server.shutdown_timeout", 0.3)
        .build()
        .unwrap();
    let server = TestServer::start(app).await;
    let addr = server.addr();
    let slow = std::thread::spawn(move || {
        std::panic::catch_unwind(|| get(addr, "/slow?ms=3000&tag=test-server"))
            .unwrap_or_else(|_| "connection cut".to_owned())
    });
    wait_started("test-server");
    server.stop().await;
    let answer = slow.join().unwrap();
    assert!(
        !answer.contains("slept 3000"),
        "the request outlived a 0.3 s shutdown timeout: {answer:?}"
    );
}
