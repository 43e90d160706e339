//! Conditional requests (RFC 9110 §13): validators and the evaluation of preconditions.
//!
//! This module owns how drupe makes a validator — a strong entity tag from a representation's
//! bytes ([`strong_etag`]) or from a version the application keeps ([`version_tag`]) — and
//! the one evaluation of `If-Match`, `If-Unmodified-Since`, `If-None-Match` and
//! `If-Modified-Since` in the order of §13.2.2 ([`evaluate`]), for a response about to be sent
//! (a GET) and for a change about to be made (PUT, PATCH, DELETE) alike. It knows nothing of
//! tools or handlers: callers say what the current representations are.

use std::time::SystemTime;

use actix_web::http::Method;
use actix_web::http::header::{self, EntityTag, HeaderMap, HeaderValue};

use super::encoding::Coding;

/// A strong entity tag computed from a representation's bytes (XXH3-128): equal bytes, equal
/// tags; any change, another tag (§8.8.3).
pub(crate) fn strong_etag(body: &[u8]) -> HeaderValue {
    // The hex digits written by hand: `format!("{h:032x}")` cost two thousand instructions a
    // request, a tenth of a small negotiated answer's.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let h = xxhash_rust::xxh3::xxh3_128(body).to_be_bytes();
    let mut text = [b'"'; 34];
    for (i, b) in h.iter().enumerate() {
        text[1 + 2 * i] = HEX[usize::from(b >> 4)];
        text[2 + 2 * i] = HEX[usize::from(b & 15)];
    }
    HeaderValue::from_bytes(&text).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// The strong tag of version `version` of a resource in the representation of media type
/// `media` (`"7-json"`, `"7-atom+xml"`; `"7"` without one): two representations of one
/// version have different tags, as strong validators must (§8.8.3). A version that is not
/// made of visible ASCII other than `"` is hashed into one that is.
pub(crate) fn version_tag(version: &str, media: Option<&str>) -> HeaderValue {
    let clean = !version.is_empty()
        && version
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
    let version = if clean {
        std::borrow::Cow::Borrowed(version)
    } else {
        let h = xxhash_rust::xxh3::xxh3_64(version.as_bytes());
        std::borrow::Cow::Owned(format!("{h:016x}"))
    };
    let subtype = media
        .map(|m| m.split(';').next().unwrap_or(m).trim())
        .and_then(|m| m.split_once('/'))
        .map(|(_, sub)| sub)
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic() && b != b'"'));
    let text = match subtype {
        Some(sub) => format!("\"{version}-{}\"", sub.to_ascii_lowercase()),
        None => format!("\"{version}\""),
    };
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// The version a handler gave its answer ([`version_tag`]'s input), kept in the response's
/// extensions so the tags of the resource's other representations can be made without
/// rendering them.
#[derive(Debug, Clone)]
pub(crate) struct Versioned(pub(crate) String);

/// An answer that tells validators and is no representation (`Validators`, a `head` verb's):
/// nothing to tag, and a `get` to ask when it tells none.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NotARepresentation;

/// What the server holds now for the target resource.
#[derive(Debug, Clone, Default)]
pub(crate) struct Current {
    /// Whether the resource has a current representation at all.
    pub(crate) exists: bool,
    /// The tags of its representations (one for each media type it is answered in).
    pub(crate) tags: Vec<EntityTag>,
    /// The media type of each tag, where known.
    pub(crate) media: Vec<Option<&'static str>>,
    /// When it last changed, if it says.
    pub(crate) last_modified: Option<SystemTime>,
}

impl Current {
    /// The representation answered by `headers` (its `ETag`, its `Last-Modified`).
    pub(crate) fn of_response(headers: &HeaderMap) -> Self {
        let tags: Vec<EntityTag> = headers
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .and_then(|t| t.parse().ok())
            .into_iter()
            .collect();
        Self {
            exists: true,
            media: vec![None; tags.len()],
            tags,
            last_modified: last_modified(headers),
        }
    }
}

