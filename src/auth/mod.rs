//! Authentication by credentials a client sends with every request: `tools.auth_basic`
//! (RFC 7617) and `tools.auth_bearer` (RFC 6750), and the password hashing an application's
//! [`Verifier`](crate::tools::Verifier) uses.
//!
//! Each tool checks the `Authorization` header of the requests it covers — all methods, or
//! only those of its `methods` setting (`["POST", "PUT", "DELETE"]` keeps reads public) —
//! with the application's verifier, puts the caller's [`Identity`](crate::tools::Identity) in
//! the request for the handler, and answers itself otherwise:
//!
//! - no credentials, or wrong ones → 401 with `WWW-Authenticate` (both challenges when both
//!   tools are on at the path: a client may use either);
//! - an `Authorization` header that cannot be read (bad base64, no `:`) → 400 saying so;
//! - an authenticated caller outside the tool's `allow` list → 403;
//! - a client or an account out of attempts → 429 with `Retry-After`, before any check (the
//!   `rate_limit` tool's [`Attempts`](crate::tools::Attempts), when it covers the path).
//!
//! A password hash is slow on purpose (argon2: tens of milliseconds), and a Basic client sends
//! its password with every request: a verification that held is remembered for
//! `remember_secs` (60 by default), keyed by a SHA-256 of the Basic token under a key drawn at
//! start, so a hit needs the same user and password, decodes nothing, and the memory holds no
//! password. Changing a password takes effect for Basic clients within that time (0 turns it
//! off).
//!
//! ```toml
//! ["/services/rest"]
//! tools.auth_basic.on = true
//! tools.auth_basic.realm = "photoblog"
//! tools.auth_basic.methods = ["POST", "PUT", "DELETE"]
//! ```

mod basic;
mod bearer;
mod header;
mod login;
mod password;
mod remember;

pub use basic::{AuthBasic, AuthBasicConfig};
pub use bearer::{AuthBearer, AuthBearerConfig, TokenVerifier, token_verifier_fn};
pub use login::{SessionAuth, SessionAuthConfig, SignedIn};
pub use password::{hash_password, verify_password};

use actix_web::http::Method;

/// Whom a tool asks for credentials and whom it lets through: its `methods` setting (every
/// method when empty) and its `allow` setting (any account when empty), read once.
#[derive(Debug, Clone)]
struct Policy {
    methods: Vec<Method>,
    allow: Vec<String>,
}

impl Policy {
    /// `methods = [...]` and `allow = [...]` as read from a configuration.
    fn parse(methods: &[String], allow: Vec<String>) -> Result<Self, String> {
        let methods = methods
            .iter()
            .map(|m| {
                Method::from_bytes(m.to_ascii_uppercase().as_bytes())
                    .map_err(|_| format!("{m:?} is not an HTTP method"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { methods, allow })
    }

    /// Whether requests of `method` need credentials.
    fn covers(&self, method: &Method) -> bool {
        self.methods.is_empty() || self.methods.contains(method)
    }

    /// [`Policy::covers`] for a method's name (the OpenAPI hooks); false for a name that is no
    /// method.
    fn covers_named(&self, method: &str) -> bool {
        Method::from_bytes(method.as_bytes()).is_ok_and(|m| self.covers(&m))
    }

    /// What the tool answers itself to `method`: `own` where it asks for credentials, with
    /// the 403 of an account outside `allow`.
    fn responses(&self, method: &str, own: &[(u16, &'static str)]) -> Vec<(u16, &'static str)> {
        if !self.covers_named(method) {
            return Vec::new();
        }
        let mut r = own.to_vec();
        if !self.allow.is_empty() {
            r.push((403, "The account may not do this here."));
        }
        r
    }

    /// Lets `id` through to the handler (puts it in `req`) if `allow` admits it; else the
    /// 403.
    fn admit(
        &self,
        id: crate::tools::Identity,
        req: &actix_web::HttpRequest,
    ) -> Option<actix_web::HttpResponse> {
        let refused = self.refuse(&id);
        if refused.is_none() {
            id.attach(req);
        }
        refused
    }

    /// `None` when `allow` admits `id` (or is empty), else the 403.
    fn refuse(&self, id: &crate::tools::Identity) -> Option<actix_web::HttpResponse> {
        if self.allow.is_empty() || self.allow.iter().any(|a| a == id.name()) {
            None
        } else {
            Some(actix_web::HttpResponse::from_error(
                crate::HttpError::forbidden("Your account may not do this here."),
            ))
        }
    }
}

/// A realm as it goes in a challenge's quoted string: refused when it would need escaping.
fn check_realm(realm: &str) -> Result<(), String> {
    if realm
        .chars()
        .any(|c| c == '"' || c == '\\' || c.is_control())
    {
        Err(format!(
            "{realm:?}: a realm may not contain quotes, backslashes or control characters"
        ))
    } else {
        Ok(())
    }
}

/// The request's failed-credentials budget, checked for `account`: `Err` is the 429 to send
/// (boxed: a response is large beside the budget).
fn gate(
    req: &actix_web::HttpRequest,
    account: &str,
) -> Result<Option<std::sync::Arc<dyn crate::tools::Attempts>>, Box<actix_web::HttpResponse>> {
    match crate::tools::attempts(req) {
        Some(a) => match a.check(account) {
            Ok(()) => Ok(Some(a)),
            Err(wait) => Err(Box::new(actix_web::HttpResponse::from_error(
                crate::tools::too_many_attempts(wait),
            ))),
        },
        None => Ok(None),
    }
}

/// 401 with the tool's challenges and `message`.
fn unauthorized(
    message: &'static str,
    challenges: &[actix_web::http::header::HeaderValue],
) -> actix_web::HttpResponse {
    let mut err = crate::HttpError::unauthorized(message);
    for c in challenges {
        err = err.with_header(actix_web::http::header::WWW_AUTHENTICATE, c.clone());
    }
    actix_web::HttpResponse::from_error(err)
}
