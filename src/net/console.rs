//! Windows console control events: Ctrl-C, Ctrl-Break, the console closing, logoff and
//! shutdown, delivered to callbacks through one routine registered with
//! `SetConsoleCtrlHandler`; and sending Ctrl-C or Ctrl-Break to the processes of a console.
//!
//! Windows calls the routine on a thread it creates for the event. For close, logoff and
//! shutdown it ends the process as soon as the routine returns, so the routine returns only
//! once every callback has returned: the engine's callback exits the bus first, as CherryPy's
//! console handler does. A callback is called once, for the first event, and removed before
//! it runs: a second event (Ctrl-C pressed again while requests drain) finds no callback, the
//! routine declines it, and Windows' default handler ends the process at once.
//!
//! The routine stays registered for the life of the process and declines events while no
//! callback is registered, which is what unregistering it would do: removing a callback is
//! then no call to Windows, which could wait on the console lock an event holds while its
//! callback exits the bus.

use std::io;
use std::sync::{Mutex, OnceLock};

use windows_sys::Win32::Foundation::{FALSE, TRUE};
use windows_sys::Win32::System::Console::{
    CTRL_BREAK_EVENT, CTRL_C_EVENT, CTRL_CLOSE_EVENT, CTRL_LOGOFF_EVENT, CTRL_SHUTDOWN_EVENT,
    GenerateConsoleCtrlEvent, GetConsoleProcessList, PHANDLER_ROUTINE, SetConsoleCtrlHandler,
};
use windows_sys::core::BOOL;

/// A console control event.
///
/// ```
/// use drupe::net::console::ConsoleEvent;
/// assert_eq!(ConsoleEvent::CtrlBreak.code(), 1);
/// assert_eq!(ConsoleEvent::from_code(2), Some(ConsoleEvent::Close));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleEvent {
    /// Ctrl-C (`CTRL_C_EVENT`, 0).
    CtrlC,
    /// Ctrl-Break (`CTRL_BREAK_EVENT`, 1).
    CtrlBreak,
    /// The console is closing (`CTRL_CLOSE_EVENT`, 2).
    Close,
    /// The user is logging off (`CTRL_LOGOFF_EVENT`, 5).
    Logoff,
    /// The system is shutting down (`CTRL_SHUTDOWN_EVENT`, 6).
    Shutdown,
}

impl ConsoleEvent {
    /// Windows' number for the event, as the engine's log line `Console event N` shows it.
    pub fn code(self) -> u32 {
        match self {
            ConsoleEvent::CtrlC => CTRL_C_EVENT,
            ConsoleEvent::CtrlBreak => CTRL_BREAK_EVENT,
            ConsoleEvent::Close => CTRL_CLOSE_EVENT,
            ConsoleEvent::Logoff => CTRL_LOGOFF_EVENT,
            ConsoleEvent::Shutdown => CTRL_SHUTDOWN_EVENT,
        }
    }

    /// The event Windows numbers `code`, if it is one of the five.
    pub fn from_code(code: u32) -> Option<ConsoleEvent> {
        [
            ConsoleEvent::CtrlC,
            ConsoleEvent::CtrlBreak,
            ConsoleEvent::Close,
            ConsoleEvent::Logoff,
            ConsoleEvent::Shutdown,
        ]
        .into_iter()
        .find(|e| e.code() == code)
    }
}

