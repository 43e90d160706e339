//! Listening sockets, correct on Unix and on Windows: the one module that talks to the OS.
//!
//! This module owns how drupe listens: the address forms it accepts ([`BindAddr`]), the
//! socket options per OS, the bounded wait for a busy port and the error that names what holds
//! it ([`BindError`]), systemd socket activation, and the non-inheritance of accepted
//! connections; the listening socket kept across a restart's `exec` (`inherit`, Unix); the
//! process queries the engine's plugins need (is a pid alive, the fork a daemon is made with);
//! on Windows also the console control events (`console`) and what a socket handle value names
//! in a process (`inspect`). It is the only module allowed `unsafe` code (Windows socket
//! options, process and console calls, adopting systemd's and a restart's descriptors, `fork`);
//! every `unsafe` block says why it is sound and every foreign call spells out its exact types.
//!
//! Per OS:
//!
//! | | Unix | Windows |
//! |---|---|---|
//! | inheritance | `SOCK_CLOEXEC` (listening and accepted) | `WSA_FLAG_NO_HANDLE_INHERIT` + `SetHandleInformation` (listening and accepted) |
//! | reuse | `SO_REUSEADDR`, except for port 0 | `SO_EXCLUSIVEADDRUSE`, never `SO_REUSEADDR` |
//! | `::` | dual stack (`IPV6_V6ONLY` off) | dual stack |
//! | both | `TCP_NODELAY`, backlog 1024 | `TCP_NODELAY`, backlog 1024 |

#![allow(unsafe_code)]

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::{Duration, Instant};

mod conn;
#[cfg(windows)]
pub mod console;
mod holder;
#[cfg(unix)]
mod inherit;
#[cfg(windows)]
pub mod inspect;
mod process;
#[cfg(all(feature = "line-coverage", drupe_line_coverage))]
pub(crate) mod profiler;
mod socket;
#[cfg(unix)]
mod systemd;

pub(crate) use conn::{ConnTrack, Connections};
pub use holder::{Holder, port_holder};
#[cfg(unix)]
pub(crate) use inherit::{adopt as adopt_inherited, exec_env, keep_for_exec};
pub(crate) use process::process_alive;
#[cfg(unix)]
pub(crate) use process::{Forked, fork_process, thread_count};
#[cfg(windows)]
pub use socket::exclusive_addr_use;
pub(crate) use socket::tcp_listener;

/// Where to listen.
///
/// ```
/// use drupe::net::BindAddr;
/// assert!(matches!("127.0.0.1:8080".parse::<BindAddr>(), Ok(BindAddr::Tcp(_))));
/// assert!(matches!("[::]:0".parse::<BindAddr>(), Ok(BindAddr::Tcp(_))));
/// assert!(":8080".parse::<BindAddr>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindAddr {
    /// A TCP address, `host:port` (`[v6]:port` for IPv6); port 0 picks a free port.
    Tcp(String),
    /// A Unix domain socket, `unix:/path/to/socket` (Unix only).
    Unix(PathBuf),
    /// The socket systemd passed (`LISTEN_FDS`/`LISTEN_PID`), written `systemd`: checked to
    /// be a listening stream socket (TCP or Unix) before it is adopted, once; the protocol's
    /// variables are then removed from the environment.
    Systemd,
}

impl std::str::FromStr for BindAddr {
    type Err = BindError;
    fn from_str(s: &str) -> Result<Self, BindError> {
        if let Some(path) = s.strip_prefix("unix:") {
            let path = PathBuf::from(path);
            if cfg!(windows) {
                return Err(unix_on_windows(&path));
            }
            return Ok(BindAddr::Unix(path));
        }
        if s == "systemd" {
            return Ok(BindAddr::Systemd);
        }
        let Some((host, port)) = s.rsplit_once(':') else {
            return Err(BindError::Invalid(format!(
                "`{s}` is not an address: write host:port, such as 127.0.0.1:8080."
            )));
        };
        if host.is_empty() {
            return Err(BindError::Invalid(
                "Host values of '' are not allowed. Use '0.0.0.0' (IPv4) or '[::]' (IPv6) to \
                 listen on all interfaces, or '127.0.0.1' for this machine only."
                    .into(),
            ));
        }
        if port.parse::<u16>().is_err() {
            return Err(BindError::Invalid(format!(
                "`{port}` is not a port number."
            )));
        }
        Ok(BindAddr::Tcp(s.to_owned()))
    }
}

impl fmt::Display for BindAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BindAddr::Tcp(a) => f.write_str(a),
            BindAddr::Unix(p) => write!(f, "unix:{}", p.display()),
            BindAddr::Systemd => f.write_str("systemd"),
        }
    }
}

/// Why listening failed.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// The address is malformed.
    #[error("{0}")]
    Invalid(String),
    /// Someone else listens on the port.
    #[error("{}", busy_message(.addr, .holder.as_ref()))]
    InUse {
        /// The address asked for.
        addr: SocketAddr,
        /// Who holds it, when the OS says.
        holder: Option<Holder>,
    },
    /// Nothing to adopt: systemd passed no socket.
    #[error("no socket was passed by systemd (LISTEN_FDS/LISTEN_PID are not set for this process)")]
    NoSystemdSocket,
    /// systemd passed something drupe cannot serve on.
    #[error("cannot serve on the socket systemd passed: {0}")]
    Systemd(String),
    /// Any other failure, with the address.
    #[error("cannot listen on {addr}: {source}")]
    Io {
        /// The address.
        addr: String,
        /// The OS error.
        source: io::Error,
    },
}

