//! The HTTP server as an engine plugin (start priority 75, stop 25, graceful 50).
//!
//! Start binds the listener on the calling thread (so a busy port fails the start, with the
//! holder named) and runs actix-web in a thread of its own with its signal handling off (see
//! [`http`](super::http)). The plugin keeps a second handle on the listening socket for as long
//! as it serves. Graceful (`SIGUSR1`) starts a new server on that socket, then drains the old
//! one: the socket never closes, so no connection is refused and a restart cannot lose the
//! port to another process. Stop drains within the shutdown timeout and closes the socket:
//! the port is free when stop returns, and requests still running then are abandoned, which
//! fails the stop (the process then exits non-zero) rather than outlasting the timeout. A stop
//! for a restart (the process re-executed) keeps the socket open for the new program, which
//! adopts it (Unix): connections wait in its backlog meanwhile and none is refused.

use std::sync::Mutex;
use std::time::Duration;

use super::http::{self, Served, Settings};
use super::site::Site;
#[cfg(feature = "tls")]
use super::tls::Tls;
use super::{Engine, ListenerResult, engine_log};
use crate::App;
use crate::config::ServerSettings;
use crate::net::{self, BindAddr, Listener};

struct Running {
    server: Served,
    /// The plugin's own handle on the listening socket, handed to each new server.
    listener: Listener,
    url: String,
    /// The bound address (port 0 resolved), rebound by a start after a stop.
    bound: BindAddr,
}

type OnServing = Box<dyn Fn(&str) + Send + Sync>;

/// How long a connection may take, from `[global] server.*` (seconds).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionTimeouts {
    /// `server.request_timeout` (default 5): a client that has not sent a whole request head
    /// within it gets 408 and is closed, so slow clients cannot hold workers.
    pub(crate) request: Duration,
    /// `server.keep_alive` (default 5; 0 closes each connection after its response).
    pub(crate) keep_alive: Option<Duration>,
}

impl ConnectionTimeouts {
    pub(crate) fn from_settings(server: &ServerSettings) -> Self {
        let keep_alive = server.keep_alive.get();
        Self {
            request: server.request_timeout.get(),
            keep_alive: (!keep_alive.is_zero()).then_some(keep_alive),
        }
    }
}

impl Settings {
    /// `workers` workers, and the timeouts of `[global] server.*`: `shutdown_timeout`,
    /// `request_timeout`, `keep_alive` (read and checked once, when the app was built).
    pub(crate) fn from_settings(server: &ServerSettings, workers: usize) -> Self {
        Self {
            workers,
            shutdown_timeout: server.shutdown_timeout.get(),
            timeouts: ConnectionTimeouts::from_settings(server),
        }
    }
}

/// The HTTP server plugin.
pub struct ServerPlugin {
    site: Site,
    /// The server's own settings: the primary application's.
    app: App,
    #[cfg(feature = "tls")]
    tls: Option<std::sync::Arc<Tls>>,
    bind: BindAddr,
    workers: usize,
    shutdown_timeout: Duration,
    port_wait: Duration,
    running: Mutex<Option<Running>>,
    /// The address the last run was bound to (port 0 resolved), for a restart.
    last_bound: Mutex<Option<BindAddr>>,
    /// Called with the URL once the server accepts connections.
    on_serving: Option<OnServing>,
}

impl std::fmt::Debug for ServerPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerPlugin")
            .field("bind", &self.bind)
            .finish()
    }
}

impl ServerPlugin {
    /// Serves `app` on `bind`. Defaults: as many workers as CPUs, a 5 s shutdown timeout, a
    /// 1 s wait for a busy port, 5 s for a client to send a request head (else 408) and 5 s
    /// of keep-alive; `[global] server.workers`, `server.shutdown_timeout`,
    /// `server.port_wait`, `server.request_timeout` and `server.keep_alive` (seconds)
    /// override them.
    pub fn new(app: App, bind: BindAddr) -> Self {
        Self::configured(Site::single(app.clone()), app, bind)
    }

    /// Serves `site`, with its primary application's `[global] server.*` settings; `None` when
    /// nothing is mounted.
    pub(crate) fn for_site(site: Site, bind: BindAddr) -> Option<Self> {
        let app = site.primary()?.clone();
        Some(Self::configured(site, app, bind))
    }

    /// Serves `site`, whose primary application is `app`.
    fn configured(site: Site, app: App, bind: BindAddr) -> Self {
        let server = &app.settings().server;
        let workers = server
            .workers
            .filter(|n| *n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        Self {
            shutdown_timeout: server.shutdown_timeout.get(),
            port_wait: server.port_wait.get(),
            site,
            app,
            #[cfg(feature = "tls")]
            tls: None,
            bind,
            workers,
            running: Mutex::new(None),
            last_bound: Mutex::new(None),
            on_serving: None,
        }
    }

    /// The application whose settings the server follows.
    pub(crate) fn app(&self) -> &App {
        &self.app
    }

    /// The number of worker threads.
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = n.max(1);
        self
    }

    /// How long in-flight requests may take to finish on stop, to the millisecond. Requests
    /// still running then are abandoned and the stop fails, so the process exits non-zero
    /// instead of waiting for a stuck handler.
    pub fn shutdown_timeout(mut self, d: Duration) -> Self {
        self.shutdown_timeout = d;
        self
    }

    /// How long to wait for a busy port to free before failing.
    pub fn port_wait(mut self, d: Duration) -> Self {
        self.port_wait = d;
        self
    }

