//! CherryPy's `PIDFile`: the process id written to a file at start and removed at exit, with
//! the checks CherryPy lacks. A start is refused while the file names another live process;
//! the file is written whole or not at all; exit removes only a file that still names this
//! process.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::engine::{Engine, ListenerResult, engine_log};
use crate::net::process_alive;

/// Why a PID file stops a start.
#[derive(Debug, thiserror::Error)]
pub enum PidFileError {
    /// The file names a process that is running, and it is not this one.
    #[error(
        "the PID file '{}' names process {}, which is running: another instance is probably \
         running (stop it first, or remove the file if that process is not this program)",
        .path.display(),
        .pid
    )]
    Running {
        /// The file.
        path: PathBuf,
        /// The live process it names.
        pid: u32,
    },
    /// The file exists and cannot be read (permissions, a directory in its place).
    #[error("cannot read the PID file '{}': {}", .path.display(), .source)]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The file cannot be written (its folder is missing or not writable).
    #[error("cannot write the PID file '{}': {}", .path.display(), .source)]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
}

/// What a PID file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    /// There is no file.
    Missing,
    /// This process's id.
    Ours,
    /// The id of another process, running.
    Alive(u32),
    /// The id of a process that is not running.
    Dead(u32),
    /// Something that is no process id.
    Garbage,
}

/// The PID file plugin: start (priority 70, after the [`Daemonizer`](super::Daemonizer)'s 65
/// and before the server's 75, as in CherryPy) writes this process's id and a newline to the
/// file; exit (priority 100) removes it.
///
/// * A start is refused (the bus exits with status 70, the error naming the file and the
///   process) while the file names another process that is running.
/// * A stale file (its process is gone, or it holds no process id) is replaced, and the
///   replacement logged.
/// * The id is written to a temporary file in the same folder, then renamed over the PID
///   file: a reader never sees a half-written file.
/// * Exit removes the file only if it still holds this process's id.
///
/// The path is made absolute when the plugin is made, so a daemon (whose working directory
/// becomes `/`) writes where the relative path pointed. Log lines, CherryPy's:
/// `PID 1234 written to '/run/app.pid'.` and `PID file removed: '/run/app.pid'.`
///
/// ```
/// use drupe::engine::{Engine, PidFile};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("app.pid");
/// let engine = Engine::new();
/// PidFile::new(&path).attach(&engine);
/// engine.start().unwrap();
/// let pid = std::process::id();
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{pid}\n"));
/// engine.exit();
/// assert!(!path.exists());
/// ```
#[derive(Debug, Clone)]
pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    /// The plugin for the file at `path` (made absolute against the current directory).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        Self {
            path: std::path::absolute(&path).unwrap_or(path),
        }
    }

    /// The file, absolute.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks that `path` names no other running process: `Ok` when there is no file, when it
    /// names this process, or when it is stale. The check a start makes, for a program to run
    /// before it opens its databases or binds its ports. Nothing is written.
    ///
    /// ```
    /// use drupe::engine::{PidFile, PidFileError};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("app.pid");
    /// assert!(PidFile::check(&path).is_ok(), "no file");
    /// std::fs::write(&path, "not a pid\n").unwrap();
    /// assert!(PidFile::check(&path).is_ok(), "stale");
    /// std::fs::write(&path, format!("{}\n", std::process::id())).unwrap();
    /// assert!(PidFile::check(&path).is_ok(), "this process");
    /// ```
    pub fn check(path: impl AsRef<Path>) -> Result<(), PidFileError> {
        let path = path.as_ref();
        match read(path)? {
            Content::Alive(pid) => Err(PidFileError::Running {
                path: path.to_owned(),
                pid,
            }),
            _ => Ok(()),
        }
    }

    /// Subscribes the plugin: `start` at priority 70, `exit` at priority 100.
    pub fn attach(self, engine: &Engine) {
        let plugin = Arc::new(Plugin {
            path: self.path,
            written: AtomicBool::new(false),
        });
        let p = plugin.clone();
        engine.subscribe("start", 70, "PID file", move |_| p.start());
        engine.subscribe("exit", 100, "PID file", move |_| {
            plugin.exit();
            Ok(())
        });
    }
}