/// What the preconditions decided (§13.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Go on: answer the request or make the change.
    Proceed,
    /// 304 Not Modified (GET and HEAD only).
    NotModified,
    /// 412 Precondition Failed, and why.
    Failed(&'static str),
}

/// Evaluates the request's preconditions against `current`, in the order of RFC 9110
/// §13.2.2: `If-Match`, else `If-Unmodified-Since`; then `If-None-Match`, else (GET and HEAD)
/// `If-Modified-Since`.
pub(crate) fn evaluate(method: &Method, headers: &HeaderMap, current: &Current) -> Outcome {
    let read = matches!(*method, Method::GET | Method::HEAD);
    if headers.contains_key(header::IF_MATCH) {
        // §13.1.1: strong comparison; `*` asks for any current representation. A tag the
        // compression tool derived from one of them (`"t-gzip"`) names it too.
        let ok = current.exists
            && listed(headers, header::IF_MATCH, |t| {
                current.tags.iter().any(|c| same_or_encoded(t, c, true))
            });
        if !ok {
            return Outcome::Failed(
                "If-Match names no current representation of the resource: it changed since it was read.",
            );
        }
    } else if let Some(since) = date(headers, header::IF_UNMODIFIED_SINCE)
        && let Some(lm) = current.last_modified
        && seconds(lm) > seconds(since)
    {
        // §13.1.4: ignored when the resource has no modification date.
        return Outcome::Failed("The resource was modified after If-Unmodified-Since.");
    }
    if headers.contains_key(header::IF_NONE_MATCH) {
        // §13.1.2: weak comparison; `*` asks for no current representation.
        // Before a change, a tag the compression tool derived names the representation too.
        let hit = current.exists
            && listed(headers, header::IF_NONE_MATCH, |t| {
                current.tags.iter().any(|c| {
                    if read {
                        t.weak_eq(c)
                    } else {
                        same_or_encoded(t, c, false)
                    }
                })
            });
        if hit {
            return if read {
                Outcome::NotModified
            } else {
                Outcome::Failed("If-None-Match names a current representation of the resource.")
            };
        }
    } else if read
        && let Some(since) = date(headers, header::IF_MODIFIED_SINCE)
        && let Some(lm) = current.last_modified
        && seconds(lm) <= seconds(since)
    {
        return Outcome::NotModified;
    }
    Outcome::Proceed
}

/// Whether one of the tags in the request's `name` field (or `*`) satisfies `hit`.
fn listed(headers: &HeaderMap, name: header::HeaderName, hit: impl Fn(&EntityTag) -> bool) -> bool {
    headers.get_all(name).any(|v| {
        v.to_str()
            .is_ok_and(|s| tags_in(s).any(|item| item.is_none_or(|t| hit(&t))))
    })
}

/// The items of an `If-Match` or `If-None-Match` value: `None` for `*`, `Some(tag)` for an
/// entity tag. Read by hand, quote to quote, because a tag may hold a comma (RFC 9110 §8.8.3:
/// `etagc` is any visible character but `"`) and a split on commas would cut it; an item
/// that is neither is skipped.
pub(crate) fn tags_in(value: &str) -> impl Iterator<Item = Option<EntityTag>> + '_ {
    let mut rest = value;
    std::iter::from_fn(move || {
        loop {
            rest = rest.trim_start_matches([' ', '\t', ',']);
            if rest.is_empty() {
                return None;
            }
            if let Some(after) = rest.strip_prefix('*') {
                rest = after;
                return Some(None);
            }
            let (weak, quoted) = match rest.strip_prefix("W/") {
                Some(r) => (true, r),
                None => (false, rest),
            };
            if let Some(body) = quoted.strip_prefix('"')
                && let Some(end) = body.find('"')
            {
                rest = &body[end + 1..];
                let tag = &body[..end];
                // etagc (§8.8.3): EntityTag's constructor panics on anything else.
                if tag
                    .bytes()
                    .all(|b| b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80)
                {
                    return Some(Some(EntityTag::new(weak, tag.to_owned())));
                }
            }
            // Not a tag: skip to the next comma.
            rest = rest.find(',').map_or("", |i| &rest[i + 1..]);
        }
    })
}

