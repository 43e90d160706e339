//! Who holds a port: what a user otherwise learns with `ss -ltnp` or `netstat -ano`.
//!
//! Linux: the listening socket's inode from `/proc/net/tcp{,6}`, then the process whose
//! `/proc/<pid>/fd` links to `socket:[inode]`, and its name from `/proc/<pid>/comm`.
//! Windows: `GetExtendedTcpTable` (iphlpapi) for the owning pid, the image name from
//! `QueryFullProcessImageNameW`. Elsewhere: unknown.

use std::net::SocketAddr;

/// A process holding a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// Its process id.
    pub pid: u32,
    /// Its name (`comm` on Linux, the executable's file name on Windows).
    pub name: String,
}

/// The process listening on `addr`'s port, when the OS tells (and lets us see it).
pub fn port_holder(addr: SocketAddr) -> Option<Holder> {
    imp::port_holder(addr)
}

#[cfg(target_os = "linux")]
mod imp {
    use std::net::SocketAddr;

    use super::Holder;

    /// TCP state `LISTEN` in `/proc/net/tcp`.
    const LISTEN: &str = "0A";

    pub(super) fn port_holder(addr: SocketAddr) -> Option<Holder> {
        let inodes = listening_inodes(addr.port());
        if inodes.is_empty() {
            return None;
        }
        let wanted: Vec<String> = inodes.iter().map(|i| format!("socket:[{i}]")).collect();
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
                continue;
            };
            for fd in fds.flatten() {
                let Ok(target) = std::fs::read_link(fd.path()) else {
                    continue;
                };
                if wanted.iter().any(|w| target.as_os_str() == w.as_str()) {
                    let name = std::fs::read_to_string(entry.path().join("comm"))
                        .map(|s| s.trim().to_owned())
                        .unwrap_or_else(|_| "?".to_owned());
                    return Some(Holder { pid, name });
                }
            }
        }
        None
    }

    /// Inodes of the sockets listening on `port`, IPv4 and IPv6.
    fn listening_inodes(port: u16) -> Vec<u64> {
        let mut out = Vec::new();
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            let Ok(text) = std::fs::read_to_string(table) else {
                continue;
            };
            out.extend(parse_table(&text, port));
        }
        out
    }

    /// Lines look like `0: 0100007F:1F90 00000000:0000 0A ... uid timeout inode ...`.
    pub(super) fn parse_table(text: &str, port: u16) -> Vec<u64> {
        text.lines()
            .skip(1)
            .filter_map(|line| {
                let f: Vec<&str> = line.split_whitespace().collect();
                let local = f.get(1)?;
                let state = f.get(3)?;
                let inode = f.get(9)?.parse::<u64>().ok()?;
                let p = u16::from_str_radix(local.rsplit_once(':')?.1, 16).ok()?;
                (p == port && *state == LISTEN && inode != 0).then_some(inode)
            })
            .collect()
    }
}

#[cfg(windows)]
mod imp {
    use std::net::SocketAddr;

    use windows_sys::Win32::Foundation::{CloseHandle, FALSE, HANDLE, NO_ERROR};
    use windows_sys::Win32::NetworkManagement::IpHelper::{
        GetExtendedTcpTable, MIB_TCP6ROW_OWNER_PID, MIB_TCPROW_OWNER_PID,
        TCP_TABLE_OWNER_PID_LISTENER,
    };
    use windows_sys::Win32::Networking::WinSock::{AF_INET, AF_INET6};
    use windows_sys::Win32::System::Threading::{
        OpenProcess, PROCESS_NAME_WIN32, PROCESS_QUERY_LIMITED_INFORMATION,
        QueryFullProcessImageNameW,
    };
    use windows_sys::core::BOOL;

    use super::Holder;

    pub(super) fn port_holder(addr: SocketAddr) -> Option<Holder> {
        let port = addr.port();
        let pid = listener_pid(u32::from(AF_INET), port)
            .or_else(|| listener_pid(u32::from(AF_INET6), port))?;
        // Pid 0 is no owner (Wine reports it for every socket): unknown.
        if pid == 0 {
            return None;
        }
        Some(Holder {
            pid,
            name: process_name(pid).unwrap_or_else(|| "?".to_owned()),
        })
    }

