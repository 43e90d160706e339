//! The coverage recorder and its browser report.
//!
//! This module owns the `coverage` tool ([`Coverage`]): switched on per application or
//! subtree (`tools.coverage.on`), it counts, per handler of the compiled tree and per HTTP
//! method, the requests, each response status, the representation chosen, the cache's outcome
//! and a latency histogram — with relaxed atomics, lock-free on the request path — and, per
//! node, the 404s of the walk and the 405s of resources. Because it knows the whole tree from
//! the start, what was never exercised shows: coverage is the share of declared (handler,
//! method) pairs that were called, outcome coverage the share of the statuses each handler
//! documents (its OpenAPI responses) that were seen ("its 404 Not Found was never tested").
//!
//! The report is served at `[global] coverage.path` (default `/_coverage/`), only when the
//! recorder is on somewhere and only to loopback clients unless `coverage.public = true`:
//! the tree on the left with a percentage per node, coloured below `coverage.threshold`
//! (default 80), an exclude filter, the chosen handler's detail on the right; plain HTML and
//! CSS shipped in the crate, a small script only for comfort. `data.json` exports everything,
//! `POST reset` clears it. With `[global] coverage.file` set, the data is written there when the
//! server stops; files from several runs merge into one report
//! (`cargo run --example coverage_report -- --out report.html a.json b.json`).

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use actix_web::HttpResponse;
use serde::Deserialize;

use crate::dispatch::tree::{NodeKind, Tree};
use crate::tools::{Exchange, Tool};

mod counters;
mod data;
pub mod lines;
mod report;

use counters::{HandlerCounters, METHODS, NodeCounters, method_index};
pub use data::{
    CoverageData, HandlerData, MethodData, NodeData, Totals, bucket_bounds_us, bucket_of,
};
pub use report::render_static;

/// Per-path settings of the `coverage` tool: only `on`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CoverageConfig {}

struct Inner {
    tree: OnceLock<Arc<Tree>>,
    handlers: OnceLock<Vec<HandlerCounters>>,
    nodes: OnceLock<Vec<NodeCounters>>,
}

/// The coverage recorder. Clones share the counts.
///
/// ```
/// use drupe::coverage::Coverage;
/// use drupe::{App, controller, testing::TestClient};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self) -> &'static str { "hi" }
///     #[expose]
///     fn other(&self) -> &'static str { "never called" }
/// }
/// # actix_web::rt::System::new().block_on(async {
/// let coverage = Coverage::new();
/// let app = App::builder(Root)
///     .tool(coverage.clone())
///     .set("/", "tools.coverage.on", true)
///     .build()
///     .unwrap();
/// let client = TestClient::new(app).await;
/// client.get("/").send().await.assert_status(200);
/// let totals = coverage.snapshot().totals_under("/");
/// assert_eq!((totals.exercised, totals.pairs), (1, 2));
/// # });
/// ```
#[derive(Clone)]
pub struct Coverage {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Coverage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coverage").finish_non_exhaustive()
    }
}

impl Default for Coverage {
    fn default() -> Self {
        Self::new()
    }
}

impl Coverage {
    /// A recorder with no counts.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                tree: OnceLock::new(),
                handlers: OnceLock::new(),
                nodes: OnceLock::new(),
            }),
        }
    }

    /// Everything counted so far, with the tree's declarations.
    pub fn snapshot(&self) -> CoverageData {
        let Some(tree) = self.inner.tree.get() else {
            return CoverageData {
                version: 1,
                ..Default::default()
            };
        };
        let handlers = self.inner.handlers.get();
        let nodes = self.inner.nodes.get();
        let node_data = tree
            .nodes()
            .map(|n| {
                let c = nodes.and_then(|v| v.get(n.id() as usize));
                let by_method = |arr: Option<&[std::sync::atomic::AtomicU64; METHODS.len()]>| {
                    arr.map(|a| {
                        METHODS
                            .iter()
                            .zip(a)
                            .filter_map(|(m, c)| {
                                let v = c.load(Ordering::Relaxed);
                                (v > 0).then(|| ((*m).to_owned(), v))
                            })
                            .collect()
                    })
                    .unwrap_or_default()
                };
                NodeData {
                    path: n.path().to_owned(),
                    kind: match n.kind() {
                        NodeKind::Controller => "controller".into(),
                        NodeKind::Resource => "resource".into(),
                    },
                    parent: n.parent().map(|p| tree.node(p).path().to_owned()),
                    not_found: by_method(c.map(|c| &c.not_found)),
                    not_allowed: by_method(c.map(|c| &c.not_allowed)),
                    options: c.map_or(0, |c| c.options.load(Ordering::Relaxed)),
                }
            })
            .collect();
        let handler_data = tree
            .handlers()
            .map(|h| {
                let media: Vec<&str> = h.produces().iter().map(|m| m.as_str()).collect();
                let methods = handlers
                    .and_then(|v| v.get(h.id() as usize))
                    .map(|c| {
                        c.snapshot(&media)
                            .into_iter()
                            .map(|(m, d)| (m.to_owned(), d))
                            .collect()
                    })
                    .unwrap_or_default();
                HandlerData {
                    path: crate::openapi::handler_path(tree, h),
                    name: h.name().to_owned(),
                    verb: h.method().map(|m| m.as_str().to_owned()),
                    dispatcher: if h.method().is_some() {
                        "method".into()
                    } else {
                        "default".into()
                    },
                    node: tree.node(h.node()).path().to_owned(),
                    declared_methods: crate::openapi::handler_methods(h),
                    declared_statuses: crate::openapi::handler_statuses(tree, h),
                    methods,
                }
            })
            .collect();
        CoverageData {
            version: 1,
            nodes: node_data,
            handlers: handler_data,
            lines: lines::snapshot(),
        }
    }

    /// Clears every count (and the line counters).
    pub fn reset(&self) {
        if let Some(h) = self.inner.handlers.get() {
            h.iter().for_each(HandlerCounters::reset);
        }
        if let Some(n) = self.inner.nodes.get() {
            n.iter().for_each(NodeCounters::reset);
        }
        lines::reset();
    }

    /// Writes the data as JSON to `path` (through a temporary file and a rename).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(&self.snapshot()).map_err(std::io::Error::other)?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, json)?;
        std::fs::rename(&tmp, path)
    }

    /// Reads data written by [`Coverage::save`].
    pub fn load(path: &Path) -> std::io::Result<CoverageData> {
        let bytes = std::fs::read(path)?;
        serde_json::from_slice(&bytes).map_err(std::io::Error::other)
    }
}

