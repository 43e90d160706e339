//! Configuration: global settings and per-path sections, merged root to leaf.
//!
//! This module owns [`Config`], read from TOML or set through the builder, and the typed
//! reading of its sections: each section is deserialized once, when the application is built,
//! into a type that refuses unknown keys ([`GlobalSettings`] for the framework's own
//! `[global]` sections; each tool's type for its own), and any error names the key — and, for
//! a file, the line. A TOML file has a `[global]` table and one table per path, named by the
//! path (`["/blog"]`); inside, dotted keys name a tool's setting (`tools.caching.delay = 60`)
//! or a request setting (`request.body.max_size = "1 MiB"`). A deeper path overrides a
//! shallower one key by key (CherryPy's config merge), and path segments compare as the
//! dispatcher compares names (`/translate.html` is in `["/translate_html"]`).
//!
//! ```
//! use drupe::Config;
//!
//! let config = Config::from_toml(r#"
//!     [global]
//!     server.shutdown_timeout = 5
//!
//!     ["/"]
//!     tools.trailing_slash.on = true
//!
//!     ["/blog"]
//!     tools.trailing_slash.extra = true
//!     request.body.max_size = "2 MiB"
//! "#).unwrap();
//! assert_eq!(config.get("/blog/post", "tools.trailing_slash.on"), Some(&toml::Value::Boolean(true)));
//! assert_eq!(config.get("/", "tools.trailing_slash.extra"), None);
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use toml::{Table, Value};

mod environment;
mod global;
mod origin;

pub use environment::Environment;
pub(crate) use environment::apply as apply_environment;
pub use global::{
    AutoreloadSettings, EngineSettings, GlobalSettings, Seconds, ServerSettings, Size,
    TemplatesSettings, TlsSettings,
};

use origin::Origins;

pub use crate::body::DEFAULT_MAX_BODY;

/// Configuration errors: where and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The TOML does not parse.
    #[error("invalid TOML: {0}")]
    Toml(String),
    /// A section that is neither `global` nor a path.
    #[error("section `{0}` is neither [global] nor a path starting with `/`")]
    Section(String),
    /// A setting that does not exist, or a value of the wrong shape.
    #[error("[\"{path}\"] {key}: {message}{}", at.as_ref().map(|a| format!(" ({a})")).unwrap_or_default())]
    Setting {
        /// The section: `global` or a path.
        path: String,
        /// The dotted key.
        key: String,
        /// What is wrong.
        message: String,
        /// Where it was written: `app.toml line 12` (for settings read from TOML).
        at: Option<String>,
    },
    /// The file could not be read.
    #[error("cannot read {file}: {message}")]
    Io {
        /// The file.
        file: String,
        /// The error.
        message: String,
    },
}

/// Global settings and per-path sections.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    global: Table,
    paths: BTreeMap<String, Table>,
    /// Where each key read from TOML was written.
    origins: Origins,
}

