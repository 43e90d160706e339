//! Tools: code that runs around the handlers of the subtrees it is switched on for.
//!
//! This module owns the [`Tool`] trait — the contract every tool (the cache, the coverage
//! recorder, the OpenAPI document, a user's own) fulfils — and the hook points a request
//! passes through:
//!
//! 1. **before the handler** ([`Tool::before_handler`], ascending priority): a tool may answer
//!    the request itself ([`Before::Respond`]) and skip the handler and the tools after it —
//!    the trailing-slash redirect, a cache hit, a static file. They run also for a path the
//!    tree does not have ([`Exchange::handler`] is `None`), before its 404;
//! 2. **just before the call** ([`Tool::before_call`], same order, for the tools that set
//!    [`Tool::CHECKS_BEFORE_CALL`]): after every before-hook, when none answered, a check
//!    that must follow every access decision may still answer — the ETag tool's `If-Match`;
//! 3. **after the handler** ([`Tool::after_handler`], same order, for every tool whose
//!    *before* ran): a tool may read and replace the response — storing it in a cache;
//! 4. **on every response** ([`Tool::on_response`]) and **at the end** ([`Tool::on_end`]):
//!    every active tool sees the final response, including 404s the dispatcher answered
//!    itself — the coverage recorder.
//!
//! When the application is built, each tool reads its own `[global]` section and publishes its
//! own endpoints ([`Tool::on_build`], [`Build`]); when it stops, it is told ([`Tool::on_stop`]).
//! A tool is switched on and configured per path (`tools.<name>.on`, `tools.<name>.<key>`), by
//! the builder or a TOML file; its configuration is read once at start-up into its `Config`
//! type. What one tool tells another travels in neutral types owned here ([`CacheOutcome`]):
//! tools never import each other, and nothing above them names one.

use actix_web::HttpResponse;
use serde::de::DeserializeOwned;

mod build;
mod current;
mod erased;
mod exchange;
mod identity;
mod observe;
mod session;
pub(crate) mod settings;

pub use crate::templates::{add_template_value, add_template_value_with};
pub(crate) use build::Endpoint;
pub use build::{Access, Build, EndpointFn};
pub(crate) use erased::{Erased, ErasedTool};
pub use exchange::{Deadline, Exchange};
/// The future a [`Verifier`] returns (futures-util's, re-exported so implementers need not
/// depend on it).
pub use futures_util::future::LocalBoxFuture;
pub use identity::{
    Attempts, Identity, Scheme, Verifier, attempts, set_attempts, too_many_attempts, verifier_fn,
};
pub use observe::{CacheOutcome, cache_outcome, has_per_request_body, mark_per_request_body};
pub use session::{SessionAccess, session_access, set_session_access};
pub use settings::{BodySettings, RequestSettings};

/// Where a tool's settings were read, for [`Tool::prepare`].
///
/// ```
/// use drupe::tools::{Placement, Tool};
///
/// /// Serves a greeting set at some path; it remembers which.
/// struct Greeter;
///
/// #[derive(serde::Deserialize, Default)]
/// #[serde(default, deny_unknown_fields)]
/// struct GreeterConfig {
///     text: Option<String>,
///     #[serde(skip)]
///     set_at: String,
/// }
///
/// impl Tool for Greeter {
///     type Config = GreeterConfig;
///     const NAME: &'static str = "greeter";
///     fn prepare(&self, cfg: &mut GreeterConfig, at: &Placement<'_>) -> Result<(), drupe::ConfigError> {
///         if at.is_on() && cfg.text.is_none() {
///             return Err(at.error("text", "the greeting is not set"));
///         }
///         cfg.set_at = at.declared_at("text").unwrap_or(at.path()).to_owned();
///         Ok(())
///     }
/// }
/// struct Root;
/// #[drupe::controller]
/// impl Root {
///     #[expose]
///     fn index(&self) -> &'static str { "home" }
/// }
/// let err = drupe::App::builder(Root).tool(Greeter).set("/", "tools.greeter.on", true).build();
/// assert!(err.is_err());
/// ```
pub struct Placement<'a> {
    pub(crate) config: &'a crate::config::Config,
    pub(crate) path: &'a str,
    pub(crate) tool: &'static str,
    pub(crate) on: bool,
}

