//! CherryPy's engine plugins with real files, threads and processes: the PID file (written,
//! removed, refused while its process lives, replaced when stale), background tasks (run
//! repeatedly, survive their errors, stop at once), and on Unix the daemonizer and the
//! privilege drop, each in a child process since neither can be undone.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use drupe::engine::{BackgroundTask, Engine, Monitor, PidFile, PidFileError, TaskResult};

use super::child::here;
use crate::capture::Log;

/// Whether `done` holds within 10 s (polled every 10 ms).
fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if done() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

// The PID file.

#[test]
fn the_pid_file_holds_our_pid_while_started_and_is_removed_at_exit() {
    let log = Log::new();
    let _on = log.on_this_thread();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.pid");
    let engine = Engine::new();
    PidFile::new(&path).attach(&engine);
    engine.start().unwrap();
    let pid = std::process::id();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{pid}\n"));
    // Written through a temporary file that was renamed, not left beside it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    engine.exit();
    assert!(!path.exists(), "removed at exit");
    assert_eq!(engine.exit_code(), 0);
    let text = log.text();
    let shown = path.display();
    assert!(
        text.contains(&format!("PID {pid} written to '{shown}'.")),
        "{text}"
    );
    assert!(
        text.contains(&format!("PID file removed: '{shown}'.")),
        "{text}"
    );
}

#[test]
fn a_start_is_refused_while_the_pid_file_names_a_live_process() {
    let me = here!();
    let mut live = me
        .command("sleep")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let live_pid = live.id();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.pid");
    std::fs::write(&path, format!("{live_pid}\n")).unwrap();
    let checked = PidFile::check(&path);
    let engine = Engine::new();
    PidFile::new(&path).attach(&engine);
    let started = engine.start();
    let left = std::fs::read_to_string(&path);
    let _ = live.kill();
    let _ = live.wait();
    match checked {
        Err(PidFileError::Running { pid, .. }) => assert_eq!(pid, live_pid),
        other => panic!("the check let a live process's file through: {other:?}"),
    }
    let err = started.expect_err("the start is refused").to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains(&format!("process {live_pid}")), "{err}");
    assert_eq!(engine.exit_code(), 70);
    assert_eq!(
        left.unwrap(),
        format!("{live_pid}\n"),
        "the other instance's file is left as it was, exit included"
    );
}

#[test]
fn a_stale_pid_file_is_replaced() {
    let log = Log::new();
    let _on = log.on_this_thread();
    // A process that has exited (and was reaped): its pid names no process now.
    let mut gone = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "no::such::test"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let gone_pid = gone.id();
    gone.wait().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.pid");
    let pid = std::process::id();
    for (stale, logged) in [
        (
            format!("{gone_pid}\n"),
            format!("process {gone_pid} is not running"),
        ),
        (
            "not a pid\n".to_owned(),
            "it holds no process id".to_owned(),
        ),
    ] {
        std::fs::write(&path, &stale).unwrap();
        PidFile::check(&path).expect("a stale file refuses nothing");
        let engine = Engine::new();
        PidFile::new(&path).attach(&engine);
        engine.start().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{pid}\n"));
        engine.exit();
        assert!(!path.exists());
        let text = log.text();
        assert!(
            text.contains(&format!(
                "Replacing the stale PID file '{}'",
                path.display()
            )),
            "{text}"
        );
        assert!(text.contains(&logged), "{text}");
    }
}

// Background tasks.

/// A task counting its runs and recording the name of the thread they ran on.
fn counting(
    name: &str,
    interval: Duration,
) -> (BackgroundTask, Arc<AtomicUsize>, Arc<Mutex<Vec<String>>>) {
    let runs = Arc::new(AtomicUsize::new(0));
    let threads: Arc<Mutex<Vec<String>>> = Arc::default();
    let (r, t) = (runs.clone(), threads.clone());
    let task = BackgroundTask::new(name, interval, move || {
        let thread = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_owned();
        t.lock().unwrap().push(thread);
        r.fetch_add(1, Ordering::SeqCst);
        Ok(())
    });
    (task, runs, threads)
}

