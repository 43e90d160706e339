//! Cross-origin resource sharing: the `cors` tool, which tells browsers which other origins'
//! scripts may call the paths it is on for (the Fetch standard's CORS protocol).
//!
//! This module owns the tool ([`Cors`], its builder), its settings ([`CorsConfig`], compiled
//! in `config`) and the reading and matching of origins (`origin`). Registered with every
//! application, off until a path switches it on.
//!
//! ```toml
//! ["/users"]
//! tools.cors.on = true
//! tools.cors.origins = ["https://app.example", "https://*.example.com"]
//! tools.cors.headers = ["Content-Type"]
//! tools.cors.credentials = true
//! tools.cors.max_age = 600
//! ```
//!
//! What it does:
//! - a **preflight** (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered
//!   by the tool, the handler never running: `204 No Content` with the resource's `Allow`, and,
//!   when the origin, the method and every requested header are allowed,
//!   `Access-Control-Allow-Origin`, `-Allow-Methods`, `-Allow-Headers`, `-Max-Age` and
//!   `-Allow-Credentials`. A refused preflight gets the same 204 without any
//!   `Access-Control-Allow-*`: what a plain `OPTIONS` gets. The browser then refuses the call
//!   itself; a 4xx would tell it nothing more, and would log the browser's routine probing as
//!   client errors. A resource without an `OPTIONS` handler has its preflight answered by the
//!   method dispatcher, before any tool's before-hook: the tool completes that 204 in its
//!   on-response hook. A preflight to a path the tree does not have stays a 404;
//! - an `OPTIONS` without `Access-Control-Request-Method` is not a preflight: the method
//!   dispatcher (or the handler) answers it as usual, with the headers below;
//! - **every other response** of the tool's paths — handler answers, errors, cache hits, the
//!   dispatcher's own 404 and 405 — gets `Access-Control-Allow-Origin` (with
//!   `-Allow-Credentials` and `-Expose-Headers` as configured) when its `Origin` is allowed,
//!   none otherwise, and `Vary: Origin` always;
//! - the headers are set on each response, after the output cache stored it or answered from
//!   it: a stored response holds no origin's header, so one entry serves every origin, each
//!   with its own answer (and a client cycling `Origin` values cannot fill the URI's
//!   variants).
//!
//! It runs early (priority -5): before the tools that check credentials, since a preflight
//! carries none, and before the trailing-slash redirect, which a browser does not follow for
//! a preflight.

use actix_web::HttpResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};

use crate::config::ConfigError;
use crate::http::add_vary;
use crate::tools::{Before, Exchange, Placement, Tool};

mod config;
mod origin;

pub use config::CorsConfig;
use config::Policy;

/// The `cors` tool: which other origins' scripts may call the paths it is on for.
///
/// Its settings (`tools.cors.*`, or this builder for the path given to
/// [`AppBuilder::tool_at`](crate::AppBuilder::tool_at)):
///
/// | key | builder | default | what it does |
/// |---|---|---|---|
/// | `origins` | [`allow_origin`](Cors::allow_origin) | none (required where on) | the origins allowed |
/// | `methods` | [`allow_methods`](Cors::allow_methods) | the resource's `Allow` | the methods a preflight may ask for |
/// | `headers` | [`allow_headers`](Cors::allow_headers) | none | the request headers a preflight may ask for |
/// | `expose_headers` | [`expose_headers`](Cors::expose_headers) | none | the response headers scripts may read |
/// | `credentials` | [`allow_credentials`](Cors::allow_credentials) | `false` | whether cookies and `Authorization` may be sent |
/// | `max_age` | [`max_age`](Cors::max_age) | none | how long a browser may keep a preflight's answer |
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use drupe::{App, Cors, controller};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn users(&self) -> &'static str { "[]" }
/// }
/// let app = App::builder(Root)
///     .tool_at("/users", Cors::new().allow_origin("https://app.example").max_age(600))
///     .build()
///     .unwrap();
/// let c = drupe::testing::TestClient::new(app).await;
/// c.options("/users")
///     .header("origin", "https://app.example")
///     .header("access-control-request-method", "POST")
///     .send()
///     .await
///     .assert_status(204)
///     .assert_header("access-control-allow-origin", "https://app.example")
///     .assert_header("access-control-allow-methods", "GET, HEAD, POST")
///     .assert_header("access-control-max-age", "600");
/// c.get("/users").header("origin", "https://evil.example").send().await
///     .assert_text("[]")
///     .assert_no_header("access-control-allow-origin")
///     .assert_header("vary", "Origin");
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct Cors {
    settings: toml::Table,
}