/// Why `unix:PATH` is refused on Windows.
fn unix_on_windows(path: &std::path::Path) -> BindError {
    BindError::Invalid(format!(
        "`unix:{}` is a Unix domain socket, and drupe does not serve on those on Windows: \
         listen on a TCP address instead, such as 127.0.0.1:8080.",
        path.display()
    ))
}

fn busy_message(addr: &SocketAddr, holder: Option<&Holder>) -> String {
    let who = match holder {
        Some(h) => format!("process {} ({}) is listening on it", h.pid, h.name),
        None => "another process is listening on it (the OS did not say which)".to_owned(),
    };
    let free = match addr {
        SocketAddr::V4(a) => format!("{}:0", a.ip()),
        SocketAddr::V6(a) => format!("[{}]:0", a.ip()),
    };
    format!(
        "Port {port} is in use on {ip} (address {addr}): {who}. Stop it, or pick another \
         address: --bind {free} chooses a free port.",
        port = addr.port(),
        ip = addr.ip(),
    )
}

/// A bound, listening socket.
#[derive(Debug)]
pub enum Listener {
    /// TCP.
    Tcp(std::net::TcpListener),
    /// A Unix domain socket and its path.
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixListener, PathBuf),
}

impl Listener {
    /// `http://127.0.0.1:8080`, `http://[::]:8080` (IPv6 in brackets, the real port for
    /// port 0), or `unix:/path`.
    pub fn url(&self) -> String {
        match self {
            Listener::Tcp(l) => match l.local_addr() {
                Ok(a) => format!("http://{a}"),
                Err(_) => "http://?".to_owned(),
            },
            #[cfg(unix)]
            Listener::Unix(_, p) => format!("unix:{}", p.display()),
        }
    }

    /// The local TCP address.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        match self {
            Listener::Tcp(l) => l.local_addr().ok(),
            #[cfg(unix)]
            Listener::Unix(..) => None,
        }
    }

    /// A second handle on the same listening socket, non-inheritable like the first: a server
    /// started on it accepts from the same queue, and the socket stays open (the port held)
    /// until every handle is closed. This is how a graceful restart hands the socket from one
    /// server to the next without refusing a connection.
    ///
    /// ```
    /// use std::time::Duration;
    /// let first = drupe::net::bind(&"127.0.0.1:0".parse().unwrap(), Duration::ZERO).unwrap();
    /// let second = first.try_clone().unwrap();
    /// let addr = first.local_addr().unwrap();
    /// drop(first);
    /// assert_eq!(second.local_addr(), Some(addr));
    /// std::net::TcpStream::connect(addr).expect("still listening");
    /// ```
    pub fn try_clone(&self) -> io::Result<Listener> {
        // socket2 duplicates non-inheritable (`F_DUPFD_CLOEXEC`, `WSA_FLAG_NO_HANDLE_INHERIT`).
        let dup = |s: socket2::SockRef<'_>| {
            let d = s.try_clone()?;
            d.set_nonblocking(true)?;
            Ok::<_, io::Error>(d)
        };
        Ok(match self {
            Listener::Tcp(l) => Listener::Tcp(dup(socket2::SockRef::from(l))?.into()),
            #[cfg(unix)]
            Listener::Unix(l, path) => {
                Listener::Unix(dup(socket2::SockRef::from(l))?.into(), path.clone())
            }
        })
    }
}

/// Listens on `addr`, waiting up to `wait` for a busy port to free, then failing with the
/// holder's pid and name where the OS says.
pub fn bind(addr: &BindAddr, wait: Duration) -> Result<Listener, BindError> {
    match addr {
        BindAddr::Tcp(a) => bind_tcp(a, wait).map(Listener::Tcp),
        #[cfg(unix)]
        BindAddr::Unix(path) => socket::unix_listener(path)
            .map(|l| Listener::Unix(l, path.clone()))
            .map_err(|source| BindError::Io {
                addr: addr.to_string(),
                source,
            }),
        #[cfg(not(unix))]
        BindAddr::Unix(path) => Err(unix_on_windows(path)),
        #[cfg(unix)]
        BindAddr::Systemd => systemd::adopt(),
        #[cfg(not(unix))]
        BindAddr::Systemd => Err(BindError::NoSystemdSocket),
    }
}

fn bind_tcp(addr: &str, wait: Duration) -> Result<std::net::TcpListener, BindError> {
    let io = |source| BindError::Io {
        addr: addr.to_owned(),
        source,
    };
    let candidates: Vec<SocketAddr> = addr.to_socket_addrs().map_err(io)?.collect();
    let deadline = Instant::now() + wait;
    // Cheroot's rule: try the resolved addresses in order, the first that binds wins.
    loop {
        let mut busy = None;
        let mut last = None;
        for a in &candidates {
            match tcp_listener(*a) {
                Ok(l) => return Ok(l),
                Err(e) if e.kind() == io::ErrorKind::AddrInUse => busy = Some(*a),
                Err(e) => last = Some(e),
            }
        }
        match (busy, last) {
            (Some(_), _) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(100));
            }
            (Some(a), _) => {
                return Err(BindError::InUse {
                    addr: a,
                    holder: port_holder(a),
                });
            }
            (None, Some(e)) => return Err(io(e)),
            (None, None) => {
                return Err(BindError::Invalid(format!(
                    "`{addr}` resolves to no address."
                )));
            }
        }
    }
}
