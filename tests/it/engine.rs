//! The engine (bus, signals, restarts) and the socket layer (binding, inheritance, busy
//! ports) with real sockets and real processes. Processes are this test binary run again in a child mode (see `child`).

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use drupe::engine::{Engine, ServerPlugin};
use drupe::net::BindAddr;
use drupe::{App, controller};

use crate::process::free_port;

mod autoreload;
pub(crate) mod child;
mod plugins;
mod restart;
mod shutdown;
mod sockets;
mod tls;
mod windows;

use child::{Test, here};

/// Tags of the `slow` requests that reached the handler, for tests in this process.
static STARTED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// The app the engine tests serve.
struct Root;

#[controller]
impl Root {
    #[expose]
    fn ok(&self) -> &'static str {
        "ok"
    }

    /// Sleeps `ms` milliseconds, then answers. Says when it starts: on stderr (for a child's
    /// test) and under `tag` (for a test in this process, see [`wait_started`]).
    #[expose]
    async fn slow(&self, ms: u64, tag: Option<String>) -> String {
        eprintln!("slow request of {ms} ms started");
        if let Some(tag) = tag {
            STARTED
                .lock()
                .unwrap()
                .get_or_insert_with(HashSet::new)
                .insert(tag);
        }
        actix_web::rt::time::sleep(Duration::from_millis(ms)).await;
        format!("slept {ms}")
    }

    /// Keeps its worker busy on the CPU for `ms` milliseconds (a loop, not a sleep): what a
    /// handler binding a huge form does to its worker.
    #[expose]
    async fn spin(&self, ms: u64) -> String {
        eprintln!("spinning request started");
        let started = Instant::now();
        let mut turns = 0u64;
        while started.elapsed() < Duration::from_millis(ms) {
            turns = std::hint::black_box(turns.wrapping_add(1));
        }
        format!("spun {turns}")
    }

    /// An environment variable of the serving process, or `unset`.
    #[expose]
    fn env(&self, name: String) -> String {
        std::env::var(name).unwrap_or_else(|_| "unset".into())
    }

    /// Starts a long-lived child process (which must not inherit the server's sockets) in the
    /// test named `test`.
    #[expose]
    fn spawn(&self, test: String) -> String {
        let mut child = Test::named(&test)
            .command("sleep")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        // Reaped in the background: the handler answers while the child lives on.
        std::thread::spawn(move || child.wait());
        pid.to_string()
    }
}

fn app() -> App {
    App::new(Root).unwrap()
}

