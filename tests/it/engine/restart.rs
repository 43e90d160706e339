//! Restarts: SIGUSR1 hands the listening socket to a new server (no connection refused, no
//! request failed), transitions never interleave (SIGTERM during a restart ends cleanly), a
//! failed restart ends the process saying why, a second SIGINT ends it at once, and SIGHUP
//! re-executes the program with its arguments as they were, secrets masked in the log.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{engine_on, free_port};
#[cfg(unix)]
use super::{exit_within, get, here, serve_child, signal, spawn_logged};

/// Clients that connect, send `GET /ok` and read the answer, over and over, each on a new
/// connection, counting what went wrong.
struct Traffic {
    stop: Arc<AtomicBool>,
    ok: Arc<AtomicUsize>,
    errors: Arc<Mutex<Vec<String>>>,
    clients: Vec<JoinHandle<()>>,
}

impl Traffic {
    fn start(addr: SocketAddr, clients: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let ok = Arc::new(AtomicUsize::new(0));
        let errors: Arc<Mutex<Vec<String>>> = Arc::default();
        let clients = (0..clients)
            .map(|_| {
                let (stop, ok, errors) = (stop.clone(), ok.clone(), errors.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        match Self::one(addr) {
                            Ok(()) => {
                                ok.fetch_add(1, Ordering::SeqCst);
                            }
                            Err(e) => errors.lock().unwrap().push(e),
                        }
                    }
                })
            })
            .collect();
        Self {
            stop,
            ok,
            errors,
            clients,
        }
    }

    fn one(addr: SocketAddr) -> Result<(), String> {
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
            .map_err(|e| format!("connect: {e} ({:?})", e.kind()))?;
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.write_all(b"GET /ok HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .map_err(|e| format!("write: {e}"))?;
        let mut answer = String::new();
        s.read_to_string(&mut answer)
            .map_err(|e| format!("read: {e} after {answer:?}"))?;
        if answer.starts_with("HTTP/1.1 200") && answer.ends_with("\r\nok") {
            Ok(())
        } else {
            Err(format!("answer: {answer:?}"))
        }
    }

    fn ok(&self) -> usize {
        self.ok.load(Ordering::SeqCst)
    }

    /// Waits (at most 20 s) until `n` more requests succeeded: traffic runs through.
    fn wait_more(&self, n: usize) {
        let target = self.ok() + n;
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.ok() < target {
            assert!(
                Instant::now() < deadline,
                "no traffic: {:?}",
                self.errors.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Stops the clients; returns how many requests succeeded, and every failure (for
    /// [`assert_none_failed`]).
    fn finish(self) -> (usize, Vec<String>) {
        self.stop.store(true, Ordering::SeqCst);
        for c in self.clients {
            c.join().unwrap();
        }
        let errors = self.errors.lock().unwrap().clone();
        (self.ok.load(Ordering::SeqCst), errors)
    }
}

/// Fails, showing the first few, if any of the `ok + errors` requests failed `across` what the
/// test did.
fn assert_none_failed(ok: usize, errors: &[String], across: &str) {
    assert!(
        errors.is_empty(),
        "{} of {} requests failed across {across}; the first: {:?}",
        errors.len(),
        ok + errors.len(),
        &errors[..errors.len().min(5)]
    );
}

/// SIGUSR1, five times, while clients keep connecting: the listening socket passes from one
/// server to the next, so no connection is refused and no request fails.
#[cfg(unix)]
#[test]
fn sigusr1_hands_the_socket_over_without_refusing_a_connection() {
    let me = here!();
    let _heavy = crate::heavy_blocking();
    let (mut child, url, log) = serve_child(&me, "127.0.0.1:0", &[]);
    let addr: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let traffic = Traffic::start(addr, 4);
    traffic.wait_more(50);
    for round in 1..=5 {
        signal(&child, "USR1");
        log.wait_line("serving on ", round + 1, Duration::from_secs(20));
        traffic.wait_more(50);
    }
    let (ok, errors) = traffic.finish();
    signal(&child, "TERM");
    let exit = exit_within(&mut child, Duration::from_secs(30), &log);
    assert_none_failed(ok, &errors, "5 restarts");
    assert_eq!(exit.code(), Some(0), "{}", log.text());
    crate::reliability::hole(
        "restart_refused",
        "SIGUSR1 five times while four clients keep connecting (a process serving on a port)",
        &format!(
            "{ok} requests answered, {} refused or failed; exit status {:?} on SIGTERM",
            errors.len(),
            exit.code()
        ),
    );
}

/// The same in process, through `Engine::graceful` (every platform).
#[test]
fn a_graceful_restart_refuses_no_connection() {
    let _heavy = crate::heavy_blocking();
    let bind = format!("127.0.0.1:{}", free_port());
    let engine = engine_on(&bind, Duration::from_secs(5));
    engine.start().unwrap();
    let traffic = Traffic::start(bind.parse().unwrap(), 2);
    traffic.wait_more(50);
    for _ in 0..3 {
        engine.graceful();
        traffic.wait_more(50);
    }
    let (ok, errors) = traffic.finish();
    let state = engine.state();
    engine.exit();
    assert_none_failed(ok, &errors, "3 restarts");
    assert_eq!(state, drupe::engine::State::Started);
    std::net::TcpListener::bind(&bind).expect("the port is free after the exit");
}

/// SIGTERM while a restart drains the old server's request: the exit waits for the restart,
/// the request is answered, the process exits 0 and the port is free.
#[cfg(unix)]
#[test]
fn sigterm_during_a_restart_ends_cleanly() {
    let me = here!();
    // A fixed port, as a server that restarts has: port 0 sets no SO_REUSEADDR, so the
    // kernel's TIME_WAIT after the request would block the rebind below.
    let bind = format!("127.0.0.1:{}", free_port());
    let (mut child, url, log) = serve_child(&me, &bind, &[]);
    let addr: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let slow = std::thread::spawn(move || get(addr, "/slow?ms=2000"));
    log.wait_line(
        "slow request of 2000 ms started",
        1,
        Duration::from_secs(20),
    );
    signal(&child, "USR1");
    log.wait_line("Bus graceful", 1, Duration::from_secs(20));
    signal(&child, "TERM");
    let exit = exit_within(&mut child, Duration::from_secs(30), &log);
    let answer = slow.join().unwrap();
    let text = log.text();
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("slept 2000"),
        "{answer:?}\n{text}"
    );
    assert_eq!(exit.code(), Some(0), "{text}");
    assert!(text.contains("ENGINE Bus EXITED"), "{text}");
    std::net::TcpListener::bind(addr).expect("the port is free after the exit");
}

/// A restart that fails does not leave a process that serves nothing or half-restarted: it
/// exits non-zero, the log saying why, and the port is free.
#[cfg(unix)]
#[test]
fn a_failed_restart_exits_non_zero_saying_why() {
    let me = here!();
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut cmd = me.command("fail_graceful");
    cmd.env("DRUPE_BIND", addr.to_string());
    let (mut child, log) = spawn_logged(cmd);
    log.wait_line("serving on ", 1, Duration::from_secs(30));
    signal(&child, "USR1");
    let exit = exit_within(&mut child, Duration::from_secs(20), &log);
    let text = log.text();
    assert_eq!(exit.code(), Some(70), "{text}");
    assert!(text.contains("Graceful restart failed"), "{text}");
    assert!(
        text.contains("the configuration file has a syntax error on line 3"),
        "{text}"
    );
    assert!(text.contains("ENGINE Bus EXITED"), "{text}");
    std::net::TcpListener::bind(addr).expect("the port is free after the exit");
}

/// Ctrl-C twice: the first asks for an orderly exit (which waits for a long request), the
/// second ends the process at once, non-zero, saying so.
#[cfg(unix)]
#[test]
fn a_second_sigint_forces_the_exit() {
    let me = here!();
    let (mut child, url, log) =
        serve_child(&me, "127.0.0.1:0", &[("DRUPE_SHUTDOWN_TIMEOUT", "120")]);
    let addr: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let slow = std::thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /slow?ms=60000 HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
    });
    log.wait_line(
        "slow request of 60000 ms started",
        1,
        Duration::from_secs(20),
    );
    signal(&child, "INT");
    log.wait_line("Bus STOPPING", 1, Duration::from_secs(20));
    signal(&child, "INT");
    let exit = exit_within(&mut child, Duration::from_secs(20), &log);
    let text = log.text();
    assert!(!exit.success(), "{exit:?}\n{text}");
    assert!(text.contains("SIGINT caught again"), "{text}");
    assert!(text.contains("exiting now"), "{text}");
    slow.join().unwrap();
}

/// SIGHUP with `engine.restart_on_sighup = true` re-executes the program: same process, same
/// arguments byte for byte (one of them not UTF-8, which the test harness itself could not
/// take, so the child is a helper program), and the `Re-spawning` line masks the password
/// of a URL and the values of secret flags.
#[cfg(unix)]
#[test]
fn sighup_re_executes_with_the_same_arguments_secrets_masked_in_the_log() {
    use std::os::unix::ffi::OsStrExt;
    let bin = crate::process::example_binary("respawn_child");
    let mut cmd = std::process::Command::new(&bin);
    cmd.arg("--label")
        .arg(std::ffi::OsStr::from_bytes(b"caf\xe9 \xff"))
        .args([
            "--database",
            "postgres://blog:hunter2@db.example:5432/blog",
            "--api-token=tok-3141",
            "--client-secret",
            "xyzzy",
            "--bind",
            "127.0.0.1:0",
        ])
        .env("DRUPE_BIND", "127.0.0.1:0")
        .stdin(std::process::Stdio::null());
    let (mut child, log) = spawn_logged(cmd);
    let url = |line: String| line.split("serving on http://").nth(1).unwrap().to_owned();
    let first = url(log.wait_line("serving on ", 1, Duration::from_secs(30)));
    let pid = get(first.parse().unwrap(), "/pid");
    assert!(pid.ends_with(&format!("\r\n{}", child.id())), "{pid}");
    signal(&child, "HUP");
    let second = log.wait_line("serving on ", 2, Duration::from_secs(30));
    let second = url(second);
    let pid = get(second.parse().unwrap(), "/pid");
    assert!(pid.ends_with(&format!("\r\n{}", child.id())), "{pid}");
    let arguments = log.wait_line("arguments: ", 2, Duration::from_secs(5));
    assert_eq!(
        log.wait_line("arguments: ", 1, Duration::ZERO),
        arguments,
        "the arguments changed across the re-execution"
    );
    assert!(arguments.contains("636166e920ff"), "{arguments}");
    signal(&child, "TERM");
    let exit = exit_within(&mut child, Duration::from_secs(30), &log);
    let text = log.text();
    assert_eq!(exit.code(), Some(0), "{text}");
    let respawn = log.wait_line("Re-spawning", 1, Duration::ZERO);
    for shown in [
        "postgres://blog:***@db.example:5432/blog",
        "--api-token=***",
        "--client-secret ***",
        "--bind 127.0.0.1:0",
    ] {
        assert!(respawn.contains(shown), "{shown} missing: {respawn}");
    }
    for secret in ["hunter2", "tok-3141", "xyzzy"] {
        assert!(!text.contains(secret), "{secret} was logged:\n{text}");
    }
}

/// SIGHUP re-executes the program three times while clients keep connecting: the listening
/// socket is kept across each `exec` (same port, port 0 asked for), so no connection is
/// refused and no request fails; the pid stays the same.
#[cfg(unix)]
#[test]
fn sighup_re_executes_keeping_the_socket_so_no_connection_is_refused() {
    let _heavy = crate::heavy_blocking();
    let bin = crate::process::example_binary("respawn_child");
    let mut cmd = std::process::Command::new(&bin);
    cmd.env("DRUPE_BIND", "127.0.0.1:0")
        .stdin(std::process::Stdio::null());
    let (mut child, log) = spawn_logged(cmd);
    let url = |line: String| line.split("serving on http://").nth(1).unwrap().to_owned();
    let first = url(log.wait_line("serving on ", 1, Duration::from_secs(30)));
    let addr: SocketAddr = first.parse().unwrap();
    let traffic = Traffic::start(addr, 4);
    traffic.wait_more(50);
    for round in 1..=3 {
        signal(&child, "HUP");
        let again = url(log.wait_line("serving on ", round + 1, Duration::from_secs(30)));
        assert_eq!(again, first, "the same socket, the same port");
        traffic.wait_more(50);
    }
    let (ok, errors) = traffic.finish();
    let pid = get(addr, "/pid");
    assert!(pid.ends_with(&format!("\r\n{}", child.id())), "{pid}");
    assert!(
        log.text()
            .contains("Adopted the listening socket kept across the restart.")
    );
    signal(&child, "TERM");
    let exit = exit_within(&mut child, Duration::from_secs(30), &log);
    assert_none_failed(ok, &errors, "3 re-executions");
    assert_eq!(exit.code(), Some(0), "{}", log.text());
}
