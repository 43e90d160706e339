//! Static files: CherryPy's `tools.staticdir` and `tools.staticfile`, and [`ServeFile`].
//!
//! This module owns serving files from disk. [`StaticDir`] maps a directory at the path
//! section that names it (`/static/css/site.css` → `<dir>/css/site.css`), [`StaticFile`] one
//! file at its path; both run before the handler (priority 50, as CherryPy's), for GET and
//! HEAD only, also where the tree has no handler. A `GET` the directory cannot answer is a 404
//! (CherryPy declines and lets the handler answer: `tools.staticdir.fall_through = true`);
//! other methods go to the tree. A path is resolved segment by segment and nothing
//! outside the directory is ever opened ([`resolve`]); the response is [`ServeFile`]'s:
//! validators, preconditions, ranges, precompressed siblings, streamed from disk.
//!
//! ```toml
//! ["/static"]
//! tools.staticdir.on = true
//! tools.staticdir.root = "/srv/site"    # a relative `dir` is joined to it
//! tools.staticdir.dir = "static"
//! tools.staticdir.index = "index.html"
//!
//! ["/favicon.ico"]
//! tools.staticfile.on = true
//! tools.staticfile.filename = "/srv/site/favicon.ico"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::config::ConfigError;
use crate::tools::{Before, Exchange, Placement, Tool};

mod listing;
mod resolve;
mod serve;

pub use serve::ServeFile;

/// `tools.staticdir`: the files of a directory, at the path section that names it.
///
/// ```
/// use drupe::{App, controller, files::StaticDir};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self) -> &'static str { "home" }
/// }
/// let dir = std::env::temp_dir();
/// let app = App::builder(Root)
///     .tool_at("/static", StaticDir::new(&dir).index("index.html"))
///     .build()
///     .unwrap();
/// ```
#[derive(Debug, Clone, Default)]
pub struct StaticDir {
    settings: toml::Table,
}

impl StaticDir {
    /// Serves `dir` (the settings [`tool_at`](crate::AppBuilder::tool_at) gives the path).
    pub fn new(dir: impl AsRef<Path>) -> Self {
        let mut settings = toml::Table::new();
        settings.insert(
            "dir".into(),
            dir.as_ref().to_string_lossy().into_owned().into(),
        );
        Self { settings }
    }

    /// The file answered for a directory (`tools.staticdir.index`).
    pub fn index(mut self, name: &str) -> Self {
        self.settings.insert("index".into(), name.into());
        self
    }

    /// Lists a directory without an index (`tools.staticdir.listing`).
    pub fn listing(mut self, on: bool) -> Self {
        self.settings.insert("listing".into(), on.into());
        self
    }

    /// A `Cache-Control` for its files (`tools.staticdir.cache_control`).
    pub fn cache_control(mut self, value: &str) -> Self {
        self.settings.insert("cache_control".into(), value.into());
        self
    }
}

/// The settings of `tools.staticdir` at a path.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct StaticDirConfig {
    /// The directory (required where the tool is on); a relative one is joined to `root`,
    /// or to the working directory at start-up.
    pub dir: Option<PathBuf>,
    /// The base of a relative `dir`.
    pub root: Option<PathBuf>,
    /// The file answered for a directory (`index.html`); none by default.
    pub index: Option<String>,
    /// An HTML list of a directory's entries when it has no index (false: 404).
    pub listing: bool,
    /// Serves entries whose names start with `.` (false: 404).
    pub show_hidden: bool,
    /// Follows symlinks that lead outside the directory (false: 404).
    pub follow_symlinks: bool,
    /// Answers with `name.br`, `name.zst` or `name.gz` beside `name` for a client that
    /// accepts that coding (true).
    pub precompressed: bool,
    /// Media types by extension (without the dot), before the built-in table:
    /// `{ md = "text/markdown; charset=utf-8" }`.
    pub content_types: BTreeMap<String, String>,
    /// A `Cache-Control` for the files (none by default).
    pub cache_control: Option<String>,
    /// What a `GET` or `HEAD` the directory cannot answer (no such file, a refused name, a
    /// directory without an index) gets: false, a 404; true, the tree's handler, as CherryPy
    /// does (a `default` handler above the section then answers for missing files).
    pub fall_through: bool,
    #[serde(skip)]
    mapped: Option<Mapped>,
}

/// Where a directory or a file is mapped, resolved once when the application is built.
#[derive(Debug, Clone)]
struct Mapped {
    /// The directory or the file, canonical (its own symlinks resolved).
    path: PathBuf,
    /// How many segments of the request path the section takes.
    depth: usize,
}

