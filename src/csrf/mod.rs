//! Cross-site request forgery: the `csrf` tool, which refuses an unsafe request (`POST`,
//! `PUT`, `PATCH`, `DELETE`...) that another site's page made a browser send.
//!
//! This module owns two lines of defence, for the paths the tool is on for:
//!
//! 1. **where the request comes from** (`origin.rs`): `Sec-Fetch-Site: cross-site`, an
//!    `Origin` that is neither the request's own nor one of `trusted_origins`, and `Origin:
//!    null` are refused with 403; a request with neither header passes (not a browser).
//! 2. **a token only this site's pages know** (`token.rs`), a double-submit cookie: each
//!    browser gets a random secret in an `HttpOnly`, `SameSite=Lax`, `Path=/` cookie
//!    (`__Host-csrf` over HTTPS, `csrf` otherwise), and every form carries a token made from
//!    it, masked afresh for each page (BREACH-safe). The token comes back in the form field
//!    `csrf_token` or the header `X-CSRF-Token` (both configurable); missing, or not made
//!    for this browser's secret, the answer is 403 and the handler does not run. The field is
//!    read from the form body the handler gets (parked in the request by the pipeline) and
//!    taken out of it, so the handler never sees it: a handler whose extractor reads the body
//!    itself (`Body<T>`) or a path with `request.body.process = false` takes the token in the
//!    header only.
//!
//! A request with `Authorization: Bearer` or `Basic` (`exempt_schemes`) needs no token:
//! no page of another site can make a browser add a Bearer token, and the first line still
//! applies to it — which is what stops a cross-site form a browser would send with the Basic
//! credentials it remembers (every current browser sends `Origin` with a `POST`).
//!
//! Templates get the token without the handler passing it: the before-hook adds `csrf_token`
//! (the token) and `csrf_field` (a hidden input carrying it, safe HTML) to the request's
//! template values ([`add_template_value_with`](crate::tools::add_template_value_with)).
//! They are made when a template looks them up, and only then: a page that shows no form
//! costs no randomness, gets no cookie and stays cacheable. A page that rendered a token
//! leaves `Cache-Control: private` (the output cache never stores it, so no visitor gets
//! another's token) and, when the browser had no secret yet, the cookie that holds it.
//!
//! It runs at priority 5: after the rate limiter (-10), CORS (-5) and the header
//! authentication tools (`auth_bearer` 1, `auth_basic` 2), so an anonymous write to an API
//! they cover is their 401, not a 403 about a token an API client never had; before
//! `session_auth` (40), so a login form's post is checked before its password is.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use minijinja::Value;
use serde::Deserialize;

use crate::HttpError;
use crate::tools::{After, Before, Exchange, Placement, Tool, add_template_value_with};

mod origin;
mod token;

use token::Secret;

/// The `csrf` tool (off until `tools.csrf.on`; see the module's documentation).
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use drupe::{App, controller};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn save(&self, text: String) -> String { text }
/// }
/// let app = App::builder(Root).set("/", "tools.csrf.on", true).build().unwrap();
/// let c = drupe::testing::TestClient::new(app).await;
/// // A form post without the token its page would carry.
/// c.post("/save").form(&[("text", "hi")]).send().await
///     .assert_status(403)
///     .assert_contains("CSRF check");
/// // An API client with a Bearer token needs none.
/// c.post("/save").header("authorization", "Bearer abc").form(&[("text", "hi")]).send().await
///     .assert_text("hi");
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Csrf;

/// The settings of `tools.csrf` at a path.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct CsrfConfig {
    /// The form field that carries the token (`csrf_token`).
    pub field: String,
    /// The header that carries the token (`X-CSRF-Token`).
    pub header: String,
    /// Origins besides the request's own whose pages may send unsafe requests
    /// (`https://app.example.com`).
    pub trusted_origins: Vec<String>,
    /// `Authorization` schemes whose requests need no token (`["Bearer", "Basic"]`).
    pub exempt_schemes: Vec<String>,
    #[serde(skip)]
    header_name: Option<HeaderName>,
    #[serde(skip)]
    trusted: Vec<String>,
}

impl Default for CsrfConfig {
    fn default() -> Self {
        Self {
            field: "csrf_token".to_owned(),
            header: "X-CSRF-Token".to_owned(),
            trusted_origins: Vec::new(),
            exempt_schemes: vec!["Bearer".to_owned(), "Basic".to_owned()],
            header_name: None,
            trusted: Vec::new(),
        }
    }
}

impl CsrfConfig {
    /// Whether the request's credentials make it exempt from the token.
    fn exempt(&self, req: &HttpRequest) -> bool {
        let Some(auth) = req.headers().get(header::AUTHORIZATION) else {
            return false;
        };
        let scheme = auth.as_bytes().split(|&b| b == b' ').next().unwrap_or(b"");
        self.exempt_schemes
            .iter()
            .any(|s| s.as_bytes().eq_ignore_ascii_case(scheme))
    }
}