/// Sends Ctrl-C or Ctrl-Break to the processes of `process_group` attached to the caller's
/// console (`GenerateConsoleCtrlEvent`); group 0 is every process attached to it, the caller
/// included. A process started with `CREATE_NEW_PROCESS_GROUP` leads a group numbered with its
/// pid: Ctrl-Break sent to that pid is how a supervisor stops a drupe server gracefully on
/// Windows (Windows delivers Ctrl-C to group 0 only, and a new group ignores it).
///
/// Fails for the other events (only the console itself raises them) and when the caller has
/// no console.
pub fn send(event: ConsoleEvent, process_group: u32) -> io::Result<()> {
    if !matches!(event, ConsoleEvent::CtrlC | ConsoleEvent::CtrlBreak) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{event:?} cannot be sent: only the console raises it"),
        ));
    }
    // SAFETY: plain call with two u32 values; no pointers.
    let ok: BOOL = unsafe { GenerateConsoleCtrlEvent(event.code(), process_group) };
    if ok == FALSE {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The ids of the processes attached to the caller's console (`GetConsoleProcessList`).
/// Fails when the caller has no console.
pub fn processes() -> io::Result<Vec<u32>> {
    let mut list: Vec<u32> = vec![0; 16];
    loop {
        let room = u32::try_from(list.len()).unwrap_or(u32::MAX);
        // SAFETY: `list` is writable for `room` u32 values; the call writes at most that many
        // and returns how many processes there are.
        let count: u32 = unsafe { GetConsoleProcessList(list.as_mut_ptr(), room) };
        if count == 0 {
            return Err(io::Error::last_os_error());
        }
        if count <= room {
            list.truncate(count as usize);
            return Ok(list);
        }
        list.resize(count as usize, 0);
    }
}

type Callback = Box<dyn FnOnce(ConsoleEvent) + Send>;

/// The callbacks waiting for an event, each with its id.
static CALLBACKS: Mutex<Vec<(u64, Callback)>> = Mutex::new(Vec::new());
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
/// Whether the routine was registered, once for the process (the error, if it could not be).
static REGISTERED: OnceLock<Result<(), i32>> = OnceLock::new();

fn callbacks() -> std::sync::MutexGuard<'static, Vec<(u64, Callback)>> {
    CALLBACKS.lock().unwrap_or_else(|e| e.into_inner())
}

/// A callback waiting for a console event.
#[derive(Debug)]
pub(crate) struct ConsoleHandler(u64);

/// Calls `f` on the first console event, on the thread Windows runs the routine on; the
/// routine returns (and Windows goes on) once `f` has returned.
pub(crate) fn on_console_event(
    f: impl FnOnce(ConsoleEvent) + Send + 'static,
) -> io::Result<ConsoleHandler> {
    let registered = REGISTERED.get_or_init(|| {
        let handler: PHANDLER_ROUTINE = Some(routine);
        // SAFETY: `routine` has the exact type Windows calls (`unsafe extern "system"
        // fn(u32) -> BOOL`) and lives as long as the process; it is never unregistered.
        let ok: BOOL = unsafe { SetConsoleCtrlHandler(handler, TRUE) };
        if ok == FALSE {
            Err(io::Error::last_os_error().raw_os_error().unwrap_or(0))
        } else {
            Ok(())
        }
    });
    if let Err(code) = registered {
        return Err(io::Error::from_raw_os_error(*code));
    }
    let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    callbacks().push((id, Box::new(f)));
    Ok(ConsoleHandler(id))
}

impl ConsoleHandler {
    /// Removes the callback; `false` if it was called or removed already.
    pub(crate) fn remove(&self) -> bool {
        let mut list = callbacks();
        let before = list.len();
        list.retain(|(id, _)| *id != self.0);
        list.len() != before
    }
}

/// The routine registered with `SetConsoleCtrlHandler`: `TRUE` (handled) once every callback
/// has run, `FALSE` (Windows' next handler decides) when there was none, or for an event
/// that is not one of the five.
unsafe extern "system" fn routine(ctrl_type: u32) -> BOOL {
    let Some(event) = ConsoleEvent::from_code(ctrl_type) else {
        return FALSE;
    };
    // Taken out of the lock before they run: a callback exiting the bus removes handlers.
    let taken = std::mem::take(&mut *callbacks());
    if taken.is_empty() {
        return FALSE;
    }
    for (_, f) in taken {
        // A panic must not unwind into Windows (it would abort the process).
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(event)));
    }
    TRUE
}

/// Calls the registered routine as Windows does for `code`, on the calling thread; `true`
/// when it answered `TRUE`.
#[cfg(test)]
pub(crate) fn deliver(code: u32) -> bool {
    // SAFETY: the routine reads no memory of the caller; any code is valid input.
    let handled: BOOL = unsafe { routine(code) };
    handled != FALSE
}