impl Tool for Coverage {
    type Config = CoverageConfig;
    const NAME: &'static str = "coverage";

    fn priority(&self) -> i32 {
        // Before everything: it only observes, at the end.
        0
    }

    fn on_build(&self, tree: &Arc<Tree>) {
        let _ = self.inner.tree.set(tree.clone());
        let _ = self.inner.handlers.set(
            tree.handlers()
                .map(|h| HandlerCounters::new(h.produces().len()))
                .collect(),
        );
        let _ = self
            .inner
            .nodes
            .set(tree.nodes().map(|_| NodeCounters::default()).collect());
    }

    fn on_end(&self, _: &CoverageConfig, ex: &Exchange, res: &HttpResponse) {
        let m = method_index(ex.request().method());
        let status = res.status().as_u16();
        match ex.handler() {
            Some(h) => {
                let Some(c) = self
                    .inner
                    .handlers
                    .get()
                    .and_then(|v| v.get(h.id() as usize))
                else {
                    return;
                };
                // The representation counts when one was written: on success.
                let media = if res.status().is_success() {
                    ex.chosen_index()
                } else {
                    None
                };
                let micros = ex.started().elapsed().as_micros().min(u128::from(u64::MAX)) as u64;
                c.method(m)
                    .count(status, media, crate::cache::outcome(ex.request()), micros);
            }
            None => {
                let Some(n) = self
                    .inner
                    .nodes
                    .get()
                    .and_then(|v| v.get(ex.node() as usize))
                else {
                    return;
                };
                match status {
                    404 => n.not_found[m].fetch_add(1, Ordering::Relaxed),
                    405 => n.not_allowed[m].fetch_add(1, Ordering::Relaxed),
                    204 => n.options.fetch_add(1, Ordering::Relaxed),
                    _ => 0,
                };
            }
        }
    }
}

/// Report settings from `[global] coverage.*`.
#[derive(Debug, Clone)]
pub(crate) struct ReportSettings {
    pub(crate) path: String,
    pub(crate) public: bool,
    pub(crate) threshold: f64,
    pub(crate) file: Option<PathBuf>,
}

impl ReportSettings {
    pub(crate) fn from_config(config: &crate::Config) -> Result<Self, crate::ConfigError> {
        let bad = |k: &str, m: &str| crate::ConfigError::Setting {
            path: "global".into(),
            key: format!("coverage.{k}"),
            message: m.into(),
        };
        let get = |k: &str| config.global(&format!("coverage.{k}"));
        let mut path = match get("path") {
            None => "/_coverage/".to_owned(),
            Some(toml::Value::String(s)) if s.starts_with('/') => s.clone(),
            Some(_) => return Err(bad("path", "expected a path starting with /")),
        };
        if !path.ends_with('/') {
            path.push('/');
        }
        let public = match get("public") {
            None => false,
            Some(toml::Value::Boolean(b)) => *b,
            Some(_) => return Err(bad("public", "expected true or false")),
        };
        let threshold = match get("threshold") {
            None => 80.0,
            Some(v) => v
                .as_float()
                .or_else(|| v.as_integer().map(|i| i as f64))
                .filter(|t| (0.0..=100.0).contains(t))
                .ok_or_else(|| bad("threshold", "expected a percentage from 0 to 100"))?,
        };
        let file = match get("file") {
            None => None,
            Some(toml::Value::String(s)) => Some(PathBuf::from(s)),
            Some(_) => return Err(bad("file", "expected a file path")),
        };
        Ok(Self {
            path,
            public,
            threshold,
            file,
        })
    }
}

/// The report's endpoints (the page, its assets, `data.json`, `reset`).
pub(crate) fn endpoint(coverage: Coverage, settings: ReportSettings) -> crate::app::Endpoint {
    let base = settings.path.clone();
    let public = settings.public;
    let token: Arc<str> = reset_token().into();
    crate::app::Endpoint {
        path: base.clone(),
        public,
        handler: Arc::new(move |req, payload| {
            let coverage = coverage.clone();
            let settings = settings.clone();
            let base = base.clone();
            let token = token.clone();
            Box::pin(async move {
                report::respond(&coverage, &settings, &base, &token, &req, payload).await
            })
        }),
    }
}

/// The reset form's token: 128 random bits, hex, for the life of the process. Empty (no
/// reset possible) if the OS gives no randomness.
fn reset_token() -> String {
    let mut bytes = [0u8; 16];
    match getrandom::fill(&mut bytes) {
        Ok(()) => bytes.iter().map(|b| format!("{b:02x}")).collect(),
        Err(e) => {
            tracing::error!("no randomness for the coverage report's reset token: {e}");
            String::new()
        }
    }
}
