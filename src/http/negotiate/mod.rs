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
    /// The type and the full subtype (suffix included), lower-case, precomputed for matching.
    ty: Box<str>,
    sub: Box<str>,
    params: Box<[(Box<str>, Box<str>)]>,
}

impl MediaRange {
    /// Parses a concrete media type (`type/subtype[;params]`).
    pub fn parse(s: &str) -> Result<Self, mime::FromStrError> {
        let mime: Mime = s.parse()?;
        let ty = mime.type_().as_str().to_ascii_lowercase().into_boxed_str();
        let sub = match mime.suffix() {
            Some(suffix) => format!("{}+{}", mime.subtype(), suffix),
            None => mime.subtype().as_str().to_owned(),
        }
        .to_ascii_lowercase()
        .into_boxed_str();
        let params = mime
            .params()
            .map(|(k, v)| (k.as_str().into(), v.as_str().into()))
            .collect();
        Ok(Self {
            mime,
            ty,
            sub,
            params,
        })
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
    #[inline]
    fn matched_by(&self, elem: &Element<'_>) -> Option<u8> {
        if elem.ty == "*" {
            return Some(0);
        }
        if !elem.ty.eq_ignore_ascii_case(&self.ty) {
            return None;
        }
        if elem.sub == "*" {
            return Some(1);
        }
        if !elem.sub.eq_ignore_ascii_case(&self.sub) {
            return None;
        }
        if elem.params.is_empty() {
            return Some(2);
        }
        let mut n = 0u8;
        for (name, value) in params(elem.params) {
            let found = self
                .params
                .iter()
                .any(|(k, v)| k.eq_ignore_ascii_case(name) && **v == *value);
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
    // The common API request names one bare type (`application/json`): every produced type
    // it matches, it matches at q=1 with the same specificity, so the first one wins.
    if let Some(e) = single_bare(accept) {
        return Ok(produces.iter().position(|m| m.matched_by(&e).is_some()));
    }
    select_general(accept, produces)
}

/// [`select`] by the general parse, whatever the header holds.
pub(crate) fn select_general(
    accept: &str,
    produces: &[MediaRange],
) -> Result<Option<usize>, Malformed> {
    let mut elems: SmallVec<[Element<'_>; 12]> = SmallVec::new();
    parse_all(accept, &mut elems)?;
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

/// `type/sub` alone (no parameters, no list), as the general parser would read it; `None`
/// for anything else, which the general parser then handles (errors included).
fn single_bare(accept: &str) -> Option<Element<'_>> {
    let (ty, sub) = trim_ows(accept).split_once('/')?;
    let ok = |t: &str| !t.is_empty() && t.bytes().all(is_tchar);
    // `*/sub` is not a media range: leave it to the general parser's error.
    (ok(ty) && ok(sub) && (ty != "*" || sub == "*")).then_some(Element {
        ty,
        sub,
        params: "",
        q: 1000,
    })
}

/// Trims optional whitespace (spaces and tabs) by bytes.
#[inline]
fn trim_ows(s: &str) -> &str {
    let b = s.as_bytes();
    let (mut i, mut j) = (0, b.len());
    while i < j && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    while j > i && (b[j - 1] == b' ' || b[j - 1] == b'\t') {
        j -= 1;
    }
    &s[i..j]
}

/// RFC 9110 `tchar`, as a table (this runs for every byte of every `Accept`).
const TCHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        i += 1;
    }
    t
};

#[inline]
fn is_tchar(b: u8) -> bool {
    TCHAR[b as usize]
}

/// Reads every element of an `Accept` value in one pass over its bytes (quoted strings may
/// hold commas). Empty elements are skipped (RFC 9110 §5.6.1).
fn parse_all<'a>(accept: &'a str, out: &mut SmallVec<[Element<'a>; 12]>) -> Result<(), Malformed> {
    let mut s = Scanner { accept, i: 0 };
    while !s.done() {
        let start = s.i;
        s.ows();
        if s.at(b',') {
            s.i += 1;
            continue;
        }
        if s.done() {
            break;
        }
        let Some(e) = s.element() else {
            return Err(malformed(accept, start));
        };
        out.push(e);
        // Past the comma that ends the element (or the end).
        s.i += 1;
    }
    Ok(())
}

/// The error for the element that starts at `start`: its text up to the next comma outside
/// quotes, trimmed.
#[cold]
fn malformed(accept: &str, start: usize) -> Malformed {
    let b = accept.as_bytes();
    let mut j = start;
    let mut quoted = false;
    while j < b.len() && (quoted || b[j] != b',') {
        if b[j] == b'"' {
            quoted = !quoted;
        }
        j += 1;
    }
    Malformed {
        element: trim_ows(&accept[start..j]).to_owned(),
    }
}

/// [`parse_all`]'s cursor: a position in an `Accept` value, read byte by byte.
struct Scanner<'a> {
    accept: &'a str,
    i: usize,
}

impl<'a> Scanner<'a> {
    /// Whether every byte has been read.
    #[inline]
    fn done(&self) -> bool {
        self.i >= self.accept.len()
    }

