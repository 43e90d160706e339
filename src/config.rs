//! Configuration: global settings and per-path sections, merged root to leaf.
//!
//! This module owns [`Config`], read from TOML or set through the builder, and its
//! compilation into a trie of per-path [`Settings`] that dispatch reads without merging
//! anything per request. A TOML file has a `[global]` table (server settings) and one table per
//! path, named by the path (`["/blog"]`); inside, dotted keys name a tool's setting
//! (`tools.caching.delay = 60`) or a request setting (`request.body.max_size = "1 MiB"`).
//! A deeper path overrides a shallower one key by key (CherryPy's config merge).
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

use toml::{Table, Value};

use crate::tools::{ActiveTool, ErasedTool};

/// Configuration errors: where and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The TOML does not parse.
    #[error("invalid TOML: {0}")]
    Toml(String),
    /// A section that is neither `global` nor a path.
    #[error("section `{0}` is neither [global] nor a path starting with `/`")]
    Section(String),
    /// A setting with a value of the wrong shape.
    #[error("[\"{path}\"] {key}: {message}")]
    Setting {
        /// The path section.
        path: String,
        /// The key.
        key: String,
        /// What is wrong.
        message: String,
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
}

impl Config {
    /// An empty configuration (every default).
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a TOML document.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
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
        Ok(config)
    }

    /// Reads a TOML file.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_toml(&text)
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

    /// A global value.
    pub fn global(&self, key: &str) -> Option<&Value> {
        get_dotted(&self.global, key)
    }

    pub(crate) fn paths(&self) -> impl Iterator<Item = (&str, &Table)> {
        self.paths.iter().map(|(p, t)| (p.as_str(), t))
    }
}

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
fn depth_of(section: &str) -> usize {
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

fn get_dotted<'t>(table: &'t Table, key: &str) -> Option<&'t Value> {
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

/// Settings that apply to one path and everything below it, precomputed.
pub(crate) struct Settings {
    /// Active tools, by ascending priority.
    pub(crate) tools: Vec<ActiveTool>,
    pub(crate) show_mismatched_params: bool,
    pub(crate) max_body_size: usize,
    /// `request.max_fields`: form fields or multipart parts a body may carry, and query
    /// parameters a request target may carry.
    pub(crate) max_fields: usize,
    /// Whether form bodies are read into named values (`request.body.process`).
    pub(crate) process_body: bool,
}

/// The default request body limit: 1 MiB.
pub const DEFAULT_MAX_BODY: usize = 1 << 20;

/// Per-path settings as a trie keyed by decoded path segments.
pub(crate) struct SettingsTrie {
    settings: Arc<Settings>,
    children: Vec<(Box<str>, SettingsTrie)>,
}

impl SettingsTrie {
    /// Whether the tool `name` is on for some path.
    pub(crate) fn any_active(&self, name: &str) -> bool {
        self.settings.tools.iter().any(|t| t.tool.name() == name)
            || self.children.iter().any(|(_, c)| c.any_active(name))
    }

    /// The settings for a request path: those of the deepest configured prefix. Segments are
    /// compared as the dispatcher compares names (punctuation reads as `_`), so
    /// `/translate.html`, `/translate-html` and `/translate_html` — one handler — get the
    /// same settings.
    pub(crate) fn lookup<'a, 's>(
        &'a self,
        segments: impl Iterator<Item = &'s str>,
    ) -> &'a Arc<Settings> {
        use crate::dispatch::path::cmp_translated;
        let mut node = self;
        for seg in segments {
            match node
                .children
                .iter()
                .find(|(n, _)| cmp_translated(n, seg).is_eq())
            {
                Some((_, child)) => node = child,
                None => break,
            }
        }
        &node.settings
    }

    /// Builds the trie: every configured path gets its merged table compiled once.
    pub(crate) fn build(
        config: &Config,
        tools: &[Arc<dyn ErasedTool>],
    ) -> Result<Self, ConfigError> {
        let mut paths: Vec<&str> = config.paths().map(|(p, _)| p).collect();
        if !paths.contains(&"/") {
            paths.push("/");
        }
        // Shallower sections first, so a node made on the way to a deeper one inherits theirs.
        paths.sort_by_key(|p| (depth_of(p), *p));
        let mut root = SettingsTrie {
            settings: Arc::new(compile(config, "/", tools)?),
            children: Vec::new(),
        };
        for p in paths.into_iter().filter(|p| *p != "/") {
            let settings = Arc::new(compile(config, p, tools)?);
            let mut node = &mut root;
            for seg in p.split('/').filter(|s| !s.is_empty()) {
                // Kept translated, as the dispatcher keeps names.
                let seg = crate::dispatch::path::translated(seg);
                let i = match node.children.iter().position(|(n, _)| **n == *seg) {
                    Some(i) => i,
                    None => {
                        // An intermediate path without a section inherits its parent's.
                        let inherited = node.settings.clone();
                        node.children.push((
                            seg.into(),
                            SettingsTrie {
                                settings: inherited,
                                children: Vec::new(),
                            },
                        ));
                        node.children.len() - 1
                    }
                };
                node = &mut node.children[i].1;
            }
            node.settings = settings;
        }
        Ok(root)
    }
}