impl Default for StaticDirConfig {
    fn default() -> Self {
        Self {
            dir: None,
            root: None,
            index: None,
            listing: false,
            show_hidden: false,
            follow_symlinks: false,
            precompressed: true,
            content_types: BTreeMap::new(),
            cache_control: None,
            fall_through: false,
            mapped: None,
        }
    }
}

/// Where the path set as `key` is mapped where the tool is on: joined to `root` when
/// relative, canonical, at the depth of the section that sets it; an error naming the key
/// when it is not set or cannot be used.
fn map(
    at: &Placement<'_>,
    key: &str,
    path: Option<&Path>,
    root: Option<&Path>,
) -> Result<Option<Mapped>, ConfigError> {
    if !at.is_on() {
        return Ok(None);
    }
    let Some(path) = path else {
        return Err(at.error(key, "not set: the tool has nothing to serve"));
    };
    let joined = match root {
        Some(r) if path.is_relative() => r.join(path),
        _ => path.to_path_buf(),
    };
    let path = std::fs::canonicalize(&joined)
        .map_err(|e| at.error(key, format!("cannot use {}: {e}", joined.display())))?;
    let section = at.declared_at(key).unwrap_or(at.path());
    Ok(Some(Mapped {
        path,
        depth: crate::config::depth_of(section),
    }))
}

impl Tool for StaticDir {
    type Config = StaticDirConfig;
    const NAME: &'static str = "staticdir";

    fn settings_at(&self) -> toml::Table {
        self.settings.clone()
    }

    fn prepare(&self, cfg: &mut StaticDirConfig, at: &Placement<'_>) -> Result<(), ConfigError> {
        cfg.mapped = map(at, "dir", cfg.dir.as_deref(), cfg.root.as_deref())?;
        if let Some(m) = &cfg.mapped
            && !m.path.is_dir()
        {
            return Err(at.error("dir", format!("{} is not a directory", m.path.display())));
        }
        Ok(())
    }

    fn before_handler<'a>(&'a self, cfg: &'a StaticDirConfig, ex: &'a Exchange) -> Before<'a> {
        let (Some(mapped), true) = (&cfg.mapped, is_read(ex.request())) else {
            return Before::Continue;
        };
        match directory(cfg, mapped, ex) {
            Some(res) => Before::Respond(res),
            None if cfg.fall_through => Before::Continue,
            None => Before::Respond(HttpResponse::from_error(crate::HttpError::from(
                crate::NotFound::path(ex.request().path()),
            ))),
        }
    }

    fn responses(&self, _: &StaticDirConfig, method: &str) -> Vec<(u16, &'static str)> {
        file_responses(method)
    }
}

/// Whether the request may be answered by a file (CherryPy: GET and HEAD; others decline).
fn is_read(req: &HttpRequest) -> bool {
    matches!(*req.method(), Method::GET | Method::HEAD)
}

/// The statuses a file tool answers besides 200.
fn file_responses(method: &str) -> Vec<(u16, &'static str)> {
    if !matches!(method, "GET" | "HEAD") {
        return Vec::new();
    }
    vec![
        (206, "A part of the file (`Range`)"),
        (
            304,
            "The file has not changed (`If-None-Match`, `If-Modified-Since`)",
        ),
        (
            412,
            "A precondition failed (`If-Match`, `If-Unmodified-Since`)",
        ),
        (416, "The range is not within the file"),
        (404, "No such file"),
    ]
}

/// The answer of a static directory for the request, or `None` to decline.
fn directory(cfg: &StaticDirConfig, mapped: &Mapped, ex: &Exchange) -> Option<HttpResponse> {
    let req = ex.request();
    let path = ex.path();
    let rest = path.split('/').filter(|s| !s.is_empty()).skip(mapped.depth);
    let target = match resolve::join(&mapped.path, rest, cfg.show_hidden) {
        Ok(p) => p,
        // Refused names are not files of this directory: the 404 says nothing more.
        Err(_) => return None,
    };
    let target = match resolve::contain(&mapped.path, target, cfg.follow_symlinks) {
        Ok(Ok(p)) => p,
        Ok(Err(_)) | Err(_) => return None,
    };
    if target.is_dir() {
        return folder(cfg, ex, &target);
    }
    match options(cfg, &target).respond(req) {
        Ok(res) => Some(res),
        // Not there: the directory cannot answer. Unreadable: say so.
        Err(e) => {
            let e = serve::io_error(&e);
            (e.status() != StatusCode::NOT_FOUND).then(|| HttpResponse::from_error(e))
        }
    }
}

