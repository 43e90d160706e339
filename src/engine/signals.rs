//! Signals drive the bus, as CherryPy's signal handler plugin does.
//!
//! Unix: `SIGTERM` and `SIGINT` exit, `SIGHUP` restarts the process when asked
//! (`engine.restart_on_sighup`), else publishes `reload` when something listens to it (the
//! TLS certificate), else exits;
//! `SIGUSR1` is a graceful restart of the server. A second `SIGINT` while the exit runs (Ctrl-C
//! pressed again while requests drain) ends the process at once, with status 130. Windows: the
//! console events Ctrl-C, Ctrl-Break, close, logoff and shutdown exit, as CherryPy's console
//! handler does: the handler exits the bus before it returns (Windows ends the process when a
//! handler for close, logoff or shutdown returns), and is removed first, so a second event
//! while the bus exits goes to Windows' default handler, which ends the process at once.
//! actix-web's own signal handling is off, so these decide.

#[cfg(unix)]
use std::sync::Arc;

#[cfg(unix)]
use tokio::sync::Notify;

use super::{Engine, engine_log};

/// The signal plugin.
///
/// ```no_run
/// use drupe::engine::{Engine, Signals};
/// let engine = Engine::new();
/// Signals::new().restart_on_hup(false).attach(&engine);
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct Signals {
    restart_on_hup: bool,
}

impl Signals {
    /// The default: SIGHUP exits.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether SIGHUP re-executes the process instead of exiting.
    pub fn restart_on_hup(mut self, yes: bool) -> Self {
        self.restart_on_hup = yes;
        self
    }

    /// Listens for signals (on a thread of its own; on Windows, console events on the thread
    /// Windows calls the handler on) until the bus exits.
    pub fn attach(self, engine: &Engine) {
        #[cfg(unix)]
        self.attach_signals(engine);
        #[cfg(windows)]
        {
            // No console event asks for a restart: the setting has nothing to apply to.
            let _ = self.restart_on_hup;
            console::attach(engine);
        }
    }

    #[cfg(unix)]
    fn attach_signals(self, engine: &Engine) {
        let done = Arc::new(Notify::new());
        let stop = done.clone();
        engine.subscribe("exit", 90, "signal handler", move |_| {
            stop.notify_one();
            Ok(())
        });
        let e = engine.clone();
        let t = std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(err) => {
                        engine_log!(error, "Could not listen for signals: {err}");
                        return;
                    }
                };
                rt.block_on(self.listen(e, done));
            });
        match t {
            Ok(t) => engine.adopt_thread(t),
            Err(err) => engine_log!(error, "Could not start the signal thread: {err}"),
        }
    }

    #[cfg(unix)]
    async fn listen(self, engine: Engine, done: Arc<Notify>) {
        use tokio::signal::unix::{SignalKind, signal};
        let mut streams = Vec::new();
        for (name, kind) in [
            ("SIGTERM", SignalKind::terminate()),
            ("SIGHUP", SignalKind::hangup()),
            ("SIGUSR1", SignalKind::user_defined1()),
            ("SIGINT", SignalKind::interrupt()),
        ] {
            match signal(kind) {
                Ok(s) => {
                    engine_log!(info, "Listening for {name}.");
                    streams.push((name, s));
                }
                Err(err) => engine_log!(error, "Could not listen for {name}: {err}"),
            }
        }
        let mut exiting = false;
        loop {
            let next = futures_util::future::select_all(
                streams
                    .iter_mut()
                    .map(|(name, s)| Box::pin(async move { s.recv().await.map(|_| *name) })),
            );
            let got = tokio::select! {
                (got, _, _) = next => got,
                () = done.notified() => return,
            };
            let Some(name) = got else { return };
            engine_log!(info, "Caught signal {name}.");
            if name == "SIGINT" && exiting {
                engine_log!(
                    error,
                    "SIGINT caught again while shutting down: exiting now, without waiting \
                     for requests to finish."
                );
                // 128 + SIGINT, what a shell reports for a process ended by Ctrl-C.
                std::process::exit(130);
            }
            let _ = engine.publish(name);
            let e = engine.clone();
            let reload = name == "SIGHUP" && !self.restart_on_hup && engine.has_listeners("reload");
            exiting |= name != "SIGUSR1" && !reload;
            match name {
                "SIGHUP" if self.restart_on_hup => {
                    engine_log!(info, "SIGHUP caught: restarting.");
                    std::thread::spawn(move || e.restart());
                }
                "SIGHUP" if reload => {
                    engine_log!(info, "SIGHUP caught: reloading.");
                    std::thread::spawn(move || {
                        // A listener that fails has logged why; what it reloads stays as it was.
                        let _ = e.publish("reload");
                    });
                }
                "SIGHUP" => {
                    engine_log!(
                        info,
                        "SIGHUP caught but not configured to restart. Exiting."
                    );
                    std::thread::spawn(move || e.exit());
                }
                "SIGUSR1" => {
                    std::thread::spawn(move || e.graceful());
                }
                _ => {
                    std::thread::spawn(move || e.exit());
                }
            }
        }
    }
}

