//! The application: a compiled tree with its configuration and tools, as one value.
//!
//! This module owns [`App`] and [`AppBuilder`]. An `App` is a cheap-to-clone value a function
//! can return, so one `fn app() -> App` serves `main` and the tests. It runs on its own
//! ([`App::serve`]), inside a user's actix-web application ([`App::scope`],
//! [`App::service`]), or in the test clients of [`crate::testing`].

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse, fn_service};
use actix_web::{HttpRequest, Scope, web};

use crate::client::TrustedProxies;
use crate::config::{Config, ConfigError, SettingsTrie};
use crate::dispatch::tree::{self, Controller, Tree, TreeError};
use crate::represent::Templates;
use crate::tools::trailing_slash::TrailingSlash;
use crate::tools::{Erased, ErasedTool, Tool};

/// Why an application could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The object tree has errors.
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// The configuration has errors.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// What representations and responders read from the application while answering.
pub(crate) struct Shared {
    /// `[global] server.trusted_proxies`: whose proxy headers count.
    pub(crate) proxies: TrustedProxies,
    /// `[global] server.allowed_hosts`: names besides the loopback ones that operator pages
    /// answer for (lower case, without a port).
    pub(crate) allowed_hosts: Vec<String>,
    /// `[global] server.body_timeout` (default 10 s): how long a request body may stall.
    pub(crate) body_timeout: Duration,
    pub(crate) templates: Option<Arc<Templates>>,
    /// `[global] server.max_uri_length` (default 8 KiB): longer request targets get 414.
    pub(crate) max_uri: usize,
    /// `[global] server.max_header_size` (default 16 KiB): a request head (target and
    /// header fields) over it gets 431.
    pub(crate) max_head: usize,
}

/// A size from `[global] key` (a count or `"16 KiB"`), or `default`.
fn size_setting(config: &Config, key: &str, default: usize) -> Result<usize, ConfigError> {
    match config.global(key) {
        None => Ok(default),
        Some(v) => crate::config::parse_size(v)
            .filter(|n| *n > 0)
            .ok_or_else(|| ConfigError::Setting {
                path: "global".into(),
                key: key.into(),
                message: format!("expected a size in bytes, got {v}"),
            }),
    }
}

/// Whether `req` came from a proxy the application that answers it trusts, so that its
/// proxy headers count.
pub(crate) fn behind_proxy(req: &HttpRequest) -> bool {
    req.app_data::<Arc<Shared>>()
        .is_some_and(|s| s.proxies.trusts_peer(req))
}

/// `[global] key` as a list of strings (absent: empty).
fn strings_setting(config: &Config, key: &str) -> Result<Vec<String>, ConfigError> {
    let bad = |v: &toml::Value| ConfigError::Setting {
        path: "global".into(),
        key: key.into(),
        message: format!("expected a list of strings, got {v}"),
    };
    match config.global(key) {
        None => Ok(Vec::new()),
        Some(toml::Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| bad(v)))
            .collect(),
        Some(v) => Err(bad(v)),
    }
}

