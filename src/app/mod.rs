//! The application: a compiled tree with its configuration and tools, as one value.
//!
//! This module owns [`App`] and [`AppBuilder`]. An `App` is a cheap-to-clone value a function
//! can return, so one `fn app() -> App` serves `main` and the tests. It runs on its own
//! ([`App::serve`]), inside a user's actix-web application ([`App::scope`],
//! [`App::service`], [`App::configure`]), or in the test clients of [`crate::testing`]; the
//! request pipeline behaves the same in each.

use std::sync::Arc;

use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse, fn_service};
use actix_web::{Scope, web};

use crate::config::{Config, ConfigError, GlobalSettings};
use crate::dispatch::bind::Bound;
use crate::dispatch::tree::{Controller, Tree, TreeError};
use crate::pipeline::Compiled;
use crate::tools::ErasedTool;

mod builder;
mod tools;

pub use builder::AppBuilder;

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

pub(crate) struct Inner {
    pub(crate) pipeline: Arc<Compiled>,
    pub(crate) config: Config,
    pub(crate) settings: GlobalSettings,
    pub(crate) tools: Vec<Arc<dyn ErasedTool>>,
}

impl Drop for Inner {
    /// Tells every tool the application goes away (the coverage recorder writes its file);
    /// the engine also does when the server stops.
    fn drop(&mut self) {
        for t in &self.tools {
            t.on_stop();
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
            .field("tree", &self.inner.pipeline.tree)
            .finish()
    }
}

impl App {
    /// An application with default settings.
    pub fn new<R: Controller>(root: R) -> Result<App, BuildError> {
        Self::builder(root).build()
    }

    /// A builder for settings, tools, templates and shared state.
    pub fn builder<R: Controller>(root: R) -> AppBuilder {
        AppBuilder::new(root)
    }

    /// The compiled tree.
    pub fn tree(&self) -> &Tree {
        &self.inner.pipeline.tree
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Its `[global]` settings, read when it was built.
    pub fn settings(&self) -> &GlobalSettings {
        &self.inner.settings
    }

    /// What every request of it is given: the trusted proxies, templates, limits and state,
    /// as parsed when it was built.
    pub(crate) fn context(&self) -> &crate::context::Context {
        &self.inner.pipeline.context
    }

    /// The registered tool of type `T` (the one the application runs, settings applied).
    ///
    /// ```
    /// # use drupe::{App, controller};
    /// # struct Root;
    /// # #[controller] impl Root { #[expose] fn index(&self) -> &'static str { "hi" } }
    /// let app = App::builder(Root).set("/", "tools.coverage.on", true).build().unwrap();
    /// let coverage = app.tool::<drupe::coverage::Coverage>().unwrap();
    /// assert_eq!(coverage.snapshot().handlers.len(), 1);
    /// ```
    pub fn tool<T: 'static>(&self) -> Option<&T> {
        self.inner
            .tools
            .iter()
            .find_map(|t| t.as_any().downcast_ref::<T>())
    }

    /// Tells every tool the server stops (the coverage recorder writes its file).
    pub fn stop_tools(&self) {
        for t in &self.inner.tools {
            t.on_stop();
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
        let pipeline = self.inner.pipeline.clone();
        let prefix: Arc<str> = prefix.trim_end_matches('/').into();
        fn_service(move |sreq: ServiceRequest| {
            let pipeline = pipeline.clone();
            let prefix = prefix.clone();
            async move {
                let (req, payload) = sreq.into_parts();
                // actix-web matched the prefix on a decoded path: find where it ends in the
                // path as sent.
                let path_start = crate::dispatch::path::mount_end(req.path(), &prefix)
                    .unwrap_or_else(|| prefix.len().min(req.path().len()));
                let res = crate::pipeline::handle(pipeline, req.clone(), payload, path_start).await;
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
        web::scope(prefix).default_service(self.service(prefix))
    }

    /// Registers the application at the root of a user's actix-web application
    /// (`actix_web::App::new().configure(app.configure())`).
    pub fn configure(&self) -> impl FnOnce(&mut web::ServiceConfig) + 'static {
        let this = self.clone();
        move |cfg| {
            cfg.default_service(this.service(""));
        }
    }
}

/// Walks `path` and binds its values and `query` to the chosen handler's parameters, without
/// calling it: the dispatch work of one request, for benchmarks. `bind` receives the bound
/// values; returns `false` when nothing matched or binding failed.
#[doc(hidden)]
pub fn resolve_and_bind(app: &App, path: &str, query: &str, bind: impl FnOnce(&Bound<'_>)) -> bool {
    crate::pipeline::resolve_and_bind(&app.inner.pipeline, path, query, bind)
}
