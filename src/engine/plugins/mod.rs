//! CherryPy's engine plugins, each a set of listeners on the bus: the PID file, background
//! tasks run while the bus is started, and on Unix the daemonizer and the privilege drop.
//!
//! Their `start` listeners run in CherryPy's order (ascending priority), around the server's
//! 75:
//!
//! | priority | plugin | at start | other channels |
//! |---|---|---|---|
//! | 65 | [`Daemonizer`] (Unix) | double fork, new session, `/`, streams redirected | |
//! | 70 | [`PidFile`] | writes the pid; refuses while another live process holds the file | `exit` (100): removes it if it is still ours |
//! | 70 | [`Monitor`] | starts its [`BackgroundTask`]'s thread | `stop` (50): stops and joins it |
//! | 70 | [`Autoreloader`] (a monitor) | watches the sources; on a change rebuilds and restarts | |
//! | 75 | [`ServerPlugin`](super::ServerPlugin) | binds and serves | |
//! | 77 | [`DropPrivileges`] (Unix) | group, then user; umask | |
//!
//! Each logs CherryPy's lines under `ENGINE`: `Daemonized to PID: 1234`,
//! `PID 1234 written to '/run/app.pid'.`, `PID file removed: '/run/app.pid'.`,
//! `Started monitor thread 'Session cleanup'.`, `Stopped thread 'Session cleanup'.`,
//! `Started monitor thread 'Autoreloader'.`, `Restarting because src/main.rs changed.`,
//! `Started as uid: 0 (root) gid: 0 (root)`, `Running as uid: 65534 (nobody) gid: 65534
//! (nogroup)`, `umask old: 0o22, new: 0o27`. Where CherryPy is careless, these are not: the PID
//! file is checked and written atomically, a background task survives its errors and stops at
//! once, the daemonizer refuses a process that runs threads and changes directory to `/`.

mod autoreload;
#[cfg(unix)]
mod daemonizer;
mod monitor;
mod pidfile;
#[cfg(unix)]
mod privileges;
mod task;

pub use autoreload::Autoreloader;
#[cfg(unix)]
pub use daemonizer::{Daemonizer, daemonize};
pub use monitor::Monitor;
pub use pidfile::{PidFile, PidFileError};
#[cfg(unix)]
pub use privileges::{DropPrivileges, DropPrivilegesError, NameOrId};
pub use task::{BackgroundTask, TaskResult};
