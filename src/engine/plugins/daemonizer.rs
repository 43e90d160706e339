//! CherryPy's `Daemonizer` (Unix): the process leaves its terminal, session and working
//! directory and goes on in the background, its standard streams redirected.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use nix::sys::stat::{Mode, mode_t, umask};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{Pid, chdir, dup2_stderr, dup2_stdin, dup2_stdout, setsid};

use crate::engine::{Engine, engine_log};
use crate::net::{Forked, fork_process, thread_count};

/// Whether this process is the daemon already: a process daemonizes once.
static DAEMONIZED: AtomicBool = AtomicBool::new(false);

const DEV_NULL: &str = "/dev/null";

/// How to daemonize: where the standard streams go (each `/dev/null` by default; standard
/// output and error are appended to) and the daemon's file mode creation mask (default 0, as
/// CherryPy's; [`DropPrivileges::umask`](super::DropPrivileges::umask) or
/// [`Daemonizer::umask`] sets a stricter one).
///
/// What daemonizing does, CherryPy's double fork:
///
/// 1. The streams are opened (relative paths against the current directory), so a path that
///    cannot be opened is an error the terminal still shows.
/// 2. Fork: the first process (the launcher) waits for the second and exits with its status,
///    0 when the daemon was made.
/// 3. The second process makes a new session (`setsid`), leaving the terminal's, and forks
///    again, then exits: the daemon is not a session leader, so no terminal it opens becomes
///    its controlling terminal.
/// 4. The daemon changes directory to `/` (it holds no mount busy), sets its umask, points
///    standard input, output and error at the files, and logs `Daemonized to PID: <pid>`.
///
/// A process running more than one thread is refused rather than forked (only the forking
/// thread would go on in the daemon); on Linux the threads are counted in `/proc/self/task`,
/// elsewhere it is the caller's contract. So daemonize before anything starts a thread:
///
/// * the recommended way is [`daemonize`] at the top of `main`, before anything else (before
///   the application is built, and before [`App::serve`](crate::App::serve));
/// * as a plugin, [`Daemonizer::attach`] subscribes a `start` listener at priority 65: it runs
///   before the [`PidFile`](super::PidFile) (70, which so writes the daemon's pid), the
///   [`Monitor`](super::Monitor)s (70) and the server (75). It is attached, and the bus
///   started, before [`Signals::attach`](crate::engine::Signals::attach), which starts a
///   thread at once: with this plugin, `Signals` is attached after [`Engine::start`] returned,
///   in the daemon. `App::serve` attaches `Signals` first, so an application it serves
///   daemonizes with [`daemonize`].
///
/// ```no_run
/// use drupe::engine::{Daemonizer, Engine, PidFile, Signals};
///
/// fn main() -> std::process::ExitCode {
///     drupe::engine::init_logging();
///     let engine = Engine::new();
///     Daemonizer::new().stderr("/var/log/app/error.log").attach(&engine);
///     PidFile::new("/run/app.pid").attach(&engine);
///     // ... the server plugin ...
///     if engine.start().is_ok() {
///         // Only the daemon gets here.
///         Signals::new().attach(&engine);
///     }
///     engine.block()
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Daemonizer {
    stdin: PathBuf,
    stdout: PathBuf,
    stderr: PathBuf,
    umask: u32,
}

impl Default for Daemonizer {
    fn default() -> Self {
        Self {
            stdin: PathBuf::from(DEV_NULL),
            stdout: PathBuf::from(DEV_NULL),
            stderr: PathBuf::from(DEV_NULL),
            umask: 0,
        }
    }
}

impl Daemonizer {
    /// Every stream to `/dev/null`, umask 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// The file the daemon's standard input reads.
    pub fn stdin(mut self, path: impl Into<PathBuf>) -> Self {
        self.stdin = path.into();
        self
    }

    /// The file the daemon's standard output is appended to (created if missing).
    pub fn stdout(mut self, path: impl Into<PathBuf>) -> Self {
        self.stdout = path.into();
        self
    }

    /// The file the daemon's standard error, and so its log, is appended to (created if
    /// missing).
    pub fn stderr(mut self, path: impl Into<PathBuf>) -> Self {
        self.stderr = path.into();
        self
    }

