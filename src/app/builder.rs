//! Building an application: configuration, tools, templates and state, compiled once.

use std::sync::Arc;

use super::{App, BuildError, Inner};
use crate::config::{Config, ConfigError, GlobalSettings};
use crate::context::{Context, StateMap};
use crate::dispatch::tree::{self, Controller, Tree, TreeError};
use crate::http::client::TrustedProxies;
use crate::pipeline::Compiled;
use crate::templates::Templates;
use crate::tools::settings::SettingsTrie;
use crate::tools::{Build, Erased, ErasedTool, Tool};

/// Builds an [`App`]: configuration, tools, templates, shared state.
///
/// ```
/// use drupe::{App, ResponseHeaders, State, controller};
///
/// struct Greeting(&'static str);
/// struct Root;
///
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self, greeting: State<Greeting>) -> &'static str {
///         greeting.0
///     }
///     #[expose]
///     fn upload(&self, file: drupe::Upload) -> String {
///         file.len().to_string()
///     }
/// }
///
/// let app = App::builder(Root)
///     .state(Greeting("hello"))
///     .tool_at("/", ResponseHeaders::new().header("X-Frame-Options", "DENY"))
///     .body_limit("/upload", 10 << 20)
///     .set_global("server.workers", 2)
///     .build()
///     .unwrap();
/// ```
pub struct AppBuilder {
    tree: Result<Tree, TreeError>,
    config: Config,
    tools: Vec<Arc<dyn ErasedTool>>,
    templates: Option<Templates>,
    states: StateMap,
}

impl AppBuilder {
    pub(super) fn new<R: Controller>(root: R) -> Self {
        Self {
            tree: tree::compile(Arc::new(root)),
            config: Config::new(),
            tools: super::tools::stock(),
            templates: None,
            states: StateMap::default(),
        }
    }

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

    /// Registers a tool (switched on per path by `tools.<NAME>.on`, or by default), in place
    /// of any registered under its name — among them those every application has: the
    /// trailing-slash redirect, the cache, the coverage recorder, the OpenAPI document and the
    /// response headers.
    pub fn tool<T: Tool>(mut self, tool: T) -> Self {
        self.tools.retain(|t| t.name() != T::NAME);
        self.tools.push(Arc::new(Erased(tool)));
        self
    }

    /// Registers a tool and switches it on for `path` and below, with the settings the value
    /// carries for it ([`Tool::settings_at`]): `.tool_at("/", ResponseHeaders::new().header(..))`.
    pub fn tool_at<T: Tool>(mut self, path: &str, tool: T) -> Self {
        let settings = tool.settings_at();
        self = self.tool(tool);
        for (key, value) in settings {
            self.config
                .set(path, &format!("tools.{}.{key}", T::NAME), value);
        }
        self.set(path, &format!("tools.{}.on", T::NAME), true)
    }

    /// Bounds request bodies under `path` to `bytes` (`request.body.max_size`; 413 beyond).
    pub fn body_limit(self, path: &str, bytes: usize) -> Self {
        let bytes = i64::try_from(bytes).unwrap_or(i64::MAX);
        self.set(path, "request.body.max_size", bytes)
    }

    /// Uses these templates for HTML representations and pages.
    pub fn templates(mut self, templates: Templates) -> Self {
        self.templates = Some(templates);
        self
    }

    /// Shares `value` with every handler that takes a [`State<T>`](crate::State) argument
    /// (one value per type; a second of the same type replaces the first).
    ///
    /// ```
    /// use drupe::{App, State, controller};
    /// struct Db(Vec<&'static str>);
    /// struct Root;
    /// #[controller]
    /// impl Root {
    ///     #[expose]
    ///     fn index(&self, db: State<Db>) -> String {
    ///         db.0.join(", ")
    ///     }
    /// }
    /// let app = App::builder(Root).state(Db(vec!["a", "b"])).build().unwrap();
    /// ```
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.states.insert(value);
        self
    }

    /// Reads every setting, lets every tool read its own and publish its endpoints, and
    /// returns the application. A setting nobody reads, or a value of the wrong shape, is an
    /// error naming the key (and, for a file, its line).
    pub fn build(self) -> Result<App, BuildError> {
        let tree = Arc::new(self.tree?);
        let mut config = self.config;
        crate::config::apply_environment(&mut config)?;
        let global = GlobalSettings::read(&config)?;
        let settings = SettingsTrie::build(&config, &self.tools)?;
        let mut endpoints = Vec::new();
        let mut claimed: Vec<String> = GlobalSettings::SECTIONS.map(str::to_owned).to_vec();
        for t in &self.tools {
            let mut build = Build {
                tree: &tree,
                config: &config,
                settings: &settings,
                tool: t.name(),
                on_somewhere: settings.any_active(t.name()),
                claimed: &mut claimed,
                endpoints: &mut endpoints,
            };
            t.on_build(&mut build)?;
        }
        if let Some(unknown) = config
            .global_sections()
            .find(|s| !claimed.iter().any(|c| c == s))
        {
            let mut known = claimed.clone();
            known.sort();
            known.dedup();
            return Err(config
                .error(
                    "global",
                    unknown,
                    format!("no such setting (the sections are {})", known.join(", ")),
                )
                .into());
        }
        let mut states = self.states;
        states.insert(crate::dispatch::reverse::Routes(tree.clone()));
        let templates = match self.templates {
            Some(t) => Some(t),
            None => global.templates.dir.as_ref().map(Templates::from_dir),
        };
        let server = &global.server;
        let context = Context {
            proxies: TrustedProxies::parse(&server.trusted_proxies)
                .map_err(|m| config.error("global", "server.trusted_proxies", m))?,
            allowed_hosts: server
                .allowed_hosts
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            body_timeout: server.body_timeout.get(),
            max_uri: server.max_uri_length.get(),
            max_head: server.max_header_size.get(),
            templates: templates.map(Arc::new),
            states,
        };
        Ok(App {
            inner: Arc::new(Inner {
                pipeline: Arc::new(Compiled {
                    tree,
                    settings,
                    endpoints,
                    context: Arc::new(context),
                }),
                config,
                settings: global,
                tools: self.tools,
            }),
        })
    }
}
