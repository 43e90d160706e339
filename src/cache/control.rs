//! Reading `Cache-Control`, `Pragma`, `If-None-Match` and freshness (RFC 9111, RFC 9110 §13).

use std::time::{Duration, SystemTime};

use actix_web::http::header::{self, HeaderMap, HeaderValue};

/// The longest freshness lifetime the cache keeps: 2^31 seconds (about 68 years), the value
/// RFC 9111 §1.2.2 gives any larger delta-seconds. Every lifetime is clamped to it, so stored
/// times and TTLs never overflow.
pub(crate) const MAX_LIFETIME: Duration = Duration::from_secs(1 << 31);

/// A delta-seconds value (`1*DIGIT`), saturated at [`MAX_LIFETIME`]; `None` when malformed.
fn delta_seconds(v: &str) -> Option<Duration> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs = v.parse::<u64>().unwrap_or(u64::MAX);
    Some(Duration::from_secs(secs).min(MAX_LIFETIME))
}

/// What a request's `Cache-Control` (or `Pragma`) asks of the cache.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestDirectives {
    /// `no-cache` (or `Pragma: no-cache`): do not answer from the cache; refresh it.
    pub(crate) no_cache: bool,
    /// `no-store`: do not store the answer.
    pub(crate) no_store: bool,
    /// `max-age=N`: a stored answer older than N seconds is not acceptable.
    pub(crate) max_age: Option<u64>,
}

/// Why a header was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Malformed(pub(crate) &'static str);

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Splits a `Cache-Control` value into (name, value) directives; `Err` when malformed.
pub(crate) fn directives(v: &str) -> Result<Vec<(String, Option<String>)>, ()> {
    let mut out = Vec::new();
    for part in v.split(',') {
        let part = part.trim_matches([' ', '\t']);
        if part.is_empty() {
            continue;
        }
        let (name, value) = match part.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (part, None),
        };
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Err(());
        }
        let value = match value {
            None => None,
            Some(v) if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') => {
                Some(v[1..v.len() - 1].to_owned())
            }
            Some(v) if !v.is_empty() && v.bytes().all(is_tchar) => Some(v.to_owned()),
            Some(_) => return Err(()),
        };
        out.push((name.to_ascii_lowercase(), value));
    }
    Ok(out)
}

/// A request's directives. A malformed `Cache-Control` is an error (400).
pub(crate) fn request(headers: &HeaderMap) -> Result<RequestDirectives, Malformed> {
    let mut d = RequestDirectives::default();
    let mut any_cc = false;
    for v in headers.get_all(header::CACHE_CONTROL) {
        any_cc = true;
        let v = v.to_str().map_err(|_| Malformed("Cache-Control"))?;
        for (name, value) in directives(v).map_err(|()| Malformed("Cache-Control"))? {
            match name.as_str() {
                "no-cache" => d.no_cache = true,
                "no-store" => d.no_store = true,
                "max-age" => {
                    let n = value
                        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                        .ok_or(Malformed("Cache-Control"))?;
                    // delta-seconds saturate (RFC 9111 §1.2.2).
                    d.max_age = Some(n.parse().unwrap_or(u64::MAX));
                }
                _ => {}
            }
        }
    }
    if !any_cc {
        d.no_cache = pragma_no_cache(headers);
    }
    Ok(d)
}

/// `Pragma: no-cache`, which counts only without `Cache-Control` (RFC 9111 §5.4): callers
/// check that.
fn pragma_no_cache(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::PRAGMA)
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|p| p.trim().eq_ignore_ascii_case("no-cache"))
        })
}

/// Whether a response may be shared with requests that carry credentials (RFC 9111 §3.5).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sharing {
    /// `public`: with any request, cookies included.
    pub(crate) public: bool,
    /// `public`, `s-maxage` or `must-revalidate`: with requests that carry `Authorization`.
    pub(crate) authorized: bool,
}