/// Console control events (Windows), through `net::console`.
#[cfg(windows)]
mod console {
    use crate::net::console::on_console_event;

    use super::{Engine, engine_log};

    /// Exits the bus on the first console event, before the handler returns; removed when
    /// the bus exits.
    pub(super) fn attach(engine: &Engine) {
        let e = engine.clone();
        let handler = on_console_event(move |event| {
            engine_log!(info, "Console event {}: shutting down bus", event.code());
            e.exit();
        });
        let handler = match handler {
            Ok(h) => h,
            Err(err) => {
                engine_log!(error, "Could not SetConsoleCtrlHandler (error {err})");
                return;
            }
        };
        engine_log!(info, "Set handler for console events.");
        engine.subscribe("exit", 90, "console handler", move |_| {
            if handler.remove() {
                engine_log!(info, "Removed handler for console events.");
            }
            Ok(())
        });
    }
}

#[cfg(all(test, windows))]
mod windows_tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use crate::net::console::{ConsoleEvent, deliver};

    use super::super::log::Captured;
    use super::super::{Engine, EngineFormat, State};
    use super::Signals;

    /// One test at a time: the handler routine and its callbacks are the process's.
    static CONSOLE: Mutex<()> = Mutex::new(());

    /// Each of the five events, given to the routine Windows calls: the bus has exited
    /// (its exit listeners run, `Bus EXITED` logged) when the routine returns `TRUE`, as
    /// close, logoff and shutdown need (Windows ends the process when the routine returns).
    /// The handler is gone then: a second event is declined, so Windows' default handler ends
    /// the process. Ctrl-C and Ctrl-Break are also raised for real in the engine tests; the
    /// console raises close, logoff and shutdown itself, so the routine is called here.
    #[test]
    fn a_console_event_exits_the_bus_before_the_handler_returns() {
        let _one = CONSOLE.lock().unwrap_or_else(|e| e.into_inner());
        for event in [
            ConsoleEvent::CtrlC,
            ConsoleEvent::CtrlBreak,
            ConsoleEvent::Close,
            ConsoleEvent::Logoff,
            ConsoleEvent::Shutdown,
        ] {
            let log = Captured::default();
            let subscriber = tracing_subscriber::fmt()
                .with_writer(log.clone())
                .event_format(EngineFormat)
                .finish();
            let seen = Arc::new(Mutex::new(Vec::new()));
            let engine = Engine::new();
            let s = seen.clone();
            engine.subscribe("exit", 10, "slow cleanup", move |_| {
                // Slow, so that a handler that returned before the bus exited is caught.
                std::thread::sleep(Duration::from_millis(300));
                s.lock().unwrap().push("exit listener done");
                Ok(())
            });
            let handled = tracing::subscriber::with_default(subscriber, || {
                Signals::new().attach(&engine);
                engine.start().unwrap();
                deliver(event.code())
            });
            seen.lock().unwrap().push("handler returned");
            assert!(handled, "{event:?}: the handler answers TRUE (handled)");
            assert_eq!(
                *seen.lock().unwrap(),
                ["exit listener done", "handler returned"],
                "{event:?}"
            );
            assert!(*engine.inner.exited.lock().unwrap(), "{event:?}");
            assert_eq!(engine.exit_code(), 0, "{event:?}");
            let log = log.text();
            let console = format!("ENGINE Console event {}: shutting down bus", event.code());
            let at = log
                .find(&console)
                .unwrap_or_else(|| panic!("{console}:\n{log}"));
            assert!(log[at..].contains("ENGINE Bus EXITED"), "{log}");
            assert!(
                !deliver(event.code()),
                "{event:?}: a second event goes to Windows' default handler"
            );
        }
    }

    /// Codes that are none of the five are declined and change nothing; the handler is
    /// removed when the bus exits otherwise.
    #[test]
    fn other_codes_are_declined_and_the_handler_goes_with_the_bus() {
        let _one = CONSOLE.lock().unwrap_or_else(|e| e.into_inner());
        let engine = Engine::new();
        Signals::new().attach(&engine);
        engine.start().unwrap();
        for code in [3, 4, 7] {
            assert!(!deliver(code), "code {code}");
        }
        assert_eq!(engine.state(), State::Started);
        engine.exit();
        assert!(
            !deliver(ConsoleEvent::CtrlC.code()),
            "removed when the bus exited"
        );
    }
}