/// A directory: a redirect to its name with a slash, its index, its listing, or nothing.
fn folder(cfg: &StaticDirConfig, ex: &Exchange, dir: &Path) -> Option<HttpResponse> {
    let req = ex.request();
    let index = cfg
        .index
        .as_deref()
        .map(|i| dir.join(i))
        .filter(|p| p.is_file());
    if index.is_none() && !cfg.listing {
        return None;
    }
    if !req.path().ends_with('/') {
        let to = crate::http::url::absolute_with_query(
            req,
            ex.behind_proxy,
            &format!("{}/", req.path()),
        );
        return Some(
            HttpResponse::build(StatusCode::MOVED_PERMANENTLY)
                .insert_header((header::LOCATION, to))
                .finish(),
        );
    }
    match index {
        Some(p) => options(cfg, &p).respond(req).ok(),
        None => Some(listing::page(req.path(), dir, cfg.show_hidden)),
    }
}

/// How a file of the directory is served.
fn options(cfg: &StaticDirConfig, path: &Path) -> ServeFile {
    let mut file = ServeFile::new(path).precompressed(cfg.precompressed);
    if let Some(t) = path
        .extension()
        .and_then(|e| e.to_str())
        .and_then(|e| cfg.content_types.get(e))
    {
        file = file.content_type(t.clone());
    }
    if let Some(cc) = &cfg.cache_control {
        file = file.cache_control(cc.clone());
    }
    file
}

/// `tools.staticfile`: one file at its path.
///
/// ```
/// use drupe::{App, controller, files::StaticFile};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self) -> &'static str { "home" }
/// }
/// let app = App::builder(Root)
///     .tool_at("/robots.txt", StaticFile::new(file!()))
///     .build()
///     .unwrap();
/// ```
#[derive(Debug, Clone, Default)]
pub struct StaticFile {
    settings: toml::Table,
}

impl StaticFile {
    /// Serves the file at `path` (the settings [`tool_at`](crate::AppBuilder::tool_at) gives
    /// the path).
    pub fn new(path: impl AsRef<Path>) -> Self {
        let mut settings = toml::Table::new();
        settings.insert(
            "filename".into(),
            path.as_ref().to_string_lossy().into_owned().into(),
        );
        Self { settings }
    }
}

/// The settings of `tools.staticfile` at a path.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct StaticFileConfig {
    /// The file (required where the tool is on); a relative one is joined to `root`, or to
    /// the working directory at start-up.
    pub filename: Option<PathBuf>,
    /// The base of a relative `filename`.
    pub root: Option<PathBuf>,
    /// Its media type, instead of the one its extension gives.
    pub content_type: Option<String>,
    /// A `Cache-Control` for it (none by default).
    pub cache_control: Option<String>,
    #[serde(skip)]
    mapped: Option<Mapped>,
}

impl Tool for StaticFile {
    type Config = StaticFileConfig;
    const NAME: &'static str = "staticfile";

    fn settings_at(&self) -> toml::Table {
        self.settings.clone()
    }

    fn prepare(&self, cfg: &mut StaticFileConfig, at: &Placement<'_>) -> Result<(), ConfigError> {
        cfg.mapped = map(at, "filename", cfg.filename.as_deref(), cfg.root.as_deref())?;
        Ok(())
    }

    fn before_handler<'a>(&'a self, cfg: &'a StaticFileConfig, ex: &'a Exchange) -> Before<'a> {
        let (Some(mapped), true) = (&cfg.mapped, is_read(ex.request())) else {
            return Before::Continue;
        };
        // The section's own path only: `/favicon.ico/x` is not the icon.
        if ex.path().split('/').filter(|s| !s.is_empty()).count() != mapped.depth {
            return Before::Continue;
        }
        let mut file = ServeFile::new(&mapped.path);
        if let Some(t) = &cfg.content_type {
            file = file.content_type(t.clone());
        }
        if let Some(cc) = &cfg.cache_control {
            file = file.cache_control(cc.clone());
        }
        match file.respond(ex.request()) {
            Ok(res) => Before::Respond(res),
            Err(e) => Before::Respond(HttpResponse::from_error(serve::io_error(&e))),
        }
    }

    fn responses(&self, _: &StaticFileConfig, method: &str) -> Vec<(u16, &'static str)> {
        file_responses(method)
    }
}
