//! The engine and the socket layer with real sockets and real processes (reference A6/A7
//! with B6/B7). Processes are this test binary run again in a child mode (`child_main`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use drupe::engine::{Engine, ServerPlugin};
use drupe::net::BindAddr;
use drupe::{App, controller};

use crate::process::free_port;

/// The app the engine tests serve.
struct Root;

#[controller]
impl Root {
    #[expose]
    fn ok(&self) -> &'static str {
        "ok"
    }

    /// Sleeps `ms` milliseconds, then answers.
    #[expose]
    async fn slow(&self, ms: u64) -> String {
        actix_web::rt::time::sleep(Duration::from_millis(ms)).await;
        format!("slept {ms}")
    }

    /// Starts a long-lived child process (which must not inherit the server's sockets).
    #[expose]
    fn spawn(&self) -> String {
        let mut child = child_command("sleep")
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

fn child_command(mode: &str) -> Command {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args(["--exact", "engine::child_main", "--nocapture"])
        .env("DRUPE_CHILD", mode)
        .stdin(Stdio::null());
    c
}

/// The child modes: `serve` (on `DRUPE_BIND`), `sleep`, `fail_start`. Without `DRUPE_CHILD`
/// this test does nothing.
#[test]
fn child_main() {
    let Ok(mode) = std::env::var("DRUPE_CHILD") else {
        return;
    };
    drupe::engine::init_logging();
    match mode.as_str() {
        "serve" => {
            let bind = std::env::var("DRUPE_BIND").unwrap();
            let code = app().serve(&bind);
            std::process::exit(if code == std::process::ExitCode::SUCCESS {
                0
            } else {
                70
            });
        }
        "sleep" => std::thread::sleep(Duration::from_secs(60)),
        "fail_start" => {
            let engine = Engine::new();
            for (name, prio, fail) in [
                ("first", 10, false),
                ("second", 20, true),
                ("third", 30, false),
            ] {
                engine.subscribe("start", prio, name, move |_| {
                    eprintln!("start listener {name} ran");
                    if fail {
                        Err(format!("{name} refuses to start").into())
                    } else {
                        Ok(())
                    }
                });
            }
            engine.subscribe("stop", 50, "stopper", |_| {
                eprintln!("stop listener ran");
                Ok(())
            });
            let _ = engine.start();
            let code = engine.block();
            std::process::exit(if code == std::process::ExitCode::from(70) {
                70
            } else {
                1
            });
        }
        other => panic!("unknown child mode {other}"),
    }
}

type Lines = Arc<std::sync::Mutex<Vec<String>>>;

/// A child serving on `bind`; returns it with the URL it logged and its stderr lines.
fn serve_child(bind: &str) -> (Child, String, Lines) {
    let mut child = child_command("serve")
        .env("DRUPE_BIND", bind)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines: Lines = Arc::default();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    let l = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.split("serving on ").nth(1) {
                let _ = tx.send(url.to_owned());
            }
            l.lock().unwrap().push(line);
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("the child never served: {:?}", lines.lock().unwrap()));
    (child, url, lines)
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
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let engine = engine_on(&bind, Duration::from_secs(5));
    engine.start().unwrap();
    let answer = get(bind.parse().unwrap(), "/spawn");
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
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let engine = engine_on(&bind, Duration::from_secs(5));
    engine.start().unwrap();
    let mut s = TcpStream::connect(&bind).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    write!(
        s,
        "GET /spawn HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
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
    let (mut first, url, _) = serve_child("127.0.0.1:0");
    let bind = url.trim_start_matches("http://").to_owned();
    let second = child_command("serve")
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
    // Wine lists listening sockets without their owner; Linux and Windows name it.
    let named = stderr.contains(&format!("process {} (", first.id()));
    let under_wine = cfg!(windows) && std::env::var_os("WINEPREFIX").is_some();
    assert!(
        named || (under_wine && stderr.contains("the OS did not say which")),
        "{stderr}"
    );
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
    let _heavy = crate::heavy_blocking();
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (mut child, url, lines) = serve_child("127.0.0.1:0");
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
    // Let every request reach the handler, then ask the server to stop.
    std::thread::sleep(Duration::from_millis(700));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    for c in clients {
        let answer = c.join().unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    let exit = child.wait().unwrap();
    assert_eq!(done.load(Ordering::SeqCst), 100);
    assert_eq!(exit.code(), Some(0));
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < deadline
        && !lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("Bus EXITED"))
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = lines.lock().unwrap().join("\n");
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
    let out = child_command("fail_start").output().unwrap();
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

#[cfg(unix)]
#[test]
fn unix_domain_sockets() {
    let path = crate::photoblog_tests::temp_dir("uds").join("app.sock");
    let engine = engine_on(&format!("unix:{}", path.display()), Duration::from_secs(5));
    engine.start().unwrap();
    let mut s = std::os::unix::net::UnixStream::connect(&path).unwrap();
    write!(
        s,
        "GET /ok HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    engine.exit();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.ends_with("ok"));
}

/// systemd's protocol, played by a small Python program: it listens, puts the socket on
/// descriptor 3, sets `LISTEN_FDS=1` and `LISTEN_PID` to its own pid, and execs the server.
#[cfg(target_os = "linux")]
#[test]
fn systemd_socket_activation() {
    let port = free_port();
    let script = format!(
        "import os, socket, sys\n\
         s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
         s.bind(('127.0.0.1', {port})); s.listen(16)\n\
         os.dup2(s.fileno(), 3); os.set_inheritable(3, True)\n\
         os.environ['LISTEN_FDS'] = '1'; os.environ['LISTEN_PID'] = str(os.getpid())\n\
         os.execv(sys.argv[1], sys.argv[1:])\n"
    );
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new("python3")
        .args(["-c", &script])
        .arg(&exe)
        .args(["--exact", "engine::child_main", "--nocapture"])
        .env("DRUPE_CHILD", "serve")
        .env("DRUPE_BIND", "systemd")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut answer = String::new();
    while std::time::Instant::now() < deadline {
        if let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let _ = write!(
                s,
                "GET /ok HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
            );
            answer.clear();
            let _ = s.read_to_string(&mut answer);
            if answer.starts_with("HTTP/1.1 200") {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let exit = child.wait().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(exit.code(), Some(0));
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
