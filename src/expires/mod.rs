//! Freshness: the `expires` tool, CherryPy's `tools.expires`.
//!
//! This module owns the `Cache-Control` and `Expires` a subtree's answers carry, by path and
//! by media type: `secs = 3600` gives `Cache-Control: max-age=3600` and an `Expires` an hour
//! ahead; `secs = 0` says every use must revalidate (`no-cache, must-revalidate`, an
//! `Expires` in the past, `Pragma: no-cache` for HTTP/1.0 caches). `types` sets a lifetime by
//! media type (`"image/*" = 86400`), the most specific pattern winning over `secs`.
//!
//! A response that already says how it may be cached (`Cache-Control` or `Expires`, set by the
//! handler, or `private` by the sessions) keeps what it says unless `force = true`; forced,
//! a `private` or `no-store` already there is kept. Only statuses cacheable by default get a
//! lifetime (RFC 9111 §3; errors never do, and a timeout's `503` says `no-store`).
//!
//! Priority 80: after the handler's and the sessions' headers, before the output cache (90),
//! which takes its stored copies' lifetime from what this tool wrote — so what a browser and
//! the server's cache keep agree.

use std::time::{Duration, SystemTime};

use actix_web::HttpResponse;
use actix_web::http::header::{self, HeaderValue};
use serde::Deserialize;

use crate::tools::{After, Exchange, Placement, Tool};

/// The longest lifetime: 2^31 seconds (RFC 9111 §1.2.2).
const MAX_SECS: i64 = 1 << 31;

/// The `expires` tool (off until `tools.expires.on`).
///
/// ```
/// use drupe::{App, controller};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self) -> &'static str { "hello" }
/// }
/// let app = App::builder(Root)
///     .set("/", "tools.expires.on", true)
///     .set("/", "tools.expires.secs", 300)
///     .set("/", "tools.expires.types.image/*", 86400)
///     .build()
///     .unwrap();
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Expires;

/// The settings of `tools.expires` at a path.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExpiresConfig {
    /// The lifetime in seconds of the path's answers (0: revalidate every time); unset, only
    /// the `types` listed get one.
    pub secs: Option<i64>,
    /// Lifetimes by media type: `type/subtype`, `type/*` or `*/*`.
    pub types: std::collections::BTreeMap<String, i64>,
    /// Overrides what the response already says about its caching.
    pub force: bool,
}

impl ExpiresConfig {
    /// The lifetime for a response of `content_type`: the most specific pattern, else `secs`.
    fn lifetime(&self, content_type: Option<&str>) -> Option<u64> {
        let essence =
            content_type.map(|c| c.split(';').next().unwrap_or(c).trim().to_ascii_lowercase());
        let by_type = essence.and_then(|e| {
            let (ty, _) = e.split_once('/')?;
            self.types
                .get(&e)
                .or_else(|| self.types.get(&format!("{ty}/*")))
                .or_else(|| self.types.get("*/*"))
                .copied()
        });
        by_type.or(self.secs).map(|s| s.max(0).unsigned_abs())
    }
}

/// Statuses a cache may store without explicit freshness (RFC 9110 §15.1), errors left out.
fn cacheable(status: u16) -> bool {
    matches!(status, 200 | 203 | 204 | 206 | 300 | 301 | 308)
}

impl Tool for Expires {
    type Config = ExpiresConfig;
    const NAME: &'static str = "expires";

    /// See the module's documentation.
    fn priority(&self) -> i32 {
        80
    }

    fn prepare(
        &self,
        cfg: &mut ExpiresConfig,
        at: &Placement<'_>,
    ) -> Result<(), crate::ConfigError> {
        // RFC 9111 §1.2.2: a cache need not count beyond 2^31 seconds (68 years), and an
        // `Expires` must stay a date HTTP can write.
        let ok = |s: i64| (0..=MAX_SECS).contains(&s);
        if cfg.secs.is_some_and(|s| !ok(s)) {
            return Err(at.error("secs", "a lifetime is 0 to 2147483648 seconds"));
        }
        for (pattern, secs) in &cfg.types {
            let ok = pattern
                .split_once('/')
                .is_some_and(|(t, s)| !t.is_empty() && !s.is_empty() && (t != "*" || s == "*"));
            if !ok {
                return Err(at.error(
                    "types",
                    format!("`{pattern}` is not `type/subtype`, `type/*` or `*/*`"),
                ));
            }
            if !(0..=MAX_SECS).contains(secs) {
                return Err(at.error(
                    "types",
                    format!("`{pattern}`: a lifetime is 0 to 2147483648 seconds"),
                ));
            }
        }
        cfg.types = std::mem::take(&mut cfg.types)
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        Ok(())
    }

