//! Per-path settings, compiled once: the tools on for a path and its request settings.
//!
//! This module owns [`RequestSettings`] (a path's `request.*`) and the trie of compiled
//! [`Settings`] the pipeline looks a request's path up in without merging anything per
//! request. A path section holds `tools.<name>.*` and `request.*` and nothing else; each
//! tool's table is read into its own configuration type and `request.*` into
//! [`RequestSettings`], both refusing keys they do not know, so a misspelt key is a start-up
//! error naming it (and its line, for a file).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::{Table, Value};

use super::erased::{ActiveTool, ErasedTool};
use crate::body::{BodyLimits, Spool};
use crate::config::{Config, ConfigError, Size, depth_of};

/// A path's `request.*` settings.
///
/// ```toml
/// ["/upload"]
/// request.body.max_size = "10 MiB"
/// request.body.spool_above = "1 MiB"
/// request.body.spool_dir = "/var/spool/myapp"
/// request.max_fields = 50
/// request.show_mismatched_params = false
/// request.show_tracebacks = false
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct RequestSettings {
    /// Whether 404/400 answers to a mismatch name the parameters (true; CherryPy's
    /// `request.show_mismatched_params`).
    pub show_mismatched_params: bool,
    /// Whether a 500's answer carries what went wrong inside (the error the log gets) below
    /// its request id (false; the `development` and `test` environments' true). Never on a
    /// server the public reaches: it shows internals.
    pub show_tracebacks: bool,
    /// Form fields or multipart parts a body may carry, and query parameters a request
    /// target may carry (1000; 413, or 400 for the query, beyond). At least 1.
    #[serde(deserialize_with = "field_count")]
    pub max_fields: usize,
    /// `request.body.*`.
    pub body: BodySettings,
}

/// A path's `request.body.*` settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct BodySettings {
    /// The largest body (1 MiB; 413 beyond).
    pub max_size: Size,
    /// Whether form bodies become named arguments (true).
    pub process: bool,
    /// Uploaded files larger than this are written to a temporary file as they arrive
    /// instead of being held in memory (256 KiB).
    pub spool_above: Size,
    /// The folder of those temporary files (none: the system's temporary folder). It must
    /// exist when the application is built.
    pub spool_dir: Option<PathBuf>,
}

/// `request.max_fields`: a count above 0, whatever the wrong value's type.
fn field_count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    use serde::de::{Error, Unexpected, Visitor};
    struct Count;
    impl Visitor<'_> for Count {
        type Value = usize;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a number of fields above 0")
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<usize, E> {
            match usize::try_from(v) {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(E::invalid_value(Unexpected::Signed(v), &self)),
            }
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<usize, E> {
            match usize::try_from(v) {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(E::invalid_value(Unexpected::Unsigned(v), &self)),
            }
        }
    }
    d.deserialize_any(Count)
}

impl Default for RequestSettings {
    fn default() -> Self {
        Self {
            show_mismatched_params: true,
            show_tracebacks: false,
            max_fields: crate::body::DEFAULT_MAX_FIELDS,
            body: BodySettings::default(),
        }
    }
}

impl Default for BodySettings {
    fn default() -> Self {
        Self {
            max_size: Size::bytes(crate::config::DEFAULT_MAX_BODY),
            process: true,
            spool_above: Size::bytes(crate::body::DEFAULT_SPOOL_ABOVE),
            spool_dir: None,
        }
    }
}

/// Settings that apply to one path and everything below it, precomputed.
pub(crate) struct Settings {
    /// Active tools, by ascending priority.
    pub(crate) tools: Vec<ActiveTool>,
    /// `request.*`.
    pub(crate) request: RequestSettings,
    /// What bounds a body here, and where its large files go, from `request.*`.
    pub(crate) body: BodyLimits,
    /// `error_page.*`: the templates of its HTML error pages.
    pub(crate) error_pages: Option<Arc<ErrorPages>>,
    /// The active tools (their places in `tools`) with a check just before the call
    /// ([`Tool::before_call`](crate::tools::Tool::before_call)).
    pub(crate) before_call: Vec<usize>,
}

/// A path's `error_page.*` (CherryPy's config keys): the template of the HTML page for an
/// error status, and `default` for any other.
///
/// ```toml
/// ["/"]
/// error_page.404 = "errors/404.html"
/// error_page.default = "errors/error.html"
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ErrorPages {
    pub(crate) by_status: Vec<(u16, String)>,
    pub(crate) default: Option<String>,
}

