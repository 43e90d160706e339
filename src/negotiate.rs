//! Proactive content negotiation on `Accept` (RFC 9110 §12.5.1).
//!
//! This module owns the choice of one media type among those a handler produces: preference
//! by quality value, then by the specificity of the range that matched
//! (`text/html;level=1` > `text/html` > `text/*` > `*/*`), then by the server's order.
//! `q=0` excludes a type; no (or an empty) `Accept` selects the first type; a malformed header
//! is an error the dispatcher turns into a 400 naming the header.
//!
//! The server's side is a list of [`MediaRange`]s built on `mime::Mime` once at start-up. The
//! request's header is read by a small hand-written scanner rather than actix-web's typed
//! `Accept`: the typed header builds a `Vec` and a `Mime` per element on every request, and the
//! selection must not allocate (see `benches/negotiate.rs`, which measures both).

use std::fmt;

use mime::Mime;
use smallvec::SmallVec;

/// A media type a handler can produce, parsed once.
///
/// ```
/// use drupe::negotiate::{MediaRange, select};
/// let produces = [MediaRange::parse("application/json").unwrap(),
///                 MediaRange::parse("application/xml").unwrap()];
/// assert_eq!(select("application/xml;q=0.9, application/json;q=0.5", &produces), Ok(Some(1)));
/// assert_eq!(select("", &produces), Ok(Some(0)));
/// assert_eq!(select("image/png", &produces), Ok(None));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct MediaRange {
    mime: Mime,
}

impl MediaRange {
    /// Parses a concrete media type (`type/subtype[;params]`).
    pub fn parse(s: &str) -> Result<Self, mime::FromStrError> {
        s.parse().map(|mime| Self { mime })
    }

    /// Parses a media type known to be valid (a literal in the source).
    pub(crate) fn parse_static(s: &'static str) -> Self {
        match Self::parse(s) {
            Ok(m) => m,
            Err(e) => panic!("invalid built-in media type {s:?}: {e}"),
        }
    }

    /// The media type.
    pub fn mime(&self) -> &Mime {
        &self.mime
    }

    /// The media type as text, e.g. `application/json`.
    pub fn as_str(&self) -> &str {
        self.mime.as_ref()
    }

    /// Whether the range element `elem` matches this type, and how specifically.
    fn matched_by(&self, elem: &Element<'_>) -> Option<u8> {
        if elem.ty == "*" {
            return Some(0);
        }
        if !elem.ty.eq_ignore_ascii_case(self.mime.type_().as_str()) {
            return None;
        }
        if elem.sub == "*" {
            return Some(1);
        }
        let sub = self.mime.subtype().as_str();
        let full_sub_matches = match self.mime.suffix() {
            // `mime` splits `atom+xml` into subtype `atom` and suffix `xml`.
            Some(suffix) => {
                let (a, b) = (sub, suffix.as_str());
                elem.sub.len() == a.len() + 1 + b.len()
                    && elem.sub[..a.len()].eq_ignore_ascii_case(a)
                    && elem.sub.as_bytes()[a.len()] == b'+'
                    && elem.sub[a.len() + 1..].eq_ignore_ascii_case(b)
            }
            None => elem.sub.eq_ignore_ascii_case(sub),
        };
        if !full_sub_matches {
            return None;
        }
        let mut n = 0u8;
        for (name, value) in params(elem.params) {
            let found = self
                .mime
                .params()
                .any(|(k, v)| k.as_str().eq_ignore_ascii_case(name) && v.as_str() == value);
            if !found {
                return None;
            }
            n = n.saturating_add(1);
        }
        Some(2u8.saturating_add(n))
    }
}

impl fmt::Debug for MediaRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for MediaRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A malformed `Accept` header; carries the offending element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// The element that could not be read.
    pub element: String,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Malformed HTTP header: Accept: `{}`", self.element)
    }
}

impl std::error::Error for Malformed {}

/// One element of an `Accept` header: `type/sub;params;q=..`.
#[derive(Debug, Clone, Copy)]
struct Element<'a> {
    ty: &'a str,
    sub: &'a str,
    /// The media-range parameters, raw (everything between the subtype and `q`).
    params: &'a str,
    /// The quality in thousandths (0..=1000).
    q: u16,
}

