//! What a raw socket value names in this process (Windows): the check that shows a process did
//! or did not inherit another's socket.
//!
//! A handle keeps its value when a child process inherits it, so a parent can tell a child
//! which values to look at; [`socket_info`] answers, in the child, whether the value is a
//! socket there and where it is bound. It asks with `getsockname`, which works on any socket
//! of the process, inherited ones included (Wine's `getsockopt` and `getpeername` refuse
//! sockets the process did not create itself).

use std::net::SocketAddr;
use std::os::windows::io::RawSocket;

use socket2::SockAddr;
use windows_sys::Win32::Networking::WinSock::{
    SOCKADDR, SOCKET, SOCKET_ERROR, WSA_ERROR, WSADATA, WSAGetLastError, WSAStartup, getpeername,
    getsockname,
};

/// A socket of this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketInfo {
    /// Its handle value.
    pub raw: RawSocket,
    /// The address it is bound to.
    pub local: SocketAddr,
    /// The address it is connected to (`None` for a listening or unconnected socket, and
    /// under Wine for a socket the process inherited).
    pub peer: Option<SocketAddr>,
}

/// The socket `raw` names in this process, if it names an IPv4 or IPv6 socket here (`None`:
/// no such handle, or not a socket, `WSAENOTSOCK`).
///
/// ```
/// use std::os::windows::io::AsRawSocket;
/// let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// let info = drupe::net::inspect::socket_info(l.as_raw_socket()).unwrap();
/// assert_eq!(info.local, l.local_addr().unwrap());
/// assert_eq!(info.peer, None);
/// ```
pub fn socket_info(raw: RawSocket) -> Option<SocketInfo> {
    winsock();
    let socket = SOCKET::try_from(raw).ok()?;
    let local = address(socket, Side::Local)?;
    Some(SocketInfo {
        raw,
        local,
        peer: address(socket, Side::Peer),
    })
}

/// Every IPv4 and IPv6 socket of this process, found by asking every handle value below
/// 2^16 (a process's handle values are small multiples of 4, reused lowest first).
pub fn sockets() -> Vec<SocketInfo> {
    (1..1 << 14)
        .filter_map(|i: RawSocket| socket_info(i * 4))
        .collect()
}

/// Starts WinSock for this process, once: a child that has opened no socket yet must still
/// be able to ask about one it inherited.
fn winsock() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let mut data = std::mem::MaybeUninit::<WSADATA>::uninit();
        // SAFETY: `data` is writable for a WSADATA, which the call fills; 0x0202 asks for
        // version 2.2. The matching WSACleanup is never called: WinSock stays up for the
        // process, as std's own start-up leaves it.
        let _rc: i32 = unsafe { WSAStartup(0x0202, data.as_mut_ptr()) };
    });
}

#[derive(Clone, Copy)]
enum Side {
    Local,
    Peer,
}

fn address(socket: SOCKET, side: Side) -> Option<SocketAddr> {
    // SAFETY: `try_init` hands a zeroed address buffer and its size; getsockname and
    // getpeername write at most that many bytes and the length written. Any SOCKET value is
    // valid input: one that names no socket of this process fails with WSAENOTSOCK.
    let got = unsafe {
        SockAddr::try_init(|storage, len| {
            let name = storage.cast::<SOCKADDR>();
            let rc: i32 = match side {
                Side::Local => getsockname(socket, name, len),
                Side::Peer => getpeername(socket, name, len),
            };
            if rc == SOCKET_ERROR {
                let code: WSA_ERROR = WSAGetLastError();
                return Err(std::io::Error::from_raw_os_error(code));
            }
            Ok(())
        })
    };
    got.ok()?.1.as_socket()
}