    /// The daemon's file mode creation mask (such as `0o027`); CherryPy's is 0.
    pub fn umask(mut self, mask: u32) -> Self {
        self.umask = mask & 0o777;
        self
    }

    /// Subscribes the plugin: `start` at priority 65. A refusal (more than one thread, a
    /// stream that cannot be opened) fails the start, so the bus exits with status 70 without
    /// having forked.
    pub fn attach(self, engine: &Engine) {
        engine.subscribe("start", 65, "Daemonizer", move |_| {
            daemonize(&self).map_err(Into::into)
        });
    }
}

/// Turns this process into a daemon, as [`Daemonizer`] describes: returns in the daemon only
/// (the launcher and the middle process exit), or with an error in this process when it
/// cannot start (more than one thread runs, a stream cannot be opened, the fork is refused).
/// Call it at the top of `main`, before anything else. A second call in the daemon does
/// nothing.
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     let options = drupe::engine::Daemonizer::new().stderr("/var/log/app/error.log");
///     if let Err(e) = drupe::engine::daemonize(&options) {
///         eprintln!("{e}");
///         return std::process::ExitCode::from(71);
///     }
///     drupe::engine::init_logging();
///     // ... build the application and serve it ...
///     std::process::ExitCode::SUCCESS
/// }
/// ```
pub fn daemonize(options: &Daemonizer) -> io::Result<()> {
    if DAEMONIZED.load(Ordering::SeqCst) {
        engine_log!(info, "Already daemonized.");
        return Ok(());
    }
    if let Some(n) = thread_count().filter(|n| *n > 1) {
        return Err(io::Error::other(format!(
            "cannot daemonize: the process runs {n} threads, and only the calling one would go \
             on in the daemon; daemonize at the top of main, before anything starts a thread \
             (Signals::attach, the server and Monitor start threads)"
        )));
    }
    let stdin = open(
        &options.stdin,
        OpenOptions::new().read(true),
        "standard input",
    )?;
    let mut append = OpenOptions::new();
    append.append(true).create(true);
    let stdout = open(&options.stdout, &append, "standard output")?;
    let stderr = open(&options.stderr, &append, "standard error")?;

    engine_log!(info, "Forking once.");
    if let Forked::Parent(middle) = fork_process()? {
        std::process::exit(wait_for(middle));
    }
    // The middle process: a session of its own, without the terminal.
    if let Err(e) = setsid() {
        engine_log!(error, "Daemonizing failed: setsid: {e}");
        std::process::exit(1);
    }
    engine_log!(info, "Forking twice.");
    match fork_process() {
        Ok(Forked::Parent(_)) => std::process::exit(0),
        Ok(Forked::Child) => {}
        Err(e) => {
            engine_log!(error, "Daemonizing failed: the second fork: {e}");
            std::process::exit(1);
        }
    }
    // The daemon.
    chdir("/").map_err(|e| io::Error::other(format!("cannot change directory to /: {e}")))?;
    umask(Mode::from_bits_truncate(options.umask as mode_t));
    let redirect = |what: &str, e: nix::Error| {
        io::Error::other(format!("cannot redirect the daemon's {what}: {e}"))
    };
    dup2_stdin(&stdin).map_err(|e| redirect("standard input", e))?;
    dup2_stdout(&stdout).map_err(|e| redirect("standard output", e))?;
    dup2_stderr(&stderr).map_err(|e| redirect("standard error", e))?;
    DAEMONIZED.store(true, Ordering::SeqCst);
    engine_log!(info, "Daemonized to PID: {}", std::process::id());
    Ok(())
}

fn open(path: &Path, options: &OpenOptions, what: &str) -> io::Result<File> {
    options.open(path).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "cannot open '{}' as the daemon's {what}: {e}",
                path.display()
            ),
        )
    })
}

/// The launcher's exit status: the middle process's (0 once the daemon is forked), 1 if it
/// ended otherwise.
fn wait_for(middle: u32) -> i32 {
    let Ok(pid) = nix::libc::pid_t::try_from(middle) else {
        return 1;
    };
    loop {
        match waitpid(Pid::from_raw(pid), None) {
            Ok(WaitStatus::Exited(_, code)) => return code,
            Ok(_) => return 1,
            Err(nix::errno::Errno::EINTR) => {}
            Err(_) => return 1,
        }
    }
}