impl Cors {
    /// The tool, allowing nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Allows an origin (`tools.cors.origins`; checked when the application is built):
    ///
    /// - `https://app.example`: that origin. Scheme and host are compared without regard to
    ///   ASCII case, a default port (`:443` for `https`, `:80` for `http`) is the same as none,
    ///   any other port must be the same;
    /// - `https://*.example.com`: a pattern, `*` being exactly one label, of letters, digits,
    ///   `-` or `_`, at the front: `https://api.example.com` matches; `https://example.com`,
    ///   `https://a.b.example.com`, `https://evil.example.com.attacker.net`,
    ///   `http://api.example.com` and `https://api.example.com:8443` do not. Scheme and port
    ///   are exact (`https://*.example.com:8443` for that port); at least two labels follow
    ///   the `*`, and `*` is nowhere else;
    /// - `*`: every origin (answered `Access-Control-Allow-Origin: *`); never beside
    ///   [`allow_credentials`](Self::allow_credentials), which is an error at build;
    /// - `null`: the `null` origin of sandboxed frames and `file:` pages, which nothing else
    ///   matches (allow it only knowing that any page can make itself `null`).
    ///
    /// An `Origin` that is not an ASCII `scheme://host[:port]` is never allowed.
    pub fn allow_origin(mut self, origin: &str) -> Self {
        self.push("origins", origin);
        self
    }

    /// The methods a preflight may ask for (`tools.cors.methods`; upper-cased), among those
    /// the resource answers (its `Allow`): by default all of them. Where the path is not a
    /// resource (a `#[controller]` method answers every method), the default is `GET`,
    /// `HEAD` and `POST`.
    pub fn allow_methods<'a>(mut self, methods: impl IntoIterator<Item = &'a str>) -> Self {
        for m in methods {
            self.push("methods", m);
        }
        self
    }

    /// The request headers a preflight may ask for (`tools.cors.headers`; none by default).
    /// A browser asks for every header a script sets beyond the CORS-safelisted ones, and
    /// for `Content-Type` when its value is not a form's or plain text: a JSON body needs
    /// `Content-Type` here. `*` allows any name except `Authorization` (browsers want that one
    /// listed), and never beside [`allow_credentials`](Self::allow_credentials).
    pub fn allow_headers<'a>(mut self, names: impl IntoIterator<Item = &'a str>) -> Self {
        for n in names {
            self.push("headers", n);
        }
        self
    }

    /// The response headers a script may read beyond the safelisted ones
    /// (`tools.cors.expose_headers`: `Access-Control-Expose-Headers`); `*` for all, never
    /// beside [`allow_credentials`](Self::allow_credentials).
    pub fn expose_headers<'a>(mut self, names: impl IntoIterator<Item = &'a str>) -> Self {
        for n in names {
            self.push("expose_headers", n);
        }
        self
    }

    /// Lets scripts send cookies and `Authorization` and read the answer
    /// (`tools.cors.credentials`: `Access-Control-Allow-Credentials: true`).
    pub fn allow_credentials(mut self, on: bool) -> Self {
        self.settings.insert("credentials".into(), on.into());
        self
    }

    /// How long a browser may keep a preflight's answer, in seconds
    /// (`tools.cors.max_age`: `Access-Control-Max-Age`; browsers cap it, Chromium at 7200).
    pub fn max_age(mut self, seconds: u32) -> Self {
        self.settings
            .insert("max_age".into(), i64::from(seconds).into());
        self
    }

    fn push(&mut self, key: &str, value: &str) {
        let entry = self
            .settings
            .entry(key)
            .or_insert_with(|| toml::Value::Array(Vec::new()));
        if let toml::Value::Array(list) = entry {
            list.push(value.into());
        }
    }
}