/// `[global] key` in seconds (a positive integer or float), or `default`.
fn secs_setting(config: &Config, key: &str, default: Duration) -> Result<Duration, ConfigError> {
    match config.global(key) {
        None => Ok(default),
        Some(v) => v
            .as_float()
            .or_else(|| v.as_integer().map(|i| i as f64))
            .filter(|s| *s > 0.0 && *s <= 86_400.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(|| ConfigError::Setting {
                path: "global".into(),
                key: key.into(),
                message: format!("expected seconds above 0 and at most a day, got {v}"),
            }),
    }
}

/// The proxies of `[global] server.trusted_proxies`; the boolean it replaced is an error that
/// says what to write instead.
fn trusted_proxies(config: &Config) -> Result<TrustedProxies, ConfigError> {
    if let Some(v) = config.global("server.behind_proxy") {
        return Err(ConfigError::Setting {
            path: "global".into(),
            key: "server.behind_proxy".into(),
            message: format!(
                "replaced by server.trusted_proxies: list the addresses of the proxies whose \
                 Forwarded/X-Forwarded-* headers count, e.g. [\"127.0.0.1\"] (got {v})"
            ),
        });
    }
    let entries = strings_setting(config, "server.trusted_proxies")?;
    TrustedProxies::parse(&entries).map_err(|message| ConfigError::Setting {
        path: "global".into(),
        key: "server.trusted_proxies".into(),
        message,
    })
}

/// The templates of the application that answers `req`.
pub(crate) fn templates(req: &HttpRequest) -> Option<Arc<Templates>> {
    req.app_data::<Arc<Shared>>()
        .and_then(|s| s.templates.clone())
}

/// Something the application serves outside its tree (the OpenAPI document, the coverage
/// report): matched by path before the walk.
pub(crate) struct Endpoint {
    /// The path (exact) or, ending with `/`, the prefix it answers.
    pub(crate) path: String,
    /// Whether non-loopback clients may reach it.
    pub(crate) public: bool,
    pub(crate) handler: Arc<EndpointFn>,
}

pub(crate) type EndpointFn = dyn Fn(
        HttpRequest,
        actix_web::dev::Payload,
    ) -> futures_util::future::LocalBoxFuture<'static, actix_web::HttpResponse>
    + Send
    + Sync;

impl Endpoint {
    pub(crate) fn matches(&self, path: &str) -> bool {
        if self.path.ends_with('/') {
            path.starts_with(&self.path) || path == self.path.trim_end_matches('/')
        } else {
            path == self.path
        }
    }
}

pub(crate) struct Inner {
    pub(crate) tree: Arc<Tree>,
    pub(crate) settings: SettingsTrie,
    pub(crate) shared: Arc<Shared>,
    pub(crate) config: Config,
    pub(crate) endpoints: Vec<Endpoint>,
    pub(crate) coverage: Option<(crate::coverage::Coverage, crate::coverage::ReportSettings)>,
}

impl Drop for Inner {
    /// Writes the coverage data to `[global] coverage.file`, if set, when the application
    /// goes away (the engine also writes it when the server stops).
    fn drop(&mut self) {
        if let Some((c, s)) = &self.coverage
            && let Some(file) = &s.file
            && let Err(e) = c.save(file)
        {
            tracing::error!("cannot write the coverage data to {}: {e}", file.display());
        }
    }
}

/// A drupe application.
///
/// ```
/// use drupe::{App, controller};
///
/// struct Root;
///
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self, name: Option<String>) -> String {
///         format!("hello {}", name.as_deref().unwrap_or("world"))
///     }
/// }
///
/// fn app() -> App {
///     App::new(Root).expect("a valid tree")
/// }
///
/// # actix_web::rt::System::new().block_on(async {
/// let client = drupe::testing::TestClient::new(app()).await;
/// client.get("/?name=bob").send().await.assert_status(200).assert_text("hello bob");
/// # });
/// ```
#[derive(Clone)]
pub struct App {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("tree", &self.inner.tree)
            .finish()
    }
}

impl App {
    /// An application with default settings.
    pub fn new<R: Controller>(root: R) -> Result<App, BuildError> {
        Self::builder(root).build()
    }

    /// A builder for settings, tools and templates.
    pub fn builder<R: Controller>(root: R) -> AppBuilder {
        AppBuilder {
            tree: tree::compile(Arc::new(root)),
            config: Config::new(),
            tools: vec![Arc::new(Erased(TrailingSlash))],
            templates: None,
        }
    }

    /// The compiled tree.
    pub fn tree(&self) -> &Tree {
        &self.inner.tree
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The coverage recorder, when it is on for some path.
    pub fn coverage(&self) -> Option<&crate::coverage::Coverage> {
        self.inner.coverage.as_ref().map(|(c, _)| c)
    }

    /// Writes the coverage data to `[global] coverage.file` now, if both are set.
    pub fn save_coverage(&self) {
        if let Some((c, s)) = &self.inner.coverage
            && let Some(file) = &s.file
        {
            match c.save(file) {
                Ok(()) => tracing::info!("coverage data written to {}", file.display()),
                Err(e) => {
                    tracing::error!("cannot write the coverage data to {}: {e}", file.display())
                }
            }
        }
    }

    /// The application as an actix-web service answering every path under `prefix` (no
    /// trailing slash; `""` for the root), for `actix_web::App::default_service` or a scope.
    pub fn service(
        &self,
        prefix: &str,
    ) -> impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    > + 'static {
        let inner = self.inner.clone();
        let prefix: Arc<str> = prefix.trim_end_matches('/').into();
        fn_service(move |sreq: ServiceRequest| {
            let inner = inner.clone();
            let prefix = prefix.clone();
            async move {
                let (req, payload) = sreq.into_parts();
                // actix-web matched the prefix on a decoded path: find where it ends in the
                // path as sent.
                let path_start = crate::dispatch::path::mount_end(req.path(), &prefix)
                    .unwrap_or_else(|| prefix.len().min(req.path().len()));
                let res =
                    crate::dispatch::service::handle(inner, req.clone(), payload, path_start).await;
                Ok(ServiceResponse::new(req, res))
            }
        })
    }

