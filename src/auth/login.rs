//! `tools.session_auth`: a login form, the session that remembers who signed in, and a way
//! out — CherryPy's `session_auth`, without its faults (§5 of the reference: any password
//! accepted by default, the form unescaped, an open redirect, the id kept across the login).
//!
//! The tool answers two paths itself (relative to the application's mount): `login_path`
//! (`GET`: the form; `POST`: the check) and `logout_path` (`POST`). On every other path it
//! covers, a request whose session names a user gets that [`Identity`], and its templates
//! the user's name as `user` (`{% if user %}Signed in as {{ user }}{% endif %}`); one
//! without, for a method it covers, is sent to the form (303 to `login_path?next=...`) when
//! the client prefers HTML, and answered 401 otherwise. It needs `tools.sessions` on at the
//! same paths (the session is reached through
//! [`session_access`](crate::tools::session_access)); the form's `POST` goes through
//! `tools.csrf` when that is on (it runs first).
//!
//! At login the session id changes ([`renew`](crate::tools::SessionAccess::renew)): an id
//! planted before the login (fixation) never carries the signed-in user. At logout the
//! session's user is removed and its id changes again, so a cookie copied before the logout
//! opens nothing. `next` is followed only when it is a path of this site (`/...`, not `//`
//! nor `/\`): the form cannot send a user elsewhere.

use std::sync::Arc;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use minijinja::{Value, context};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use crate::HttpError;
use crate::tools::{Before, Exchange, Identity, Placement, Scheme, Tool, Verifier, session_access};

/// The `session_auth` tool. Off until a path switches it on; registering it gives it the
/// verifier.
///
/// ```
/// use drupe::auth::SessionAuth;
/// use drupe::tools::{Identity, Scheme, verifier_fn};
/// let check = verifier_fn(|user, password| async move {
///     Ok((user == "admin" && password == "secret").then(|| Identity::new(user, Scheme::Session)))
/// });
/// // `.tool_at("/", SessionAuth::new(check))` with `tools.sessions` on at "/" too.
/// let tool = SessionAuth::new(check).login_template("login.html");
/// ```
pub struct SessionAuth {
    verifier: Option<Arc<dyn Verifier>>,
    settings: toml::Table,
}

impl Default for SessionAuth {
    /// The tool without a verifier, as every application registers it: switching it on is
    /// then a build error saying to register [`SessionAuth::new`].
    fn default() -> Self {
        Self {
            verifier: None,
            settings: toml::Table::new(),
        }
    }
}

impl SessionAuth {
    /// The tool, checking passwords with `verifier`.
    pub fn new(verifier: impl Verifier) -> Self {
        Self {
            verifier: Some(Arc::new(verifier)),
            settings: toml::Table::new(),
        }
    }

    /// The application's template for the form (`tools.session_auth.login_template`); it gets
    /// `next`, `username`, `error`, `action` and the tools' values (`csrf_field`).
    pub fn login_template(mut self, name: &str) -> Self {
        self.settings.insert("login_template".into(), name.into());
        self
    }

    /// Only these methods need a signed-in user (`tools.session_auth.methods`).
    pub fn methods(mut self, methods: &[&str]) -> Self {
        self.settings
            .insert("methods".into(), methods.to_vec().into());
        self
    }

    /// Only these accounts may pass (`tools.session_auth.allow`; others get 403).
    pub fn allow(mut self, accounts: &[&str]) -> Self {
        self.settings
            .insert("allow".into(), accounts.to_vec().into());
        self
    }
}

/// Settings of [`SessionAuth`]: `login_path` (`/login`), `logout_path` (`/logout`),
/// `login_template` (a built-in form when unset), `session_key` (`user`), `methods` (every
/// method when empty), `allow` (any account when empty), `realm` (`drupe`).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawConfig")]
pub struct SessionAuthConfig {
    login_path: String,
    logout_path: String,
    login_template: Option<String>,
    session_key: String,
    policy: super::Policy,
    challenge: HeaderValue,
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawConfig {
    login_path: String,
    logout_path: String,
    login_template: Option<String>,
    session_key: String,
    methods: Vec<String>,
    allow: Vec<String>,
    realm: String,
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            login_path: "/login".into(),
            logout_path: "/logout".into(),
            login_template: None,
            session_key: "user".into(),
            methods: Vec::new(),
            allow: Vec::new(),
            realm: "drupe".into(),
        }
    }
}

