//! Other processes and this one: whether a process is alive (for PID files), and on Unix how
//! many threads this process runs and the `fork` a daemon is made with.
//!
//! Unix asks `kill(pid, 0)` (no signal is sent): success or `EPERM` (it exists, owned by
//! another user) is alive, `ESRCH` is gone. Windows opens the process for a query and reads
//! its exit code: `STILL_ACTIVE` is alive, a pid no process has is gone, and a process this
//! one may not open (`ERROR_ACCESS_DENIED`) is alive.

/// Whether a process with id `pid` exists now. When the OS cannot tell, the answer is `true`:
/// a PID file is then kept rather than taken from a process that may be running. A zombie
/// (Unix: exited, not yet reaped by its parent) counts as alive.
pub(crate) fn process_alive(pid: u32) -> bool {
    imp::process_alive(pid)
}

#[cfg(unix)]
mod imp {
    use nix::errno::Errno;
    use nix::libc::pid_t;
    use nix::sys::signal::kill;
    use nix::unistd::Pid;

    pub(super) fn process_alive(pid: u32) -> bool {
        // To kill(2), 0 names this process group and a negative number another group: only
        // 1..=pid_t::MAX names one process.
        let Ok(raw) = pid_t::try_from(pid) else {
            return false;
        };
        if raw <= 0 {
            return false;
        }
        match kill(Pid::from_raw(raw), None) {
            Ok(()) => true,
            Err(Errno::ESRCH) => false,
            // EPERM: it exists, and belongs to a user this one may not signal.
            Err(_) => true,
        }
    }
}

#[cfg(windows)]
mod imp {
    use windows_sys::Win32::Foundation::{
        CloseHandle, ERROR_ACCESS_DENIED, FALSE, GetLastError, HANDLE, STILL_ACTIVE, WIN32_ERROR,
    };
    use windows_sys::Win32::System::Threading::{
        GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
    };
    use windows_sys::core::BOOL;

    pub(super) fn process_alive(pid: u32) -> bool {
        // Pid 0 is the System Idle Process, never a program that wrote a PID file.
        if pid == 0 {
            return false;
        }
        // SAFETY: plain call with an access mask, no inheritance and a pid; the returned
        // HANDLE is checked for null below and closed once.
        let h: HANDLE = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid) };
        if h.is_null() {
            // SAFETY: reads this thread's last error, which the failed OpenProcess just set.
            let error: WIN32_ERROR = unsafe { GetLastError() };
            // Any other error (ERROR_INVALID_PARAMETER): no process has that id.
            return error == ERROR_ACCESS_DENIED;
        }
        let mut code: u32 = 0;
        // SAFETY: `h` is an open process handle with query rights; `code` is a live u32 the
        // call writes the exit code (or STILL_ACTIVE) into.
        let ok: BOOL = unsafe { GetExitCodeProcess(h, &mut code) };
        // SAFETY: `h` was opened above and is closed once.
        unsafe { CloseHandle(h) };
        // A process that could not be queried is taken as alive (see `process_alive`).
        ok == FALSE || code == STILL_ACTIVE.cast_unsigned()
    }
}

/// How many threads this process runs, where the OS says cheaply (Linux: the entries of
/// `/proc/self/task`); `None` elsewhere.
#[cfg(unix)]
pub(crate) fn thread_count() -> Option<usize> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        std::fs::read_dir("/proc/self/task")
            .ok()
            .map(Iterator::count)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        None
    }
}

/// Which side of a [`fork_process`] the caller is on.
#[cfg(unix)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Forked {
    /// The process that called fork; the new process has this pid.
    Parent(u32),
    /// The new process.
    Child,
}

/// Forks this process, which must run a single thread: refused (an error saying how many
/// run) when it runs more, where the OS tells ([`thread_count`]; elsewhere the callers'
/// documented contract, that they run before any thread is started, is what holds). Standard
/// output and error are flushed first, so nothing buffered is written twice.
#[cfg(unix)]
pub(crate) fn fork_process() -> std::io::Result<Forked> {
    use std::io::{self, Write};

    use nix::unistd::{ForkResult, fork};

    if let Some(n) = thread_count().filter(|n| *n > 1) {
        return Err(io::Error::other(format!(
            "cannot fork: the process runs {n} threads, and only the calling one would go on \
             in the new process (fork before any thread is started)"
        )));
    }
    let _ = io::stdout().flush();
    let _ = io::stderr().flush();
    // SAFETY: fork(2) is unsafe because the child of a multi-threaded process holds copies of
    // locks (the allocator's, stdio's) that the other threads may have held, and may only call
    // async-signal-safe functions. Here the process runs one thread, the caller: checked just
    // above on Linux, and elsewhere the contract of the only callers (the daemonizer, which
    // runs at the top of `main` or as the engine's first start listener, before any thread).
    // No lock is held across this call by this thread, so the child's copies are all free.
    match unsafe { fork() }? {
        ForkResult::Parent { child } => Ok(Forked::Parent(child.as_raw().cast_unsigned())),
        ForkResult::Child => Ok(Forked::Child),
    }
}

#[cfg(test)]
mod tests {
    use super::process_alive;

    #[test]
    fn this_process_is_alive_and_no_process_has_pid_0() {
        assert!(process_alive(std::process::id()));
        assert!(!process_alive(0));
    }

    /// On Unix a pid past `pid_t`'s range would be a negative number, which kill(2) reads as a
    /// process group: it names no process.
    #[cfg(unix)]
    #[test]
    fn pids_past_the_range_name_no_process() {
        assert!(!process_alive(u32::MAX));
        assert!(!process_alive(1 << 31));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn threads_are_counted() {
        let (keep, parked) = std::sync::mpsc::channel::<()>();
        let helper = std::thread::spawn(move || {
            let _ = parked.recv();
        });
        let counted = super::thread_count();
        drop(keep);
        helper.join().unwrap();
        assert!(counted.is_some_and(|n| n >= 2), "{counted:?}");
    }
}