#[test]
fn a_monitor_runs_its_task_while_the_bus_is_started() {
    let log = Log::new();
    let _on = log.on_this_thread();
    let (task, runs, threads) = counting("counter", Duration::from_millis(20));
    let engine = Engine::new();
    Monitor::new(task.clone()).attach(&engine);
    engine.start().unwrap();
    assert!(
        eventually(|| runs.load(Ordering::SeqCst) >= 2),
        "ran {} times",
        runs.load(Ordering::SeqCst)
    );
    engine.stop();
    assert!(!task.is_running());
    let stopped_at = runs.load(Ordering::SeqCst);
    // Ten intervals: a thread still running would have run again.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(runs.load(Ordering::SeqCst), stopped_at, "a run after stop");
    // A start after a stop starts it again.
    engine.start().unwrap();
    assert!(eventually(|| runs.load(Ordering::SeqCst) >= stopped_at + 2));
    engine.exit();
    assert!(!task.is_running());
    assert!(
        threads.lock().unwrap().iter().all(|t| t == "counter"),
        "every run on the task's own thread: {:?}",
        threads.lock().unwrap()
    );
    let text = log.text();
    assert_eq!(
        text.matches("Started monitor thread 'counter'.").count(),
        2,
        "{text}"
    );
    assert_eq!(
        text.matches("Stopped thread 'counter'.").count(),
        2,
        "{text}"
    );
}

#[test]
fn a_failing_task_logs_its_error_and_keeps_running() {
    let log = Log::new();
    let _on = log.on_this_thread();
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let task = BackgroundTask::new("flaky", Duration::from_millis(20), move || {
        match r.fetch_add(1, Ordering::SeqCst) {
            0 => Err("the disk is full".into()),
            1 => panic!("the index is corrupt"),
            _ => Ok(()),
        }
    });
    task.start().unwrap();
    let kept_running = eventually(|| runs.load(Ordering::SeqCst) >= 4);
    task.stop();
    assert!(
        kept_running,
        "stopped after {} runs",
        runs.load(Ordering::SeqCst)
    );
    let text = log.text();
    assert!(
        text.contains("Error in background task 'flaky': the disk is full"),
        "{text}"
    );
    assert!(
        text.contains("Background task 'flaky' panicked: the index is corrupt"),
        "{text}"
    );
}

#[test]
fn a_stop_does_not_wait_for_the_interval() {
    let (task, runs, _) = counting("hourly", Duration::from_secs(3600));
    task.start().unwrap();
    assert!(task.is_running());
    let (stopped, done) = mpsc::channel();
    let t = task.clone();
    std::thread::spawn(move || {
        t.stop();
        let _ = stopped.send(());
    });
    done.recv_timeout(Duration::from_secs(10))
        .expect("the stop waited for the hour-long interval");
    assert!(!task.is_running());
    assert_eq!(runs.load(Ordering::SeqCst), 0, "it waits first, then runs");
}

#[test]
fn a_stop_during_a_run_waits_for_the_run_to_return() {
    let (entered, runs_entered) = mpsc::channel();
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    let task = BackgroundTask::new("slow", Duration::from_millis(10), move || {
        let _ = entered.send(());
        std::thread::sleep(Duration::from_millis(300));
        f.store(true, Ordering::SeqCst);
        Ok(())
    });
    task.start().unwrap();
    runs_entered
        .recv_timeout(Duration::from_secs(10))
        .expect("the task ran");
    task.stop();
    assert!(
        finished.load(Ordering::SeqCst),
        "the stop returned while the run was still going"
    );
}

#[test]
fn an_async_task_runs_on_a_runtime_of_its_own() {
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let task = BackgroundTask::new_async("async", Duration::from_millis(20), move || {
        let r = r.clone();
        async move {
            // A tokio timer: the task's thread has a runtime with its drivers.
            tokio::time::sleep(Duration::from_millis(1)).await;
            r.fetch_add(1, Ordering::SeqCst);
            TaskResult::Ok(())
        }
    });
    let engine = Engine::new();
    Monitor::new(task.clone()).attach(&engine);
    engine.start().unwrap();
    let ran = eventually(|| runs.load(Ordering::SeqCst) >= 2);
    engine.exit();
    assert!(ran, "ran {} times", runs.load(Ordering::SeqCst));
    assert!(!task.is_running());
}

// The daemonizer (Unix).