/// Chooses among `produces` for an `Accept` header value.
///
/// `Ok(Some(i))`: `produces[i]` is the answer. `Ok(None)`: nothing is acceptable (406).
/// `Err`: the header is malformed (400). An empty header selects `produces[0]`.
pub fn select(accept: &str, produces: &[MediaRange]) -> Result<Option<usize>, Malformed> {
    if produces.is_empty() {
        return Ok(None);
    }
    let mut elems: SmallVec<[Element<'_>; 12]> = SmallVec::new();
    for raw in accept.split(',') {
        let raw = raw.trim_matches(is_ows);
        if raw.is_empty() {
            continue; // RFC 9110 §5.6.1: empty list elements are ignored
        }
        elems.push(parse_element(raw).ok_or_else(|| Malformed {
            element: raw.to_owned(),
        })?);
    }
    if elems.is_empty() {
        return Ok(Some(0));
    }
    // For each produced type, the q of the most specific range that matches it.
    let mut best: Option<(u16, u8, usize)> = None;
    for (i, m) in produces.iter().enumerate() {
        let mut found: Option<(u8, u16)> = None;
        for e in &elems {
            if let Some(spec) = m.matched_by(e)
                && found.is_none_or(|(s, _)| spec > s)
            {
                found = Some((spec, e.q));
            }
        }
        if let Some((spec, q)) = found {
            if q == 0 {
                continue;
            }
            let better = match best {
                None => true,
                Some((bq, bs, _)) => q > bq || (q == bq && spec > bs),
            };
            if better {
                best = Some((q, spec, i));
            }
        }
    }
    Ok(best.map(|(_, _, i)| i))
}

fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

fn parse_element(raw: &str) -> Option<Element<'_>> {
    let (range, rest) = match raw.find(';') {
        Some(i) => (&raw[..i], &raw[i..]),
        None => (raw, ""),
    };
    let range = range.trim_end_matches(is_ows);
    let (ty, sub) = range.split_once('/')?;
    if !is_token(ty) || !is_token(sub) || (ty == "*" && sub != "*") {
        return None;
    }
    // Split the parameters at the first `q` parameter: before it media-range parameters,
    // after it accept extensions (ignored).
    let mut q = 1000u16;
    let mut params_end = rest.len();
    let mut offset = 0;
    for p in rest.split(';') {
        let start = offset;
        offset += p.len() + 1;
        let p = p.trim_matches(is_ows);
        if p.is_empty() {
            continue; // the text before the first ';', or an empty parameter
        }
        let (name, value) = p.split_once('=')?;
        let name = name.trim_end_matches(is_ows);
        let value = value.trim_start_matches(is_ows);
        if !is_token(name) {
            return None;
        }
        if name.eq_ignore_ascii_case("q") {
            q = parse_q(value)?;
            params_end = start;
            break;
        }
        if !(is_token(value) || is_quoted(value)) {
            return None;
        }
    }
    Some(Element {
        ty,
        sub,
        params: &rest[..params_end],
        q,
    })
}

fn is_quoted(v: &str) -> bool {
    v.len() >= 2 && v.starts_with('"') && v.ends_with('"')
}

