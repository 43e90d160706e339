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

/// What each byte is in an id: 0 not base64url (`A`–`Z`, `a`–`z`, `0`–`9`, `-`, `_`); 1
/// base64url; 3 base64url with the two low bits of its value zero, as the last character of
/// an id must be (see [`well_formed`]).
const fn lut() -> [u8; 256] {
    let mut t = [0u8; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = if i & 0b11 == 0 { 3 } else { 1 };
        i += 1;
    }
    t
}

static BASE64URL: [u8; 256] = lut();

/// Whether `value` has the shape of an id this code makes: 43 characters of base64url that
/// decode to 32 bytes canonically. Checked without decoding (this runs for every request
/// under the tool): 43 characters carry 258 bits, so the last one's two low bits, beyond the
/// 256th, must be zero.
pub(super) fn well_formed(value: &[u8]) -> bool {
    match value.split_last() {
        Some((&last, rest)) if value.len() == ID_LEN => {
            BASE64URL[usize::from(last)] & 2 != 0
                && rest.iter().all(|&c| BASE64URL[usize::from(c)] != 0)
        }
        _ => false,
    }
}

/// What the request sent: the first well-formed id among the cookies of the session's name,
/// and whether it sent any cookie of that name.
pub(super) fn sent(req: &HttpRequest, name: &str) -> (Option<String>, bool) {
    // The `Cookie` headers are read here rather than through `HttpRequest::cookies`, which
    // parses, decodes and stores every cookie of the request: this runs for every request
    // under the tool, and an id needs no decoding (`well_formed` admits base64url only).
    let mut any = false;
    for value in req.headers().get_all(header::COOKIE) {
        for pair in value.as_bytes().split(|&b| b == b';') {
            let Some(eq) = pair.iter().position(|&b| b == b'=') else {
                continue;
            };
            if pair[..eq].trim_ascii() != name.as_bytes() {
                continue;
            }
            any = true;
            let v = pair[eq + 1..].trim_ascii();
            if well_formed(v) {
                // Base64url is ASCII.
                return (std::str::from_utf8(v).ok().map(str::to_owned), true);
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
        assert!(well_formed(a.as_bytes()) && well_formed(b.as_bytes()));
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
            assert!(!well_formed(bad.as_bytes()), "{bad:?}");
        }
    }

    /// The check without decoding agrees with decoding, on every last character and on
    /// every byte in every place.
    #[test]
    fn well_formed_agrees_with_a_canonical_decode() {
        let decodes = |v: &str| URL_SAFE_NO_PAD.decode(v).is_ok_and(|b| b.len() == ID_BYTES);
        let id = new_id().unwrap();
        for at in [0, 17, ID_LEN - 1] {
            for c in 0u8..=255 {
                let mut v = id.clone().into_bytes();
                v[at] = c;
                let decoded = std::str::from_utf8(&v).is_ok_and(decodes);
                assert_eq!(well_formed(&v), decoded, "{v:?}");
            }
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
