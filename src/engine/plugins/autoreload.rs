//! CherryPy's Autoreloader, for development: when a source or template changes, rebuild and
//! re-execute the program, keeping its listening socket.
//!
//! It is a [`Monitor`] named `Autoreloader` (CherryPy's `Started monitor thread
//! 'Autoreloader'.`) that looks at the modification times of the files it watches every
//! `engine.autoreload.frequency` (1 s). On a change (a file modified, added or removed) it logs
//! `Restarting because PATH changed.`, runs the build command (`cargo build --bin NAME` or
//! `--example NAME` for this program, `--release` in a release build), and on success restarts the bus: the process re-executes itself, the
//! server keeping its socket for the new program (Unix), so a request sent meanwhile waits
//! instead of being refused. A build that fails is logged with the end of its output, and the
//! program as it was goes on serving until the next change. Watched by default: `src`,
//! `templates` and `Cargo.toml` of the current folder; folders are walked, `target` and
//! hidden entries skipped. Switched on by `engine.autoreload.on` (the `development`
//! environment's), never in production.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use super::{BackgroundTask, Monitor};
use crate::config::AutoreloadSettings;
use crate::engine::{Engine, engine_log};

/// How much of a failed build's output the log gets.
const OUTPUT_TAIL: usize = 4000;

/// What the watched files looked like: each file's modification time.
type Snapshot = BTreeMap<PathBuf, Option<SystemTime>>;

/// The Autoreloader.
///
/// ```no_run
/// use drupe::engine::{Autoreloader, Engine};
/// let engine = Engine::new();
/// Autoreloader::new()
///     .files(["src", "templates"])
///     .frequency(std::time::Duration::from_secs(1))
///     .attach(&engine);
/// ```
#[derive(Debug, Clone)]
pub struct Autoreloader {
    files: Vec<PathBuf>,
    frequency: Duration,
    build: Vec<String>,
}

impl Default for Autoreloader {
    fn default() -> Self {
        Self::new()
    }
}

impl Autoreloader {
    /// Watches `src`, `templates` and `Cargo.toml` every second and rebuilds this program
    /// with cargo: `cargo build --bin NAME`, or `--example NAME` for an example (`--release`
    /// in a release build).
    pub fn new() -> Self {
        let mut build = vec!["cargo".to_owned(), "build".to_owned()];
        if !cfg!(debug_assertions) {
            build.push("--release".to_owned());
        }
        if let Ok(exe) = std::env::current_exe()
            && let Some(name) = exe.file_stem().and_then(|n| n.to_str())
        {
            let example = exe
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|d| d == "examples");
            build.push(if example { "--example" } else { "--bin" }.to_owned());
            build.push(name.to_owned());
        }
        Self {
            files: ["src", "templates", "Cargo.toml"]
                .map(PathBuf::from)
                .to_vec(),
            frequency: Duration::from_secs(1),
            build,
        }
    }

    /// The Autoreloader of `engine.autoreload.*`.
    pub fn from_settings(settings: &AutoreloadSettings) -> Self {
        let mut me = Self::new().frequency(settings.frequency.get());
        if !settings.files.is_empty() {
            me = me.files(settings.files.iter().cloned());
        }
        if let Some(build) = &settings.build {
            me = me.build(build.iter().cloned());
        }
        me
    }

    /// The files and folders watched, in place of the defaults.
    pub fn files<P: Into<PathBuf>>(mut self, files: impl IntoIterator<Item = P>) -> Self {
        self.files = files.into_iter().map(Into::into).collect();
        self
    }

    /// How often they are looked at.
    pub fn frequency(mut self, every: Duration) -> Self {
        self.frequency = every;
        self
    }

    /// The command run before the re-execution (program and arguments); empty: none.
    pub fn build<S: Into<String>>(mut self, command: impl IntoIterator<Item = S>) -> Self {
        self.build = command.into_iter().map(Into::into).collect();
        self
    }

    /// Subscribes its monitor to `engine` (start 70, stop 50).
    pub fn attach(self, engine: &Engine) {
        let seen = Mutex::new(None::<Snapshot>);
        let done = AtomicBool::new(false);
        let bus = engine.clone();
        let task = BackgroundTask::new("Autoreloader", self.frequency, move || {
            if done.load(Ordering::SeqCst) {
                return Ok(());
            }
            let now = snapshot(&self.files);
            let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
            let Some(before) = seen.replace(now.clone()) else {
                // The first look records what is there.
                return Ok(());
            };
            let Some(changed) = first_change(&before, &now) else {
                return Ok(());
            };
            engine_log!(info, "Restarting because {} changed.", changed.display());
            if let Err(e) = run_build(&self.build) {
                engine_log!(
                    error,
                    "The build failed; the program as it was goes on serving:\n{e}"
                );
                return Ok(());
            }
            done.store(true, Ordering::SeqCst);
            // Not on this thread: the restart stops this monitor, which waits for this run.
            let bus = bus.clone();
            std::thread::spawn(move || bus.restart());
            Ok(())
        });
        Monitor::new(task).attach(engine);
    }
}

