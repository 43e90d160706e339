//! Signals drive the bus, as CherryPy's signal handler plugin does.
//!
//! Unix: `SIGTERM` and `SIGINT` exit, `SIGHUP` restarts the process when asked
//! (`engine.restart_on_sighup`), else publishes `reload` when something listens to it (the
//! TLS certificate), else exits;
//! `SIGUSR1` is a graceful restart of the server. A second `SIGINT` while the exit runs (Ctrl-C
//! pressed again while requests drain) ends the process at once, with status 130. Windows: the
//! console events Ctrl-C, Ctrl-Break, close, logoff and shutdown exit. actix-web's own signal
//! handling is off, so these decide.

use std::sync::Arc;

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

    /// Listens for signals on a thread of its own until the bus exits.
    pub fn attach(self, engine: &Engine) {
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

    #[cfg(windows)]
    async fn listen(self, engine: Engine, done: Arc<Notify>) {
        use tokio::signal::windows;
        let _ = self;
        macro_rules! event {
            ($f:ident, $n:expr) => {
                match windows::$f() {
                    Ok(mut s) => Some(Box::pin(async move {
                        s.recv().await;
                        $n as u32
                    })
                        as std::pin::Pin<Box<dyn std::future::Future<Output = u32> + Send>>),
                    Err(err) => {
                        engine_log!(error, "Could not SetConsoleCtrlHandler (error {err})");
                        None
                    }
                }
            };
        }
        let events: Vec<_> = [
            event!(ctrl_c, 0),
            event!(ctrl_break, 1),
            event!(ctrl_close, 2),
            event!(ctrl_logoff, 5),
            event!(ctrl_shutdown, 6),
        ]
        .into_iter()
        .flatten()
        .collect();
        engine_log!(info, "Set handler for console events.");
        let got = tokio::select! {
            (n, _, _) = futures_util::future::select_all(events) => n,
            () = done.notified() => {
                engine_log!(info, "Removed handler for console events.");
                return;
            }
        };
        engine_log!(info, "Console event {got}: shutting down bus");
        std::thread::spawn(move || engine.exit());
    }
}
