//! A program the engine tests daemonize (tests/it/engine/plugins.rs): a test harness runs
//! threads of its own, and a process that runs threads is not forked.
//!
//! `daemon_child daemonize` calls `drupe::engine::daemonize`; `daemon_child daemonize_plugin`
//! attaches the `Daemonizer` and a `PidFile` to a bus and starts it. The daemon writes its ids
//! to `$DRUPE_DAEMON_DIR/info`.

#[cfg(unix)]
use drupe::engine::{Engine, PidFile};

#[cfg(unix)]
fn main() {
    drupe::engine::init_logging();
    let mode = std::env::args().nth(1).unwrap_or_default();
    daemon_child(mode == "daemonize_plugin")
}

#[cfg(not(unix))]
fn main() {
    eprintln!("daemonizing is for Unix");
    std::process::exit(2);
}

/// `daemonize` and `daemonize_plugin`: the process daemonizes (with the
/// function, or with the plugin and a PID file on a bus), and the daemon reports its ids in
/// `$DRUPE_DAEMON_DIR/info`, its standard output and error going to `stdout` and `stderr`
/// there.
#[cfg(unix)]
fn daemon_child(plugin: bool) -> ! {
    use drupe::engine::Daemonizer;
    let dir =
        std::path::PathBuf::from(std::env::var_os("DRUPE_DAEMON_DIR").expect("DRUPE_DAEMON_DIR"));
    let launcher = std::process::id();
    let options = Daemonizer::new()
        .stdout(dir.join("stdout"))
        .stderr(dir.join("stderr"));
    if !plugin {
        if let Err(e) = drupe::engine::daemonize(&options) {
            eprintln!("cannot daemonize: {e}");
            std::process::exit(3);
        }
        report(&dir, launcher, "").expect("the report is written");
        std::process::exit(0);
    }
    let engine = Engine::new();
    options.attach(&engine);
    let pid_file = dir.join("daemon.pid");
    PidFile::new(&pid_file).attach(&engine);
    engine.subscribe("start", 80, "report", move |_| {
        let written = std::fs::read_to_string(&pid_file)?;
        report(&dir, launcher, &format!("pid_file={}", written.trim()))?;
        Ok(())
    });
    let started = engine.start();
    engine.exit();
    std::process::exit(if started.is_ok() { 0 } else { 70 })
}

/// The daemon's ids, written whole (renamed into place) so the test never reads half.
#[cfg(unix)]
fn report(dir: &std::path::Path, launcher: u32, extra: &str) -> std::io::Result<()> {
    use nix::unistd::{getpid, getppid, getsid};
    println!("the daemon's standard output");
    let sid = getsid(None).map_err(std::io::Error::from)?;
    let text = format!(
        "pid={} ppid={} sid={sid} launcher={launcher} cwd={} {extra}\n",
        getpid(),
        getppid(),
        std::env::current_dir()?.display()
    );
    let tmp = dir.join("info.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, dir.join("info"))
}
