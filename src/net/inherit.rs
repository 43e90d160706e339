//! The listening socket kept across a re-execution (Unix): a restart (SIGHUP with
//! `engine.restart_on_sighup`, the Autoreloader) refuses no connection.
//!
//! The stopping server keeps a handle on its socket ([`keep_for_exec`]) instead of closing it:
//! connections that arrive meanwhile wait in the socket's backlog. Just before the `exec`,
//! [`exec_env`] clears close-on-exec on that handle and names it in `DRUPE_LISTENER`
//! (`PID:FD:ADDRESS`: this process's id, which `exec` keeps, the descriptor, and the address
//! the server was asked for). The new program's server, asked for the same address, adopts
//! the descriptor ([`adopt`]) after checking that it is a listening stream socket, makes it
//! close-on-exec again and removes the variable, so no process it starts inherits either.

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use socket2::{Domain, SockRef, Type};

use super::{BindAddr, BindError, Listener};

/// The variable that names the kept socket.
const VAR: &str = "DRUPE_LISTENER";

/// The socket kept for the re-execution, and the address it was asked for.
static KEPT: Mutex<Option<(socket2::Socket, String)>> = Mutex::new(None);

/// Whether the inherited socket was adopted: it is owned once.
static ADOPTED: AtomicBool = AtomicBool::new(false);

/// Keeps a handle on `listener` for the program about to be executed, which will be asked for
/// `asked`.
pub(crate) fn keep_for_exec(listener: &Listener, asked: &BindAddr) -> std::io::Result<()> {
    let dup = match listener {
        Listener::Tcp(l) => SockRef::from(l).try_clone()?,
        Listener::Unix(l, _) => SockRef::from(l).try_clone()?,
    };
    *KEPT.lock().unwrap_or_else(|e| e.into_inner()) = Some((dup, asked.to_string()));
    Ok(())
}

/// The variable to give the executed program, with close-on-exec cleared on the kept
/// socket; `None` when none is kept (or it cannot be passed: then the program binds anew).
pub(crate) fn exec_env() -> Option<(&'static str, String)> {
    let kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
    let (socket, asked) = kept.as_ref()?;
    if let Err(e) = socket.set_cloexec(false) {
        tracing::warn!(target: "ENGINE", "cannot pass the listening socket on: {e}");
        return None;
    }
    let value = format!("{}:{}:{asked}", std::process::id(), socket.as_raw_fd());
    Some((VAR, value))
}

/// The socket the program before the re-execution kept, if it was asked for `asked`.
pub(crate) fn adopt(asked: &BindAddr) -> Option<Result<Listener, BindError>> {
    let value = std::env::var(VAR).ok()?;
    let mut parts = value.splitn(3, ':');
    let pid = parts.next()?.parse::<u32>().ok()?;
    let fd = parts.next()?.parse::<RawFd>().ok()?;
    let addr = parts.next()?;
    if pid != std::process::id() || addr != asked.to_string() {
        return None;
    }
    if ADOPTED.swap(true, Ordering::SeqCst) {
        return None;
    }
    // SAFETY: std's environment lock serializes this with every `std::env` read and write in
    // the process; what it cannot serialize is C code reading the environment on another
    // thread at this instant. This runs once, in the engine's first start, before any server
    // thread exists; drupe's one other thread then, the signal listener, only waits for
    // signals.
    unsafe { std::env::remove_var(VAR) };
    Some(take(fd, asked))
}

fn take(fd: RawFd, asked: &BindAddr) -> Result<Listener, BindError> {
    let refuse = |what: String| BindError::Io {
        addr: asked.to_string(),
        source: std::io::Error::other(format!(
            "descriptor {fd} passed by the program before the restart: {what}"
        )),
    };
    {
        // SAFETY: the variable names this process (the pid `exec` kept) and a descriptor the
        // program before the `exec` left open for it; the borrow ends with this block. Were it
        // wrong, the calls below only read socket options and report the OS's error.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let socket = SockRef::from(&borrowed);
        let kind = socket
            .r#type()
            .map_err(|e| refuse(format!("not a socket ({e})")))?;
        if kind != Type::STREAM {
            return Err(refuse(format!("its type is {kind:?}")));
        }
        #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
        if !socket.is_listener().unwrap_or(false) {
            return Err(refuse("it does not listen".into()));
        }
        let family = socket
            .local_addr()
            .map_err(|e| refuse(format!("its address cannot be read ({e})")))?
            .domain();
        let fits = match asked {
            BindAddr::Tcp(_) => family == Domain::IPV4 || family == Domain::IPV6,
            BindAddr::Unix(_) => family == Domain::UNIX,
            BindAddr::Systemd => true,
        };
        if !fits {
            return Err(refuse(format!("its family {family:?} is not {asked}'s")));
        }
    }
    // SAFETY: checked above to be an open socket of this process; `ADOPTED` makes this the
    // only `OwnedFd` ever made from it, and nothing else in the process knows the number.
    let socket = socket2::Socket::from(unsafe { OwnedFd::from_raw_fd(fd) });
    let io = |e: std::io::Error| refuse(e.to_string());
    socket.set_cloexec(true).map_err(io)?;
    socket.set_nonblocking(true).map_err(io)?;
    let local = socket.local_addr().map_err(io)?;
    Ok(match (local.domain(), asked) {
        (Domain::UNIX, BindAddr::Unix(path)) => Listener::Unix(socket.into(), path.clone()),
        (Domain::UNIX, _) => Listener::Unix(
            socket.into(),
            local
                .as_pathname()
                .map_or_else(|| std::path::PathBuf::from("(unnamed)"), Into::into),
        ),
        _ => Listener::Tcp(socket.into()),
    })
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsRawFd;

    use super::take;
    use crate::net::BindAddr;

    /// A descriptor that is no listening socket is refused with what it is, never adopted.
    #[test]
    fn what_is_not_a_listening_socket_is_refused() {
        let asked = BindAddr::Tcp("127.0.0.1:0".into());
        let file = tempfile::tempfile().unwrap();
        let err = take(file.as_raw_fd(), &asked).expect_err("a file is refused");
        assert!(err.to_string().contains("not a socket"), "{err}");
        // A stream socket that never listened (Linux tells).
        let idle =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        #[cfg(target_os = "linux")]
        {
            let err = take(idle.as_raw_fd(), &asked).expect_err("refused");
            assert!(err.to_string().contains("does not listen"), "{err}");
        }
        drop(idle);
        // A listening socket of another family than the address asked for.
        let listener = crate::net::tcp_listener("127.0.0.1:0".parse().unwrap()).unwrap();
        let unix = BindAddr::Unix("/tmp/never.sock".into());
        let fd = listener.as_raw_fd();
        let err = take(fd, &unix).expect_err("refused");
        assert!(
            err.to_string().contains("is not unix:/tmp/never.sock's"),
            "{err}"
        );
        // A server started by systemd that restarts: asked for `systemd`, it adopts the TCP
        // socket it kept (the new program owns the descriptor from here).
        let addr = listener.local_addr().unwrap();
        let fd = std::os::fd::IntoRawFd::into_raw_fd(listener);
        match take(fd, &BindAddr::Systemd) {
            Ok(crate::net::Listener::Tcp(l)) => assert_eq!(l.local_addr().unwrap(), addr),
            other => panic!("not adopted: {other:?}"),
        }
    }
}
