//! systemd socket activation: adopt the listening socket passed as descriptor 3.

use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};

use super::BindError;

/// The first descriptor systemd passes (`SD_LISTEN_FDS_START`).
const FIRST_FD: i32 = 3;

/// Whether descriptor 3 was adopted already: it is owned once.
static ADOPTED: AtomicBool = AtomicBool::new(false);

/// Adopts systemd's socket when `LISTEN_PID` is this process and `LISTEN_FDS` ≥ 1.
pub(super) fn adopt() -> Result<std::net::TcpListener, BindError> {
    let pid_matches = std::env::var("LISTEN_PID")
        .ok()
        .and_then(|p| p.parse::<u32>().ok())
        == Some(std::process::id());
    let count = std::env::var("LISTEN_FDS")
        .ok()
        .and_then(|n| n.parse::<i32>().ok())
        .unwrap_or(0);
    // Children never adopt it: LISTEN_PID names this process, not theirs.
    if !pid_matches || count < 1 || ADOPTED.swap(true, Ordering::SeqCst) {
        return Err(BindError::NoSystemdSocket);
    }
    // SAFETY: systemd's protocol: when LISTEN_PID is our pid and LISTEN_FDS ≥ 1, descriptor 3
    // is open and belongs to this process with no other owner in it; `ADOPTED` makes this the
    // only `OwnedFd` ever made from it.
    let fd = unsafe { OwnedFd::from_raw_fd(FIRST_FD) };
    let socket = socket2::Socket::from(fd);
    let io = |source| BindError::Io {
        addr: "systemd".into(),
        source,
    };
    socket.set_cloexec(true).map_err(io)?;
    socket.set_nonblocking(true).map_err(io)?;
    Ok(socket.into())
}