    /// The application mounted at `prefix` in a user's actix-web application.
    ///
    /// ```
    /// # use drupe::{App, controller};
    /// # struct Root;
    /// # #[controller] impl Root { #[expose] fn index(&self) -> &'static str { "api" } }
    /// let api = App::new(Root).unwrap();
    /// let _actix = actix_web::App::new().service(api.scope("/api"));
    /// ```
    pub fn scope(&self, prefix: &str) -> Scope {
        web::scope(prefix)
            .app_data(self.inner.shared.clone())
            .default_service(self.service(prefix))
    }

    /// Registers the application at the root of a user's actix-web application
    /// (`actix_web::App::new().configure(app.configure())`).
    pub fn configure(&self) -> impl FnOnce(&mut web::ServiceConfig) + 'static {
        let this = self.clone();
        move |cfg| {
            cfg.app_data(this.inner.shared.clone());
            cfg.default_service(this.service(""));
        }
    }
}

/// Builds an [`App`]: configuration, tools, templates.
pub struct AppBuilder {
    tree: Result<Tree, TreeError>,
    config: Config,
    tools: Vec<Arc<dyn ErasedTool>>,
    templates: Option<Templates>,
}

impl AppBuilder {
    /// Merges a configuration over what is set so far.
    pub fn config(mut self, config: Config) -> Self {
        self.config.merge(config);
        self
    }

    /// Merges a TOML file's configuration.
    pub fn config_file(self, path: impl AsRef<std::path::Path>) -> Result<Self, ConfigError> {
        let c = Config::from_file(path)?;
        Ok(self.config(c))
    }

    /// Sets one key for a path (`set("/feed", "tools.caching.on", true)`).
    pub fn set(mut self, path: &str, key: &str, value: impl Into<toml::Value>) -> Self {
        self.config.set(path, key, value);
        self
    }

    /// Sets one global key (`set_global("server.trusted_proxies", vec!["127.0.0.1"])`).
    pub fn set_global(mut self, key: &str, value: impl Into<toml::Value>) -> Self {
        self.config.set_global(key, value);
        self
    }

    /// Registers a tool (switched on per path by `tools.<NAME>.on`, or by default).
    pub fn tool<T: Tool>(mut self, tool: T) -> Self {
        self.tools.retain(|t| t.name() != T::NAME);
        self.tools.push(Arc::new(Erased(tool)));
        self
    }

    /// Uses these templates for HTML representations and pages.
    pub fn templates(mut self, templates: Templates) -> Self {
        self.templates = Some(templates);
        self
    }

