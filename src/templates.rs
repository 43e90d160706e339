//! The application's templates: a folder of minijinja templates.
//!
//! This module owns [`Templates`]: a minijinja environment reading a folder, reloaded from disk
//! when a file changes in debug builds and loaded once in release. HTML representations, pages
//! and error pages render through it; templates are auto-escaped by file extension (`.html`),
//! so values from a request cannot inject markup.
//!
//! It also owns the values tools add to the templates of one request
//! ([`add_template_value`], [`add_template_value_with`]: the CSRF tool's `csrf_field`), so
//! that a form gets its token without its handler passing it along.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use actix_web::{HttpMessage, HttpRequest};
use minijinja::value::{Enumerator, Object, Serde};
use minijinja::{Environment, Value};
use serde::Serialize;

use crate::HttpError;

/// A folder of minijinja templates.
///
/// ```
/// let t = drupe::Templates::from_dir("templates");
/// assert!(t.render("no/such.html", ()).is_err());
/// ```
pub struct Templates {
    env: Environment<'static>,
    dir: PathBuf,
}

impl Templates {
    /// Templates read from `dir` (relative paths are relative to the working directory).
    pub fn from_dir(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        let mut env = Environment::new();
        env.set_loader(minijinja::path_loader(dir.clone()));
        env.set_auto_reload(cfg!(debug_assertions));
        Self { env, dir }
    }

    /// The folder.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The environment, to add filters, functions and globals.
    pub fn environment_mut(&mut self) -> &mut Environment<'static> {
        &mut self.env
    }

    /// Renders `name` with `context`.
    pub fn render(&self, name: &str, context: impl Serialize) -> Result<String, HttpError> {
        let t = self
            .env
            .get_template(name)
            .map_err(|e| HttpError::internal(format!("template {name}: {e:#}")))?;
        t.render(Value::from(Serde(context)))
            .map_err(|e| HttpError::internal(format!("template {name}: {e:#}")))
    }
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").field("dir", &self.dir).finish()
    }
}

/// Adds `name` to the templates `req` renders (a `Page`, an `Html` representation), at the
/// top level of their context; the handler's own values of the same name win. What a tool's
/// before-hook does to give every template of its paths a value.
///
/// ```
/// use drupe::tools::{Before, Exchange, NoSettings, Tool, add_template_value};
/// use drupe::{App, Page, Templates, controller};
///
/// /// Gives every page the site's name.
/// struct SiteName;
/// impl Tool for SiteName {
///     type Config = NoSettings;
///     const NAME: &'static str = "site_name";
///     const ON_BY_DEFAULT: bool = true;
///     fn before_handler<'a>(&'a self, _: &'a NoSettings, ex: &'a Exchange) -> Before<'a> {
///         add_template_value(ex.request(), "site", "Photoblog".into());
///         Before::Continue
///     }
/// }
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self) -> Page { Page::new("home.html", minijinja::context! { title => "Home" }) }
/// }
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("home.html"), "{{ title }} - {{ site }}").unwrap();
/// let app = App::builder(Root)
///     .tool(SiteName)
///     .templates(Templates::from_dir(dir.path()))
///     .build()
///     .unwrap();
/// # actix_web::rt::System::new().block_on(async {
/// let c = drupe::testing::TestClient::new(app).await;
/// c.get("/").send().await.assert_text("Home - Photoblog");
/// # });
/// ```
pub fn add_template_value(req: &HttpRequest, name: impl Into<Cow<'static, str>>, value: Value) {
    add_template_value_with(req, name, move || value.clone());
}

/// Like [`add_template_value`], the value made by `make` when a template first looks it up,
/// and only then: a value that costs something to make (a fresh token) or that the tool must
/// know was shown (the CSRF tool sets its cookie only for a page that rendered a token).
pub fn add_template_value_with(
    req: &HttpRequest,
    name: impl Into<Cow<'static, str>>,
    make: impl Fn() -> Value + Send + Sync + 'static,
) {
    let entry = Arc::new(Entry {
        name: name.into(),
        make: Box::new(make),
        value: OnceLock::new(),
    });
    let mut ext = req.extensions_mut();
    match ext.get_mut::<RequestValues>() {
        Some(values) => values.0.push(entry),
        None => {
            ext.insert(RequestValues(vec![entry]));
        }
    }
}

/// The values tools added to the templates of `req`, as a map for the template context
/// (undefined when there are none).
pub(crate) fn request_values(req: &HttpRequest) -> Value {
    match req.extensions().get::<RequestValues>() {
        Some(values) => Value::from_object(values.clone()),
        None => Value::UNDEFINED,
    }
}

/// One value a tool added.
struct Entry {
    name: Cow<'static, str>,
    make: Box<dyn Fn() -> Value + Send + Sync>,
    value: OnceLock<Value>,
}

/// The values tools added to one request's templates; the last added of a name wins.
#[derive(Clone, Default)]
struct RequestValues(Vec<Arc<Entry>>);

impl std::fmt::Debug for RequestValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|e| &e.name))
            .finish()
    }
}

impl Object for RequestValues {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        let entry = self.0.iter().rev().find(|e| e.name == key)?;
        Some(entry.value.get_or_init(|| (entry.make)()).clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let mut names: Vec<Value> = self.0.iter().map(|e| Value::from(&*e.name)).collect();
        names.sort();
        names.dedup();
        Enumerator::Values(names)
    }
}