    /// Whether the next byte is `c`.
    #[inline]
    fn at(&self, c: u8) -> bool {
        self.accept.as_bytes().get(self.i) == Some(&c)
    }

    /// Skips optional whitespace (spaces and tabs).
    #[inline]
    fn ows(&mut self) {
        let b = self.accept.as_bytes();
        while self.i < b.len() && (b[self.i] == b' ' || b[self.i] == b'\t') {
            self.i += 1;
        }
    }

    /// Reads a token, empty when the next byte is not a `tchar`.
    #[inline]
    fn token(&mut self) -> &'a str {
        let b = self.accept.as_bytes();
        let start = self.i;
        while self.i < b.len() && is_tchar(b[self.i]) {
            self.i += 1;
        }
        &self.accept[start..self.i]
    }

    /// Reads one element, `type/subtype` and its parameters, up to the comma that ends it
    /// (or the end); `None` when it is malformed.
    #[inline]
    fn element(&mut self) -> Option<Element<'a>> {
        let ty = self.token();
        if ty.is_empty() || !self.at(b'/') {
            return None;
        }
        self.i += 1;
        let sub = self.token();
        if sub.is_empty() || (ty == "*" && sub != "*") {
            return None;
        }
        let params_start = self.i;
        let (params_end, q) = self.parameters()?;
        if !self.done() && !self.at(b',') {
            return None;
        }
        Some(Element {
            ty,
            sub,
            params: &self.accept[params_start..params_end],
            q,
        })
    }

    /// Reads the parameters after a subtype: returns where the media-range parameters end
    /// (those before `q`; the ones after it are ignored) and the quality in thousandths (1000
    /// when absent); `None` when they are malformed.
    #[inline]
    fn parameters(&mut self) -> Option<(usize, u16)> {
        let mut params_end = self.i;
        let mut q = 1000u16;
        let mut seen_q = false;
        self.ows();
        while self.at(b';') {
            self.i += 1;
            self.ows();
            if self.at(b';') || self.at(b',') {
                continue;
            }
            if self.done() {
                break;
            }
            let name = self.token();
            self.ows();
            if name.is_empty() || !self.at(b'=') {
                return None;
            }
            self.i += 1;
            self.ows();
            let value = self.value()?;
            if !seen_q {
                if name.eq_ignore_ascii_case("q") {
                    q = parse_q(value)?;
                    seen_q = true;
                } else {
                    params_end = self.i;
                }
            }
            self.ows();
        }
        Some((params_end, q))
    }

    /// Reads a parameter's value: a token, or a quoted string (quotes kept); `None` when it
    /// is empty or its quote is never closed.
    #[inline]
    fn value(&mut self) -> Option<&'a str> {
        let b = self.accept.as_bytes();
        let start = self.i;
        if self.at(b'"') {
            self.i += 1;
            while self.i < b.len() && b[self.i] != b'"' {
                self.i += if b[self.i] == b'\\' { 2 } else { 1 };
            }
            if self.i >= b.len() {
                return None;
            }
            self.i += 1;
        } else if self.token().is_empty() {
            return None;
        }
        Some(&self.accept[start..self.i])
    }
}

fn is_quoted(v: &str) -> bool {
    v.len() >= 2 && v.starts_with('"') && v.ends_with('"')
}

/// Media-range parameters as (name, value) pairs, quotes removed.
fn params(raw: &str) -> impl Iterator<Item = (&str, &str)> {
    raw.split(';').filter_map(|p| {
        let (n, v) = trim_ows(p).split_once('=')?;
        let v = trim_ows(v);
        let v = if is_quoted(v) { &v[1..v.len() - 1] } else { v };
        Some((trim_ows(n), v))
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
mod tests;
