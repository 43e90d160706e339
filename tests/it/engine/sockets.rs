//! Where the server listens: Unix domain socket files (never taken from a live server) and
//! systemd's sockets (checked, then adopted once).

#![cfg(unix)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use super::{engine_on, exit_within, here, signal, spawn_logged};

#[test]
fn unix_domain_sockets() {
    let path = crate::blog::temp_dir("uds").join("app.sock");
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

/// A socket file a live server accepts on is not deleted and rebound (which would silently
/// take its address): listening fails naming the path, and the live server keeps it. A stale
/// file, which nothing accepts on, is replaced.
#[test]
fn a_live_servers_socket_file_is_never_taken_over() {
    let path = crate::blog::temp_dir("uds-live").join("app.sock");
    let bind = format!("unix:{}", path.display()).parse().unwrap();
    let live = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let err =
        drupe::net::bind(&bind, Duration::ZERO).expect_err("a live server's socket is in use");
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("in use"), "{text}");
    std::os::unix::net::UnixStream::connect(&path).expect("the live server still has it");
    live.accept().expect("and accepts on it");
    drop(live);
    // The file stays behind, stale: it is replaced.
    assert!(path.exists());
    let listener = drupe::net::bind(&bind, Duration::ZERO).expect("a stale file is replaced");
    std::os::unix::net::UnixStream::connect(&path).expect("drupe listens now");
    drop(listener);
}

/// systemd's protocol, played by a small Python program: it puts a socket of `kind` on
/// descriptor 3, sets `LISTEN_FDS=1`, `LISTEN_PID` to its own pid and `LISTEN_FDNAMES`, and
/// execs this test binary as a serving child.
#[cfg(target_os = "linux")]
fn systemd_child(test: &super::Test, kind: &str, port: u16) -> Command {
    let script = format!(
        "import os, socket, sys\n\
         kind = sys.argv[1]\n\
         if kind == 'listening':\n\
         \x20   s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
         \x20   s.bind(('127.0.0.1', {port})); s.listen(16); fd = s.fileno()\n\
         elif kind == 'udp':\n\
         \x20   s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0)); fd = s.fileno()\n\
         elif kind == 'not_listening':\n\
         \x20   s = socket.socket(); s.bind(('127.0.0.1', 0)); fd = s.fileno()\n\
         else:\n\
         \x20   fd, w = os.pipe()\n\
         os.dup2(fd, 3); os.set_inheritable(3, True)\n\
         os.environ['LISTEN_FDS'] = '1'; os.environ['LISTEN_PID'] = str(os.getpid())\n\
         os.environ['LISTEN_FDNAMES'] = 'web'\n\
         os.execv(sys.argv[2], sys.argv[2:])\n"
    );
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new("python3");
    cmd.args(["-c", &script, kind])
        .arg(&exe)
        .args(test.args())
        .env("DRUPE_CHILD", "serve")
        .env("DRUPE_BIND", "systemd")
        .stdin(std::process::Stdio::null());
    cmd
}

/// The socket is adopted and served; the protocol's variables are gone from the serving
/// process, so nothing it starts or re-executes adopts descriptor 3 again.
#[cfg(target_os = "linux")]
#[test]
fn systemd_socket_activation() {
    let me = here!();
    let port = crate::process::free_port();
    let (mut child, lines) = spawn_logged(systemd_child(&me, "listening", port));
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut answer = String::new();
    while Instant::now() < deadline {
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
    let env: Vec<String> = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"]
        .iter()
        .map(|v| super::get(addr, &format!("/env?name={v}")))
        .collect();
    signal(&child, "TERM");
    let exit = exit_within(&mut child, Duration::from_secs(30), &lines);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    for (name, answer) in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"]
        .iter()
        .zip(&env)
    {
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(
            answer.ends_with("\r\nunset"),
            "{name} is still set: {answer}"
        );
    }
    assert_eq!(exit.code(), Some(0));
}

/// What systemd passes is checked before it is adopted: a datagram socket, a stream socket
/// that does not listen and a pipe each fail the start (status 70) with the descriptor named,
/// instead of a process that runs and serves nothing.
#[cfg(target_os = "linux")]
#[test]
fn systemd_descriptors_that_are_not_listening_stream_sockets_are_refused() {
    let me = here!();
    for (kind, why) in [
        ("udp", "its type is"),
        ("not_listening", "listen() was never called"),
        ("pipe", "it is not a socket"),
    ] {
        let (mut child, lines) = spawn_logged(systemd_child(&me, kind, 0));
        let exit = exit_within(&mut child, Duration::from_secs(20), &lines);
        let log = lines.text();
        assert_eq!(exit.code(), Some(70), "{kind}:\n{log}");
        assert!(
            log.contains("descriptor 3 is not a listening stream socket"),
            "{kind}:\n{log}"
        );
        assert!(log.contains(why), "{kind}:\n{log}");
    }
}