/// Whether the request is a preflight: `OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`.
fn is_preflight(ex: &Exchange) -> bool {
    let req = ex.request();
    *req.method() == Method::OPTIONS
        && req.headers().contains_key(header::ORIGIN)
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// Completes a preflight's answer: its `Vary`, and the `Access-Control-Allow-*` headers when
/// the origin, the method and every requested header are allowed.
fn preflight(policy: &Policy, ex: &Exchange, res: &mut HttpResponse) {
    for name in [
        "Origin",
        "Access-Control-Request-Method",
        "Access-Control-Request-Headers",
    ] {
        add_vary(res, name);
    }
    let headers = ex.request().headers();
    let Some(origin) = policy.allowed_origin(headers) else {
        return;
    };
    let methods = policy.methods(ex.tree().allow(ex.node()));
    let asked = headers
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|m| m.to_str().ok());
    if !asked.is_some_and(|a| methods.contains(&a))
        || !policy.headers_allowed(headers.get_all(header::ACCESS_CONTROL_REQUEST_HEADERS))
    {
        return;
    }
    let out = res.headers_mut();
    out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    if let Ok(v) = HeaderValue::from_str(&methods.join(", ")) {
        out.insert(header::ACCESS_CONTROL_ALLOW_METHODS, v);
    }
    if let Some(v) = &policy.allow_headers {
        out.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v.clone());
    }
    if let Some(v) = &policy.max_age {
        out.insert(header::ACCESS_CONTROL_MAX_AGE, v.clone());
    }
    if policy.credentials {
        out.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
}

/// The headers of any other response: `Vary: Origin`, and for an allowed origin its
/// `Access-Control-Allow-Origin`, `-Allow-Credentials` and `-Expose-Headers` (the tool owns
/// them on its paths: what a handler set is replaced or removed).
fn actual(policy: &Policy, ex: &Exchange, res: &mut HttpResponse) {
    add_vary(res, "Origin");
    let origin = policy.allowed_origin(ex.request().headers());
    let out = res.headers_mut();
    for name in [
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
    ] {
        out.remove(name);
    }
    let Some(origin) = origin else {
        return;
    };
    out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    if policy.credentials {
        out.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
    if let Some(v) = &policy.expose_headers {
        out.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, v.clone());
    }
}

impl Tool for Cors {
    type Config = CorsConfig;
    const NAME: &'static str = "cors";

    /// Before the authentication tools (1, 2) and the CSRF check (0): a preflight carries
    /// no credentials and must be answered anyway; after the rate limiter (-10).
    fn priority(&self) -> i32 {
        -5
    }

    fn settings_at(&self) -> toml::Table {
        self.settings.clone()
    }

    fn prepare(&self, cfg: &mut CorsConfig, at: &Placement<'_>) -> Result<(), ConfigError> {
        cfg.compile(at)
    }

    fn before_handler<'a>(&'a self, cfg: &'a CorsConfig, ex: &'a Exchange) -> Before<'a> {
        // A path the tree does not have keeps its 404.
        if ex.handler().is_none() || !is_preflight(ex) {
            return Before::Continue;
        }
        let mut res = HttpResponse::NoContent().finish();
        if let Some(allow) = ex
            .tree()
            .allow(ex.node())
            .and_then(|a| HeaderValue::from_str(a).ok())
        {
            res.headers_mut().insert(header::ALLOW, allow);
        }
        preflight(&cfg.policy, ex, &mut res);
        Before::Respond(res)
    }

    fn on_response(&self, cfg: &CorsConfig, ex: &Exchange, res: &mut HttpResponse) {
        if !is_preflight(ex) {
            actual(&cfg.policy, ex, res);
        } else if ex.handler().is_none()
            && res.status() == StatusCode::NO_CONTENT
            && ex.tree().allow(ex.node()).is_some()
        {
            // The method dispatcher's answer to an `OPTIONS` its resource has no handler
            // for: the before-hooks did not run.
            preflight(&cfg.policy, ex, res);
        } else {
            // The tool's own answer (complete), or a preflight to a path the tree does not
            // have.
            add_vary(res, "Origin");
        }
    }

    fn responses(&self, _: &CorsConfig, method: &str) -> Vec<(u16, &'static str)> {
        if method == "OPTIONS" {
            vec![(
                204,
                "A CORS preflight (`Origin` and `Access-Control-Request-Method`), answered by \
                 the `cors` tool without calling the handler; the `Access-Control-Allow-*` \
                 headers say whether the origin, method and headers are allowed",
            )]
        } else {
            Vec::new()
        }
    }
}