impl ErrorPages {
    fn read(config: &Config, path: &str, value: Value) -> Result<Self, ConfigError> {
        let Value::Table(t) = value else {
            return Err(config.error(path, "error_page", "expected a table of templates"));
        };
        let mut pages = ErrorPages::default();
        for (k, v) in t {
            let key = format!("error_page.{k}");
            let Value::String(template) = v else {
                return Err(config.error(path, &key, "expected the name of a template"));
            };
            if k == "default" {
                pages.default = Some(template);
                continue;
            }
            match k.parse::<u16>() {
                Ok(code) if (400..=599).contains(&code) => pages.by_status.push((code, template)),
                _ => {
                    return Err(config.error(
                        path,
                        &key,
                        "an error page is for a status from 400 to 599, or `default`",
                    ));
                }
            }
        }
        Ok(pages)
    }

    /// The template for `status`.
    pub(crate) fn for_status(&self, status: u16) -> Option<&str> {
        self.by_status
            .iter()
            .find(|(c, _)| *c == status)
            .map(|(_, t)| t.as_str())
            .or(self.default.as_deref())
    }
}

/// Per-path settings as a trie keyed by translated path segments.
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

/// The settings of `path`: its merged table read into each tool's configuration and into
/// [`RequestSettings`].
fn compile(
    config: &Config,
    path: &str,
    tools: &[Arc<dyn ErasedTool>],
) -> Result<Settings, ConfigError> {
    let mut table = config.merged(path);
    for key in table.keys() {
        if key != "tools" && key != "request" && key != "error_page" {
            return Err(config.error(
                path,
                key,
                "no such setting: a path section holds tools.<name>.*, request.* and error_page.*",
            ));
        }
    }
    let tool_tables = match table.remove("tools") {
        None => Table::new(),
        Some(Value::Table(t)) => t,
        Some(other) => {
            return Err(config.error(path, "tools", format!("expected a table, got {other}")));
        }
    };
    for name in tool_tables.keys() {
        if !tools.iter().any(|t| t.name() == name) {
            let mut known: Vec<&str> = tools.iter().map(|t| t.name()).collect();
            known.sort_unstable();
            return Err(config.error(
                path,
                &format!("tools.{name}"),
                format!(
                    "no tool of this name is registered (the tools are {})",
                    known.join(", ")
                ),
            ));
        }
    }
    let mut active = Vec::new();
    for tool in tools {
        let key = format!("tools.{}", tool.name());
        let mut section = match tool_tables.get(tool.name()) {
            None => Table::new(),
            Some(Value::Table(t)) => t.clone(),
            Some(other) => {
                return Err(config.error(path, &key, format!("expected a table, got {other}")));
            }
        };
        let on = match section.remove("on") {
            None => tool.on_by_default(),
            Some(Value::Boolean(b)) => b,
            Some(other) => {
                return Err(config.error(
                    path,
                    &format!("{key}.on"),
                    format!("expected true or false, got {other}"),
                ));
            }
        };
        // Read even where the tool is off: a typo is an error anywhere.
        let cfg = tool.configure(config, path, &key, section, on)?;
        if on {
            active.push(ActiveTool {
                tool: tool.clone(),
                config: cfg,
            });
        }
    }
    active.sort_by_key(|t| t.tool.priority());
    let request = table
        .remove("request")
        .unwrap_or_else(|| Value::Table(Table::new()));
    let request: RequestSettings = config.read(path, "request", request)?;
    let spool_dir = request.body.spool_dir.as_deref();
    if let Some(dir) = spool_dir.filter(|d| !d.is_dir()) {
        return Err(config.error(
            path,
            "request.body.spool_dir",
            format!("{} is not a folder", dir.display()),
        ));
    }
    let body = BodyLimits {
        bytes: request.body.max_size.get(),
        fields: request.max_fields,
        spool: Spool {
            above: request.body.spool_above.get(),
            dir: spool_dir.map(Arc::<Path>::from),
        },
    };
    let error_pages = match table.remove("error_page") {
        None => None,
        Some(v) => Some(Arc::new(ErrorPages::read(config, path, v)?)),
    };
    let before_call = (0..active.len())
        .filter(|&i| active[i].tool.checks_before_call())
        .collect();
    Ok(Settings {
        tools: active,
        request,
        body,
        error_pages,
        before_call,
    })
}