/// What the tool knows of the browser behind one request.
struct Browser {
    /// Whether the request came over HTTPS (the cookie's name and `Secure`).
    https: bool,
    /// The secret its cookie holds, if it sent a valid one.
    cookie: Option<Secret>,
    /// The secret made for it during this request, when it had none and a page rendered a
    /// token (`None` inside: the OS gave no randomness).
    fresh: OnceLock<Option<Secret>>,
    /// Whether a template rendered a token.
    rendered: AtomicBool,
}

impl Browser {
    fn cookie_name(https: bool) -> &'static str {
        if https { "__Host-csrf" } else { "csrf" }
    }

    /// A fresh token for the page being rendered (empty without randomness: the form's post
    /// then fails its check, and the log says why).
    fn token(&self) -> String {
        self.rendered.store(true, Ordering::Relaxed);
        let secret = self
            .cookie
            .or_else(|| *self.fresh.get_or_init(Secret::random));
        match secret.and_then(Secret::token) {
            Some(t) => t,
            None => {
                tracing::error!("no randomness for a CSRF token: the OS random source failed");
                String::new()
            }
        }
    }
}

/// The request's [`Browser`], for the after-hook.
#[derive(Clone)]
struct BrowserSlot(Arc<Browser>);

impl Tool for Csrf {
    type Config = CsrfConfig;
    const NAME: &'static str = "csrf";

    /// After the header authentication tools, before `session_auth`: see the module's
    /// documentation.
    fn priority(&self) -> i32 {
        5
    }

    fn prepare(&self, cfg: &mut CsrfConfig, at: &Placement<'_>) -> Result<(), crate::ConfigError> {
        let name_ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
        if cfg.field.is_empty() || !cfg.field.chars().all(name_ok) {
            return Err(at.error(
                "field",
                format!(
                    "`{}` is not a form field name (letters, digits, `_`, `-`, `.`)",
                    cfg.field
                ),
            ));
        }
        let name = HeaderName::from_bytes(cfg.header.as_bytes())
            .map_err(|_| at.error("header", format!("`{}` is not a header name", cfg.header)))?;
        cfg.header_name = Some(name);
        cfg.trusted = cfg
            .trusted_origins
            .iter()
            .map(|o| {
                origin::normalize(o).ok_or_else(|| {
                    at.error(
                        "trusted_origins",
                        format!("`{o}` is not an origin (scheme://host[:port], no path)"),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(())
    }

    fn before_handler<'a>(&'a self, cfg: &'a CsrfConfig, ex: &'a Exchange) -> Before<'a> {
        let req = ex.request();
        let base = ex.base_url();
        let https = base.starts_with("https://");
        let cookie = req
            .cookie(Browser::cookie_name(https))
            .and_then(|c| Secret::parse(c.value()));
        let browser = Arc::new(Browser {
            https,
            cookie,
            fresh: OnceLock::new(),
            rendered: AtomicBool::new(false),
        });
        let b = browser.clone();
        add_template_value_with(req, "csrf_token", move || Value::from(b.token()));
        let (b, field) = (browser.clone(), cfg.field.clone());
        add_template_value_with(req, "csrf_field", move || {
            // The field's name is checked at start-up and the token is hex: nothing to escape.
            Value::from_safe_string(format!(
                r#"<input type="hidden" name="{field}" value="{}">"#,
                b.token()
            ))
        });
        req.extensions_mut().insert(BrowserSlot(browser.clone()));
        if ex.method().is_safe() {
            return Before::Continue;
        }
        let own = || origin::normalize(&base).unwrap_or_else(|| base.to_ascii_lowercase());
        if let Err(e) = origin::check(req, own, &cfg.trusted) {
            return Before::Respond(HttpResponse::from_error(e));
        }
        let exempt = cfg.exempt(req);
        if exempt && !crate::body::has_parked_form(req) {
            return Before::Continue;
        }
        Before::Pending(Box::pin(async move {
            // Taken out of the form even when not needed: the handler never sees it.
            let from_form = match crate::body::take_form_field(req, &cfg.field).await {
                Ok(values) => values,
                Err(e) => return Some(HttpResponse::from_error(e)),
            };
            if exempt {
                return None;
            }
            let from_header = cfg
                .header_name
                .as_ref()
                .and_then(|h| req.headers().get(h))
                .map(|v| v.to_str().unwrap_or(""));
            verify(cfg, browser.cookie, from_header, &from_form)
                .err()
                .map(HttpResponse::from_error)
        }))
    }

    fn after_handler<'a>(
        &'a self,
        _: &'a CsrfConfig,
        ex: &'a Exchange,
        mut res: HttpResponse,
    ) -> After<'a> {
        let slot = ex.request().extensions().get::<BrowserSlot>().cloned();
        if let Some(BrowserSlot(b)) = slot
            && b.rendered.load(Ordering::Relaxed)
        {
            make_private(&mut res);
            // A token masked afresh each time: no tag of these bytes validates anything.
            crate::tools::mark_per_request_body(&mut res);
            if let Some(Some(secret)) = b.fresh.get() {
                let cookie = Cookie::build(Browser::cookie_name(b.https), secret.to_cookie())
                    .path("/")
                    .http_only(true)
                    .same_site(SameSite::Lax)
                    .secure(b.https)
                    .max_age(actix_web::cookie::time::Duration::days(365))
                    .finish();
                if let Err(e) = res.add_cookie(&cookie) {
                    tracing::error!("cannot set the CSRF cookie: {e}");
                }
            }
        }
        After::Done(res)
    }

    fn responses(&self, _: &CsrfConfig, method: &str) -> Vec<(u16, &'static str)> {
        if matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE") {
            return Vec::new();
        }
        vec![(
            403,
            "the CSRF check failed: no token made for this browser, or a request another \
             site's page sent",
        )]
    }
}