impl Placement<'_> {
    /// The configured path (`/static`).
    pub fn path(&self) -> &str {
        self.path
    }

    /// Whether the tool is on at this path.
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// The section that sets `tools.<NAME>.<key>` for this path: the path itself or the
    /// nearest enclosing section that sets it (CherryPy's `tools.staticdir.section`).
    pub fn declared_at(&self, key: &str) -> Option<&str> {
        self.config
            .declared_at(self.path, &format!("tools.{}.{key}", self.tool))
    }

    /// Whether `tools.<other>.on` is set true at this path (a tool off by default that
    /// shares the path with this one: the Basic and bearer authentication tools each send
    /// both challenges when both are on).
    pub fn tool_is_on(&self, other: &str) -> bool {
        self.config
            .get(self.path, &format!("tools.{other}.on"))
            .and_then(toml::Value::as_bool)
            .unwrap_or(false)
    }

    /// An error about `tools.<NAME>.<key>` at the section that sets it (at this path if none
    /// does), with its line when it came from a file.
    pub fn error(&self, key: &str, message: impl Into<String>) -> crate::ConfigError {
        let section = self.declared_at(key).unwrap_or(self.path);
        self.config
            .error(section, &format!("tools.{}.{key}", self.tool), message)
    }
}

/// The per-path settings of a tool that has none (`tools.<name>.on` only).
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoSettings {}

/// A way of proving who one is that a tool asks for ([`Tool::security`]), as the OpenAPI
/// document names it (`components.securitySchemes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Security {
    /// HTTP Basic (`basicAuth`).
    Basic,
    /// A bearer token (`bearerAuth`).
    Bearer,
}

/// What a tool's before-hook decided.
pub enum Before<'a> {
    /// Go on with the next tool and the handler.
    Continue,
    /// Answer with this response; the handler does not run.
    Respond(HttpResponse),
    /// Decide asynchronously (`None`: go on).
    Pending(LocalBoxFuture<'a, Option<HttpResponse>>),
}

/// What a tool's after-hook decided.
pub enum After<'a> {
    /// This response (the same or a replacement).
    Done(HttpResponse),
    /// Decide asynchronously.
    Pending(LocalBoxFuture<'a, HttpResponse>),
}