/// The merged table for `path`: every section that covers it, shallower ones first.
fn merged(config: &Config, path: &str) -> Table {
    let mut covering: Vec<(&str, &Table)> =
        config.paths().filter(|(p, _)| is_prefix(p, path)).collect();
    // Stable: sections of one depth (two spellings of one name) keep their order.
    covering.sort_by_key(|(p, _)| depth_of(p));
    let mut table = Table::new();
    for (_, t) in covering {
        merge(&mut table, t.clone());
    }
    table
}

fn compile(
    config: &Config,
    path: &str,
    tools: &[Arc<dyn ErasedTool>],
) -> Result<Settings, ConfigError> {
    let table = merged(config, path);
    let err = |key: &str, message: String| ConfigError::Setting {
        path: path.to_owned(),
        key: key.to_owned(),
        message,
    };
    let tool_tables = table.get("tools").and_then(Value::as_table);
    if let Some(tt) = tool_tables {
        for name in tt.keys() {
            if !tools.iter().any(|t| t.name() == name) {
                return Err(err(
                    &format!("tools.{name}"),
                    "no tool of this name is registered".into(),
                ));
            }
        }
    }
    let mut active = Vec::new();
    for tool in tools {
        let section = tool_tables
            .and_then(|t| t.get(tool.name()))
            .cloned()
            .unwrap_or(Value::Table(Table::new()));
        let Value::Table(mut section) = section else {
            return Err(err(
                &format!("tools.{}", tool.name()),
                "expected a table".into(),
            ));
        };
        let on = match section.remove("on") {
            None => tool.on_by_default(),
            Some(Value::Boolean(b)) => b,
            Some(other) => {
                return Err(err(
                    &format!("tools.{}.on", tool.name()),
                    format!("expected true or false, got {other}"),
                ));
            }
        };
        // Validate the settings even where the tool is off: a typo is an error anywhere.
        let cfg = tool
            .configure(section)
            .map_err(|m| err(&format!("tools.{}", tool.name()), m))?;
        if !on {
            continue;
        }
        active.push(ActiveTool {
            tool: tool.clone(),
            config: cfg,
        });
    }
    active.sort_by_key(|t| t.tool.priority());
    let request = table.get("request").and_then(Value::as_table);
    let show_mismatched_params = match request.and_then(|r| r.get("show_mismatched_params")) {
        None => true,
        Some(Value::Boolean(b)) => *b,
        Some(v) => {
            return Err(err(
                "request.show_mismatched_params",
                format!("expected true or false, got {v}"),
            ));
        }
    };
    let body = request
        .and_then(|r| r.get("body"))
        .and_then(Value::as_table);
    let process_body = match body.and_then(|b| b.get("process")) {
        None => true,
        Some(Value::Boolean(b)) => *b,
        Some(v) => {
            return Err(err(
                "request.body.process",
                format!("expected true or false, got {v}"),
            ));
        }
    };
    let max_body_size = match body.and_then(|b| b.get("max_size")) {
        None => DEFAULT_MAX_BODY,
        Some(v) => parse_size(v).ok_or_else(|| {
            err(
                "request.body.max_size",
                format!("expected a byte count such as 1048576 or \"1 MiB\", got {v}"),
            )
        })?,
    };
    let max_fields = match request.and_then(|r| r.get("max_fields")) {
        None => crate::body::DEFAULT_MAX_FIELDS,
        Some(Value::Integer(n)) if *n > 0 => usize::try_from(*n).unwrap_or(usize::MAX),
        Some(v) => {
            return Err(err(
                "request.max_fields",
                format!("expected a number of fields above 0, got {v}"),
            ));
        }
    };
    Ok(Settings {
        tools: active,
        show_mismatched_params,
        max_body_size,
        max_fields,
        process_body,
    })
}

