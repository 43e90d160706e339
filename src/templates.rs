//! The application's templates: a folder of minijinja templates.
//!
//! This module owns [`Templates`]: a minijinja environment reading a folder, reloaded from disk
//! when a file changes in debug builds and loaded once in release. HTML representations, pages
//! and error pages render through it; templates are auto-escaped by file extension (`.html`),
//! so values from a request cannot inject markup.

use std::path::PathBuf;

use minijinja::value::Serde;
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
