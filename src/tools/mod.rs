//! Tools: the per-request pipeline, configured per subtree.
//!
//! This module owns the [`Tool`] trait and the hook points a request passes through:
//!
//! 1. **before the handler** ([`Tool::before_handler`], ascending priority): a tool may answer
//!    the request itself ([`Before::Respond`]) and skip the handler and the tools after it —
//!    the trailing-slash redirect, a cache hit;
//! 2. **after the handler** ([`Tool::after_handler`], same order, for every tool whose
//!    *before* ran): a tool may read and replace the response — storing it in a cache;
//! 3. **at the end** ([`Tool::on_end`]): every active tool observes the final response,
//!    including 404s the dispatcher answered itself — the coverage recorder.
//!
//! A tool is switched on and configured per path (`tools.<name>.on`, `tools.<name>.<key>`), by
//! the builder or a TOML file; its configuration is deserialized once at start-up into its
//! `Config` type. The dispatcher never needs to know which tools exist.

use std::any::Any;
use std::sync::Arc;
use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::dispatch::tree::{HandlerId, HandlerInfo, NodeId, Tree};

mod headers;
pub mod trailing_slash;

pub use headers::{ResponseHeaders, ResponseHeadersConfig};

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

/// What a tool knows about the request it is called for.
pub struct Exchange {
    pub(crate) req: HttpRequest,
    pub(crate) tree: Arc<Tree>,
    pub(crate) handler: Option<HandlerId>,
    pub(crate) node: NodeId,
    pub(crate) is_index: bool,
    pub(crate) start: Instant,
    pub(crate) behind_proxy: bool,
}

impl Exchange {
    /// What negotiation chose, for a `#[produces]` handler.
    fn chosen(&self) -> Option<crate::represent::Chosen> {
        use actix_web::HttpMessage;
        self.req
            .extensions()
            .get::<crate::represent::Chosen>()
            .copied()
    }

    /// The media type negotiation chose, for a `#[produces]` handler.
    pub fn chosen_media(&self) -> Option<&'static str> {
        self.chosen().map(|c| c.media)
    }

    /// The index in the handler's `produces` of the media type negotiation chose.
    pub(crate) fn chosen_index(&self) -> Option<usize> {
        self.chosen().map(|c| c.index)
    }

    /// The request.
    pub fn request(&self) -> &HttpRequest {
        &self.req
    }

    /// The handler the dispatcher chose (none for a 404 of the walk).
    pub fn handler(&self) -> Option<&HandlerInfo> {
        self.handler.map(|h| self.tree.handler(h))
    }

    /// The deepest node reached (the resource's node for a 405 or 406).
    pub fn node(&self) -> NodeId {
        self.node
    }

    /// The compiled tree.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// CherryPy's `is_index`: the handler is an `index` reached through the final segment, or
    /// a `default` with the path ending in `/`.
    pub fn is_index(&self) -> bool {
        self.is_index
    }

    /// When the request arrived.
    pub fn started(&self) -> Instant {
        self.start
    }

    /// `scheme://host` of the request (proxy headers honoured only when configured).
    pub fn base_url(&self) -> String {
        crate::url::base_url(&self.req, self.behind_proxy)
    }
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
    /// The settings under `tools.<NAME>`; `on` is read by drupe and never reaches it.
    type Config: DeserializeOwned + Send + Sync + 'static;
    /// The name in configuration.
    const NAME: &'static str;
    /// Whether it is on where the configuration does not say.
    const ON_BY_DEFAULT: bool = false;

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

    /// Once, when the application is built: the compiled tree it will serve.
    fn on_build(&self, tree: &Arc<Tree>) {
        let _ = tree;
    }
}

/// A tool with its configuration type erased.
pub(crate) trait ErasedTool: Send + Sync {
    fn name(&self) -> &'static str;
    fn on_by_default(&self) -> bool;
    fn priority(&self) -> i32;
    fn configure(&self, section: toml::Table) -> Result<Arc<dyn Any + Send + Sync>, String>;
    fn before<'a>(&'a self, config: &'a (dyn Any + Send + Sync), ex: &'a Exchange) -> Before<'a>;
    fn after<'a>(
        &'a self,
        config: &'a (dyn Any + Send + Sync),
        ex: &'a Exchange,
        res: HttpResponse,
    ) -> After<'a>;
    fn respond(&self, config: &(dyn Any + Send + Sync), ex: &Exchange, res: &mut HttpResponse);
    fn end(&self, config: &(dyn Any + Send + Sync), ex: &Exchange, res: &HttpResponse);
    fn build(&self, tree: &Arc<Tree>);
    fn as_any(&self) -> &dyn Any;
}

pub(crate) struct Erased<T>(pub(crate) T);

impl<T: Tool> Erased<T> {
    fn cfg(config: &(dyn Any + Send + Sync)) -> &T::Config {
        match config.downcast_ref::<T::Config>() {
            Some(c) => c,
            // Settings are compiled by `configure` of the same tool: a mismatch is a bug.
            None => unreachable!("tool {} got another tool's configuration", T::NAME),
        }
    }
}

impl<T: Tool> ErasedTool for Erased<T> {
    fn name(&self) -> &'static str {
        T::NAME
    }
    fn on_by_default(&self) -> bool {
        T::ON_BY_DEFAULT
    }
    fn priority(&self) -> i32 {
        self.0.priority()
    }
    fn configure(&self, section: toml::Table) -> Result<Arc<dyn Any + Send + Sync>, String> {
        let cfg: T::Config = toml::Value::Table(section)
            .try_into()
            .map_err(|e: toml::de::Error| e.message().to_owned())?;
        Ok(Arc::new(cfg))
    }
    fn before<'a>(&'a self, config: &'a (dyn Any + Send + Sync), ex: &'a Exchange) -> Before<'a> {
        self.0.before_handler(Self::cfg(config), ex)
    }
    fn after<'a>(
        &'a self,
        config: &'a (dyn Any + Send + Sync),
        ex: &'a Exchange,
        res: HttpResponse,
    ) -> After<'a> {
        self.0.after_handler(Self::cfg(config), ex, res)
    }
    fn respond(&self, config: &(dyn Any + Send + Sync), ex: &Exchange, res: &mut HttpResponse) {
        self.0.on_response(Self::cfg(config), ex, res)
    }
    fn end(&self, config: &(dyn Any + Send + Sync), ex: &Exchange, res: &HttpResponse) {
        self.0.on_end(Self::cfg(config), ex, res)
    }
    fn build(&self, tree: &Arc<Tree>) {
        self.0.on_build(tree)
    }
    fn as_any(&self) -> &dyn Any {
        &self.0
    }
}

/// A tool switched on for a path, with its compiled configuration.
#[derive(Clone)]
pub(crate) struct ActiveTool {
    pub(crate) tool: Arc<dyn ErasedTool>,
    pub(crate) config: Arc<dyn Any + Send + Sync>,
}