#[cfg(target_os = "linux")]
#[test]
fn the_daemonizer_refuses_a_process_that_runs_threads() {
    use drupe::engine::Daemonizer;
    // Where the threads cannot be counted the daemonizer would fork this test process.
    assert!(
        std::path::Path::new("/proc/self/task").is_dir(),
        "/proc is not mounted"
    );
    // A thread alive through the start: the process runs at least two, however the tests run.
    let (keep, parked) = mpsc::channel::<()>();
    let helper = std::thread::spawn(move || {
        let _ = parked.recv();
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let engine = Engine::new();
    Daemonizer::new().stdout(&out).attach(&engine);
    let started = engine.start();
    let direct = drupe::engine::daemonize(&Daemonizer::new());
    drop(keep);
    helper.join().unwrap();
    let err = started.expect_err("refused").to_string();
    assert!(err.contains("cannot daemonize: the process runs"), "{err}");
    assert_eq!(engine.exit_code(), 70);
    let direct = direct.expect_err("refused").to_string();
    assert!(direct.contains("cannot daemonize"), "{direct}");
    assert!(!out.exists(), "refused before a stream was opened");
}

/// `key=value` fields of a line the daemon wrote.
#[cfg(unix)]
fn fields(text: &str) -> std::collections::HashMap<String, String> {
    text.split_whitespace()
        .filter_map(|f| f.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Waits (at most 30 s) for `path` to exist, then reads it.
#[cfg(unix)]
fn wait_for_file(path: &std::path::Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::read_to_string(path).unwrap()
}

/// The child (`daemonize` or `daemonize_plugin` mode) run to its end; returns the fields the
/// daemon reported, after checking what the child and the daemon have in common.
#[cfg(unix)]
fn run_daemon(
    me: &super::child::Test,
    mode: &str,
    dir: &std::path::Path,
) -> std::collections::HashMap<String, String> {
    // A program of its own: a test harness runs threads, and a process with threads is not
    // forked.
    let _ = me;
    let launcher = std::process::Command::new(crate::process::example_binary("daemon_child"))
        .arg(mode)
        .env("DRUPE_DAEMON_DIR", dir)
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    let launcher_log = String::from_utf8_lossy(&launcher.stderr);
    assert!(launcher.status.success(), "{launcher_log}");
    assert!(
        launcher_log.contains("ENGINE Forking once."),
        "{launcher_log}"
    );
    let info = fields(&wait_for_file(&dir.join("info")));
    let pid: u32 = info["pid"].parse().unwrap();
    let launcher_pid: u32 = info["launcher"].parse().unwrap();
    let test_sid = nix::unistd::getsid(None).unwrap().to_string();
    assert_ne!(pid, launcher_pid, "the daemon is another process");
    assert_ne!(
        info["ppid"], info["launcher"],
        "its parent is not the launcher"
    );
    assert_ne!(
        info["sid"], test_sid,
        "it left the session it was started in"
    );
    assert_ne!(
        info["sid"], info["pid"],
        "it is not a session leader (the second fork)"
    );
    assert_eq!(info["cwd"], "/");
    let stdout = std::fs::read_to_string(dir.join("stdout")).unwrap();
    assert!(stdout.contains("the daemon's standard output"), "{stdout}");
    info
}

#[cfg(unix)]
#[test]
fn daemonize_detaches_the_process_from_its_launcher_and_session() {
    let me = here!();
    let dir = tempfile::tempdir().unwrap();
    let info = run_daemon(&me, "daemonize", dir.path());
    let log = wait_for_file(&dir.path().join("stderr"));
    assert!(
        log.contains(&format!("ENGINE Daemonized to PID: {}", info["pid"])),
        "{log}"
    );
}

#[cfg(unix)]
#[test]
fn the_daemonizer_plugin_forks_before_the_pid_file_is_written() {
    let me = here!();
    let dir = tempfile::tempdir().unwrap();
    let info = run_daemon(&me, "daemonize_plugin", dir.path());
    assert_eq!(
        info["pid_file"], info["pid"],
        "the PID file holds the daemon's pid"
    );
    let stderr = dir.path().join("stderr");
    let deadline = Instant::now() + Duration::from_secs(30);
    let log = loop {
        let log = std::fs::read_to_string(&stderr).unwrap_or_default();
        if log.contains("ENGINE Bus EXITED") {
            break log;
        }
        assert!(Instant::now() < deadline, "the daemon never exited:\n{log}");
        std::thread::sleep(Duration::from_millis(20));
    };
    let pid_file = dir.path().join("daemon.pid");
    assert!(!pid_file.exists(), "removed at the daemon's exit");
    for line in [
        format!("Daemonized to PID: {}", info["pid"]),
        format!("PID {} written to '{}'.", info["pid"], pid_file.display()),
        format!("PID file removed: '{}'.", pid_file.display()),
    ] {
        assert!(log.contains(&line), "{line:?} missing:\n{log}");
    }
}

// Dropping privileges (Unix).

#[cfg(unix)]
#[test]
fn dropping_privileges_to_the_ids_held_needs_no_root_and_other_ids_do() {
    use drupe::engine::DropPrivileges;
    use nix::unistd::{getgid, getuid};
    // The ids this process holds: nothing changes, whoever runs the test.
    let engine = Engine::new();
    DropPrivileges::new()
        .uid(getuid().as_raw())
        .gid(getgid().as_raw())
        .attach(&engine);
    engine.start().expect("the ids held are fine");
    engine.exit();
    assert_eq!(engine.exit_code(), 0);
    if getuid().is_root() {
        // As root any change would be made, for good: the child of the next test checks the
        // refusal once it is no longer root.
        return;
    }
    let engine = Engine::new();
    DropPrivileges::new().uid(0).attach(&engine);
    let err = engine.start().expect_err("refused").to_string();
    assert!(err.contains("cannot run as uid 0"), "{err}");
    assert!(err.contains("not root"), "{err}");
    assert_eq!(engine.exit_code(), 70);
}

#[cfg(unix)]
#[test]
fn dropping_privileges_runs_the_process_as_nobody() {
    let me = here!();
    if !nix::unistd::geteuid().is_root() {
        eprintln!(
            "skipped: dropping privileges needs root, and this test runs as uid {}",
            nix::unistd::geteuid()
        );
        return;
    }
    let Some(nobody) = nix::unistd::User::from_name("nobody").unwrap() else {
        eprintln!("skipped: this system has no user 'nobody'");
        return;
    };
    let out = me
        .command("drop_privileges")
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(70), "{stdout}\n{stderr}");
    for line in [
        "before: uid=0".to_owned(),
        format!(
            "after: uid={} euid={} gid={}",
            nobody.uid, nobody.uid, nobody.gid
        ),
        "same ids again: started".to_owned(),
    ] {
        assert!(
            stdout.contains(&line),
            "{line:?} missing:\n{stdout}\n{stderr}"
        );
    }
    assert!(
        stdout.contains("back to root: DropPrivileges: cannot run as uid 0"),
        "{stdout}"
    );
    for line in [
        "ENGINE Started as uid: 0".to_owned(),
        format!(
            "ENGINE Running as uid: {} (nobody) gid: {}",
            nobody.uid, nobody.gid
        ),
        "new: 0o27".to_owned(),
    ] {
        assert!(stderr.contains(&line), "{line:?} missing:\n{stderr}");
    }
}

/// The `drop_privileges` child mode (run as root): a bus whose server-time listener (76) sees
/// root, then DropPrivileges to `nobody` (77); the same ids again; then back to root, refused.
#[cfg(unix)]
pub(super) fn drop_privileges_child() -> ! {
    use drupe::engine::DropPrivileges;
    use nix::unistd::{geteuid, getgid, getuid};
    let engine = Engine::new();
    engine.subscribe("start", 76, "before", |_| {
        println!("before: uid={}", getuid());
        Ok(())
    });
    DropPrivileges::new()
        .uid("nobody")
        .umask(0o027)
        .attach(&engine);
    let started = engine.start();
    println!(
        "after: uid={} euid={} gid={} started={}",
        getuid(),
        geteuid(),
        getgid(),
        started.is_ok()
    );
    let again = Engine::new();
    DropPrivileges::new().uid("nobody").attach(&again);
    match again.start() {
        Ok(()) => println!("same ids again: started"),
        Err(e) => println!("same ids again: {e}"),
    }
    let back = Engine::new();
    DropPrivileges::new().uid(0).attach(&back);
    match back.start() {
        Ok(()) => println!("back to root: started"),
        Err(e) => println!("back to root: {e}"),
    }
    std::process::exit(i32::from(back.exit_code()))
}