impl TryFrom<RawConfig> for SessionAuthConfig {
    type Error = String;
    fn try_from(raw: RawConfig) -> Result<Self, String> {
        super::check_realm(&raw.realm)?;
        for p in [&raw.login_path, &raw.logout_path] {
            if !p.starts_with('/') || p.contains(['?', '#']) || p.chars().any(char::is_control) {
                return Err(format!(
                    "{p:?} is not a path (it starts with `/`, without a query)"
                ));
            }
        }
        // Not a standard scheme: RFC 9110 asks a 401 to carry a challenge, and this one
        // names where credentials go.
        let challenge = HeaderValue::from_str(&format!(
            r#"Session realm="{}", login="{}""#,
            raw.realm, raw.login_path
        ))
        .map_err(|_| "the realm or the login path cannot be sent in a header".to_owned())?;
        Ok(Self {
            policy: super::Policy::parse(&raw.methods, raw.allow)?,
            login_path: raw.login_path,
            logout_path: raw.logout_path,
            login_template: raw.login_template,
            session_key: raw.session_key,
            challenge,
        })
    }
}

impl Tool for SessionAuth {
    type Config = SessionAuthConfig;
    const NAME: &'static str = "session_auth";

    /// After `sessions` (30), whose before-hook gives it the session, and after `csrf` (5),
    /// which checks the login form's token first.
    fn priority(&self) -> i32 {
        40
    }

    fn settings_at(&self) -> toml::Table {
        self.settings.clone()
    }

    fn prepare(
        &self,
        _: &mut SessionAuthConfig,
        at: &Placement<'_>,
    ) -> Result<(), crate::ConfigError> {
        if at.is_on() && self.verifier.is_none() {
            return Err(at.error(
                "on",
                "tools.session_auth needs the application's verifier: register \
                 `SessionAuth::new(verifier)` with `AppBuilder::tool` or `tool_at`",
            ));
        }
        if at.is_on() && !at.tool_is_on("sessions") {
            return Err(at.error(
                "on",
                "tools.session_auth keeps who signed in in the session: switch \
                 tools.sessions on at the same path",
            ));
        }
        Ok(())
    }

    fn responses(&self, cfg: &SessionAuthConfig, method: &str) -> Vec<(u16, &'static str)> {
        cfg.policy.responses(
            method,
            &[
                (303, "Not signed in, from a browser: to the login form."),
                (401, "Not signed in."),
            ],
        )
    }

    fn before_handler<'a>(&'a self, cfg: &'a SessionAuthConfig, ex: &'a Exchange) -> Before<'a> {
        Before::Pending(Box::pin(self.decide(cfg, ex)))
    }
}

impl SessionAuth {
    async fn decide(&self, cfg: &SessionAuthConfig, ex: &Exchange) -> Option<HttpResponse> {
        let req = ex.request();
        let mount = ex.mount_prefix();
        let Some(session) = session_access(req) else {
            return Some(error(HttpError::internal(
                "tools.session_auth runs where tools.sessions is off",
            )));
        };
        let method = ex.method();
        if ex.path() == cfg.login_path {
            return match *method {
                Method::GET | Method::HEAD => {
                    Some(self.form(cfg, req, mount, &next_of(req), "", None, StatusCode::OK))
                }
                Method::POST => Some(self.login(cfg, req, mount).await),
                _ => Some(not_allowed("GET, HEAD, POST")),
            };
        }
        if ex.path() == cfg.logout_path {
            if *method != Method::POST {
                return Some(not_allowed("POST"));
            }
            let out = async {
                session.remove(&cfg.session_key).await?;
                session.renew().await
            };
            return Some(match out.await {
                Ok(()) => see_other(&format!("{mount}/")),
                Err(e) => error(e),
            });
        }
        let user = match session.get(&cfg.session_key).await {
            Ok(v) => v.and_then(|v| v.as_str().map(str::to_owned)),
            Err(e) => return Some(error(e)),
        };
        match user {
            Some(name) => {
                let id = Identity::new(name, Scheme::Session);
                if cfg.policy.covers(method)
                    && let Some(res) = cfg.policy.refuse(&id)
                {
                    return Some(res);
                }
                // The page can say who is signed in (`{{ user }}`): such a page is private,
                // since the session it read holds something.
                crate::tools::add_template_value(req, "user", Value::from(id.name()));
                if !Identity::is_attached(req) {
                    id.attach(req);
                }
                None
            }
            None if Identity::is_attached(req) => None,
            None if !cfg.policy.covers(method) => {
                // A handler that takes `SignedIn` asks for the form itself.
                req.extensions_mut().insert(LoginAt {
                    url: format!("{mount}{}", cfg.login_path),
                    challenge: cfg.challenge.clone(),
                });
                None
            }
            None => Some(to_login(
                req,
                &format!("{mount}{}", cfg.login_path),
                &cfg.challenge,
            )),
        }
    }

