//! What a tool is given when the application is built, and the endpoints it may publish.
//!
//! [`Build`] hands a tool the compiled tree, its own typed `[global]` section, and a place to
//! publish endpoints: pages and documents served outside the tree (the coverage report, the
//! cache's counters, the OpenAPI document), matched by path before the walk. An endpoint is
//! either public or for operators only ([`Access`]).

use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use super::settings::SettingsTrie;
use crate::config::{Config, ConfigError};
use crate::dispatch::tree::Tree;

/// Who may reach an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Public,
    /// Operators only: a client on this machine (behind `server.trusted_proxies`, the client
    /// they forward), naming it — `localhost`, `127.0.0.1`, `[::1]` or one of
    /// `server.allowed_hosts`. Anyone else gets a 404 (a foreign name, a 421).
    Operator,
}

/// An endpoint's handler: the request and its body, to a response.
pub type EndpointFn =
    dyn Fn(HttpRequest, Payload) -> LocalBoxFuture<'static, HttpResponse> + Send + Sync;

/// Something the application serves outside its tree.
pub(crate) struct Endpoint {
    /// The path (exact) or, ending with `/`, the prefix it answers.
    pub(crate) path: String,
    pub(crate) access: Access,
    pub(crate) handler: Arc<EndpointFn>,
    /// The tool that published it (for errors).
    pub(crate) tool: &'static str,
}

impl Endpoint {
    pub(crate) fn matches(&self, path: &str) -> bool {
        if self.path.ends_with('/') {
            path.starts_with(&self.path) || path == self.path.trim_end_matches('/')
        } else {
            path == self.path
        }
    }
}

/// What a tool is given once, when the application is built ([`Tool::on_build`](super::Tool::on_build)).
pub struct Build<'a> {
    pub(crate) tree: &'a Arc<Tree>,
    pub(crate) config: &'a Config,
    pub(crate) settings: &'a SettingsTrie,
    pub(crate) tool: &'static str,
    pub(crate) on_somewhere: bool,
    pub(crate) claimed: &'a mut Vec<String>,
    pub(crate) endpoints: &'a mut Vec<Endpoint>,
}

impl Build<'_> {
    /// The compiled tree the application serves.
    pub fn tree(&self) -> &Arc<Tree> {
        self.tree
    }

    /// The statuses the tools on at `path` may answer themselves to `method`
    /// ([`Tool::responses`](super::Tool::responses)), in the order they run. `path` is a path
    /// of the tree; a `{parameter}` segment ends the lookup (settings are per node).
    pub fn tool_responses(&self, path: &str, method: &str) -> Vec<(u16, &'static str)> {
        let segments = path
            .split('/')
            .filter(|s| !s.is_empty())
            .take_while(|s| !s.starts_with('{'));
        self.settings
            .lookup(segments)
            .tools
            .iter()
            .flat_map(|t| t.tool.responses(&*t.config, method))
            .collect()
    }

    /// How callers of `method` at `path` prove who they are, by the tools on it (sorted, each
    /// once).
    pub fn tool_security(&self, path: &str, method: &str) -> Vec<super::Security> {
        let segments = path
            .split('/')
            .filter(|s| !s.is_empty())
            .take_while(|s| !s.starts_with('{'));
        let mut all: Vec<super::Security> = self
            .settings
            .lookup(segments)
            .tools
            .iter()
            .filter_map(|t| t.tool.security(&*t.config, method))
            .collect();
        all.sort();
        all.dedup();
        all
    }

    /// Whether the tool is on for at least one path.
    pub fn is_on_somewhere(&self) -> bool {
        self.on_somewhere
    }

    /// The tool's `[global] <section>.*` settings read into `T` (give `T`
    /// `#[serde(default, deny_unknown_fields)]`: an absent section reads as an empty one, and
    /// a misspelt key is an error naming it). The section is the tool's: a `[global]` section
    /// that no tool reads is an error.
    pub fn global<T: DeserializeOwned>(&mut self, section: &str) -> Result<T, ConfigError> {
        self.claimed.push(section.to_owned());
        self.config.global_section(section)
    }

    /// An error about `[global] key`, with the line it was written on.
    pub fn global_error(&self, key: &str, message: impl Into<String>) -> ConfigError {
        self.config.error("global", key, message)
    }

    /// Publishes an endpoint at `path` (exact; ending with `/`, the prefix it answers).
    /// Two tools may not publish the same path.
    pub fn endpoint(
        &mut self,
        path: impl Into<String>,
        access: Access,
        handler: impl Fn(HttpRequest, Payload) -> LocalBoxFuture<'static, HttpResponse>
        + Send
        + Sync
        + 'static,
    ) -> Result<(), ConfigError> {
        let path = path.into();
        if !path.starts_with('/') {
            return Err(self.config.error(
                "global",
                self.tool,
                format!("the endpoint `{path}` does not start with /"),
            ));
        }
        if let Some(other) = self.endpoints.iter().find(|e| e.path == path) {
            return Err(self.config.error(
                "global",
                self.tool,
                format!("`{path}` is served by the tool `{}` already", other.tool),
            ));
        }
        self.endpoints.push(Endpoint {
            path,
            access,
            handler: Arc::new(handler),
            tool: self.tool,
        });
        Ok(())
    }
}