impl Sharing {
    fn read(&mut self, directive: &str) {
        match directive {
            "public" => {
                self.public = true;
                self.authorized = true;
            }
            "s-maxage" | "must-revalidate" => self.authorized = true,
            _ => {}
        }
    }
}

/// The [`Sharing`] of a stored response, from its `Cache-Control` values.
pub(crate) fn sharing<'v>(cache_control: impl Iterator<Item = &'v HeaderValue>) -> Sharing {
    let mut s = Sharing::default();
    for v in cache_control {
        let Some(ds) = v.to_str().ok().and_then(|v| directives(v).ok()) else {
            // Unreadable: shared with nobody who carries credentials.
            return Sharing::default();
        };
        for (name, _) in ds {
            s.read(&name);
        }
    }
    s
}

/// What a response's headers say about storing it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ResponsePolicy {
    pub(crate) no_store: bool,
    pub(crate) private: bool,
    pub(crate) sharing: Sharing,
    /// Freshness lifetime from `s-maxage`, `max-age` or `Expires`.
    pub(crate) lifetime: Option<Duration>,
}

pub(crate) fn response(headers: &HeaderMap, now: SystemTime) -> ResponsePolicy {
    let mut p = ResponsePolicy::default();
    let mut max_age = None;
    let mut s_maxage = None;
    for v in headers.get_all(header::CACHE_CONTROL) {
        let Ok(v) = v.to_str() else {
            p.no_store = true;
            continue;
        };
        let Ok(ds) = directives(v) else {
            // A response we cannot read is not stored.
            p.no_store = true;
            continue;
        };
        for (name, value) in ds {
            let secs = || value.as_deref().and_then(delta_seconds);
            p.sharing.read(&name);
            match name.as_str() {
                "no-store" => p.no_store = true,
                "private" => p.private = true,
                // no-cache responses may be stored but must be revalidated: drupe does not
                // revalidate, so it does not store them.
                "no-cache" => p.no_store = true,
                "max-age" => max_age = secs(),
                "s-maxage" => s_maxage = secs(),
                _ => {}
            }
        }
    }
    if !headers.contains_key(header::CACHE_CONTROL) && pragma_no_cache(headers) {
        p.no_store = true;
    }
    p.lifetime = s_maxage.or(max_age).or_else(|| {
        let expires = headers.get(header::EXPIRES)?.to_str().ok()?;
        // An invalid Expires means "already expired" (RFC 9111 §5.3).
        let at = httpdate::parse_http_date(expires).unwrap_or(SystemTime::UNIX_EPOCH);
        Some(
            at.duration_since(now)
                .unwrap_or(Duration::ZERO)
                .min(MAX_LIFETIME),
        )
    });
    p
}

/// `If-None-Match`: `*` or a list of entity tags. `Err` when malformed.
pub(crate) enum IfNoneMatch {
    Any,
    Tags(Vec<String>),
}

pub(crate) fn if_none_match(headers: &HeaderMap) -> Result<Option<IfNoneMatch>, Malformed> {
    let mut tags = Vec::new();
    let mut seen = false;
    for v in headers.get_all(header::IF_NONE_MATCH) {
        seen = true;
        let v = v.to_str().map_err(|_| Malformed("If-None-Match"))?.trim();
        if v == "*" {
            return Ok(Some(IfNoneMatch::Any));
        }
        for t in v.split(',') {
            let t = t.trim();
            if t.is_empty() {
                continue;
            }
            let opaque = t.strip_prefix("W/").unwrap_or(t);
            let ok = opaque.len() >= 2
                && opaque.starts_with('"')
                && opaque.ends_with('"')
                && !opaque[1..opaque.len() - 1].contains('"');
            if !ok {
                return Err(Malformed("If-None-Match"));
            }
            tags.push(opaque.to_owned());
        }
    }
    Ok(seen.then_some(IfNoneMatch::Tags(tags)))
}

