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
use crate::tools::{Access, Build, Exchange, Tool};

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
pub type CoverageConfig = crate::tools::NoSettings;

struct Inner {
    /// `[global] coverage.*`, read when the application is built.
    settings: OnceLock<ReportSettings>,
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
                settings: OnceLock::new(),
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
                    path: h.documented_path(tree),
                    name: h.name().to_owned(),
                    verb: h.method().map(|m| m.as_str().to_owned()),
                    dispatcher: if h.method().is_some() {
                        "method".into()
                    } else {
                        "default".into()
                    },
                    node: tree.node(h.node()).path().to_owned(),
                    declared_methods: h
                        .documented_methods()
                        .into_iter()
                        .map(str::to_owned)
                        .collect(),
                    declared_statuses: h.documented_statuses(),
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

    fn on_build(&self, build: &mut Build<'_>) -> Result<(), crate::ConfigError> {
        let settings: ReportSettings = build.global("coverage")?;
        settings.check(build)?;
        if build.is_on_somewhere() && settings.report {
            publish(self.clone(), settings.clone(), build)?;
        }
        let _ = self.inner.settings.set(settings);
        let tree = build.tree();
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
        Ok(())
    }

    /// Writes the data to `[global] coverage.file`, if set.
    fn on_stop(&self) {
        let Some(file) = self.inner.settings.get().and_then(|s| s.file.as_ref()) else {
            return;
        };
        match self.save(file) {
            Ok(()) => tracing::info!("coverage data written to {}", file.display()),
            Err(e) => tracing::error!("cannot write the coverage data to {}: {e}", file.display()),
        }
    }

    fn on_end(&self, _: &CoverageConfig, ex: &Exchange, res: &HttpResponse) {
        let m = method_index(ex.method());
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
                c.method(m).count(
                    status,
                    media,
                    crate::tools::cache_outcome(ex.request()),
                    micros,
                );
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

/// `[global] coverage.*`: whether the report is served, its path, who may read it, its
/// threshold, and the file the data is written to when the server stops.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ReportSettings {
    /// Whether the report is served (true; the `production` environment's false: the counts
    /// are still kept, and written to `file`).
    pub(crate) report: bool,
    /// Where the report is served (`/_coverage/`).
    pub(crate) path: String,
    /// Whether anyone may read it (false: operators only).
    pub(crate) public: bool,
    /// Below this percentage a node is coloured (80).
    pub(crate) threshold: f64,
    /// Where the data is written when the server stops.
    pub(crate) file: Option<PathBuf>,
}

impl Default for ReportSettings {
    fn default() -> Self {
        Self {
            report: true,
            path: "/_coverage/".to_owned(),
            public: false,
            threshold: 80.0,
            file: None,
        }
    }
}

impl ReportSettings {
    fn check(&self, build: &Build<'_>) -> Result<(), crate::ConfigError> {
        if !self.path.starts_with('/') {
            return Err(build.global_error(
                "coverage.path",
                format!("expected a path starting with /, got {:?}", self.path),
            ));
        }
        if !(0.0..=100.0).contains(&self.threshold) {
            return Err(build.global_error(
                "coverage.threshold",
                format!(
                    "expected a percentage from 0 to 100, got {}",
                    self.threshold
                ),
            ));
        }
        Ok(())
    }
}

/// Publishes the report (the page, its assets, `data.json`, `reset`) at its path.
fn publish(
    coverage: Coverage,
    mut settings: ReportSettings,
    build: &mut Build<'_>,
) -> Result<(), crate::ConfigError> {
    if !settings.path.ends_with('/') {
        settings.path.push('/');
    }
    let base = settings.path.clone();
    let access = if settings.public {
        Access::Public
    } else {
        Access::Operator
    };
    let token: Arc<str> = reset_token().into();
    build.endpoint(base.clone(), access, move |req, payload| {
        let coverage = coverage.clone();
        let settings = settings.clone();
        let base = base.clone();
        let token = token.clone();
        Box::pin(async move {
            report::respond(&coverage, &settings, &base, &token, &req, payload).await
        })
    })
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
