//! Windows only: console control events stop a served process, drupe's sockets stay out of
//! child processes, and `unix:` addresses are refused with the reason.
//!
//! Under Wine (CI), two things Windows does cannot be shown, and the tests say where: Wine
//! raises no Ctrl-Break (its server implements only Ctrl-C), and it reports no owner for a
//! listening socket (see `net::holder`'s tests).

#![cfg(windows)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::windows::io::{AsRawSocket, RawSocket};
use std::os::windows::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use drupe::engine::{Engine, Signals};
use drupe::net::console::{self, ConsoleEvent};
use drupe::net::inspect::{self, SocketInfo};
use drupe::net::{BindAddr, Listener};

use super::{Test, engine_on, exit_within, here, spawn_logged};
use crate::process::free_port;

/// `CreateProcess` flags: a new process group (its leader's pid names it; Ctrl-C is off in
/// it), and a new console without a window.
const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
const CREATE_NO_WINDOW: u32 = 0x0800_0000;

/// Whether the tests run under Wine (the CI's runner sets `WINEPREFIX`).
fn under_wine() -> bool {
    std::env::var_os("WINEPREFIX").is_some()
}

/// A launcher (see [`console_launcher`]) for `event` (`ctrl_c`, `ctrl_break`), on a console
/// of its own so that no event it raises reaches this process or whatever runs the tests.
fn launcher(test: &Test, event: &str) -> Command {
    let mut cmd = test.command("console_launcher");
    cmd.env("DRUPE_CONSOLE_EVENT", event)
        .env("DRUPE_BIND", "127.0.0.1:0")
        .creation_flags(CREATE_NO_WINDOW);
    cmd
}

/// Finds `lines` in `log` in this order.
fn in_order(log: &str, lines: &[&str]) {
    let mut at = 0;
    for needle in lines {
        let pos = log[at..]
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} missing after position {at}:\n{log}"));
        at += pos + needle.len();
    }
}

/// Ctrl-C on a console reaches every process on it: a served process on the launcher's
/// console logs the event, exits its bus and ends with status 0.
#[test]
fn ctrl_c_on_its_console_stops_a_server_which_exits_0() {
    let me = here!();
    let (mut child, log) = spawn_logged(launcher(&me, "ctrl_c"));
    let status = exit_within(&mut child, Duration::from_secs(60), &log);
    let text = log.text();
    assert_eq!(status.code(), Some(0), "{text}");
    in_order(
        &text,
        &[
            "serving on http://127.0.0.1:",
            "launcher: sending CtrlC to group 0",
            "ENGINE Console event 0: shutting down bus",
            "ENGINE Bus STOPPED",
            "ENGINE Bus EXITED",
            "launcher: the server exited with status 0",
        ],
    );
}

/// Ctrl-Break to a process group: what stops a server started with
/// `CREATE_NEW_PROCESS_GROUP` (Ctrl-C is off in such a group), from another process.
#[test]
fn ctrl_break_to_its_process_group_stops_a_server_which_exits_0() {
    let me = here!();
    let (mut child, log) = spawn_logged(launcher(&me, "ctrl_break"));
    let status = exit_within(&mut child, Duration::from_secs(60), &log);
    let text = log.text();
    assert_eq!(status.code(), Some(0), "{text}");
    if under_wine() && text.contains("launcher: cannot send CtrlBreak") {
        // Wine 8 raises no Ctrl-Break: wineserver's propagate_console_signal implements only
        // CTRL_C_EVENT, so GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, group) fails. What the
        // handler does with Ctrl-Break is tested on the routine itself (engine::signals).
        return;
    }
    in_order(
        &text,
        &[
            "serving on http://127.0.0.1:",
            "launcher: sending CtrlBreak to the server's group",
            "ENGINE Console event 1: shutting down bus",
            "ENGINE Bus STOPPED",
            "ENGINE Bus EXITED",
            "launcher: the server exited with status 0",
        ],
    );
}