    /// Serves HTTPS with `tls` (HTTP/2 by ALPN), reloaded on the bus's `reload` channel.
    #[cfg(feature = "tls")]
    pub(crate) fn tls(mut self, tls: Tls) -> Self {
        self.tls = Some(std::sync::Arc::new(tls));
        self
    }

    /// Calls `f` with the server's URL each time it starts accepting connections.
    pub fn on_serving(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.on_serving = Some(Box::new(f));
        self
    }

    /// Subscribes the plugin to `engine`.
    pub fn attach(self, engine: &Engine) {
        let me = std::sync::Arc::new(self);
        let m = me.clone();
        engine.subscribe("start", 75, "HTTP server start", move |_| m.start());
        let m = me.clone();
        engine.subscribe("stop", 25, "HTTP server stop", move |e| m.stop(e));
        #[cfg(feature = "tls")]
        if let Some(tls) = me.tls.clone() {
            engine.subscribe("reload", 50, "TLS certificate reload", move |_| {
                tls.reload().map_err(Into::into)
            });
        }
        let m = me;
        engine.subscribe("graceful", 50, "HTTP server graceful", move |_| {
            m.graceful()
        });
    }

    fn settings(&self) -> Settings {
        Settings {
            shutdown_timeout: self.shutdown_timeout,
            ..Settings::from_settings(&self.app.settings().server, self.workers)
        }
    }

    fn start(&self) -> ListenerResult {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = running.as_ref() {
            engine_log!(info, "Already serving on {}", r.url);
            return Ok(());
        }
        let bind = self
            .last_bound
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or_else(|| self.bind.clone());
        #[cfg(unix)]
        let inherited = net::adopt_inherited(&self.bind).transpose()?;
        #[cfg(not(unix))]
        let inherited = None;
        let listener = match inherited {
            Some(l) => {
                engine_log!(
                    info,
                    "Adopted the listening socket kept across the restart."
                );
                l
            }
            None => net::bind(&bind, self.port_wait)?,
        };
        let url = self.url(&listener);
        let bound = match listener.local_addr() {
            Some(a) => BindAddr::Tcp(a.to_string()),
            None => bind,
        };
        let server = self.serve(listener.try_clone()?)?;
        engine_log!(info, "Serving on {url}");
        self.serving(&url);
        *running = Some(Running {
            server,
            listener,
            url,
            bound,
        });
        Ok(())
    }

    fn serve(&self, listener: Listener) -> std::io::Result<Served> {
        #[cfg(feature = "tls")]
        let tls = self.tls.as_ref().map(|t| t.server_config());
        #[cfg(not(feature = "tls"))]
        let tls = None;
        http::serve_site(&self.site, listener, tls, self.settings())
    }

    /// The listener's URL, `https://` over TLS.
    fn url(&self, listener: &Listener) -> String {
        let url = listener.url();
        #[cfg(feature = "tls")]
        if self.tls.is_some()
            && let Some(rest) = url.strip_prefix("http://")
        {
            return format!("https://{rest}");
        }
        url
    }

    fn serving(&self, url: &str) {
        if let Some(f) = &self.on_serving {
            f(url);
        }
    }

    /// Starts a new server on the same socket, then drains the old one. If the new server
    /// cannot start, the old one keeps serving and the error fails the graceful restart.
    fn graceful(&self) -> ListenerResult {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let Some(r) = running.as_mut() else {
            engine_log!(info, "HTTP Server not running: nothing to restart");
            return Ok(());
        };
        let fresh = self.serve(r.listener.try_clone()?)?;
        let old = std::mem::replace(&mut r.server, fresh);
        engine_log!(
            info,
            "Serving on {} (the socket handed to a new server)",
            r.url
        );
        self.serving(&r.url);
        let url = r.url.clone();
        drop(running);
        match block_on(old.shutdown()) {
            Some(Ok(())) => engine_log!(info, "Old HTTP Server on {url} drained"),
            // The restart itself succeeded: the new server serves.
            Some(Err(abandoned)) => engine_log!(warn, "Old HTTP Server on {url}: {abandoned}"),
            None => {}
        }
        Ok(())
    }

    fn stop(&self, engine: &Engine) -> ListenerResult {
        let taken = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let Some(r) = taken else {
            engine_log!(info, "HTTP Server already shut down");
            return Ok(());
        };
        let outcome = block_on(r.server.shutdown());
        // A restart re-executes the process: the socket is kept for the new program (Unix).
        #[cfg(unix)]
        if engine.restarting()
            && let Err(e) = net::keep_for_exec(&r.listener, &self.bind)
        {
            engine_log!(warn, "The restarted program will bind anew: {e}");
        }
        #[cfg(not(unix))]
        let _ = engine;
        // The last handle on the socket: the port is free from here (unless kept for a
        // restart).
        drop(r.listener);
        // A start after this stop rebinds the same address, port 0 included.
        *self.last_bound.lock().unwrap_or_else(|e| e.into_inner()) = Some(r.bound);
        match outcome {
            Some(Ok(())) => {
                engine_log!(info, "HTTP Server {} shut down", r.url);
                Ok(())
            }
            Some(Err(abandoned)) => {
                engine_log!(error, "HTTP Server {} shut down: {abandoned}", r.url);
                Err(abandoned.into())
            }
            None => Err("the server's stop could not run".into()),
        }
    }
}

/// Runs a future to completion on the calling (non-async) thread.
fn block_on<F: std::future::Future>(f: F) -> Option<F::Output> {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => Some(rt.block_on(f)),
        Err(e) => {
            engine_log!(error, "cannot run the server's stop: {e}");
            None
        }
    }
}
