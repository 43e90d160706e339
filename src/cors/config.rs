//! The settings of `tools.cors` at a path, checked and compiled once when the application is
//! built: origins read into rules, methods and header names validated, the header values the
//! tool sends made ready.

use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;

use super::origin::{Origin, Rule};
use crate::config::ConfigError;
use crate::tools::Placement;

/// The settings of `tools.cors` at a path (every key is optional; see [`Cors`](super::Cors)
/// for what each does). Checked when the application is built: a malformed origin, method or
/// header name, `"*"` beside `credentials = true`, or the tool on without an origin is an error
/// naming the key.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorsConfig {
    /// `origins`: exact origins, patterns, `"*"`, `"null"`.
    origins: Vec<String>,
    /// `methods`: the methods a preflight may ask for (default: the resource's own).
    methods: Option<Vec<String>>,
    /// `headers`: the request headers a preflight may ask for.
    headers: Vec<String>,
    /// `expose_headers`: the response headers scripts may read.
    expose_headers: Vec<String>,
    /// `credentials`: whether cookies and `Authorization` may be sent.
    credentials: bool,
    /// `max_age`: how long a browser may keep a preflight's answer, in seconds.
    max_age: Option<u32>,
    #[serde(skip)]
    pub(super) policy: Policy,
}

/// What a path's settings allow, compiled.
#[derive(Debug, Clone, Default)]
pub(super) struct Policy {
    origins: Vec<Rule>,
    /// Upper-cased; `None`: the resource's `Allow`, or the safelisted methods.
    methods: Option<Vec<String>>,
    /// Lower-case names.
    headers: Vec<HeaderName>,
    any_header: bool,
    pub(super) allow_headers: Option<HeaderValue>,
    pub(super) expose_headers: Option<HeaderValue>,
    pub(super) credentials: bool,
    pub(super) max_age: Option<HeaderValue>,
}

/// The methods a request may use without a preflight (Fetch's CORS-safelisted methods): what
/// a path that is not a resource allows when `methods` is not set.
const SAFELISTED_METHODS: [&str; 3] = ["GET", "HEAD", "POST"];

impl CorsConfig {
    /// Checks the settings read for a path and compiles them into its [`Policy`].
    pub(super) fn compile(&mut self, at: &Placement<'_>) -> Result<(), ConfigError> {
        let mut origins = Vec::with_capacity(self.origins.len());
        for text in &self.origins {
            let rule = Rule::parse(text).map_err(|m| at.error("origins", m))?;
            if rule == Rule::Any && self.credentials {
                return Err(at.error(
                    "origins",
                    "\"*\" (any origin) cannot be combined with `credentials = true`: browsers \
                     refuse credentials for a wildcard; list the origins",
                ));
            }
            origins.push(rule);
        }
        if at.is_on() && origins.is_empty() {
            return Err(at.error(
                "origins",
                "not set: the tool is on and allows no origin (list some, or switch it off here)",
            ));
        }
        let methods = match &self.methods {
            None => None,
            Some(list) => Some(
                list.iter()
                    .map(|m| {
                        let upper = m.to_ascii_uppercase();
                        Method::from_bytes(upper.as_bytes())
                            .map(|_| upper)
                            .map_err(|_| at.error("methods", format!("`{m}` is not a method name")))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        let (headers, any_header) = names(at, "headers", &self.headers, self.credentials)?;
        names(at, "expose_headers", &self.expose_headers, self.credentials)?;
        self.policy = Policy {
            origins,
            methods,
            any_header,
            allow_headers: joined(&self.headers),
            expose_headers: joined(&self.expose_headers),
            headers,
            credentials: self.credentials,
            max_age: self.max_age.map(HeaderValue::from),
        };
        Ok(())
    }
}

/// Reads a list of header names (`"*"` among them unless `credentials`), lower-cased, and
/// whether `"*"` was one.
fn names(
    at: &Placement<'_>,
    key: &str,
    list: &[String],
    credentials: bool,
) -> Result<(Vec<HeaderName>, bool), ConfigError> {
    let mut out = Vec::with_capacity(list.len());
    let mut any = false;
    for name in list {
        if name == "*" {
            if credentials {
                return Err(at.error(
                    key,
                    "\"*\" cannot be combined with `credentials = true`: browsers read it as a \
                     header named `*` then; list the names",
                ));
            }
            any = true;
            continue;
        }
        let parsed = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| at.error(key, format!("`{name}` is not a header name")))?;
        out.push(parsed);
    }
    Ok((out, any))
}

/// `a, b, c` as a header value; `None` for an empty list.
fn joined<S: AsRef<str>>(list: &[S]) -> Option<HeaderValue> {
    if list.is_empty() {
        return None;
    }
    let text: Vec<&str> = list.iter().map(AsRef::as_ref).collect();
    HeaderValue::from_str(&text.join(", ")).ok()
}

impl Policy {
    /// The `Access-Control-Allow-Origin` a request gets: `*` where the `"*"` rule allows it,
    /// else its own `Origin`; `None` for a request without one `Origin`, or one not allowed.
    pub(super) fn allowed_origin(&self, headers: &HeaderMap) -> Option<HeaderValue> {
        let mut sent = headers.get_all(header::ORIGIN);
        let value = sent.next()?;
        if sent.next().is_some() {
            return None;
        }
        let text = value.to_str().ok()?;
        let parsed = Origin::parse(text);
        match self
            .origins
            .iter()
            .find(|r| r.allows(text, parsed.as_ref()))?
        {
            Rule::Any => Some(HeaderValue::from_static("*")),
            _ => Some(value.clone()),
        }
    }

    /// The methods a preflight may ask for where the resource's `Allow` is `allow` (`None`
    /// where the path is not a resource): the configured ones it answers, or all of them;
    /// for a path that is not a resource, the configured ones or the safelisted ones.
    pub(super) fn methods<'a>(&'a self, allow: Option<&'a str>) -> Vec<&'a str> {
        let configured = self.methods.as_deref();
        match (allow, configured) {
            (Some(allow), None) => allow.split(',').map(str::trim).collect(),
            (Some(allow), Some(list)) => allow
                .split(',')
                .map(str::trim)
                .filter(|m| list.iter().any(|c| c == m))
                .collect(),
            (None, Some(list)) => list.iter().map(String::as_str).collect(),
            (None, None) => SAFELISTED_METHODS.to_vec(),
        }
    }

    /// Whether every name an `Access-Control-Request-Headers` lists is allowed (a value that
    /// is not a list of names is not).
    pub(super) fn headers_allowed<'h>(
        &self,
        requested: impl Iterator<Item = &'h HeaderValue>,
    ) -> bool {
        requested.into_iter().all(|v| {
            v.to_str().is_ok_and(|s| {
                s.split(',')
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .all(|n| {
                        HeaderName::from_bytes(n.as_bytes())
                            .is_ok_and(|name| self.any_header || self.headers.contains(&name))
                    })
            })
        })
    }
}