    fn after_handler<'a>(
        &'a self,
        cfg: &'a ExpiresConfig,
        _: &'a Exchange,
        mut res: HttpResponse,
    ) -> After<'a> {
        apply(cfg, &mut res, SystemTime::now());
        After::Done(res)
    }
}

/// Writes the lifetime `cfg` gives `res`.
fn apply(cfg: &ExpiresConfig, res: &mut HttpResponse, now: SystemTime) {
    if !cacheable(res.status().as_u16()) {
        return;
    }
    let h = res.headers();
    let ct = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let Some(secs) = cfg.lifetime(ct) else {
        return;
    };
    let said = h.contains_key(header::CACHE_CONTROL) || h.contains_key(header::EXPIRES);
    if said && !cfg.force {
        return;
    }
    // Forced: what keeps the answer out of shared caches stays.
    let kept: Vec<&str> = h
        .get_all(header::CACHE_CONTROL)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|d| d.eq_ignore_ascii_case("private") || d.eq_ignore_ascii_case("no-store"))
        .collect();
    let mut directives = kept.join(", ");
    let (lifetime, expires) = if secs == 0 {
        (
            "no-cache, must-revalidate".to_owned(),
            SystemTime::UNIX_EPOCH,
        )
    } else {
        let at = now.checked_add(Duration::from_secs(secs)).unwrap_or(now);
        (format!("max-age={secs}"), at)
    };
    if !directives.is_empty() {
        directives.push_str(", ");
    }
    directives.push_str(&lifetime);
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&directives) {
        h.insert(header::CACHE_CONTROL, v);
    }
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(expires)) {
        h.insert(header::EXPIRES, v);
    }
    if secs == 0 {
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_type_wins() {
        let cfg = ExpiresConfig {
            secs: Some(60),
            types: [("image/*", 600), ("image/png", 6000), ("*/*", 6)]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            force: false,
        };
        assert_eq!(cfg.lifetime(Some("image/png")), Some(6000));
        assert_eq!(cfg.lifetime(Some("image/jpeg")), Some(600));
        assert_eq!(cfg.lifetime(Some("text/html; charset=utf-8")), Some(6));
        assert_eq!(cfg.lifetime(None), Some(60));
    }

    #[test]
    fn what_the_response_says_stays_unless_forced() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let mut cfg = ExpiresConfig {
            secs: Some(60),
            ..Default::default()
        };
        let private = || {
            HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "private"))
                .finish()
        };
        let mut res = private();
        apply(&cfg, &mut res, now);
        assert_eq!(res.headers().get(header::CACHE_CONTROL).unwrap(), "private");
        cfg.force = true;
        let mut res = private();
        apply(&cfg, &mut res, now);
        assert_eq!(
            res.headers().get(header::CACHE_CONTROL).unwrap(),
            "private, max-age=60"
        );
        assert_eq!(
            res.headers().get(header::EXPIRES).unwrap(),
            "Sun, 09 Sep 2001 01:47:40 GMT"
        );
        let mut res = HttpResponse::NotFound().finish();
        apply(&cfg, &mut res, now);
        assert!(res.headers().get(header::CACHE_CONTROL).is_none());
        cfg.secs = Some(0);
        let mut res = HttpResponse::Ok().finish();
        apply(&cfg, &mut res, now);
        assert_eq!(
            res.headers().get(header::CACHE_CONTROL).unwrap(),
            "no-cache, must-revalidate"
        );
        assert_eq!(res.headers().get(header::PRAGMA).unwrap(), "no-cache");
    }
}