/// The `console_launcher` child mode, on a console of its own: starts this test as a
/// serving child (in a new process group for Ctrl-Break), passes its stderr on, and once it
/// serves raises `DRUPE_CONSOLE_EVENT` (Ctrl-C on the whole console, Ctrl-Break to the
/// server's group), then reports the server's exit status and exits 0.
///
/// Ctrl-C reaches this process too: a bus with the signal plugin, logging nowhere (logging
/// is not set up in this mode), handles it here, so the launcher lives on to report.
pub(super) fn console_launcher() -> ! {
    let event = match std::env::var("DRUPE_CONSOLE_EVENT").as_deref() {
        Ok("ctrl_c") => ConsoleEvent::CtrlC,
        Ok("ctrl_break") => ConsoleEvent::CtrlBreak,
        other => panic!("DRUPE_CONSOLE_EVENT {other:?}"),
    };
    let own = Engine::new();
    Signals::new().attach(&own);
    own.start().expect("the launcher's bus starts");
    let mut server = Command::new(std::env::current_exe().unwrap());
    server
        .args(std::env::args_os().skip(1))
        .env("DRUPE_CHILD", "serve")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if event == ConsoleEvent::CtrlBreak {
        server.creation_flags(CREATE_NEW_PROCESS_GROUP);
    }
    let mut server = server.spawn().expect("the server starts");
    let stderr = server.stderr.take().unwrap();
    let (serving, is_serving) = std::sync::mpsc::channel();
    let relay = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("{line}");
            if line.contains("serving on ") {
                let _ = serving.send(());
            }
        }
    });
    fn give_up(server: &mut std::process::Child, why: String) -> ! {
        eprintln!("launcher: {why}");
        let _ = server.kill();
        let _ = server.wait();
        std::process::exit(3)
    }
    if is_serving.recv_timeout(Duration::from_secs(30)).is_err() {
        give_up(&mut server, "the server did not serve".into());
    }
    let group = match event {
        ConsoleEvent::CtrlC => {
            // Group 0 is every process on this console: it must hold this one and the
            // server only.
            let on_console = console::processes().expect("a console");
            if on_console
                .iter()
                .any(|p| *p != std::process::id() && *p != server.id())
            {
                give_up(
                    &mut server,
                    format!("not alone on the console: {on_console:?}"),
                );
            }
            0
        }
        _ => server.id(),
    };
    // Said before the event is raised: every line the event causes comes after it.
    if group == 0 {
        eprintln!("launcher: sending {event:?} to group 0");
    } else {
        eprintln!("launcher: sending {event:?} to the server's group");
    }
    if let Err(e) = console::send(event, group) {
        eprintln!("launcher: cannot send {event:?}: {e}");
        let _ = server.kill();
    }
    let status = server.wait().expect("the server's status");
    let _ = relay.join();
    match status.code() {
        Some(code) => eprintln!("launcher: the server exited with status {code}"),
        None => eprintln!("launcher: the server ended without a status"),
    }
    std::process::exit(0)
}

/// The `probe_sockets` child mode: for each `label=raw` of `DRUPE_PROBE`, prints what the
/// handle value names in this process (`probe LABEL RAW none`, or `probe LABEL RAW LOCAL
/// PEER`), then every socket it has (`has LOCAL PEER`).
pub(super) fn probe_sockets() -> ! {
    let spec = std::env::var("DRUPE_PROBE").expect("DRUPE_PROBE");
    let show = |s: &SocketInfo| match s.peer {
        Some(p) => format!("{} {p}", s.local),
        None => format!("{} -", s.local),
    };
    for item in spec.split(',') {
        let (label, raw) = item.split_once('=').expect("label=raw");
        let raw: RawSocket = raw.parse().expect("a handle value");
        match inspect::socket_info(raw) {
            Some(s) => println!("probe {label} {raw} {}", show(&s)),
            None => println!("probe {label} {raw} none"),
        }
    }
    for s in inspect::sockets() {
        println!("has {}", show(&s));
    }
    std::process::exit(0)
}

/// What the probe child said about `label`: the local address of the socket the value names
/// there, if it names one.
fn probed(stdout: &str, label: &str) -> Option<SocketAddr> {
    let line = stdout
        .lines()
        .find(|l| l.split(' ').nth(1) == Some(label))
        .unwrap_or_else(|| panic!("{label} was not probed:\n{stdout}"));
    line.split(' ').nth(3).and_then(|a| a.parse().ok())
}

fn raw(listener: &Listener) -> RawSocket {
    let Listener::Tcp(l) = listener;
    l.as_raw_socket()
}

