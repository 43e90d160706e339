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
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

    use windows_sys::Win32::Foundation::{
        CloseHandle, ERROR_INSUFFICIENT_BUFFER, FALSE, HANDLE, NO_ERROR,
    };
    use windows_sys::Win32::NetworkManagement::IpHelper::{
        GetExtendedTcpTable, MIB_TCP_STATE_LISTEN, MIB_TCP6ROW_OWNER_PID, MIB_TCP6TABLE_OWNER_PID,
        MIB_TCPROW_OWNER_PID, MIB_TCPTABLE_OWNER_PID, TCP_TABLE_OWNER_PID_LISTENER,
    };
    use windows_sys::Win32::Networking::WinSock::{ADDRESS_FAMILY, AF_INET, AF_INET6};
    use windows_sys::Win32::System::Threading::{
        OpenProcess, PROCESS_NAME_WIN32, PROCESS_QUERY_LIMITED_INFORMATION,
        QueryFullProcessImageNameW,
    };
    use windows_sys::core::BOOL;

    use super::Holder;

    pub(super) fn port_holder(addr: SocketAddr) -> Option<Holder> {
        let pid = holder_pid(&table(), &table(), addr)?;
        // Pid 0 is no owner (Wine reports it for every socket): unknown.
        if pid == 0 {
            return None;
        }
        Some(Holder {
            pid,
            name: process_name(pid).unwrap_or_else(|| "?".to_owned()),
        })
    }

    /// The pid owning the socket that keeps `addr` from binding, from the rows of the IPv4
    /// and IPv6 listener tables: the first listening socket that blocks it (see `blocks`),
    /// `addr`'s own family searched first. 0 where the table names no owner.
    pub(super) fn holder_pid(
        v4: &[MIB_TCPROW_OWNER_PID],
        v6: &[MIB_TCP6ROW_OWNER_PID],
        addr: SocketAddr,
    ) -> Option<u32> {
        if addr.is_ipv4() {
            owner(v4, addr).or_else(|| owner(v6, addr))
        } else {
            owner(v6, addr).or_else(|| owner(v4, addr))
        }
    }

    fn owner<R: Row>(rows: &[R], addr: SocketAddr) -> Option<u32> {
        rows.iter()
            .find(|r| r.listening() && blocks(r.local(), addr))
            .map(Row::pid)
    }

    /// Whether a socket listening on `held` keeps `wanted` from binding: the same port, and
    /// the same address or a wildcard; across families, only through `::`, which drupe and
    /// Windows' defaults make dual stack.
    fn blocks(held: SocketAddr, wanted: SocketAddr) -> bool {
        if held.port() != wanted.port() {
            return false;
        }
        let (h, w) = (held.ip().to_canonical(), wanted.ip().to_canonical());
        if h.is_ipv4() == w.is_ipv4() {
            h == w || h.is_unspecified() || w.is_unspecified()
        } else {
            (h.is_ipv6() && h.is_unspecified()) || (w.is_ipv6() && w.is_unspecified())
        }
    }

    /// A row of a listener table (`MIB_TCPTABLE_OWNER_PID` or `MIB_TCP6TABLE_OWNER_PID`): a
    /// count, then the rows, each with its address and port in network byte order.
    pub(super) trait Row: Copy {
        /// The table's address family.
        const FAMILY: ADDRESS_FAMILY;
        /// Where the rows start in the table.
        const ROWS_AT: usize;
        fn local(&self) -> SocketAddr;
        fn listening(&self) -> bool;
        fn pid(&self) -> u32;
    }

    /// The port, from the low 16 bits of a `dwLocalPort` (network byte order).
    fn port(dw: u32) -> u16 {
        u16::from_be((dw & 0xffff) as u16)
    }

    impl Row for MIB_TCPROW_OWNER_PID {
        const FAMILY: ADDRESS_FAMILY = AF_INET;
        const ROWS_AT: usize = std::mem::offset_of!(MIB_TCPTABLE_OWNER_PID, table);
        fn local(&self) -> SocketAddr {
            // The address's bytes in memory are its octets in order (network byte order).
            let ip = Ipv4Addr::from(self.dwLocalAddr.to_ne_bytes());
            SocketAddr::new(IpAddr::V4(ip), port(self.dwLocalPort))
        }
        fn listening(&self) -> bool {
            i32::try_from(self.dwState) == Ok(MIB_TCP_STATE_LISTEN)
        }
        fn pid(&self) -> u32 {
            self.dwOwningPid
        }
    }

    impl Row for MIB_TCP6ROW_OWNER_PID {
        const FAMILY: ADDRESS_FAMILY = AF_INET6;
        const ROWS_AT: usize = std::mem::offset_of!(MIB_TCP6TABLE_OWNER_PID, table);
        fn local(&self) -> SocketAddr {
            let ip = Ipv6Addr::from(self.ucLocalAddr);
            SocketAddr::new(IpAddr::V6(ip), port(self.dwLocalPort))
        }
        fn listening(&self) -> bool {
            i32::try_from(self.dwState) == Ok(MIB_TCP_STATE_LISTEN)
        }
        fn pid(&self) -> u32 {
            self.dwOwningPid
        }
    }

    /// The rows of the listener table of `R`'s family (empty if it cannot be read).
    pub(super) fn table<R: Row>() -> Vec<R> {
        let mut size: u32 = 0;
        // The table may grow between asking its size and reading it: a few tries.
        for _ in 0..4 {
            // u32 elements keep the buffer aligned for the table's u32 fields.
            let mut buf: Vec<u32> = vec![0; (size as usize).div_ceil(4)];
            let ptr = if buf.is_empty() {
                std::ptr::null_mut()
            } else {
                buf.as_mut_ptr().cast::<core::ffi::c_void>()
            };
            // SAFETY: `ptr` is null with `size` 0 (asking the size needed), or `buf`, writable
            // for `size` bytes and u32-aligned as the table needs; `size` is a live u32 that
            // receives the size used or needed.
            let rc: u32 = unsafe {
                GetExtendedTcpTable(
                    ptr,
                    &mut size,
                    FALSE,
                    u32::from(R::FAMILY),
                    TCP_TABLE_OWNER_PID_LISTENER,
                    0,
                )
            };
            if rc == ERROR_INSUFFICIENT_BUFFER || (rc == NO_ERROR && buf.is_empty()) {
                continue;
            }
            if rc != NO_ERROR {
                return Vec::new();
            }
            let bytes = (size as usize).min(buf.len() * 4);
            let room = bytes.saturating_sub(R::ROWS_AT) / std::mem::size_of::<R>();
            let count = (buf[0] as usize).min(room);
            // SAFETY: `buf` holds the table Windows wrote: its count, then `count` rows of `R`
            // from byte `ROWS_AT` (a multiple of 4, so aligned for `R`'s u32 and u8 fields),
            // all inside the `bytes` written (`room` bounds `count`). `R` is plain data: any
            // bytes are a valid `R`. The rows are copied out before `buf` is dropped.
            let rows = unsafe {
                std::slice::from_raw_parts(
                    buf.as_ptr().cast::<u8>().add(R::ROWS_AT).cast::<R>(),
                    count,
                )
            };
            return rows.to_vec();
        }
        Vec::new()
    }

    /// The file name of process `pid`'s executable (`drupe.exe`), if the process exists and
    /// may be queried.
    pub(super) fn process_name(pid: u32) -> Option<String> {
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
    use std::net::{Ipv6Addr, SocketAddr};

    use windows_sys::Win32::NetworkManagement::IpHelper::{
        MIB_TCP_STATE_ESTAB, MIB_TCP_STATE_LISTEN, MIB_TCP6ROW_OWNER_PID, MIB_TCPROW_OWNER_PID,
    };

    use super::imp::{Row, holder_pid, process_name, table};

    /// Wine lists listening sockets but reports no owner (pid 0) for any of them.
    fn under_wine() -> bool {
        std::env::var_os("WINEPREFIX").is_some()
    }

    /// This test executable's file name, as `process_name` gives it.
    fn own_exe_name() -> String {
        let exe = std::env::current_exe().unwrap();
        exe.file_name().unwrap().to_string_lossy().into_owned()
    }

    /// A row as Windows writes it: address and port in network byte order.
    fn v4(ip: [u8; 4], port: u16, state: i32, pid: u32) -> MIB_TCPROW_OWNER_PID {
        MIB_TCPROW_OWNER_PID {
            dwState: state as u32,
            dwLocalAddr: u32::from_ne_bytes(ip),
            dwLocalPort: u32::from(port.to_be()),
            dwRemoteAddr: 0,
            dwRemotePort: 0,
            dwOwningPid: pid,
        }
    }

    fn v6(ip: Ipv6Addr, port: u16, state: i32, pid: u32) -> MIB_TCP6ROW_OWNER_PID {
        MIB_TCP6ROW_OWNER_PID {
            ucLocalAddr: ip.octets(),
            dwLocalPort: u32::from(port.to_be()),
            dwState: state as u32,
            dwOwningPid: pid,
            ..Default::default()
        }
    }

    /// 8080 is 0x1F90: read in the wrong byte order it is 0x901F, 36895.
    const PORT: u16 = 8080;
    const SWAPPED: u16 = 36895;
    const LISTEN: i32 = MIB_TCP_STATE_LISTEN;

    /// Among rows that each fool one wrong filter (the port read in the wrong byte order, a
    /// connection rather than a listener, another address, the other family), the holder is
    /// the one row listening where the address asked for is.
    #[test]
    fn the_holder_is_the_row_listening_on_the_address_asked() {
        let me = std::process::id();
        let (swapped, connected, elsewhere, wildcard) = (101, 102, 103, 104);
        let decoys = [
            v4([127, 0, 0, 1], SWAPPED, LISTEN, swapped),
            v4([127, 0, 0, 1], PORT, MIB_TCP_STATE_ESTAB, connected),
            v4([10, 1, 2, 3], PORT, LISTEN, elsewhere),
        ];
        let addr: SocketAddr = format!("127.0.0.1:{PORT}").parse().unwrap();
        let mut rows = decoys.to_vec();
        rows.push(v4([0, 0, 0, 0], PORT, LISTEN, me));
        assert_eq!(holder_pid(&rows, &[], addr), Some(me));
        rows[3] = v4([127, 0, 0, 1], PORT, LISTEN, me);
        assert_eq!(holder_pid(&rows, &[], addr), Some(me));
        assert_eq!(holder_pid(&decoys, &[], addr), None);

        // IPv6: its own row layout. An IPv4 wildcard does not hold an IPv6 address.
        let v4_wildcard = [v4([0, 0, 0, 0], PORT, LISTEN, wildcard)];
        let rows6 = [
            v6(Ipv6Addr::LOCALHOST, SWAPPED, LISTEN, swapped),
            v6(Ipv6Addr::LOCALHOST, PORT, MIB_TCP_STATE_ESTAB, connected),
            v6("2001:db8::1".parse().unwrap(), PORT, LISTEN, elsewhere),
            v6(Ipv6Addr::LOCALHOST, PORT, LISTEN, me),
        ];
        let addr6: SocketAddr = format!("[::1]:{PORT}").parse().unwrap();
        assert_eq!(holder_pid(&v4_wildcard, &rows6, addr6), Some(me));
        assert_eq!(holder_pid(&v4_wildcard, &rows6[..3], addr6), None);

        // A dual-stack `::` listener holds the port for IPv4 too, found in the other table
        // when the IPv4 table has no holder.
        let dual = [v6(Ipv6Addr::UNSPECIFIED, PORT, LISTEN, me)];
        assert_eq!(holder_pid(&decoys, &dual, addr), Some(me));
        assert_eq!(holder_pid(&v4_wildcard, &dual, addr), Some(wildcard));
    }

    /// The live tables, read and decoded: each lists a listener of this process on its
    /// address and port, with this process's pid where the OS gives one.
    #[test]
    fn the_tables_list_our_own_listeners() {
        let l4 = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let a4 = l4.local_addr().unwrap();
        let rows4 = table::<MIB_TCPROW_OWNER_PID>();
        let row = rows4
            .iter()
            .find(|r| r.local() == a4 && r.listening())
            .unwrap_or_else(|| panic!("{a4} is not in the IPv4 table ({} rows)", rows4.len()));
        assert_owner(row.dwOwningPid);
        let Ok(l6) = std::net::TcpListener::bind("[::1]:0") else {
            return; // No IPv6 on this machine.
        };
        let a6 = l6.local_addr().unwrap();
        let rows6 = table::<MIB_TCP6ROW_OWNER_PID>();
        let row = rows6
            .iter()
            .find(|r| r.local() == a6 && r.listening())
            .unwrap_or_else(|| panic!("{a6} is not in the IPv6 table ({} rows)", rows6.len()));
        assert_owner(row.dwOwningPid);
    }

    /// Windows gives the owner; Wine 8 gives 0 for every socket (measured), which
    /// `port_holder` reports as unknown.
    fn assert_owner(pid: u32) {
        if !(under_wine() && pid == 0) {
            assert_eq!(pid, std::process::id());
        }
    }

    #[test]
    fn finds_our_own_listener() {
        for bind in ["127.0.0.1:0", "[::1]:0"] {
            let Ok(l) = std::net::TcpListener::bind(bind) else {
                continue; // No IPv6 on this machine.
            };
            match super::port_holder(l.local_addr().unwrap()) {
                Some(h) => {
                    assert_eq!(h.pid, std::process::id());
                    assert_eq!(h.name, own_exe_name());
                }
                None => assert!(under_wine(), "Windows names the holder of {bind}"),
            }
        }
    }

    /// The name is the file name of the executable of the process asked about.
    #[test]
    fn process_name_is_the_executables_file_name() {
        assert_eq!(
            process_name(std::process::id()).as_deref(),
            Some(own_exe_name().as_str())
        );
        // Another process, with another executable: its own name, not this process's.
        let mut cmd = std::process::Command::new("cmd.exe")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("cmd.exe starts");
        let name = process_name(cmd.id());
        let _ = cmd.kill();
        let _ = cmd.wait();
        assert_eq!(name.map(|n| n.to_lowercase()).as_deref(), Some("cmd.exe"));
        // No process has this pid (pids are multiples of 4, and far below it).
        assert_eq!(process_name(0xFFFF_FFFC), None);
    }
}