/// Reads `1048576`, `"512 KiB"`, `"1 MiB"`, `"10MB"`.
pub(crate) fn parse_size(v: &Value) -> Option<usize> {
    match v {
        Value::Integer(i) => usize::try_from(*i).ok(),
        Value::String(s) => {
            let s = s.trim();
            let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
            let (num, unit) = s.split_at(split);
            let n: usize = num.parse().ok()?;
            let mult: usize = match unit.trim().to_ascii_lowercase().as_str() {
                "" | "b" => 1,
                "kb" => 1_000,
                "kib" | "k" => 1 << 10,
                "mb" => 1_000_000,
                "mib" | "m" => 1 << 20,
                "gb" => 1_000_000_000,
                "gib" | "g" => 1 << 30,
                _ => return None,
            };
            n.checked_mul(mult)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deeper_paths_override_key_by_key() {
        let c = Config::from_toml(
            r#"
            ["/"]
            tools.x.a = 1
            tools.x.b = 2
            ["/blog/"]
            tools.x.b = 3
            "#,
        )
        .unwrap();
        assert_eq!(c.get("/blog/post", "tools.x.a"), Some(&Value::Integer(1)));
        assert_eq!(c.get("/blog/post", "tools.x.b"), Some(&Value::Integer(3)));
        assert_eq!(c.get("/blogger", "tools.x.b"), Some(&Value::Integer(2)));
        // Names compare as the dispatcher reads them.
        assert_eq!(c.get("/blog.x", "tools.x.b"), Some(&Value::Integer(2)));
        let spelled = Config::from_toml(
            r#"
            ["/a.b"]
            k = 1
            ["/a-b/c"]
            k = 2
            "#,
        )
        .unwrap();
        // The deeper section wins, whichever sorts last.
        assert_eq!(spelled.get("/a_b/c/d", "k"), Some(&Value::Integer(2)));
        assert_eq!(
            get_dotted(&merged(&spelled, "/a_b/c"), "k"),
            Some(&Value::Integer(2))
        );
        assert_eq!(spelled.get("/a~b", "k"), Some(&Value::Integer(1)));
        let m = merged(&c, "/blog/post");
        assert_eq!(get_dotted(&m, "tools.x.b"), Some(&Value::Integer(3)));
    }

    #[test]
    fn sections_must_be_paths_or_global() {
        assert!(matches!(
            Config::from_toml("[blog]\na = 1"),
            Err(ConfigError::Section(_))
        ));
        assert!(matches!(
            Config::from_toml("a = "),
            Err(ConfigError::Toml(_))
        ));
    }

    #[test]
    fn builder_sets_dotted_keys() {
        let mut c = Config::new();
        c.set("/feed", "tools.caching.delay", 60);
        assert_eq!(
            c.get("/feed/", "tools.caching.delay"),
            Some(&Value::Integer(60))
        );
    }

    #[test]
    fn a_node_on_the_way_to_a_deeper_section_inherits_the_sections_above_it() {
        // `/a.x/c/d` sorts before `/a_x`: the trie's `c` is made on the way to `d`, and must
        // still inherit what `/a_x` (the same name) sets.
        crate::fuzzing::settings_lookup(&["/a.x/c/d".into(), "/a_x".into()], "/a-x/c");
        crate::fuzzing::settings_lookup(&["/a.x/c/d".into(), "/a_x".into()], "/a-x/c/d/e");
    }

    proptest::proptest! {
        /// The trie agrees with the plain rule (the deepest covering section, names compared
        /// through the translation) on paths made of few letters and punctuation, where
        /// spellings collide often.
        #[test]
        fn the_settings_trie_follows_the_dispatchers_names(
            configured in proptest::collection::vec("(/[ab._~-]{0,3}){0,3}/?", 0..6),
            request in "(/[ab._~-]{0,3}){0,4}",
        ) {
            crate::fuzzing::settings_lookup(&configured, &format!("/{request}"));
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size(&Value::Integer(10)), Some(10));
        assert_eq!(parse_size(&"1 MiB".into()), Some(1 << 20));
        assert_eq!(parse_size(&"10MB".into()), Some(10_000_000));
        assert_eq!(parse_size(&"ten".into()), None);
        assert_eq!(parse_size(&Value::Integer(-1)), None);
    }
}
