//! Serving in one call: [`Server`] puts applications on the engine with the server and signal
//! plugins and whatever else is attached, and `App::serve` is a server of one application.
//!
//! It lives here, not in `app`, because the engine is the layer above the application: the
//! application knows nothing of how it is served.

use std::path::PathBuf;
use std::process::ExitCode;

use super::site::{MountError, Site};
use super::{Engine, ServerPlugin, Signals};
use crate::App;

type Setup = Box<dyn FnOnce(&Engine) + Send>;

/// A server of one or more applications: CherryPy's `tree.mount` and `quickstart`.
///
/// ```no_run
/// use drupe::engine::Server;
/// use drupe::{App, controller};
/// struct Site;
/// #[controller]
/// impl Site {
///     #[expose]
///     fn index(&self) -> &'static str { "the site" }
/// }
/// struct Api;
/// #[controller]
/// impl Api {
///     #[expose]
///     fn index(&self) -> &'static str { "the API" }
/// }
/// let status = Server::new()
///     .mount("/", App::new(Site).unwrap())
///     .mount("/api", App::new(Api).unwrap())
///     .host("admin.example.com", App::new(Site).unwrap())
///     .tls("cert.pem", "key.pem")
///     .serve("127.0.0.1:8443");
/// ```
#[derive(Default)]
#[must_use = "a server does nothing until `serve` is called"]
pub struct Server {
    site: Site,
    error: Option<MountError>,
    tls: Option<(PathBuf, PathBuf)>,
    setup: Vec<Setup>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("site", &self.site)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A server with nothing mounted.
    pub fn new() -> Self {
        Self::default()
    }

    /// Mounts `app` at `prefix` (`/`, or a path such as `/api`) for every host. Each
    /// application keeps its own configuration and tools, and builds its URLs under its
    /// prefix. The server's own settings (`[global] server.*`) are those of the application at
    /// `/`, or else of the first mounted. A prefix that is not a path, or mounted twice, makes
    /// [`Server::serve`] fail with status 64, naming it.
    pub fn mount(mut self, prefix: &str, app: App) -> Self {
        if let Err(e) = self.site.add(prefix, None, app) {
            self.error.get_or_insert(e);
        }
        self
    }

    /// Serves `app` for requests whose `Host` is `host` (any port; without regard to case),
    /// at every path: a virtual host. Requests for other hosts go to the applications of
    /// [`Server::mount`].
    pub fn host(mut self, host: &str, app: App) -> Self {
        if let Err(e) = self.site.add("/", Some(host), app) {
            self.error.get_or_insert(e);
        }
        self
    }

    /// Serves HTTPS with the certificate chain and private key in these PEM files, HTTP/2 or
    /// HTTP/1.1 as the client chooses; in place of `[global] server.tls.cert` and
    /// `server.tls.key`. `SIGHUP` reads them again without closing a connection.
    pub fn tls(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.tls = Some((cert.into(), key.into()));
        self
    }

    /// Writes the process id to `path` while serving and removes it at exit (a
    /// [`PidFile`](super::PidFile)); the start is refused, with status 70 and the pid named,
    /// while the file names a live process.
    pub fn pidfile(self, path: impl Into<PathBuf>) -> Self {
        let pid_file = super::PidFile::new(path);
        self.plugin(move |engine| pid_file.attach(engine))
    }

    /// Runs `f` with the engine before it starts: to attach plugins or listeners of your own.
    pub fn plugin(mut self, f: impl FnOnce(&Engine) + Send + 'static) -> Self {
        self.setup.push(Box::new(f));
        self
    }

    /// Serves on `bind` (`host:port`, port 0 picks a free one; `unix:/path`; `systemd`) until a
    /// signal or a failure stops it, and returns the process's exit status: 64 when the
    /// address, a mount or the TLS files are wrong, 70 when it could not start.
    ///
    /// Logs `serving on http://ADDR` (or `https://`) once it accepts connections.
    pub fn serve(self, bind: &str) -> ExitCode {
        let usage = |e: &dyn std::fmt::Display| {
            tracing::error!("{e}");
            ExitCode::from(64)
        };
        let addr: crate::net::BindAddr = match bind.parse() {
            Ok(a) => a,
            Err(e) => return usage(&e),
        };
        if let Some(e) = self.error {
            return usage(&e);
        }
        let unix = matches!(addr, crate::net::BindAddr::Unix(_));
        let Some(server) = ServerPlugin::for_site(self.site.clone(), addr) else {
            return usage(&"nothing to serve: no application is mounted");
        };
        let primary = server.app().clone();
        let tls_files = self.tls.or_else(|| {
            let t = &primary.settings().server.tls;
            t.cert.clone().zip(t.key.clone())
        });
        if unix && tls_files.is_some() {
            return usage(&"TLS is served on TCP addresses only, not on a Unix domain socket");
        }
        #[cfg(feature = "tls")]
        let server = match tls_files {
            Some((cert, key)) => match super::tls::Tls::load(&cert, &key) {
                Ok(tls) => server.tls(tls),
                Err(e) => return usage(&e),
            },
            None => server,
        };
        #[cfg(not(feature = "tls"))]
        if tls_files.is_some() {
            return usage(&"this drupe was built without the `tls` feature: it cannot serve HTTPS");
        }
        super::set_quiet(primary.settings().engine.quiet);
        let engine = Engine::new();
        Signals::new()
            .restart_on_hup(primary.settings().engine.restart_on_sighup)
            .attach(&engine);
        server
            .on_serving(|url| tracing::info!(target: "drupe", "serving on {url}"))
            .attach(&engine);
        let autoreload = &primary.settings().engine.autoreload;
        if autoreload.on {
            super::Autoreloader::from_settings(autoreload).attach(&engine);
        }
        let site = self.site;
        engine.subscribe("stop", 30, "tools", move |_| {
            for app in site.apps() {
                app.stop_tools();
            }
            Ok(())
        });
        for f in self.setup {
            f(&engine);
        }
        let _ = engine.start();
        engine.block()
    }

    /// What it serves, and the first mistake made mounting it (for test servers).
    pub(crate) fn into_site(self) -> Result<Site, MountError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.site),
        }
    }
}

impl App {
    /// Serves the application on `bind` (`host:port`, port 0 picks a free one; `unix:/path`;
    /// `systemd`) with the engine and signal handling, until a signal or a failure stops it,
    /// and returns the process's exit status (70 when it could not start): a [`Server`] with
    /// this application at `/`.
    ///
    /// Logs `serving on http://ADDR` once it accepts connections.
    pub fn serve(&self, bind: &str) -> ExitCode {
        Server::new().mount("/", self.clone()).serve(bind)
    }
}