    /// Compiles the settings and returns the application.
    ///
    /// Unless registered by hand, a `caching` tool is registered (off everywhere until
    /// `tools.caching.on`), on the backend `[global] cache.backend` names: `"memory"` (the
    /// default, bounded by `cache.max_entries`, default 1000, and `cache.max_bytes`, default
    /// 10 MB) or a `redis://` URL. Where caching is on somewhere, its counters are served as
    /// JSON to loopback clients at `[global] cache.stats_path` (default `/_cache/stats`; `""`
    /// for none).
    pub fn build(mut self) -> Result<App, BuildError> {
        if !self.tools.iter().any(|t| t.name() == "caching") {
            let cache = default_cache(&self.config)?;
            self.tools.push(Arc::new(Erased(cache)));
        }
        if !self.tools.iter().any(|t| t.name() == "coverage") {
            let coverage = crate::coverage::Coverage::new();
            self.tools.push(Arc::new(Erased(coverage)));
        }
        let tree = self.tree?;
        let settings = SettingsTrie::build(&self.config, &self.tools)?;
        let proxies = trusted_proxies(&self.config)?;
        let allowed_hosts = strings_setting(&self.config, "server.allowed_hosts")?
            .into_iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        let body_timeout = secs_setting(
            &self.config,
            "server.body_timeout",
            crate::body::DEFAULT_BODY_TIMEOUT,
        )?;
        let tree = Arc::new(tree);
        for t in &self.tools {
            t.build(&tree);
        }
        let mut endpoints = crate::openapi::endpoints(&tree, &self.config)?;
        let coverage = self
            .tools
            .iter()
            .find_map(|t| t.as_any().downcast_ref::<crate::coverage::Coverage>())
            .cloned();
        let coverage = match coverage {
            Some(c) if settings.any_active("coverage") => {
                let report = crate::coverage::ReportSettings::from_config(&self.config)?;
                endpoints.push(crate::coverage::endpoint(c.clone(), report.clone()));
                Some((c, report))
            }
            _ => None,
        };
        let caching = self
            .tools
            .iter()
            .find_map(|t| t.as_any().downcast_ref::<crate::cache::Caching>())
            .cloned();
        if let Some(c) = caching.filter(|_| settings.any_active("caching")) {
            match self.config.global("cache.stats_path") {
                None => endpoints.push(crate::cache::endpoint(c, "/_cache/stats".into())),
                Some(toml::Value::String(p)) if p.is_empty() => {}
                Some(toml::Value::String(p)) if p.starts_with('/') => {
                    endpoints.push(crate::cache::endpoint(c, p.clone()))
                }
                Some(v) => {
                    return Err(ConfigError::Setting {
                        path: "global".into(),
                        key: "cache.stats_path".into(),
                        message: format!(
                            "expected a path starting with / (or \"\" for none), got {v}"
                        ),
                    }
                    .into());
                }
            }
        }
        let templates = match self.templates {
            Some(t) => Some(t),
            None => match self.config.global("templates.dir") {
                Some(toml::Value::String(dir)) => Some(Templates::from_dir(dir)),
                _ => None,
            },
        };
        Ok(App {
            inner: Arc::new(Inner {
                tree,
                settings,
                endpoints,
                coverage,
                shared: Arc::new(Shared {
                    proxies,
                    allowed_hosts,
                    body_timeout,
                    templates: templates.map(Arc::new),
                    max_uri: size_setting(&self.config, "server.max_uri_length", 8 << 10)?,
                    max_head: size_setting(&self.config, "server.max_header_size", 16 << 10)?,
                }),
                config: self.config,
            }),
        })
    }
}

impl App {
    /// Serves the application on `bind` (`host:port`, port 0 picks a free one; `unix:/path`;
    /// `systemd`) with the engine and signal handling, until a signal or a failure stops it,
    /// and returns the process's exit status (70 when it could not start).
    ///
    /// Logs `serving on http://ADDR` once it accepts connections.
    pub fn serve(&self, bind: &str) -> std::process::ExitCode {
        use crate::engine::{Engine, ServerPlugin, Signals};
        let addr: crate::net::BindAddr = match bind.parse() {
            Ok(a) => a,
            Err(e) => {
                tracing::error!("{e}");
                return std::process::ExitCode::from(64);
            }
        };
        let engine = Engine::new();
        let restart = matches!(
            self.config().global("engine.restart_on_sighup"),
            Some(toml::Value::Boolean(true))
        );
        Signals::new().restart_on_hup(restart).attach(&engine);
        ServerPlugin::new(self.clone(), addr)
            .on_serving(|url| tracing::info!(target: "drupe", "serving on {url}"))
            .attach(&engine);
        let app = self.clone();
        engine.subscribe("stop", 30, "coverage writer", move |_| {
            app.save_coverage();
            Ok(())
        });
        let _ = engine.start();
        engine.block()
    }
}

fn default_cache(config: &Config) -> Result<crate::cache::Caching, ConfigError> {
    let bad = |key: &str, message: String| ConfigError::Setting {
        path: "global".into(),
        key: key.into(),
        message,
    };
    let int = |key: &str, default: u64| match config.global(key) {
        None => Ok(default),
        Some(v) => crate::config::parse_size(v)
            .map(|n| n as u64)
            .ok_or_else(|| bad(key, format!("expected a count or a size, got {v}"))),
    };
    let entries = int("cache.max_entries", 1000)?;
    let bytes = int("cache.max_bytes", 10_000_000)?;
    match config.global("cache.backend") {
        None => Ok(crate::cache::Caching::memory(entries, bytes)),
        Some(toml::Value::String(s)) if s == "memory" => {
            Ok(crate::cache::Caching::memory(entries, bytes))
        }
        #[cfg(feature = "redis")]
        Some(toml::Value::String(s)) if s.starts_with("redis://") || s.starts_with("rediss://") => {
            Ok(crate::cache::Caching::redis(s))
        }
        Some(v) => Err(bad(
            "cache.backend",
            format!("expected \"memory\" or a redis:// URL (with the `redis` feature), got {v}"),
        )),
    }
}