    /// `POST login_path`: the password checked, the session renewed, the user kept in it.
    async fn login(&self, cfg: &SessionAuthConfig, req: &HttpRequest, mount: &str) -> HttpResponse {
        let field = |name: &'static str| async move {
            crate::body::take_form_field(req, name)
                .await
                .map(|v| v.into_iter().next().unwrap_or_default())
        };
        let (user, password, next) = match (
            field("username").await,
            field("password").await,
            field("next").await,
        ) {
            (Ok(u), Ok(p), Ok(n)) => (u, p, n),
            (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => return error(e),
        };
        let next = safe_next(&next, mount);
        let attempts = match super::gate(req, &user) {
            Ok(a) => a,
            Err(res) => return *res,
        };
        let Some(verifier) = &self.verifier else {
            return error(HttpError::internal(
                "tools.session_auth runs without a verifier",
            ));
        };
        let id = match verifier.verify(&user, &password).await {
            Ok(Some(id)) => id,
            Ok(None) => {
                if let Some(a) = attempts {
                    a.failed(&user);
                }
                tracing::info!(user = %user.escape_debug(), "wrong password at the login form");
                let msg = "Wrong user name or password.";
                return self.form(
                    cfg,
                    req,
                    mount,
                    &next,
                    &user,
                    Some(msg),
                    StatusCode::UNAUTHORIZED,
                );
            }
            Err(e) => return error(e),
        };
        let Some(session) = session_access(req) else {
            return error(HttpError::internal(
                "tools.session_auth runs where tools.sessions is off",
            ));
        };
        let done = async {
            session.renew().await?;
            session
                .insert(
                    &cfg.session_key,
                    serde_json::Value::String(id.name().to_owned()),
                )
                .await
        };
        match done.await {
            Ok(()) => see_other(&next),
            Err(e) => error(e),
        }
    }

    /// The form, from the application's template or the built-in one.
    #[allow(clippy::too_many_arguments)]
    fn form(
        &self,
        cfg: &SessionAuthConfig,
        req: &HttpRequest,
        mount: &str,
        next: &str,
        username: &str,
        err: Option<&str>,
        status: StatusCode,
    ) -> HttpResponse {
        let action = format!("{mount}{}", cfg.login_path);
        let ctx = context! { next => next, username => username, error => err, action => action };
        let mut res = match &cfg.login_template {
            Some(t) => actix_web::Responder::respond_to(
                crate::represent::html::Page::new(t.clone(), ctx).with_status(status),
                req,
            ),
            None => builtin_form(req, ctx, status),
        };
        // The form may carry a CSRF token, and says whether the password was wrong.
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, cfg.challenge.clone());
        }
        res
    }
}

/// The built-in form: minijinja with auto-escaping, the tools' values (`csrf_field`) in.
fn builtin_form(req: &HttpRequest, ctx: Value, status: StatusCode) -> HttpResponse {
    const FORM: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body><h1>Sign in</h1>
{% if error %}<p role="alert">{{ error }}</p>{% endif %}
<form method="post" action="{{ action }}">
{{ csrf_field }}
<input type="hidden" name="next" value="{{ next }}">
<p><label>User name <input name="username" value="{{ username }}" autocomplete="username" required></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">Sign in</button></p>
</form></body></html>
"#;
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    let tools = crate::templates::request_values(req);
    let ctx = minijinja::value::merge_maps([tools, ctx]);
    match env.render_str(FORM, ctx) {
        Ok(body) => HttpResponse::build(status)
            .content_type(mime::TEXT_HTML_UTF_8)
            .body(body),
        Err(e) => error(HttpError::internal(format!("the login form: {e:#}"))),
    }
}