/// A tool: code that runs around handlers of the subtrees it is switched on for.
///
/// ```
/// use drupe::tools::{After, Exchange, Tool};
/// use actix_web::{HttpResponse, http::header::{HeaderName, HeaderValue}};
///
/// /// Adds `X-Frame-Options` to every response of the paths it is on for.
/// struct FrameOptions;
///
/// #[derive(serde::Deserialize, Default)]
/// #[serde(default, deny_unknown_fields)]
/// struct FrameConfig { value: Option<String> }
///
/// impl Tool for FrameOptions {
///     type Config = FrameConfig;
///     const NAME: &'static str = "frame_options";
///     fn after_handler<'a>(&'a self, cfg: &'a FrameConfig, _: &'a Exchange, mut res: HttpResponse) -> After<'a> {
///         let v = cfg.value.as_deref().unwrap_or("DENY");
///         if let Ok(v) = HeaderValue::from_str(v) {
///             res.headers_mut().insert(HeaderName::from_static("x-frame-options"), v);
///         }
///         After::Done(res)
///     }
/// }
/// ```
pub trait Tool: Send + Sync + 'static {
    /// The settings under `tools.<NAME>` of a path (refuse unknown keys:
    /// `#[serde(deny_unknown_fields)]`); `on` is read by drupe and never reaches it.
    type Config: DeserializeOwned + Send + Sync + 'static;
    /// The name in configuration.
    const NAME: &'static str;
    /// Whether it is on where the configuration does not say.
    const ON_BY_DEFAULT: bool = false;
    /// Whether it has a [`before_call`](Tool::before_call) hook to run.
    const CHECKS_BEFORE_CALL: bool = false;

    /// Lower runs first (CherryPy's priorities: trailing slash 60, caching 90).
    fn priority(&self) -> i32 {
        50
    }

    /// Before the handler; may answer instead of it.
    fn before_handler<'a>(
        &'a self,
        config: &'a Self::Config,
        exchange: &'a Exchange,
    ) -> Before<'a> {
        let _ = (config, exchange);
        Before::Continue
    }

    /// After every tool's before-hook, when none answered, just before the handler is called
    /// (ascending priority; set [`CHECKS_BEFORE_CALL`](Tool::CHECKS_BEFORE_CALL)): the place for
    /// a check that must follow every access decision — the ETag tool compares `If-Match` with
    /// the resource's state here, reading the resource, which it must not do for a caller the
    /// authentication tools will refuse. Only for a request the tree routes to a handler.
    fn before_call<'a>(&'a self, config: &'a Self::Config, exchange: &'a Exchange) -> Before<'a> {
        let _ = (config, exchange);
        Before::Continue
    }

    /// After the handler (or after the tool that answered); may replace the response.
    fn after_handler<'a>(
        &'a self,
        config: &'a Self::Config,
        exchange: &'a Exchange,
        response: HttpResponse,
    ) -> After<'a> {
        let _ = (config, exchange);
        After::Done(response)
    }

    /// For every response under the tool's paths, the dispatcher's own 404, 405 and 406
    /// included, and cache hits: the place for headers every response carries. Runs after
    /// the after-hooks, before [`Tool::on_end`].
    fn on_response(&self, config: &Self::Config, exchange: &Exchange, response: &mut HttpResponse) {
        let _ = (config, exchange, response);
    }

    /// Once the response is final, for every request under the tool's paths.
    fn on_end(&self, config: &Self::Config, exchange: &Exchange, response: &HttpResponse) {
        let _ = (config, exchange, response);
    }

    /// Once, when the application is built: the compiled tree it will serve, the tool's own
    /// `[global]` section, the endpoints it serves outside the tree.
    fn on_build(&self, build: &mut Build<'_>) -> Result<(), crate::ConfigError> {
        let _ = build;
        Ok(())
    }

    /// When the server stops, and when the application is dropped: the place to write what
    /// must outlive the process.
    fn on_stop(&self) {}

    /// The statuses it may answer itself to a request of `method` (`"GET"`, `"POST"`...)
    /// under its paths, each with a line saying when. The OpenAPI document lists them beside
    /// the handler's own, so a client (or a fuzzer reading the document) knows every status
    /// it may get: a CSRF check documents its 403, a rate limiter its 429.
    fn responses(&self, config: &Self::Config, method: &str) -> Vec<(u16, &'static str)> {
        let _ = (config, method);
        Vec::new()
    }

    /// How a caller of `method` under its paths proves who they are, if the tool asks: the
    /// OpenAPI document lists the schemes and each operation's requirement (any one of the
    /// schemes of the path's tools will do).
    fn security(&self, config: &Self::Config, method: &str) -> Option<Security> {
        let _ = (config, method);
        None
    }

    /// Once for every configured path, after its `tools.<NAME>.*` settings were read: checks
    /// them and completes them with what only the path tells — where a key was set
    /// ([`Placement::declared_at`]: the static files' directory is mapped at the section that
    /// names it), whether the tool is on there. An error stops the build and names the key.
    fn prepare(
        &self,
        config: &mut Self::Config,
        at: &Placement<'_>,
    ) -> Result<(), crate::ConfigError> {
        let _ = (config, at);
        Ok(())
    }

    /// The `tools.<NAME>.*` settings this value carries for the path it is registered at with
    /// [`AppBuilder::tool_at`](crate::AppBuilder::tool_at) (none by default).
    fn settings_at(&self) -> toml::Table {
        toml::Table::new()
    }
}