/// Waits (at most 20 s) until the `slow` request tagged `tag` is in its handler.
fn wait_started(tag: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !STARTED
        .lock()
        .unwrap()
        .as_ref()
        .is_some_and(|s| s.contains(tag))
    {
        assert!(Instant::now() < deadline, "request {tag} never started");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A child's stderr, line by line.
#[derive(Clone, Default)]
struct Log {
    lines: Arc<Mutex<Vec<String>>>,
    closed: Arc<AtomicBool>,
}

impl Log {
    /// Waits (at most `within`) until `count` lines contain `needle`; returns the last of them.
    fn wait_line(&self, needle: &str, count: usize, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            {
                let l = self.lines.lock().unwrap();
                let found: Vec<&String> = l.iter().filter(|l| l.contains(needle)).collect();
                if found.len() >= count {
                    return found[count - 1].clone();
                }
                assert!(
                    Instant::now() < deadline,
                    "{count} lines with {needle:?} expected:\n{}",
                    l.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything so far.
    fn text(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }
}

/// Starts `cmd` with its stderr collected line by line.
fn spawn_logged(mut cmd: Command) -> (Child, Log) {
    let mut child = cmd
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = Log::default();
    let stderr = child.stderr.take().unwrap();
    let l = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            l.lines.lock().unwrap().push(line);
        }
        l.closed.store(true, Ordering::SeqCst);
    });
    (child, log)
}

/// A child of `test` serving on `bind` with `env`; returns it with the URL it logged and its
/// stderr.
fn serve_child(test: &Test, bind: &str, env: &[(&str, &str)]) -> (Child, String, Log) {
    let mut cmd = test.command("serve");
    cmd.env("DRUPE_BIND", bind).envs(env.iter().copied());
    let (child, log) = spawn_logged(cmd);
    let line = log.wait_line("serving on ", 1, Duration::from_secs(30));
    let url = line.split("serving on ").nth(1).unwrap().to_owned();
    (child, url, log)
}

/// Waits (at most `within`) for `child` to exit, then for its stderr to close; kills it and
/// fails past that.
fn exit_within(child: &mut Child, within: Duration, log: &Log) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the process was still running {within:?} later:\n{}",
                log.text()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while !log.closed.load(Ordering::SeqCst) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    status
}

/// Sends `signal` (`TERM`, `INT`, `HUP`, `USR1`) to `child`.
#[cfg(unix)]
fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

/// Ends a process this test started.
fn kill(pid: u32) {
    #[cfg(unix)]
    let _ = Command::new("kill").arg(pid.to_string()).status();
    #[cfg(windows)]
    let _ = Command::new("taskkill")
        .args(["/F", "/PID", &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn get(addr: SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn engine_on(addr: &str, shutdown: Duration) -> Engine {
    let engine = Engine::new();
    ServerPlugin::new(app(), addr.parse().unwrap())
        .workers(1)
        .shutdown_timeout(shutdown)
        .attach(&engine);
    engine
}

#[test]
fn two_hundred_stop_start_cycles_on_one_port() {
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    for i in 0..200 {
        let engine = engine_on(&addr.to_string(), Duration::from_secs(5));
        engine.start().unwrap_or_else(|e| panic!("cycle {i}: {e}"));
        let answer = get(addr, "/ok");
        assert!(answer.starts_with("HTTP/1.1 200"), "cycle {i}: {answer}");
        engine.exit();
    }
}

#[test]
fn the_port_is_free_when_stop_returns_even_while_a_spawned_child_lives() {
    let me = here!();
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let engine = engine_on(&bind, Duration::from_secs(5));
    engine.start().unwrap();
    let answer = get(bind.parse().unwrap(), &format!("/spawn?test={}", me.name()));
    let pid: u32 = answer.rsplit("\r\n").next().unwrap().parse().unwrap();
    engine.exit();
    // The child still runs, and the port binds at once.
    let again = TcpListener::bind(&bind);
    kill(pid);
    again.expect("the port is free although the handler's child still runs");
}

/// A child spawned by a handler does not inherit the connection it was spawned on: the
/// client sees the connection close when the server closes it, not when the child ends.
#[test]
fn an_accepted_connection_is_not_inherited_by_a_handlers_child() {
    let me = here!();
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let engine = engine_on(&bind, Duration::from_secs(5));
    engine.start().unwrap();
    let mut s = TcpStream::connect(&bind).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    write!(
        s,
        "GET /spawn?test={} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        me.name()
    )
    .unwrap();
    let mut answer = String::new();
    let read = s.read_to_string(&mut answer);
    let pid: Option<u32> = answer.rsplit("\r\n").next().and_then(|p| p.parse().ok());
    if let Some(pid) = pid {
        kill(pid);
    }
    engine.exit();
    read.expect("the connection closed although the handler's child (60 s) still ran");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[cfg(any(target_os = "linux", windows))]
#[test]
fn a_second_server_on_a_busy_port_exits_70_naming_the_first() {
    let me = here!();
    let (mut first, url, _) = serve_child(&me, "127.0.0.1:0", &[]);
    let bind = url.trim_start_matches("http://").to_owned();
    let second = me
        .command("serve")
        .env("DRUPE_BIND", &bind)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    let _ = first.kill();
    let _ = first.wait();
    assert_eq!(second.status.code(), Some(70), "{stderr}");
    let port = bind.rsplit(':').next().unwrap();
    assert!(
        stderr.contains(&format!("Port {port} is in use on 127.0.0.1")),
        "{stderr}"
    );
    // The first server is this test binary: the message names its pid and its executable
    // (Linux: its `comm`, the file name cut to 15 bytes).
    let exe = std::env::current_exe().unwrap();
    let mut name = exe.file_name().unwrap().to_string_lossy().into_owned();
    if cfg!(target_os = "linux") {
        name.truncate(15);
    }
    let named = format!("process {} ({name}) is listening on it", first.id());
    // Whether this OS names holders, asked of a listener this process holds: Linux and
    // Windows do; Wine lists listening sockets with no owner (pid 0), so the message says
    // the OS did not say (the decoding of the table is tested in `net::holder` on rows whose
    // owner the test knows).
    let probe = TcpListener::bind("127.0.0.1:0").unwrap();
    let names_holders = drupe::net::port_holder(probe.local_addr().unwrap()).is_some();
    let under_wine = cfg!(windows) && std::env::var_os("WINEPREFIX").is_some();
    if names_holders || !under_wine {
        assert!(stderr.contains(&named), "{named} expected:\n{stderr}");
    } else {
        assert!(
            stderr.contains("another process is listening on it (the OS did not say which)"),
            "{stderr}"
        );
    }
    assert!(
        stderr.contains("--bind 127.0.0.1:0 chooses a free port"),
        "{stderr}"
    );
    assert!(stderr.contains("ENGINE Bus EXITED"), "{stderr}");
}

#[test]
fn listening_on_the_ipv6_wildcard_serves_ipv4_clients() {
    let listener = match drupe::net::bind(&"[::]:0".parse().unwrap(), Duration::ZERO) {
        Ok(l) => l,
        Err(e) => panic!("cannot listen on [::]: {e}"),
    };
    let url = listener.url();
    assert!(url.starts_with("http://[::]:"), "{url}");
    let port = listener.local_addr().unwrap().port();
    assert_ne!(port, 0, "port 0 reports the real port");
    drop(listener);
    let engine = engine_on(&format!("[::]:{port}"), Duration::from_secs(5));
    engine.start().unwrap();
    let answer = get(format!("127.0.0.1:{port}").parse().unwrap(), "/ok");
    engine.exit();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn idle_keep_alive_connections_do_not_hold_up_a_stop() {
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    // A long shutdown timeout: a stop that waited for the idle connection would take it all.
    let engine = engine_on(&bind, Duration::from_secs(30));
    engine.start().unwrap();
    let mut idle = TcpStream::connect(&bind).unwrap();
    write!(idle, "GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let mut buf = [0u8; 4096];
    let n = idle.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let (tx, rx) = std::sync::mpsc::channel();
    let e = engine.clone();
    std::thread::spawn(move || {
        e.exit();
        let _ = tx.send(());
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("stop waited for an idle keep-alive connection");
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(
        idle.read(&mut buf).unwrap_or(0),
        0,
        "the idle connection was closed"
    );
}

#[cfg(unix)]
#[test]
fn sigterm_lets_a_hundred_in_flight_requests_finish_then_exits_0() {
    let me = here!();
    let _heavy = crate::heavy_blocking();
    use std::sync::atomic::AtomicUsize;
    let (mut child, url, lines) = serve_child(&me, "127.0.0.1:0", &[]);
    let addr: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..100 {
        let done = done.clone();
        clients.push(std::thread::spawn(move || {
            let answer = get(addr, "/slow?ms=1500");
            if answer.starts_with("HTTP/1.1 200") && answer.ends_with("slept 1500") {
                done.fetch_add(1, Ordering::SeqCst);
            }
            answer
        }));
    }
    // Every request in its handler, then the server is asked to stop.
    lines.wait_line(
        "slow request of 1500 ms started",
        100,
        Duration::from_secs(20),
    );
    signal(&child, "TERM");
    for c in clients {
        let answer = c.join().unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    let exit = exit_within(&mut child, Duration::from_secs(30), &lines);
    assert_eq!(done.load(Ordering::SeqCst), 100);
    assert_eq!(exit.code(), Some(0));
    let log = lines.text();
    let order = [
        "Caught signal SIGTERM.",
        "ENGINE Bus STOPPING",
        "ENGINE Bus STOPPED",
        "ENGINE Bus EXITING",
        "ENGINE Bus EXITED",
    ];
    let mut at = 0;
    for needle in order {
        let pos = log[at..]
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} missing after position {at}:\n{log}"));
        at += pos + needle.len();
    }
}

#[test]
fn a_failing_start_listener_stops_everything_and_exits_70() {
    let me = here!();
    let out = me.command("fail_start").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(70), "{stderr}");
    for line in [
        "start listener first ran",
        "start listener second ran",
        "start listener third ran",
        "Shutting down due to error in start listener:",
        "second refuses to start",
        "stop listener ran",
        "ENGINE Bus EXITED",
    ] {
        assert!(stderr.contains(line), "{line} missing:\n{stderr}");
    }
}

#[test]
fn bind_addresses_are_checked() {
    for bad in [":8080", "localhost", "127.0.0.1:99999", "127.0.0.1:http"] {
        assert!(bad.parse::<BindAddr>().is_err(), "{bad}");
    }
    let err =
        drupe::net::bind(&"no-such-host.invalid:80".parse().unwrap(), Duration::ZERO).unwrap_err();
    assert!(err.to_string().contains("no-such-host.invalid:80"), "{err}");
}

#[cfg(windows)]
#[test]
fn windows_listeners_are_exclusive_and_never_reuse_addresses() {
    let listener = drupe::net::bind(&"127.0.0.1:0".parse().unwrap(), Duration::ZERO).unwrap();
    let addr = listener.local_addr().unwrap();
    let drupe::net::Listener::Tcp(l) = &listener;
    // Wine refuses a second SO_REUSEADDR bind where Windows would allow it, so the option
    // itself is checked rather than the behaviour.
    assert!(
        drupe::net::exclusive_addr_use(l).unwrap(),
        "SO_EXCLUSIVEADDRUSE is set"
    );
    let s = socket2::SockRef::from(l);
    assert!(
        !s.reuse_address().unwrap(),
        "SO_REUSEADDR is never set on Windows"
    );
    let err = TcpListener::bind(addr).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(10048), "WSAEADDRINUSE: {err}");
    let thief = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    thief.set_reuse_address(true).unwrap();
    assert!(
        thief.bind(&addr.into()).is_err(),
        "a reusing socket cannot take the port"
    );
}