/// A child process, started with handle inheritance on (std's `Command` inherits every
/// inheritable handle), cannot use drupe's sockets: not the listening socket of a server,
/// not a connection it accepted (nor drupe's duplicate of it), not a listener from
/// `net::bind` nor its `try_clone`. Sockets this test makes inheritable on purpose, a
/// listener and an accepted connection, are usable in the same child: the probe can see
/// an inherited socket.
#[test]
fn a_child_process_cannot_use_drupes_sockets() {
    let me = here!();
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let engine = engine_on(&bind, Duration::from_secs(5));
    engine.start().unwrap();
    // A connection the server accepted and answered on, kept open.
    let mut client = TcpStream::connect(&bind).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    write!(client, "GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let mut answer = [0u8; 1024];
    let n = client.read(&mut answer).unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200"));
    let client_addr = client.local_addr().unwrap();
    // The server's sockets, found by their addresses among this process's handles.
    let server: Vec<SocketInfo> = inspect::sockets()
        .into_iter()
        .filter(|s| s.local.port() == port)
        .collect();
    let listening: Vec<&SocketInfo> = server.iter().filter(|s| s.peer.is_none()).collect();
    let accepted: Vec<&SocketInfo> = server
        .iter()
        .filter(|s| s.peer == Some(client_addr))
        .collect();
    assert!(!listening.is_empty(), "the server's listener: {server:?}");
    assert!(!accepted.is_empty(), "the accepted connection: {server:?}");
    let bound = drupe::net::bind(&"127.0.0.1:0".parse().unwrap(), Duration::ZERO).unwrap();
    let cloned = bound.try_clone().unwrap();
    // The control: inheritable on purpose.
    let control = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    control.set_no_inherit(false).unwrap();
    control
        .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    control.listen(8).unwrap();
    let control_addr = control.local_addr().unwrap().as_socket().unwrap();
    let _control_client = TcpStream::connect(control_addr).unwrap();
    let (control_conn, _) = control.accept().unwrap();
    control_conn.set_no_inherit(false).unwrap();
    let control_conn_addr = control_conn.local_addr().unwrap().as_socket().unwrap();

    let mut values: Vec<(String, RawSocket)> = vec![
        ("bound".into(), raw(&bound)),
        ("cloned".into(), raw(&cloned)),
        ("control_listener".into(), control.as_raw_socket()),
        ("control_conn".into(), control_conn.as_raw_socket()),
    ];
    for (i, s) in listening.iter().enumerate() {
        values.push((format!("server_listener{i}"), s.raw));
    }
    for (i, s) in accepted.iter().enumerate() {
        values.push((format!("accepted{i}"), s.raw));
    }
    let spec: Vec<String> = values.iter().map(|(l, r)| format!("{l}={r}")).collect();
    let out = me
        .command("probe_sockets")
        .env("DRUPE_PROBE", spec.join(","))
        .output()
        .unwrap();
    engine.exit();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );

    assert_eq!(
        probed(&stdout, "control_listener"),
        Some(control_addr),
        "{stdout}"
    );
    assert_eq!(
        probed(&stdout, "control_conn"),
        Some(control_conn_addr),
        "{stdout}"
    );
    let drupes = [
        port,
        bound.local_addr().unwrap().port(),
        cloned.local_addr().unwrap().port(),
    ];
    for (label, _) in &values {
        if label.starts_with("control") {
            continue;
        }
        // The value may name a socket of the child's own, never one on drupe's ports.
        if let Some(local) = probed(&stdout, label) {
            assert!(!drupes.contains(&local.port()), "{label}: {stdout}");
        }
    }
    let has: Vec<&str> = stdout.lines().filter(|l| l.starts_with("has ")).collect();
    for line in &has {
        let local: SocketAddr = line.split(' ').nth(1).unwrap().parse().unwrap();
        assert!(!drupes.contains(&local.port()), "{line}:\n{stdout}");
    }
    assert!(
        has.iter()
            .any(|l| l.starts_with(&format!("has {control_addr} -"))),
        "{stdout}"
    );
}

/// `unix:` addresses: refused when parsed, when bound, and by `App::serve` (status 64),
/// each time with the reason and what to do instead.
#[test]
fn unix_addresses_are_refused_with_the_reason() {
    let me = here!();
    let path = r"C:\drupe\app.sock";
    let reason = format!(
        "`unix:{path}` is a Unix domain socket, and drupe does not serve on those on \
         Windows: listen on a TCP address instead, such as 127.0.0.1:8080."
    );
    let err = format!("unix:{path}").parse::<BindAddr>().unwrap_err();
    assert_eq!(err.to_string(), reason);
    let err = drupe::net::bind(&BindAddr::Unix(PathBuf::from(path)), Duration::ZERO).unwrap_err();
    assert_eq!(err.to_string(), reason);
    let out = me
        .command("serve")
        .env("DRUPE_BIND", format!("unix:{path}"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
    assert!(stderr.contains(&reason), "{stderr}");
    // Refused before anything started.
    assert!(!stderr.contains("Bus STARTING"), "{stderr}");
}
