//! Environments: CherryPy's presets (`[global] engine.environment`), filled in under what the
//! configuration sets itself.
//!
//! This module owns [`Environment`] and what each one presets. A preset only fills a key the
//! configuration leaves unset (a global key in `[global]`, a path key in `["/"]`): explicit
//! settings win, and a deeper section still wins for its own paths.
//!
//! | key | production | development | test |
//! |---|---|---|---|
//! | `engine.autoreload.on` | false | true | false |
//! | `request.show_tracebacks` (at `/`) | false | true | true |
//! | `request.show_mismatched_params` (at `/`) | false | true | true |
//! | `coverage.report` | false | true | — |
//! | `server.access_log` | — | true | false |
//! | `engine.quiet` (the engine logs warnings and errors only) | — | false | true |

use serde::Deserialize;
use toml::Value;

use super::Config;

/// What a process is run for (`engine.environment`).
///
/// ```
/// use drupe::{App, controller};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self) -> &'static str { "hi" }
/// }
/// let app = App::builder(Root)
///     .set_global("engine.environment", "development")
///     // Explicit settings win over the preset.
///     .set_global("engine.autoreload.on", false)
///     .build()
///     .unwrap();
/// assert!(!app.settings().engine.autoreload.on);
/// assert!(!app.settings().engine.quiet);
/// let err = App::builder(Root).set_global("engine.environment", "staging").build().unwrap_err();
/// assert!(err.to_string().contains("engine.environment"), "{err}");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Served to users: no reloading, no internals in answers, no coverage report.
    Production,
    /// On a developer's machine: reload on changes, internals of a 500 in the answer, the
    /// coverage report, every request logged.
    Development,
    /// Under a test suite: internals of a 500 in the answer, and a quiet log.
    Test,
}

/// Where a preset key goes.
#[derive(Clone, Copy)]
enum Scope {
    Global,
    Root,
}

impl Environment {
    fn presets(self) -> &'static [(Scope, &'static str, bool)] {
        use Scope::{Global, Root};
        match self {
            Environment::Production => &[
                (Global, "engine.autoreload.on", false),
                (Root, "request.show_tracebacks", false),
                (Root, "request.show_mismatched_params", false),
                (Global, "coverage.report", false),
            ],
            Environment::Development => &[
                (Global, "engine.autoreload.on", true),
                (Root, "request.show_tracebacks", true),
                (Root, "request.show_mismatched_params", true),
                (Global, "coverage.report", true),
                (Global, "server.access_log", true),
                (Global, "engine.quiet", false),
            ],
            Environment::Test => &[
                (Global, "engine.autoreload.on", false),
                (Root, "request.show_tracebacks", true),
                (Root, "request.show_mismatched_params", true),
                (Global, "server.access_log", false),
                (Global, "engine.quiet", true),
            ],
        }
    }
}

/// Fills in the presets of the configuration's `engine.environment` (none: nothing changes).
pub(crate) fn apply(config: &mut Config) -> Result<(), super::ConfigError> {
    let Some(value) = config.global("engine.environment").cloned() else {
        return Ok(());
    };
    let env: Environment = config.read("global", "engine.environment", value)?;
    for &(scope, key, on) in env.presets() {
        match scope {
            Scope::Global if config.global(key).is_none() => {
                config.set_global(key, Value::Boolean(on));
            }
            Scope::Root if config.root_value(key).is_none() => {
                config.set("/", key, Value::Boolean(on));
            }
            _ => {}
        }
    }
    Ok(())
}