/// Weak comparison of an entity tag with `If-None-Match` (RFC 9110 §13.1.2).
pub(crate) fn none_match_hits(inm: &IfNoneMatch, etag: &str) -> bool {
    let etag = etag.strip_prefix("W/").unwrap_or(etag);
    match inm {
        IfNoneMatch::Any => true,
        IfNoneMatch::Tags(t) => t.iter().any(|x| x == etag),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.append(
                header::HeaderName::from_static(k),
                HeaderValue::from_static(v),
            );
        }
        m
    }

    #[test]
    fn request_directives() {
        let d = request(&map(&[("cache-control", "no-cache, max-age=30")])).unwrap();
        assert!(d.no_cache && !d.no_store);
        assert_eq!(d.max_age, Some(30));
        assert!(request(&map(&[("pragma", "no-cache")])).unwrap().no_cache);
        assert!(
            !request(&map(&[
                ("pragma", "no-cache"),
                ("cache-control", "max-age=5")
            ]))
            .unwrap()
            .no_cache
        );
        for bad in [
            "max-age=abc",
            "max-age=",
            "max-age=-1",
            "no cache",
            "=5",
            "max-age=\"5",
        ] {
            assert!(request(&map(&[("cache-control", bad)])).is_err(), "{bad}");
        }
        assert_eq!(
            request(&map(&[(
                "cache-control",
                "max-age=99999999999999999999999"
            )]))
            .unwrap()
            .max_age,
            Some(u64::MAX)
        );
    }

    #[test]
    fn response_policy() {
        let now = SystemTime::now();
        let p = response(
            &map(&[("cache-control", "public, max-age=60, s-maxage=30")]),
            now,
        );
        assert!(p.sharing.public && p.sharing.authorized && !p.private && !p.no_store);
        assert_eq!(p.lifetime, Some(Duration::from_secs(30)));
        assert!(response(&map(&[("cache-control", "private")]), now).private);
        assert!(response(&map(&[("cache-control", "no-store")]), now).no_store);
        assert!(response(&map(&[("pragma", "no-cache")]), now).no_store);
        assert!(
            !response(
                &map(&[("pragma", "no-cache"), ("cache-control", "max-age=5")]),
                now
            )
            .no_store
        );
        assert_eq!(
            response(&map(&[("expires", "garbage")]), now).lifetime,
            Some(Duration::ZERO)
        );
        assert_eq!(response(&map(&[]), now).lifetime, None);
        for huge in [
            ("cache-control", "max-age=18446744073709551615"),
            ("cache-control", "s-maxage=99999999999999999999999"),
            ("expires", "Fri, 31 Dec 9999 23:59:59 GMT"),
        ] {
            assert_eq!(
                response(&map(&[huge]), now).lifetime,
                Some(MAX_LIFETIME),
                "{huge:?}"
            );
        }
        let shared = |cc| response(&map(&[("cache-control", cc)]), now).sharing;
        assert_eq!(
            shared("s-maxage=5"),
            Sharing {
                public: false,
                authorized: true
            }
        );
        assert_eq!(shared("max-age=5, must-revalidate"), shared("s-maxage=5"));
        assert_eq!(shared("max-age=5"), Sharing::default());
        let values = [
            HeaderValue::from_static("max-age=5"),
            HeaderValue::from_static("Public"),
        ];
        assert!(sharing(values.iter()).public);
        let values = [
            HeaderValue::from_static("public"),
            HeaderValue::from_static("a b"),
        ];
        assert_eq!(sharing(values.iter()), Sharing::default());
    }

    #[test]
    fn entity_tags() {
        let inm = if_none_match(&map(&[("if-none-match", "W/\"a\", \"b\"")]))
            .unwrap()
            .unwrap();
        assert!(none_match_hits(&inm, "\"a\""));
        assert!(none_match_hits(&inm, "W/\"b\""));
        assert!(!none_match_hits(&inm, "\"c\""));
        assert!(if_none_match(&map(&[("if-none-match", "abc")])).is_err());
        assert!(matches!(
            if_none_match(&map(&[("if-none-match", "*")])),
            Ok(Some(IfNoneMatch::Any))
        ));
        assert!(if_none_match(&map(&[])).unwrap().is_none());
    }
}
