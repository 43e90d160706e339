//! systemd socket activation: adopt the listening socket systemd passes as descriptor 3.
//!
//! The protocol (`sd_listen_fds(3)`): `LISTEN_PID` names this process, `LISTEN_FDS` counts the
//! descriptors passed from 3 on, `LISTEN_FDNAMES` names them. Every descriptor passed is
//! checked to be a listening stream socket of a family drupe serves (IPv4, IPv6, Unix) before
//! one is adopted, so a unit file that passes a datagram socket, a socket that does not listen
//! or no socket at all fails the start with the descriptor named, instead of serving nothing.
//! The three variables are removed once read (as `sd_listen_fds(1)` does), so no process this
//! one starts or re-executes adopts a descriptor that is not its own.

use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use socket2::{Domain, SockRef, Type};

use super::{BindError, Listener};

/// The first descriptor systemd passes (`SD_LISTEN_FDS_START`).
const FIRST_FD: RawFd = 3;

/// The variables of the protocol, removed once read.
const VARIABLES: [&str; 3] = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"];

/// Whether the descriptors were taken already: they are owned once.
static ADOPTED: AtomicBool = AtomicBool::new(false);

/// Adopts systemd's socket when `LISTEN_PID` is this process and `LISTEN_FDS` ≥ 1.
pub(super) fn adopt() -> Result<Listener, BindError> {
    let pid_matches = std::env::var("LISTEN_PID")
        .ok()
        .and_then(|p| p.parse::<u32>().ok())
        == Some(std::process::id());
    let count = std::env::var("LISTEN_FDS")
        .ok()
        .and_then(|n| n.parse::<RawFd>().ok())
        .unwrap_or(0);
    // Children never adopt them: LISTEN_PID names this process, not theirs.
    if !pid_matches || count < 1 || ADOPTED.swap(true, Ordering::SeqCst) {
        return Err(BindError::NoSystemdSocket);
    }
    for name in VARIABLES {
        // SAFETY: std's environment lock serializes this with every `std::env` read and write
        // in the process; what it cannot serialize is C code reading the environment on
        // another thread at this instant. This runs once, in the engine's start, before any
        // server thread exists; drupe's one other thread then, the signal listener, only
        // waits for signals.
        unsafe { std::env::remove_var(name) };
    }
    let mut kinds = Vec::new();
    for fd in FIRST_FD..FIRST_FD.saturating_add(count) {
        kinds.push(check(fd)?);
    }
    if count > 1 {
        return Err(BindError::Systemd(format!(
            "systemd passed {count} sockets and drupe serves on one: give the socket unit a \
             single Listen line"
        )));
    }
    // SAFETY: systemd's protocol: when LISTEN_PID is our pid and LISTEN_FDS ≥ 1, descriptor 3
    // is open and belongs to this process with no other owner in it (checked to be a socket
    // just above); `ADOPTED` makes this the only `OwnedFd` ever made from it.
    let fd = unsafe { OwnedFd::from_raw_fd(FIRST_FD) };
    let socket = socket2::Socket::from(fd);
    let io = |e: std::io::Error| BindError::Systemd(format!("descriptor {FIRST_FD}: {e}"));
    socket.set_cloexec(true).map_err(io)?;
    socket.set_nonblocking(true).map_err(io)?;
    Ok(match kinds.remove(0) {
        Kind::Tcp => Listener::Tcp(socket.into()),
        Kind::Unix(path) => Listener::Unix(socket.into(), path),
    })
}

/// What a passed descriptor holds.
enum Kind {
    Tcp,
    Unix(PathBuf),
}

/// Checks that `fd` is a listening stream socket drupe can serve on.
fn check(fd: RawFd) -> Result<Kind, BindError> {
    // SAFETY: systemd's protocol: descriptors 3 to 3 + LISTEN_FDS - 1 are open in this process
    // and stay open (nothing closes them before they are adopted); the borrow ends with this
    // function. Were the environment lying, the calls below only read socket options and
    // report the OS's error.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    let socket = SockRef::from(&borrowed);
    let refuse = |what: String| {
        BindError::Systemd(format!(
            "descriptor {fd} is not a listening stream socket: {what}"
        ))
    };
    let kind = socket
        .r#type()
        .map_err(|e| refuse(format!("it is not a socket ({e})")))?;
    if kind != Type::STREAM {
        return Err(refuse(format!("its type is {kind:?}")));
    }
    let local = socket
        .local_addr()
        .map_err(|e| refuse(format!("its address cannot be read ({e})")))?;
    // socket2 reads SO_ACCEPTCONN only where the OS has it.
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    if !socket
        .is_listener()
        .map_err(|e| refuse(format!("SO_ACCEPTCONN cannot be read ({e})")))?
    {
        return Err(refuse(
            "it is a stream socket on which listen() was never called".into(),
        ));
    }
    match local.domain() {
        Domain::IPV4 | Domain::IPV6 => Ok(Kind::Tcp),
        Domain::UNIX => Ok(Kind::Unix(
            local
                .as_pathname()
                .map_or_else(|| PathBuf::from("(unnamed, from systemd)"), Into::into),
        )),
        other => Err(refuse(format!("its family is {other:?}"))),
    }
}