struct Plugin {
    path: PathBuf,
    /// Whether this plugin wrote the file (CherryPy's `finalized`).
    written: AtomicBool,
}

impl Plugin {
    fn start(&self) -> ListenerResult {
        let me = std::process::id();
        let shown = self.path.display();
        let found = read(&self.path)?;
        match found {
            Content::Alive(pid) => {
                return Err(PidFileError::Running {
                    path: self.path.clone(),
                    pid,
                }
                .into());
            }
            Content::Ours if self.written.load(Ordering::SeqCst) => {
                engine_log!(info, "PID {me} already written to '{shown}'.");
                return Ok(());
            }
            Content::Dead(pid) => engine_log!(
                warn,
                "Replacing the stale PID file '{shown}': process {pid} is not running."
            ),
            Content::Garbage => engine_log!(
                warn,
                "Replacing the stale PID file '{shown}': it holds no process id."
            ),
            Content::Missing | Content::Ours => {}
        }
        write(&self.path, me, found != Content::Missing)?;
        self.written.store(true, Ordering::SeqCst);
        engine_log!(info, "PID {me} written to '{shown}'.");
        Ok(())
    }

    /// CherryPy swallows every error here; a failed removal is logged, and leaves a file the
    /// next start finds stale.
    fn exit(&self) {
        let shown = self.path.display();
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return,
            Err(e) => {
                engine_log!(
                    error,
                    "Cannot read the PID file '{shown}' to remove it: {e}"
                );
                return;
            }
        };
        let me = std::process::id();
        match parse(&text) {
            Some(pid) if pid == me => match std::fs::remove_file(&self.path) {
                Ok(()) => engine_log!(info, "PID file removed: '{shown}'."),
                Err(e) => engine_log!(error, "Cannot remove the PID file '{shown}': {e}"),
            },
            // The file belongs to another instance (it replaced ours, or refused our start).
            _ if self.written.load(Ordering::SeqCst) => engine_log!(
                warn,
                "PID file '{shown}' left in place: it no longer holds this process's id ({me})."
            ),
            _ => {}
        }
    }
}

/// A process id as PID files hold it: decimal, surrounding white space allowed, not 0.
fn parse(text: &str) -> Option<u32> {
    text.trim().parse::<u32>().ok().filter(|pid| *pid != 0)
}

fn read(path: &Path) -> Result<Content, PidFileError> {
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Content::Missing),
        Err(source) => {
            return Err(PidFileError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let Some(pid) = std::str::from_utf8(&text).ok().and_then(parse) else {
        return Ok(Content::Garbage);
    };
    Ok(if pid == std::process::id() {
        Content::Ours
    } else if process_alive(pid) {
        Content::Alive(pid)
    } else {
        Content::Dead(pid)
    })
}

/// Writes `pid` and a newline to a temporary file beside `path`, then renames it to `path`:
/// over the old file when `replace`, else only if no file appeared meanwhile (one that did is
/// checked again, so two instances starting at once cannot both win).
fn write(path: &Path, pid: u32, replace: bool) -> Result<(), PidFileError> {
    let failed = |source| PidFileError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".pid-")
        .tempfile_in(dir)
        .map_err(failed)?;
    writeln!(tmp, "{pid}").map_err(failed)?;
    tmp.as_file().sync_all().map_err(failed)?;
    // Readable by all, as PID files are (the temporary file was made private).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(failed)?;
    }
    if replace {
        return tmp.persist(path).map(drop).map_err(|e| failed(e.error));
    }
    match tmp.persist_noclobber(path) {
        Ok(_) => Ok(()),
        Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => match read(path)? {
            Content::Alive(other) => Err(PidFileError::Running {
                path: path.to_owned(),
                pid: other,
            }),
            _ => e.file.persist(path).map(drop).map_err(|e| failed(e.error)),
        },
        Err(e) => Err(failed(e.error)),
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn pids_are_read_as_pid_files_hold_them() {
        assert_eq!(parse("1234\n"), Some(1234));
        assert_eq!(parse("  42  "), Some(42));
        assert_eq!(parse("0\n"), None);
        assert_eq!(parse("-5"), None);
        assert_eq!(parse("12 34"), None);
        assert_eq!(parse(""), None);
        assert_eq!(parse("99999999999"), None);
    }
}