/// Media-range parameters as (name, value) pairs, quotes removed.
fn params(raw: &str) -> impl Iterator<Item = (&str, &str)> {
    raw.split(';').filter_map(|p| {
        let (n, v) = p.trim_matches(is_ows).split_once('=')?;
        let v = v.trim_matches(is_ows);
        let v = if is_quoted(v) { &v[1..v.len() - 1] } else { v };
        Some((n.trim_matches(is_ows), v))
    })
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn parse_q(v: &str) -> Option<u16> {
    let b = v.as_bytes();
    let (&first, rest) = b.split_first()?;
    let whole = match first {
        b'0' => 0u16,
        b'1' => 1000u16,
        _ => return None,
    };
    if rest.is_empty() {
        return Some(whole);
    }
    let (&dot, digits) = rest.split_first()?;
    if dot != b'.' || digits.len() > 3 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut frac = 0u16;
    for (i, d) in digits.iter().enumerate() {
        frac += u16::from(d - b'0') * [100, 10, 1][i];
    }
    if whole == 1000 && frac != 0 {
        return None;
    }
    Some(whole + frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prod(list: &[&str]) -> Vec<MediaRange> {
        list.iter().map(|s| MediaRange::parse(s).unwrap()).collect()
    }

    fn pick(accept: &str, list: &[&str]) -> Option<String> {
        let p = prod(list);
        select(accept, &p).unwrap().map(|i| list[i].to_owned())
    }

    #[test]
    fn no_or_empty_header_takes_the_first() {
        let l = ["application/json", "application/xml"];
        assert_eq!(pick("", &l).as_deref(), Some("application/json"));
        assert_eq!(pick(" , ,", &l).as_deref(), Some("application/json"));
    }

    #[test]
    fn quality_wins() {
        let l = ["application/json", "application/xml"];
        assert_eq!(
            pick("application/json;q=0.5, application/xml", &l).as_deref(),
            Some("application/xml")
        );
    }

    #[test]
    fn client_order_does_not_matter_only_q_then_server_order() {
        // CherryPy picks text/plain here (reverse lexicographic tie-break); drupe does not.
        let l = ["text/html", "text/plain"];
        assert_eq!(
            pick("text/plain, text/html", &l).as_deref(),
            Some("text/html")
        );
        let l = ["text/plain", "text/html"];
        assert_eq!(
            pick("text/html, text/plain", &l).as_deref(),
            Some("text/plain")
        );
    }

    #[test]
    fn specificity_decides_the_q_of_a_type() {
        let l = ["text/html", "text/plain"];
        // text/html is excluded by its own range although text/* accepts it.
        assert_eq!(
            pick("text/*, text/html;q=0", &l).as_deref(),
            Some("text/plain")
        );
        // text/html;level=1 is more specific than text/html.
        let l = ["text/html;level=1", "text/html"];
        assert_eq!(
            pick("text/html;q=0.5, text/html;level=1", &l).as_deref(),
            Some("text/html;level=1")
        );
    }

    #[test]
    fn equal_q_prefers_the_more_specific_match() {
        let l = ["text/html", "application/json"];
        assert_eq!(
            pick("text/*, application/json", &l).as_deref(),
            Some("application/json")
        );
    }

    #[test]
    fn wildcards() {
        let l = ["application/atom+xml", "application/json"];
        assert_eq!(pick("*/*", &l).as_deref(), Some("application/atom+xml"));
        assert_eq!(
            pick("application/*", &l).as_deref(),
            Some("application/atom+xml")
        );
        assert_eq!(
            pick("application/atom+xml;q=0.1, */*", &l).as_deref(),
            Some("application/json")
        );
        assert_eq!(pick("image/*", &l), None);
    }

    #[test]
    fn q_zero_excludes() {
        assert_eq!(pick("application/json;q=0", &["application/json"]), None);
        assert_eq!(pick("*/*;q=0", &["application/json"]), None);
    }

    #[test]
    fn case_insensitive_types() {
        assert_eq!(
            pick("Application/JSON", &["application/json"]).as_deref(),
            Some("application/json")
        );
    }

    #[test]
    fn malformed_headers_are_errors() {
        let p = prod(&["application/json"]);
        for bad in [
            "garbage",
            "text/html;q=abc",
            "text/html;q=1.5",
            "text/html;q=0.12345",
            "text/html;q=",
            "*/html",
            "text/",
            "/html",
            "text/html;=x",
            "te xt/html",
        ] {
            let err = select(bad, &p).unwrap_err();
            assert!(!err.element.is_empty(), "{bad}");
        }
    }

    #[test]
    fn accept_extensions_after_q_are_ignored() {
        assert_eq!(
            pick("application/json;q=0.5;ext=1", &["application/json"]).as_deref(),
            Some("application/json")
        );
    }

    #[test]
    fn q_grammar() {
        assert_eq!(parse_q("0"), Some(0));
        assert_eq!(parse_q("1"), Some(1000));
        assert_eq!(parse_q("1.000"), Some(1000));
        assert_eq!(parse_q("0.5"), Some(500));
        assert_eq!(parse_q("0.05"), Some(50));
        assert_eq!(parse_q("0.001"), Some(1));
        assert_eq!(parse_q("1.001"), None);
        assert_eq!(parse_q("-1"), None);
        assert_eq!(parse_q(".5"), None);
    }

    #[test]
    fn browser_accept() {
        let l = [
            "application/json",
            "application/xml",
            "text/json",
            "text/x-json",
            "text/html",
        ];
        assert_eq!(
            pick(
                "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8",
                &l
            )
            .as_deref(),
            Some("text/html")
        );
        assert_eq!(pick("text/x-json", &l).as_deref(), Some("text/x-json"));
    }
}
