//! Session ids and the cookie that carries them.
//!
//! An id is 256 bits from the operating system's random source, written in base64url without
//! padding (43 characters): nothing about it can be guessed, and a cookie value of any other
//! shape is refused before it reaches a store. The cookie is written only when the id changes:
//! a new session, a renewed one (its new id) or a purged one (the cookie expired).

use std::time::Duration;

use actix_web::cookie::{Cookie, SameSite as CookieSameSite, time};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::config::{SameSite, SessionsConfig};

/// Bytes of randomness in an id.
const ID_BYTES: usize = 32;
/// Characters of an id: 32 bytes in base64url without padding.
const ID_LEN: usize = 43;

/// A new id, or the random source's failure.
pub(super) fn new_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; ID_BYTES];
    getrandom::fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether `value` has the shape of an id this code makes (43 characters of base64url that
/// decode to 32 bytes, canonically).
pub(super) fn well_formed(value: &str) -> bool {
    value.len() == ID_LEN
        && URL_SAFE_NO_PAD
            .decode(value)
            .is_ok_and(|b| b.len() == ID_BYTES)
}

/// What the request sent: the first well-formed id among the cookies of the session's name,
/// and whether it sent any cookie of that name.
pub(super) fn sent(req: &HttpRequest, name: &str) -> (Option<String>, bool) {
    // The `Cookie` headers are read here rather than through `HttpRequest::cookies`, which
    // parses, decodes and stores every cookie of the request: this runs for every request
    // under the tool, and an id needs no decoding (`well_formed` admits base64url only).
    let mut any = false;
    for value in req.headers().get_all(header::COOKIE) {
        let Ok(value) = value.to_str() else {
            continue;
        };
        for pair in value.split(';') {
            let Some((n, v)) = pair.split_once('=') else {
                continue;
            };
            if n.trim() != name {
                continue;
            }
            any = true;
            let v = v.trim();
            if well_formed(v) {
                return (Some(v.to_owned()), true);
            }
        }
    }
    (None, any)
}

/// What the response says about the cookie.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum CookieUpdate {
    /// Nothing: the id did not change.
    Keep,
    /// The session's (new) id; a persistent cookie lives `max_age`.
    Set { id: String, max_age: Duration },
    /// The session was purged: the cookie expires.
    Expire,
}

/// Writes `update` to `res` as a `Set-Cookie`; `secure` when the cookie may travel only over
/// HTTPS.
pub(super) fn write(
    cfg: &SessionsConfig,
    secure: bool,
    update: CookieUpdate,
    res: &mut HttpResponse,
) {
    let (value, max_age) = match update {
        CookieUpdate::Keep => return,
        CookieUpdate::Set { id, max_age } => (id, cfg.persistent.then_some(max_age)),
        CookieUpdate::Expire => (String::new(), None),
    };
    let expire = value.is_empty();
    let mut builder = Cookie::build(cfg.name.clone(), value)
        .path(cfg.path.clone())
        .http_only(cfg.httponly)
        .secure(secure)
        .same_site(match cfg.samesite {
            SameSite::Lax => CookieSameSite::Lax,
            SameSite::Strict => CookieSameSite::Strict,
            SameSite::None => CookieSameSite::None,
        });
    if let Some(domain) = &cfg.domain {
        builder = builder.domain(domain.clone());
    }
    if let Some(age) = max_age {
        // Rounded up: a new session's cookie lives the whole absolute timeout.
        let secs = age.as_secs() + u64::from(age.subsec_nanos() > 0);
        let secs = i64::try_from(secs).unwrap_or(i64::MAX);
        builder = builder.max_age(time::Duration::seconds(secs));
    }
    let mut cookie = builder.finish();
    if expire {
        cookie.make_removal();
    }
    // The settings were checked when the application was built: the cookie is valid text.
    if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_43_random_characters_and_nothing_else_passes() {
        let a = new_id().unwrap();
        let b = new_id().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), ID_LEN);
        assert!(well_formed(&a) && well_formed(&b));
        for bad in [
            "",
            "abc",
            &a[..42],
            &format!("{a}A"),
            &a.replace(|c: char| c.is_ascii_alphanumeric(), "+"),
            "../../../../etc/passwd/../../../../../../../..",
            // 43 characters, but not a canonical encoding of 32 bytes.
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
        ] {
            assert!(!well_formed(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_id_is_found_among_other_cookies_and_headers() {
        use actix_web::test::TestRequest;
        let id = new_id().unwrap();
        let of = |headers: &[&str]| {
            let mut r = TestRequest::default();
            for h in headers {
                r = r.append_header((header::COOKIE, *h));
            }
            sent(&r.to_http_request(), "session_id")
        };
        assert_eq!(of(&[]), (None, false));
        assert_eq!(of(&["a=1; b=2"]), (None, false));
        assert_eq!(
            of(&[&format!("a=1; session_id={id}; b=2")]),
            (Some(id.clone()), true)
        );
        assert_eq!(
            of(&["a=1", &format!("session_id={id}")]),
            (Some(id.clone()), true)
        );
        // A malformed one first, then the good one; a name that only ends the same is another.
        assert_eq!(
            of(&[&format!("session_id=nope;session_id={id}")]),
            (Some(id.clone()), true)
        );
        assert_eq!(of(&[&format!("xsession_id={id}")]), (None, false));
        assert_eq!(of(&["session_id=../../etc"]), (None, true));
    }
}