/// Whether one of the tokens sent was made for the browser's secret.
fn verify(
    cfg: &CsrfConfig,
    cookie: Option<Secret>,
    header: Option<&str>,
    form: &[String],
) -> Result<(), HttpError> {
    if header.is_none() && form.is_empty() {
        return Err(HttpError::forbidden(format!(
            "The CSRF check failed: the request carries no CSRF token (form field `{}` or \
             header `{}`); reload the form and submit it again.",
            cfg.field, cfg.header
        )));
    }
    let Some(secret) = cookie else {
        return Err(HttpError::forbidden(
            "The CSRF check failed: the browser sent no CSRF cookie; reload the form (with \
             cookies enabled) and submit it again.",
        ));
    };
    let mut sent = header.into_iter().chain(form.iter().map(String::as_str));
    if sent.any(|t| secret.accepts(t)) {
        Ok(())
    } else {
        Err(HttpError::forbidden(
            "The CSRF check failed: the CSRF token was not made for this browser; reload the \
             form and submit it again.",
        ))
    }
}

/// Marks a response that carries a token as for its browser alone: `private`, without
/// `public` or `s-maxage`, unless it says `private` or `no-store` already.
fn make_private(res: &mut HttpResponse) {
    let value = match res
        .headers()
        .get(header::CACHE_CONTROL)
        .map(|v| v.to_str().unwrap_or(""))
    {
        None => "private".to_owned(),
        Some(v) => {
            let directives: Vec<&str> = v
                .split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .collect();
            let name = |d: &str| {
                d.split('=')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            };
            if directives
                .iter()
                .any(|d| matches!(name(d).as_str(), "private" | "no-store"))
            {
                return;
            }
            std::iter::once("private")
                .chain(
                    directives
                        .into_iter()
                        .filter(|d| !matches!(name(d).as_str(), "public" | "s-maxage")),
                )
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    if let Ok(v) = HeaderValue::from_str(&value) {
        res.headers_mut().insert(header::CACHE_CONTROL, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn private(cc: Option<&str>) -> Option<String> {
        let mut res = HttpResponse::Ok().finish();
        if let Some(cc) = cc {
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_str(cc).unwrap());
        }
        make_private(&mut res);
        res.headers()
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    #[test]
    fn pages_with_a_token_are_private() {
        assert_eq!(private(None).as_deref(), Some("private"));
        assert_eq!(
            private(Some("public, max-age=600, s-maxage=3600")).as_deref(),
            Some("private, max-age=600")
        );
        assert_eq!(private(Some("no-store")).as_deref(), Some("no-store"));
        assert_eq!(
            private(Some("Private, max-age=5")).as_deref(),
            Some("Private, max-age=5")
        );
    }

    #[test]
    fn tokens_are_verified_against_the_cookie() {
        let cfg = CsrfConfig::default();
        let secret = Secret::random().unwrap();
        let token = secret.token().unwrap();
        assert!(verify(&cfg, Some(secret), Some(&token), &[]).is_ok());
        assert!(verify(&cfg, Some(secret), None, &["x".into(), token.clone()]).is_ok());
        let none = verify(&cfg, Some(secret), None, &[]).unwrap_err();
        assert!(none.message().contains("carries no CSRF token"));
        let no_cookie = verify(&cfg, None, Some(&token), &[]).unwrap_err();
        assert!(no_cookie.message().contains("no CSRF cookie"));
        let other = Secret::random().unwrap();
        let wrong = verify(&cfg, Some(other), Some(&token), &[]).unwrap_err();
        assert!(wrong.message().contains("not made for this browser"));
        assert_eq!(wrong.status(), actix_web::http::StatusCode::FORBIDDEN);
    }
}