/// `listed` is `current`, or `current` with the suffix the compression tool gives the tag of
/// an encoded response (`"t"` → `"t-gzip"`).
fn same_or_encoded(listed: &EntityTag, current: &EntityTag, strong: bool) -> bool {
    let eq = |a: &EntityTag| {
        if strong {
            a.strong_eq(current)
        } else {
            a.weak_eq(current)
        }
    };
    if eq(listed) {
        return true;
    }
    [Coding::Brotli, Coding::Zstd, Coding::Gzip]
        .iter()
        .any(|c| {
            listed
                .tag()
                .strip_suffix(c.name())
                .and_then(|t| t.strip_suffix('-'))
                .is_some_and(|base| eq(&EntityTag::new(listed.weak, base.to_owned())))
        })
}

/// `t` within what an HTTP date can write (1970 to 9999): `httpdate` panics outside.
pub(crate) fn writable_date(t: SystemTime) -> SystemTime {
    let last = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(253_402_300_799);
    t.clamp(SystemTime::UNIX_EPOCH, last)
}

/// `Last-Modified` of a response.
pub(crate) fn last_modified(headers: &HeaderMap) -> Option<SystemTime> {
    date(headers, header::LAST_MODIFIED)
}

/// A date field; `None` when absent, repeated or not an HTTP-date (§13.1.3: then ignored).
fn date(headers: &HeaderMap, name: header::HeaderName) -> Option<SystemTime> {
    let mut all = headers.get_all(name);
    let v = all.next()?;
    if all.next().is_some() {
        return None;
    }
    httpdate::parse_http_date(v.to_str().ok()?).ok()
}