/// Every file under `roots` with its modification time (`None`: it cannot be read).
fn snapshot(roots: &[PathBuf]) -> Snapshot {
    let mut out = Snapshot::new();
    for root in roots {
        walk(root, &mut out);
    }
    out
}

fn walk(path: &Path, out: &mut Snapshot) {
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    if !meta.is_dir() {
        out.insert(path.to_owned(), meta.modified().ok());
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        walk(&entry.path(), out);
    }
}

/// The first file whose modification time changed (either way: a tool may set an older one),
/// or that is new, or gone.
fn first_change<'a>(before: &'a Snapshot, now: &'a Snapshot) -> Option<&'a Path> {
    for (path, time) in now {
        match before.get(path) {
            Some(old) if old == time => {}
            _ => return Some(path),
        }
    }
    before
        .keys()
        .find(|p| !now.contains_key(*p))
        .map(PathBuf::as_path)
}

/// Runs the build command; `Err` with the end of its output when it fails.
fn run_build(command: &[String]) -> Result<(), String> {
    let Some((program, args)) = command.split_first() else {
        return Ok(());
    };
    engine_log!(info, "Rebuilding: {}", command.join(" "));
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&out.stderr);
    let tail = text
        .char_indices()
        .rev()
        .nth(OUTPUT_TAIL)
        .map_or(&*text, |(i, _)| &text[i..]);
    Err(format!("{} ({}):\n{tail}", command.join(" "), out.status))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::{Duration, SystemTime};

    use super::{Snapshot, first_change, run_build};

    #[test]
    fn a_build_that_cannot_run_or_fails_says_so() {
        let err = run_build(&["drupe-no-such-program".to_owned()]).unwrap_err();
        assert!(err.contains("cannot run drupe-no-such-program"), "{err}");
        assert_eq!(run_build(&[]), Ok(()), "no command: nothing to build");
    }

    #[test]
    fn a_newer_new_or_removed_file_is_a_change() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let t1 = t0 + Duration::from_secs(1);
        let snap = |entries: &[(&str, SystemTime)]| -> Snapshot {
            entries
                .iter()
                .map(|(p, t)| (PathBuf::from(p), Some(*t)))
                .collect()
        };
        let before = snap(&[("a.rs", t0), ("b.rs", t0)]);
        assert_eq!(first_change(&before, &before.clone()), None);
        let newer = snap(&[("a.rs", t0), ("b.rs", t1)]);
        assert_eq!(first_change(&before, &newer), Some("b.rs".as_ref()));
        let added = snap(&[("a.rs", t0), ("b.rs", t0), ("c.rs", t0)]);
        assert_eq!(first_change(&before, &added), Some("c.rs".as_ref()));
        let removed = snap(&[("a.rs", t0)]);
        assert_eq!(first_change(&before, &removed), Some("b.rs".as_ref()));
        // A file set back in time (a tool that keeps the times of what it copies) is a
        // change too.
        let older = snap(&[("a.rs", t0 - Duration::from_secs(5)), ("b.rs", t0)]);
        assert_eq!(first_change(&before, &older), Some("a.rs".as_ref()));
    }
}
