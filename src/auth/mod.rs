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
//! `remember_secs` (60 by default), keyed by a SHA-256 of the user and the password under a
//! key drawn at start, so a hit needs the same password and the memory holds no password.
//! Changing a password takes effect for Basic clients within that time (0 turns it off).
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

/// The methods a tool's `methods` setting names, checked when the settings are read: empty
/// means every method.
fn covers(methods: &[Method], method: &Method) -> bool {
    methods.is_empty() || methods.contains(method)
}

/// `methods = [...]` as read from a configuration.
fn parse_methods(raw: &[String]) -> Result<Vec<Method>, String> {
    raw.iter()
        .map(|m| {
            Method::from_bytes(m.to_ascii_uppercase().as_bytes())
                .map_err(|_| format!("{m:?} is not an HTTP method"))
        })
        .collect()
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

/// What a verified identity may do here: `None` when `allow` admits it (or is empty), else
/// the 403.
fn refuse_unless_allowed(
    allow: &[String],
    id: &crate::tools::Identity,
) -> Option<actix_web::HttpResponse> {
    if allow.is_empty() || allow.iter().any(|a| a == id.name()) {
        None
    } else {
        Some(actix_web::HttpResponse::from_error(
            crate::HttpError::forbidden("Your account may not do this here."),
        ))
    }
}
