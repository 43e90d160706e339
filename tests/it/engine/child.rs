//! Child processes of this test binary, with no test that passes by doing nothing.
//!
//! A test that needs a child process starts with `let me = here!();`. In the test process that
//! line names the test. The child is this binary again, told to run that one test
//! (`--exact <name>`) with `DRUPE_CHILD=<mode>` set; there the same line runs the mode and
//! exits before the test's body. Every child so runs inside a real, counted test.

use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use drupe::App;
use drupe::engine::{Engine, ServerPlugin, Signals};

use super::Root;

const MODE: &str = "DRUPE_CHILD";

/// The test the calling code is in, named as `--exact` wants it.
#[derive(Debug, Clone)]
pub(crate) struct Test(String);

/// In a child process, runs its mode and exits; in the test process, names the calling test.
macro_rules! here {
    () => {{
        fn here() {}
        crate::engine::child::enter(std::any::type_name_of_val(&here))
    }};
}
pub(crate) use here;

/// `path` is the type name of a function declared in the test: `it::engine::x::test::here`
/// (with `::{{closure}}` segments in an async test).
pub(crate) fn enter(path: &str) -> Test {
    let name: Vec<&str> = path
        .split("::")
        .skip(1)
        .take_while(|s| !s.starts_with('{') && *s != "here")
        .collect();
    if let Ok(mode) = std::env::var(MODE) {
        run(&mode);
    }
    Test(name.join("::"))
}

impl Test {
    /// The test named `name` (`engine::...`), for a child started where [`here!`] cannot be
    /// written (a handler).
    pub(crate) fn named(name: &str) -> Test {
        Test(name.to_owned())
    }

    /// This test binary, run again as a child in `mode`, stdin closed.
    pub(crate) fn command(&self, mode: &str) -> Command {
        let mut c = Command::new(std::env::current_exe().expect("the test binary"));
        c.args(self.args()).env(MODE, mode).stdin(Stdio::null());
        c
    }

    /// The arguments that run this test alone.
    pub(crate) fn args(&self) -> [&str; 3] {
        ["--exact", &self.0, "--nocapture"]
    }

    /// The test's name, `engine::...`.
    pub(crate) fn name(&self) -> &str {
        &self.0
    }
}

/// The modes. `serve`: a `Server` of the engine tests' app on `DRUPE_BIND` (with
/// `server.shutdown_timeout` from `DRUPE_SHUTDOWN_TIMEOUT`, seconds, when set; over TLS with
/// `DRUPE_TLS_CERT` and `DRUPE_TLS_KEY`), exiting with its status. `sleep`: a minute.
/// `fail_start`: a bus whose second start listener fails. `fail_graceful`: a served bus with a
/// graceful listener that fails. Unix: `drop_privileges` (root becoming `nobody`), see
/// `plugins`. Windows: `console_launcher` and `probe_sockets` (see `engine::windows`).
fn run(mode: &str) -> ! {
    #[cfg(windows)]
    match mode {
        // Before logging is set up: the launcher's own bus logs nothing.
        "console_launcher" => super::windows::console_launcher(),
        "probe_sockets" => super::windows::probe_sockets(),
        _ => {}
    }
    drupe::engine::init_logging();
    match mode {
        "serve" => {
            let bind = std::env::var("DRUPE_BIND").expect("DRUPE_BIND");
            let mut server = drupe::engine::Server::new().mount("/", served_app());
            if let (Some(cert), Some(key)) = (
                std::env::var_os("DRUPE_TLS_CERT"),
                std::env::var_os("DRUPE_TLS_KEY"),
            ) {
                server = server.tls(cert, key);
            }
            exit(server.serve(&bind))
        }
        "sleep" => {
            std::thread::sleep(Duration::from_secs(60));
            std::process::exit(0)
        }
        "fail_start" => {
            let engine = Engine::new();
            for (name, prio, fail) in [
                ("first", 10, false),
                ("second", 20, true),
                ("third", 30, false),
            ] {
                engine.subscribe("start", prio, name, move |_| {
                    eprintln!("start listener {name} ran");
                    if fail {
                        Err(format!("{name} refuses to start").into())
                    } else {
                        Ok(())
                    }
                });
            }
            engine.subscribe("stop", 50, "stopper", |_| {
                eprintln!("stop listener ran");
                Ok(())
            });
            let _ = engine.start();
            exit(engine.block())
        }
        "fail_graceful" => {
            let bind = std::env::var("DRUPE_BIND").expect("DRUPE_BIND");
            let engine = Engine::new();
            Signals::new().attach(&engine);
            ServerPlugin::new(served_app(), bind.parse().expect("an address"))
                .on_serving(|url| tracing::info!(target: "drupe", "serving on {url}"))
                .attach(&engine);
            engine.subscribe("graceful", 60, "configuration reload", |_| {
                Err("the configuration file has a syntax error on line 3".into())
            });
            let _ = engine.start();
            exit(engine.block())
        }
        #[cfg(unix)]
        "drop_privileges" => super::plugins::drop_privileges_child(),
        other => panic!("unknown child mode {other}"),
    }
}

fn served_app() -> App {
    let mut app = App::builder(Root);
    if let Ok(secs) = std::env::var("DRUPE_SHUTDOWN_TIMEOUT") {
        let secs: f64 = secs.parse().expect("seconds");
        app = app.set_global("server.shutdown_timeout", secs);
    }
    app.build().expect("the engine tests' app builds")
}

/// Ends the child with `code` (an `ExitCode` cannot be read back; it can be compared).
fn exit(code: ExitCode) -> ! {
    let n = (0..=255u8)
        .find(|n| ExitCode::from(*n) == code)
        .unwrap_or(1);
    std::process::exit(i32::from(n))
}
