//! The trailing-slash tool (on by default): `index` wants its slash.
//!
//! An `index` reached without the final `/` is redirected to the slash form, query kept:
//! 301 for GET and HEAD, 308 for other methods (so a POST stays a POST). With `extra = true`,
//! a non-index handler reached with a final `/` is redirected to the form without it. `default`
//! handlers are never redirected. Settings: `tools.trailing_slash.{on, missing, extra, status}`.

use actix_web::http::{Method, StatusCode};
use serde::Deserialize;

use crate::tools::{Before, Exchange, Tool};

/// The trailing-slash tool.
#[derive(Debug, Default, Clone, Copy)]
pub struct TrailingSlash;

/// Settings of [`TrailingSlash`].
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrailingSlashConfig {
    /// Redirect an index reached without its slash (default `true`).
    pub missing: bool,
    /// Redirect a non-index handler reached with a final slash (default `false`).
    pub extra: bool,
    /// Force a status (default: 301 for GET/HEAD, 308 otherwise): 301, 302, 303, 307 or
    /// 308; any other is an error at start-up.
    #[serde(deserialize_with = "redirect_status")]
    pub status: Option<u16>,
}

/// A redirect status, or an error naming the ones there are.
fn redirect_status<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    let status = u16::deserialize(d)?;
    if matches!(status, 301 | 302 | 303 | 307 | 308) {
        Ok(Some(status))
    } else {
        Err(serde::de::Error::custom(format!(
            "{status} is not a redirect: one of 301, 302, 303, 307 and 308"
        )))
    }
}

impl Default for TrailingSlashConfig {
    fn default() -> Self {
        Self {
            missing: true,
            extra: false,
            status: None,
        }
    }
}

impl Tool for TrailingSlash {
    type Config = TrailingSlashConfig;
    const NAME: &'static str = "trailing_slash";
    const ON_BY_DEFAULT: bool = true;

    fn priority(&self) -> i32 {
        60
    }

    fn responses(&self, cfg: &TrailingSlashConfig, method: &str) -> Vec<(u16, &'static str)> {
        if !cfg.missing && !cfg.extra {
            return Vec::new();
        }
        let safe = matches!(method, "GET" | "HEAD");
        let status = cfg.status.unwrap_or(if safe { 301 } else { 308 });
        vec![(
            status,
            "The path's trailing slash differs from the handler's: `Location` is the canonical URL",
        )]
    }

    fn before_handler<'a>(&'a self, cfg: &'a TrailingSlashConfig, ex: &'a Exchange) -> Before<'a> {
        if ex.handler().is_none() {
            // A path the tree does not have: nothing canonical to redirect to.
            return Before::Continue;
        }
        if ex.is_internal_redirect() {
            // The client's URL is not the path dispatched: nothing of its to correct.
            return Before::Continue;
        }
        let req = ex.request();
        let path = req.path();
        let target = if ex.is_index() && !path.ends_with('/') && cfg.missing {
            format!("{path}/")
        } else if !ex.is_index() && path.ends_with('/') && path != "/" && cfg.extra {
            path.trim_end_matches('/').to_owned()
        } else {
            return Before::Continue;
        };
        let target = if target.is_empty() {
            "/".to_owned()
        } else {
            target
        };
        let url = crate::http::url::absolute_with_query(req, ex.behind_proxy, &target);
        let safe = matches!(*req.method(), Method::GET | Method::HEAD);
        let status = cfg
            .status
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(if safe {
                StatusCode::MOVED_PERMANENTLY
            } else {
                StatusCode::PERMANENT_REDIRECT
            });
        Before::Respond(crate::represent::redirect_page(status, &url))
    }
}
