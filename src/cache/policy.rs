//! Who may be served what: the rules that keep one client's answer from another.
//!
//! A shared cache must not hand a response computed for one visitor to another. The request
//! tells us when its answer may be personal: it carries a `Cookie` (a session, a CSRF token)
//! or `Authorization`. Following nginx and Varnish, and RFC 9111 §3.5:
//!
//! - a request with `Cookie` is answered only from entries whose response said
//!   `Cache-Control: public`, and its own response is stored only if it says `public`;
//! - a request with `Authorization` is answered only from entries whose response said
//!   `public`, `s-maxage` or `must-revalidate` (the directives under which §3.5 lets a
//!   shared cache store an answer to such a request), and its own response is stored only
//!   under the same directives. An anonymous entry is not served to it either: the
//!   credentialed user may be entitled to more than the anonymous view;
//! - a response with `Set-Cookie`, `private` or `no-store` is never stored, whoever asked;
//! - only `GET` stores: a `HEAD` response's body is not the `GET` body (a resource may
//!   implement `HEAD` itself), so a `HEAD` is answered from stored `GET`s but stores nothing.
//!
//! A response that depends on the cookie and says `public` should also say `Vary: Cookie`:
//! then each cookie value has its own variant.

use actix_web::http::header::{self, HeaderMap};
use actix_web::http::{Method, StatusCode};

use super::CachingConfig;
use super::control::{ResponsePolicy, Sharing};

/// What a request carries that may make its answer personal.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Credentials {
    cookie: bool,
    authorization: bool,
}

impl Credentials {
    /// The request's credentials, from its headers.
    pub(super) fn of(headers: &HeaderMap) -> Self {
        Self {
            cookie: headers.contains_key(header::COOKIE),
            authorization: headers.contains_key(header::AUTHORIZATION),
        }
    }

    /// Whether it carries any.
    pub(super) fn any(self) -> bool {
        self.cookie || self.authorization
    }

    /// Whether a response that says `sharing` may go to (or be stored from) this request.
    pub(super) fn may_share(self, sharing: Sharing) -> bool {
        (!self.cookie || sharing.public) && (!self.authorization || sharing.authorized)
    }
}

/// Whether a request with `method` may store its response.
pub(super) fn method_stores(method: &Method) -> bool {
    *method == Method::GET
}

/// Whether a response (`status`, `headers`, read as `policy`) to a request with `credentials`
/// may be stored.
pub(super) fn storable(
    cfg: &CachingConfig,
    status: StatusCode,
    headers: &HeaderMap,
    policy: &ResponsePolicy,
    credentials: Credentials,
) -> bool {
    cfg.cacheable.contains(&status.as_u16())
        && !headers.contains_key(header::SET_COOKIE)
        && !policy.no_store
        && !policy.private
        && credentials.may_share(policy.sharing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn creds(pairs: &[(header::HeaderName, &'static str)]) -> Credentials {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.insert(n.clone(), HeaderValue::from_static(v));
        }
        Credentials::of(&h)
    }

    #[test]
    fn credentials_share_only_what_the_response_allows() {
        let none = Sharing::default();
        let authorized = Sharing {
            public: false,
            authorized: true,
        };
        let public = Sharing {
            public: true,
            authorized: true,
        };
        let anonymous = creds(&[]);
        let cookie = creds(&[(header::COOKIE, "a=1")]);
        let auth = creds(&[(header::AUTHORIZATION, "Bearer x")]);
        let both = creds(&[(header::COOKIE, "a=1"), (header::AUTHORIZATION, "Bearer x")]);
        assert!(!anonymous.any() && cookie.any() && auth.any());
        for s in [none, authorized, public] {
            assert!(anonymous.may_share(s));
        }
        assert_eq!(
            [none, authorized, public].map(|s| cookie.may_share(s)),
            [false, false, true]
        );
        assert_eq!(
            [none, authorized, public].map(|s| auth.may_share(s)),
            [false, true, true]
        );
        assert_eq!(
            [none, authorized, public].map(|s| both.may_share(s)),
            [false, false, true]
        );
    }
}