/// Where the form is, for a handler that asks for a signed-in caller ([`SignedIn`]).
struct LoginAt {
    url: String,
    challenge: HeaderValue,
}

/// The answer to a caller who is not signed in: the form (303, with `next` the request's
/// path and query) for a browser, 401 for an API client.
fn to_login(req: &HttpRequest, login: &str, challenge: &HeaderValue) -> HttpResponse {
    if prefers_html(req) {
        see_other(&form_url(req, login))
    } else {
        super::unauthorized(
            "This needs you to be signed in.",
            std::slice::from_ref(challenge),
        )
    }
}

/// The form's URL with `next` the request's path and query.
fn form_url(req: &HttpRequest, login: &str) -> String {
    let here = match req.query_string() {
        "" => req.path().to_owned(),
        q => format!("{}?{q}", req.path()),
    };
    format!(
        "{login}?next={}",
        utf8_percent_encode(&here, NON_ALPHANUMERIC)
    )
}

/// A handler argument: the caller, who must be signed in. Where `tools.session_auth` is on
/// but does not cover the request's method (its `methods` setting), a handler taking
/// `SignedIn` still gets only signed-in callers: a browser is sent to the login form (303),
/// an API client gets 401. The page of a form (a `GET`) is protected so, while the site's
/// other pages stay public. Where no tool authenticated the request, it is a 401.
///
/// ```
/// use drupe::auth::SignedIn;
/// use drupe::controller;
/// struct Albums;
/// #[controller]
/// impl Albums {
///     /// The form for a new album: only for the owner.
///     #[expose]
///     fn new(&self, who: SignedIn) -> String {
///         format!("a form for {}", who.0.name())
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct SignedIn(pub Identity);

impl crate::dispatch::doc::Answers for SignedIn {
    const ANSWERS: &'static [(u16, &'static str)] = &[
        (
            303,
            "Not signed in, from a browser: to the login form, which comes back here",
        ),
        (401, "Not signed in"),
    ];
}

impl actix_web::FromRequest for SignedIn {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;
    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        if let Some(id) = Identity::of(req) {
            return std::future::ready(Ok(SignedIn(id)));
        }
        let unauthorized = HttpError::unauthorized("This needs you to be signed in.");
        let err = match req.extensions().get::<LoginAt>() {
            Some(at) if prefers_html(req) => ToLogin(form_url(req, &at.url)).into(),
            Some(at) => unauthorized
                .with_header(header::WWW_AUTHENTICATE, at.challenge.clone())
                .into(),
            None => unauthorized.into(),
        };
        std::future::ready(Err(err))
    }
}

/// The 303 to the login form, as an error an extractor can return.
#[derive(Debug)]
struct ToLogin(String);

impl std::fmt::Display for ToLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not signed in: to {}", self.0)
    }
}

impl actix_web::ResponseError for ToLogin {
    fn status_code(&self) -> StatusCode {
        StatusCode::SEE_OTHER
    }
    fn error_response(&self) -> HttpResponse {
        see_other(&self.0)
    }
}

/// `next` from the query of a `GET login_path`.
fn next_of(req: &HttpRequest) -> String {
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// `next` when it is a path of this site, else the application's root: never another
/// origin (`//evil.example`, `/\evil.example`, `https://...`).
fn safe_next(next: &str, mount: &str) -> String {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    if local {
        next.to_owned()
    } else {
        format!("{mount}/")
    }
}

/// Whether the client would rather have HTML than JSON (a browser's navigation).
fn prefers_html(req: &HttpRequest) -> bool {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let offered = [
        crate::http::negotiate::MediaRange::parse("application/json"),
        crate::http::negotiate::MediaRange::parse("text/html"),
    ];
    let [Ok(json), Ok(html)] = offered else {
        return false;
    };
    matches!(
        crate::http::negotiate::select(accept, &[json, html]),
        Ok(Some(1))
    )
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn not_allowed(allow: &'static str) -> HttpResponse {
    let mut res = error(crate::MethodNotAllowed::new(allow).into());
    res.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    res
}

fn error(e: HttpError) -> HttpResponse {
    HttpResponse::from_error(e)
}