    /// The pid owning a listening socket on `port` in the table of one address family.
    fn listener_pid(family: u32, port: u16) -> Option<u32> {
        let mut size: u32 = 0;
        // SAFETY: a null table with `size` 0 asks for the size needed; `size` is a live u32.
        unsafe {
            GetExtendedTcpTable(
                std::ptr::null_mut(),
                &mut size,
                FALSE,
                family,
                TCP_TABLE_OWNER_PID_LISTENER,
                0,
            )
        };
        if size == 0 {
            return None;
        }
        // u32 elements keep the buffer aligned for the table's u32 fields.
        let mut buf: Vec<u32> = vec![0; (size as usize).div_ceil(4) + 1];
        size = (buf.len() * 4) as u32;
        // SAFETY: `buf` is writable for `size` bytes and u32-aligned, as the table needs.
        let rc: u32 = unsafe {
            GetExtendedTcpTable(
                buf.as_mut_ptr().cast::<core::ffi::c_void>(),
                &mut size,
                FALSE,
                family,
                TCP_TABLE_OWNER_PID_LISTENER,
                0,
            )
        };
        if rc != NO_ERROR {
            return None;
        }
        let count = buf[0] as usize;
        let rows = &buf[1..];
        // Each row's u32 slots, located from the row type's own layout: its size, the local
        // port (network byte order in the low 16 bits) and the owning pid.
        let (per, port_at, pid_at) = if family == u32::from(AF_INET) {
            (
                std::mem::size_of::<MIB_TCPROW_OWNER_PID>() / 4,
                std::mem::offset_of!(MIB_TCPROW_OWNER_PID, dwLocalPort) / 4,
                std::mem::offset_of!(MIB_TCPROW_OWNER_PID, dwOwningPid) / 4,
            )
        } else {
            (
                std::mem::size_of::<MIB_TCP6ROW_OWNER_PID>() / 4,
                std::mem::offset_of!(MIB_TCP6ROW_OWNER_PID, dwLocalPort) / 4,
                std::mem::offset_of!(MIB_TCP6ROW_OWNER_PID, dwOwningPid) / 4,
            )
        };
        (0..count).find_map(|i| {
            let r = rows.get(i * per..(i + 1) * per)?;
            (u16::from_be((r[port_at] & 0xffff) as u16) == port).then_some(r[pid_at])
        })
    }

    fn process_name(pid: u32) -> Option<String> {
        // SAFETY: plain call with a pid; the returned HANDLE is checked for null below.
        let h: HANDLE = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid) };
        if h.is_null() {
            return None;
        }
        let mut name = [0u16; 1024];
        let mut len: u32 = name.len() as u32;
        // SAFETY: `h` is an open process handle; `name` is writable for `len` u16s, and `len`
        // receives the length written.
        let ok: BOOL = unsafe {
            QueryFullProcessImageNameW(h, PROCESS_NAME_WIN32, name.as_mut_ptr(), &mut len)
        };
        // SAFETY: `h` was opened above and is closed once.
        unsafe { CloseHandle(h) };
        if ok == FALSE {
            return None;
        }
        let path = String::from_utf16_lossy(&name[..len as usize]);
        Some(path.rsplit(['\\', '/']).next().unwrap_or(&path).to_owned())
    }
}

#[cfg(not(any(target_os = "linux", windows)))]
mod imp {
    pub(super) fn port_holder(_: std::net::SocketAddr) -> Option<super::Holder> {
        None
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn parses_proc_net_tcp() {
        let text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0\n   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 999 1 0000000000000000 100 0 0 10 0\n";
        assert_eq!(super::imp::parse_table(text, 8080), vec![123456]);
        assert!(super::imp::parse_table(text, 8081).is_empty());
    }

    #[test]
    fn finds_our_own_listener() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let h = super::port_holder(l.local_addr().unwrap()).expect("the holder");
        assert_eq!(h.pid, std::process::id());
        assert!(!h.name.is_empty());
    }
}

#[cfg(all(test, windows))]
mod windows_tests {
    /// Wine lists listening sockets but reports no owner (pid 0) for any of them.
    fn under_wine() -> bool {
        std::env::var_os("WINEPREFIX").is_some()
    }

    #[test]
    fn finds_our_own_listener() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        match super::port_holder(l.local_addr().unwrap()) {
            Some(h) => {
                assert_eq!(h.pid, std::process::id());
                assert!(h.name.ends_with(".exe"), "{}", h.name);
            }
            None => assert!(under_wine(), "Windows names the holder"),
        }
    }

    /// An IPv6 listener is found in the other table, whose rows are laid out differently.
    #[test]
    fn finds_our_own_ipv6_listener() {
        let Ok(l) = std::net::TcpListener::bind("[::1]:0") else {
            return; // No IPv6 on this machine.
        };
        match super::port_holder(l.local_addr().unwrap()) {
            Some(h) => {
                assert_eq!(h.pid, std::process::id());
                assert!(h.name.ends_with(".exe"), "{}", h.name);
            }
            None => assert!(under_wine(), "Windows names the holder"),
        }
    }
}