/// Whole seconds since the epoch: HTTP dates have no finer resolution.
fn seconds(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderName;

    fn req(fields: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in fields {
            h.append(
                HeaderName::from_static(n),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn current(tags: &[&str]) -> Current {
        Current {
            exists: true,
            media: vec![None; tags.len()],
            tags: tags.iter().map(|t| t.parse().unwrap()).collect(),
            last_modified: httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").ok(),
        }
    }

    #[test]
    fn the_order_of_rfc_9110_section_13_2_2() {
        let c = current(&["\"a-json\"", "\"a-xml\""]);
        let put = Method::PUT;
        let get = Method::GET;
        assert_eq!(
            evaluate(&put, &req(&[("if-match", "\"a-xml\"")]), &c),
            Outcome::Proceed
        );
        assert_eq!(
            evaluate(&put, &req(&[("if-match", "\"a-json-gzip\"")]), &c),
            Outcome::Proceed
        );
        assert!(matches!(
            evaluate(&put, &req(&[("if-match", "W/\"a-json\"")]), &c),
            Outcome::Failed(_)
        ));
        assert!(matches!(
            evaluate(&put, &req(&[("if-match", "\"b-json\"")]), &c),
            Outcome::Failed(_)
        ));
        // If-Match wins over If-Unmodified-Since.
        let both = req(&[
            ("if-match", "*"),
            ("if-unmodified-since", "Sat, 05 Nov 1994 08:49:37 GMT"),
        ]);
        assert_eq!(evaluate(&put, &both, &c), Outcome::Proceed);
        let ius = req(&[("if-unmodified-since", "Sat, 05 Nov 1994 08:49:37 GMT")]);
        assert!(matches!(evaluate(&put, &ius, &c), Outcome::Failed(_)));
        let ius = req(&[("if-unmodified-since", "Sun, 06 Nov 1994 08:49:37 GMT")]);
        assert_eq!(evaluate(&put, &ius, &c), Outcome::Proceed);
        // If-None-Match: 304 for GET, 412 otherwise; it wins over If-Modified-Since.
        let inm = req(&[
            ("if-none-match", "W/\"a-json\""),
            ("if-modified-since", "Sat, 05 Nov 1994 08:49:37 GMT"),
        ]);
        assert_eq!(evaluate(&get, &inm, &c), Outcome::NotModified);
        assert!(matches!(evaluate(&put, &inm, &c), Outcome::Failed(_)));
        let inm = req(&[
            ("if-none-match", "\"other\""),
            ("if-modified-since", "Mon, 07 Nov 1994 08:49:37 GMT"),
        ]);
        assert_eq!(evaluate(&get, &inm, &c), Outcome::Proceed);
        let ims = req(&[("if-modified-since", "Mon, 07 Nov 1994 08:49:37 GMT")]);
        assert_eq!(evaluate(&get, &ims, &c), Outcome::NotModified);
        assert_eq!(evaluate(&put, &ims, &c), Outcome::Proceed);
        let bad = req(&[("if-modified-since", "yesterday")]);
        assert_eq!(evaluate(&get, &bad, &c), Outcome::Proceed);
    }

    #[test]
    fn a_resource_that_does_not_exist() {
        let none = Current::default();
        let put = Method::PUT;
        assert!(matches!(
            evaluate(&put, &req(&[("if-match", "*")]), &none),
            Outcome::Failed(_)
        ));
        assert_eq!(
            evaluate(&put, &req(&[("if-none-match", "*")]), &none),
            Outcome::Proceed
        );
        assert!(matches!(
            evaluate(&put, &req(&[("if-none-match", "*")]), &current(&["\"x\""])),
            Outcome::Failed(_)
        ));
    }

    #[test]
    fn tag_lists_are_read_quote_to_quote() {
        let items: Vec<Option<String>> = tags_in(r#" "a,b", W/"c" , *, junk, "d""#)
            .map(|t| t.map(|t| t.to_string()))
            .collect();
        assert_eq!(
            items,
            [
                Some("\"a,b\"".to_owned()),
                Some("W/\"c\"".to_owned()),
                None,
                Some("\"d\"".to_owned())
            ]
        );
        let c = current(&["\"a,b\""]);
        assert_eq!(
            evaluate(&Method::PUT, &req(&[("if-match", "\"x\", \"a,b\"")]), &c),
            Outcome::Proceed
        );
        assert!(matches!(
            evaluate(&Method::PUT, &req(&[("if-none-match", "\"a,b-gzip\"")]), &c),
            Outcome::Failed(_)
        ));
    }

    #[test]
    fn dates_http_cannot_write_are_clamped() {
        let before = SystemTime::UNIX_EPOCH - std::time::Duration::from_secs(5);
        assert_eq!(writable_date(before), SystemTime::UNIX_EPOCH);
        // Past 9999, and within what every platform's clock holds (Windows: to 30828).
        let far = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(300_000_000_000);
        assert_eq!(
            httpdate::fmt_http_date(writable_date(far)),
            "Fri, 31 Dec 9999 23:59:59 GMT"
        );
        // A tab inside a tag is no etagc: skipped, no panic.
        assert_eq!(tags_in("\"a\tb\", \"c\"").count(), 1);
    }

    #[test]
    fn a_strong_tag_is_the_bodys_hash_in_hex() {
        let h = xxhash_rust::xxh3::xxh3_128(b"hello");
        assert_eq!(strong_etag(b"hello"), format!("\"{h:032x}\"").as_str());
    }

    #[test]
    fn version_tags() {
        assert_eq!(version_tag("7", Some("application/json")), "\"7-json\"");
        assert_eq!(
            version_tag("7", Some("application/atom+xml; charset=utf-8")),
            "\"7-atom+xml\""
        );
        assert_eq!(version_tag("7", None), "\"7\"");
        let odd = version_tag("a \"b\"", None);
        assert!(odd.to_str().unwrap().parse::<EntityTag>().is_ok());
    }
}
