//! Socket creation and options, per OS.

use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Protocol, SockRef, Socket, Type};

/// The listen backlog (Cheroot's default of 5 drops connections under load).
pub(crate) const BACKLOG: i32 = 1024;

/// A TCP listener on `addr` with drupe's options (see the module table).
pub(crate) fn tcp_listener(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    // socket2 creates the socket non-inheritable: SOCK_CLOEXEC on Unix,
    // WSA_FLAG_NO_HANDLE_INHERIT on Windows.
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    #[cfg(windows)]
    socket.set_no_inherit(true)?;
    #[cfg(unix)]
    if addr.port() != 0 {
        // Lets a restarted server bind while old connections sit in TIME_WAIT. Not for port 0,
        // where it could hand out a port another socket still uses (cheroot #114).
        socket.set_reuse_address(true)?;
    }
    #[cfg(windows)]
    windows::set_exclusive_addr_use(&socket)?;
    if let SocketAddr::V6(v6) = addr
        && v6.ip().is_unspecified()
    {
        // `::` serves IPv4 clients too (as v4-mapped addresses).
        socket.set_only_v6(false)?;
    }
    socket.set_tcp_nodelay(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// A Unix domain socket listener at `path`.
///
/// A socket file already there is removed only when it is stale: if something accepts a
/// connection on it, a server is using it and binding fails with an error naming the path
/// (removing the file would silently take the address from a live server); if the connection
/// is refused, nothing listens and the file is replaced.
#[cfg(unix)]
pub(crate) fn unix_listener(
    path: &std::path::Path,
) -> io::Result<std::os::unix::net::UnixListener> {
    use std::os::unix::fs::FileTypeExt;
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", path.display()),
            ));
        }
        match std::os::unix::net::UnixStream::connect(path) {
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!(
                        "{} is in use: a server is accepting connections on it. Stop it, or \
                         pick another path.",
                        path.display()
                    ),
                ));
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                std::fs::remove_file(path)?;
            }
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!(
                        "cannot tell whether {} is in use ({e}): it was left in place",
                        path.display()
                    ),
                ));
            }
        }
    }
    let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
    socket.bind(&socket2::SockAddr::unix(path)?)?;
    socket.listen(BACKLOG)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// Marks an accepted connection non-inheritable (a child process spawned by a handler must not
/// keep a client's connection, nor the server's port, open) and sets `TCP_NODELAY`.
pub(super) fn mark_accepted(stream: &actix_rt::net::TcpStream) {
    let s = SockRef::from(stream);
    #[cfg(windows)]
    if let Err(e) = s.set_no_inherit(true) {
        tracing::warn!("cannot mark a connection non-inheritable: {e}");
    }
    let _ = s.set_tcp_nodelay(true);
}

#[cfg(windows)]
mod windows {
    use std::io;
    use std::os::windows::io::AsRawSocket;

    use windows_sys::Win32::Networking::WinSock::{
        SO_EXCLUSIVEADDRUSE, SOCKET, SOCKET_ERROR, SOL_SOCKET, WSA_ERROR, WSAGetLastError,
        getsockopt, setsockopt,
    };
    use windows_sys::core::BOOL;

    /// `SO_EXCLUSIVEADDRUSE`: no other socket may bind this address, whatever options it sets.
    /// socket2 has no setter for it.
    pub(super) fn set_exclusive_addr_use(socket: &socket2::Socket) -> io::Result<()> {
        let raw: SOCKET = socket.as_raw_socket() as SOCKET;
        let on: BOOL = 1;
        // SAFETY: `raw` is the open socket owned by `socket`, alive for this call; `optval`
        // points at a live `BOOL` and `optlen` is its exact size, as setsockopt requires for
        // a BOOL option.
        let rc: i32 = unsafe {
            setsockopt(
                raw,
                SOL_SOCKET,
                SO_EXCLUSIVEADDRUSE,
                (&on as *const BOOL).cast::<u8>(),
                std::mem::size_of::<BOOL>() as i32,
            )
        };
        check(rc)
    }

    /// Reads `SO_EXCLUSIVEADDRUSE` back.
    pub(super) fn exclusive_addr_use(listener: &std::net::TcpListener) -> io::Result<bool> {
        let raw: SOCKET = listener.as_raw_socket() as SOCKET;
        let mut value: BOOL = 0;
        let mut len: i32 = std::mem::size_of::<BOOL>() as i32;
        // SAFETY: `raw` is the listener's open socket, alive for this call; `optval` points at
        // a live `BOOL` whose size is in `len`, which getsockopt may update.
        let rc: i32 = unsafe {
            getsockopt(
                raw,
                SOL_SOCKET,
                SO_EXCLUSIVEADDRUSE,
                (&mut value as *mut BOOL).cast::<u8>(),
                &mut len,
            )
        };
        check(rc)?;
        Ok(value != 0)
    }

    /// A WinSock call's result: `SOCKET_ERROR` becomes the thread's last WinSock error.
    fn check(rc: i32) -> io::Result<()> {
        if rc == SOCKET_ERROR {
            // SAFETY: reads the calling thread's last WinSock error; no arguments.
            let code: WSA_ERROR = unsafe { WSAGetLastError() };
            return Err(io::Error::from_raw_os_error(code));
        }
        Ok(())
    }
}

/// Reads a socket option back (tests assert options where Wine's behaviour differs).
#[cfg(windows)]
pub fn exclusive_addr_use(listener: &std::net::TcpListener) -> io::Result<bool> {
    windows::exclusive_addr_use(listener)
}