impl Config {
    /// An empty configuration (every default).
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a TOML document.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        Self::parse(text, None)
    }

    /// Reads a TOML file.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::parse(&text, Some(path.display().to_string())).map_err(|e| match e {
            ConfigError::Toml(m) => ConfigError::Toml(format!("{}: {m}", path.display())),
            e => e,
        })
    }

    fn parse(text: &str, file: Option<String>) -> Result<Self, ConfigError> {
        let doc: Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::Toml(e.to_string()))?;
        let mut config = Self::default();
        for (section, value) in doc {
            let Value::Table(table) = value else {
                return Err(ConfigError::Section(section));
            };
            if section == "global" {
                merge(&mut config.global, table);
            } else if section.starts_with('/') {
                merge(config.paths.entry(normalize(&section)).or_default(), table);
            } else {
                return Err(ConfigError::Section(section));
            }
        }
        config.origins = Origins::read(text, file.map(Arc::from), normalize);
        Ok(config)
    }

    /// Sets `key` (dotted, e.g. `tools.caching.delay`) for `path` and everything below it.
    pub fn set(&mut self, path: &str, key: &str, value: impl Into<Value>) -> &mut Self {
        let table = self.paths.entry(normalize(path)).or_default();
        set_dotted(table, key, value.into());
        self
    }

    /// Sets a global key (e.g. `server.shutdown_timeout`).
    pub fn set_global(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        set_dotted(&mut self.global, key, value.into());
        self
    }

    /// Merges `other` over this configuration.
    pub fn merge(&mut self, other: Config) -> &mut Self {
        merge(&mut self.global, other.global);
        for (p, t) in other.paths {
            merge(self.paths.entry(p).or_default(), t);
        }
        self.origins.extend(other.origins);
        self
    }

    /// The effective value of `key` at `path` (after merging every enclosing section; the
    /// deepest wins). Path segments are compared as the dispatcher compares names:
    /// punctuation reads as `_`, so `/translate.html` is in the section `/translate_html`.
    pub fn get(&self, path: &str, key: &str) -> Option<&Value> {
        let mut found: Option<(usize, &Value)> = None;
        for (p, table) in &self.paths {
            if is_prefix(p, path)
                && let Some(v) = get_dotted(table, key)
                && found.is_none_or(|(depth, _)| depth <= depth_of(p))
            {
                found = Some((depth_of(p), v));
            }
        }
        found.map(|(_, v)| v)
    }

    /// The section that sets `key` for `path`: the deepest of those covering it that has the
    /// key itself (`/static` for `/static/css` when only `/static` sets it).
    pub(crate) fn declared_at(&self, path: &str, key: &str) -> Option<&str> {
        self.paths
            .iter()
            .filter(|(p, t)| is_prefix(p, path) && get_dotted(t, key).is_some())
            .max_by_key(|(p, _)| depth_of(p))
            .map(|(p, _)| p.as_str())
    }

    /// A value the `/` section sets itself.
    pub(crate) fn root_value(&self, key: &str) -> Option<&Value> {
        self.paths.get("/").and_then(|t| get_dotted(t, key))
    }

    /// A global value.
    pub fn global(&self, key: &str) -> Option<&Value> {
        get_dotted(&self.global, key)
    }

    pub(crate) fn paths(&self) -> impl Iterator<Item = (&str, &Table)> {
        self.paths.iter().map(|(p, t)| (p.as_str(), t))
    }

    /// The top-level names of `[global]` (`server`, `cache`, ...).
    pub(crate) fn global_sections(&self) -> impl Iterator<Item = &str> {
        self.global.keys().map(String::as_str)
    }

    /// `[global] name.*` read into `T` (absent: `T` from an empty table, so its defaults).
    pub(crate) fn global_section<T: DeserializeOwned>(&self, name: &str) -> Result<T, ConfigError> {
        let value = self
            .global
            .get(name)
            .cloned()
            .unwrap_or_else(|| Value::Table(Table::new()));
        self.read("global", name, value)
    }

    /// Reads `value`, found at `key` of `section` (`global` or a path), into `T`; an error
    /// names the key inside it that is wrong, and where it was written.
    pub(crate) fn read<T: DeserializeOwned>(
        &self,
        section: &str,
        key: &str,
        value: Value,
    ) -> Result<T, ConfigError> {
        serde_path_to_error::deserialize(value).map_err(|e| {
            let inner = e.path().to_string();
            let key = if inner.is_empty() || inner == "." {
                key.to_owned()
            } else {
                format!("{key}.{inner}")
            };
            let message = e.into_inner().message().to_owned();
            self.error(section, &key, message)
        })
    }

    /// An error about `key` of `section`, with the line it was written on if it came from TOML
    /// (or the nearest enclosing key's).
    pub(crate) fn error(
        &self,
        section: &str,
        key: &str,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError::Setting {
            path: section.to_owned(),
            key: key.to_owned(),
            message: message.into(),
            at: self.origins.find(section, key),
        }
    }

    /// The table that applies at `path`: every section that covers it, shallower ones first.
    pub(crate) fn merged(&self, path: &str) -> Table {
        let mut covering: Vec<(&str, &Table)> =
            self.paths().filter(|(p, _)| is_prefix(p, path)).collect();
        // Stable: sections of one depth (two spellings of one name) keep their order.
        covering.sort_by_key(|(p, _)| depth_of(p));
        let mut table = Table::new();
        for (_, t) in covering {
            merge(&mut table, t.clone());
        }
        table
    }
}

/// A path as a section name: without its trailing `/` (the root is `/`).
fn normalize(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// Whether the section `section` covers `path`: its segments are the path's first ones, each
/// compared as the dispatcher compares names (punctuation reads as `_`).
fn is_prefix(section: &str, path: &str) -> bool {
    let mut p = path.split('/').filter(|s| !s.is_empty());
    section.split('/').filter(|s| !s.is_empty()).all(|s| {
        p.next()
            .is_some_and(|x| crate::dispatch::path::same_name(s, x))
    })
}

/// How many segments a section's path has.
pub(crate) fn depth_of(section: &str) -> usize {
    section.split('/').filter(|s| !s.is_empty()).count()
}

fn set_dotted(table: &mut Table, key: &str, value: Value) {
    let mut t = table;
    let mut parts = key.split('.').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            t.insert(part.to_owned(), value);
            return;
        }
        let entry = t
            .entry(part.to_owned())
            .or_insert_with(|| Value::Table(Table::new()));
        if !entry.is_table() {
            *entry = Value::Table(Table::new());
        }
        let Value::Table(next) = entry else {
            return;
        };
        t = next;
    }
}

pub(crate) fn get_dotted<'t>(table: &'t Table, key: &str) -> Option<&'t Value> {
    let mut parts = key.split('.');
    let mut v = table.get(parts.next()?)?;
    for part in parts {
        v = v.as_table()?.get(part)?;
    }
    Some(v)
}

/// Deep merge: tables merge key by key, anything else is replaced.
fn merge(into: &mut Table, from: Table) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(Value::Table(a)), Value::Table(b)) => merge(a, b),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests;
