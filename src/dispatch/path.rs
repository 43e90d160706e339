//! From a request target to segments and named values.
//!
//! This module owns the reading of the path and the query string: splitting the path into
//! segments (empty ones dropped, `//a///b/` ≡ `a/b`), percent-decoding them strictly (an invalid
//! escape or invalid UTF-8 is a 400, never a guess) while keeping `%2F` from acting as a
//! separator, the punctuation-to-`_` translation used to look names up, and the query-string
//! pairs. Decoding is written here rather than with `percent-encoding`'s decoder because that
//! decoder passes invalid escapes through silently and the query parser of `form_urlencoded`
//! replaces invalid UTF-8, where drupe must answer 400.

use std::borrow::Cow;
use std::cmp::Ordering;

use smallvec::SmallVec;

use crate::HttpError;

/// One path segment: a byte range of the raw path, plus its decoded forms when it had escapes.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    start: u32,
    end: u32,
    /// Present only when the raw text had a `%`: decoded except `%2F` (for lookups), and
    /// fully decoded (for values). One box for both keeps a segment at 16 bytes: the
    /// segments travel inline in every request's future, which is copied as it is built.
    decoded: Option<Box<Decoded>>,
}

#[derive(Debug, Clone)]
struct Decoded {
    lookup: Box<str>,
    value: Box<str>,
}

impl Segment {
    /// The text names are looked up with (`%2F` still encoded).
    pub(crate) fn lookup<'p>(&'p self, path: &'p str) -> &'p str {
        match &self.decoded {
            Some(d) => &d.lookup,
            None => &path[self.start as usize..self.end as usize],
        }
    }

    /// The decoded value handed to a handler.
    pub(crate) fn value<'p>(&'p self, path: &'p str) -> &'p str {
        match &self.decoded {
            Some(d) => &d.value,
            None => &path[self.start as usize..self.end as usize],
        }
    }
}

/// The segments of a path.
#[derive(Debug, Clone, Default)]
pub(crate) struct Segments {
    pub(crate) list: SmallVec<[Segment; 8]>,
    pub(crate) trailing_slash: bool,
}

impl Segments {
    /// Splits and decodes `path` (which starts with `/`).
    pub(crate) fn parse(path: &str) -> Result<Self, HttpError> {
        if path.len() > u32::MAX as usize {
            return Err(HttpError::bad_request("The path is too long."));
        }
        let mut list = SmallVec::new();
        let mut start = 0usize;
        let bytes = path.as_bytes();
        for i in 0..=bytes.len() {
            if i == bytes.len() || bytes[i] == b'/' {
                if i > start {
                    let raw = &path[start..i];
                    let decoded = if raw.contains('%') {
                        Some(Box::new(Decoded {
                            lookup: decode(raw, Mode::PathLookup)?.into_owned().into_boxed_str(),
                            value: decode(raw, Mode::PathValue)?.into_owned().into_boxed_str(),
                        }))
                    } else {
                        None
                    };
                    list.push(Segment {
                        start: start as u32,
                        end: i as u32,
                        decoded,
                    });
                }
                start = i + 1;
            }
        }
        Ok(Self {
            list,
            trailing_slash: path.ends_with('/'),
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Keep `%2F` encoded, decode the rest.
    PathLookup,
    /// Decode everything.
    PathValue,
    /// Decode everything, `+` is a space.
    Query,
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn decode(raw: &str, mode: Mode) -> Result<Cow<'_, str>, HttpError> {
    let bytes = raw.as_bytes();
    if !bytes
        .iter()
        .any(|&b| b == b'%' || (mode == Mode::Query && b == b'+'))
    {
        return Ok(Cow::Borrowed(raw));
    }
    let where_ = if mode == Mode::Query {
        "query string"
    } else {
        "path"
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let (Some(h), Some(l)) = (
                    bytes.get(i + 1).copied().and_then(hex),
                    bytes.get(i + 2).copied().and_then(hex),
                ) else {
                    return Err(HttpError::bad_request(format!(
                        "Invalid percent-encoding in the {where_}."
                    )));
                };
                let b = h << 4 | l;
                if b == b'/' && mode == Mode::PathLookup {
                    out.extend_from_slice(&bytes[i..i + 3]);
                } else {
                    out.push(b);
                }
                i += 3;
            }
            b'+' if mode == Mode::Query => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| HttpError::bad_request(format!("The {where_} is not valid UTF-8.")))
}

/// Where a named value came from: it decides between 404 and 400 on a mismatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// From the path, through a dispatch hook.
    Path,
    /// From the query string.
    Query,
    /// From a form body.
    Body,
}

/// Parses a query string into decoded pairs, keeping blank values. The exact form
/// `digits,digits` (a server-side image map) becomes `x` and `y`.
pub(crate) fn parse_query<'q>(
    query: &'q str,
    out: &mut SmallVec<[(Cow<'q, str>, Cow<'q, str>); 8]>,
) -> Result<(), HttpError> {
    if let Some((x, y)) = query.split_once(',') {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if digits(x) && digits(y) {
            out.push((Cow::Borrowed("x"), Cow::Borrowed(x)));
            out.push((Cow::Borrowed("y"), Cow::Borrowed(y)));
            return Ok(());
        }
    }
    for pair in query.split('&') {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.push((decode(k, Mode::Query)?, decode(v, Mode::Query)?));
    }
    Ok(())
}

/// Where a mount prefix (`/api`, as actix-web matched it: escapes of plain characters decoded)
/// ends in the raw `path`: the prefix's segments compared with the path's, each decoded,
/// empty ones skipped as the walk skips them. `None` when the path does not start with it.
pub(crate) fn mount_end(path: &str, prefix: &str) -> Option<usize> {
    let mut pos = 0;
    for want in prefix.split('/').filter(|s| !s.is_empty()) {
        let start = pos + (path[pos..].len() - path[pos..].trim_start_matches('/').len());
        let end = path[start..].find('/').map_or(path.len(), |i| start + i);
        if start == end || decode(&path[start..end], Mode::PathLookup).ok()? != want {
            return None;
        }
        pos = end;
    }
    Some(pos)
}

/// Decodes one `application/x-www-form-urlencoded` component.
pub(crate) fn decode_form_component(s: &str) -> Result<Cow<'_, str>, HttpError> {
    decode(s, Mode::Query)
}

/// Whether a byte is ASCII punctuation, which name lookups read as `_`.
#[inline]
fn translate(b: u8) -> u8 {
    if b.is_ascii_punctuation() { b'_' } else { b }
}

/// Compares a handler or mount name with a segment read through the translation table.
#[inline]
pub(crate) fn cmp_translated(name: &str, segment: &str) -> Ordering {
    let (a, b) = (name.as_bytes(), segment.as_bytes());
    for (x, y) in a.iter().zip(b) {
        match x.cmp(&translate(*y)) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    a.len().cmp(&b.len())
}

/// Whether two names are one under the translation (`a.b`, `a-b` and `a_b` are).
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .all(|(x, y)| translate(x) == translate(y))
}

/// The translated form of a name (for aliases given with punctuation).
pub(crate) fn translated(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_punctuation() { '_' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(path: &str) -> Vec<String> {
        let s = Segments::parse(path).unwrap();
        s.list.iter().map(|x| x.value(path).to_owned()).collect()
    }

    #[test]
    fn empty_segments_are_dropped() {
        assert_eq!(values("//a///b/"), ["a", "b"]);
        assert_eq!(values("/"), Vec::<String>::new());
        assert!(Segments::parse("/a/").unwrap().trailing_slash);
        assert!(!Segments::parse("/a").unwrap().trailing_slash);
    }

    #[test]
    fn encoded_slash_stays_inside_a_segment() {
        let p = "/page%2Fname/x";
        let s = Segments::parse(p).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s.list[0].lookup(p), "page%2Fname");
        assert_eq!(s.list[0].value(p), "page/name");
    }

    #[test]
    fn invalid_escapes_and_utf8_are_rejected() {
        for bad in ["/a%zz", "/a%", "/a%4", "/%ff%fe"] {
            let e = Segments::parse(bad).unwrap_err();
            assert_eq!(e.status(), 400, "{bad}");
        }
        assert_eq!(values("/caf%C3%A9"), ["café"]);
    }

    #[test]
    fn mount_prefixes_end_where_they_end_in_the_raw_path() {
        assert_eq!(mount_end("/api/x", "/api"), Some(4));
        assert_eq!(mount_end("/%61pi/x", "/api"), Some(6));
        assert_eq!(mount_end("/%61%70%69", "/api"), Some(10));
        assert_eq!(mount_end("//api//x", "/api/"), Some(5));
        assert_eq!(mount_end("/a/b/c", "/a/b"), Some(4));
        assert_eq!(mount_end("/x", ""), Some(0));
        assert_eq!(mount_end("/apix/y", "/api"), None);
        assert_eq!(mount_end("/ap", "/api"), None);
        assert_eq!(mount_end("/%zz/x", "/api"), None);
    }

    #[test]
    fn translation_compares_punctuation_as_underscore() {
        for seg in [
            "translate.html",
            "translate-html",
            "translate_html",
            "translate~html",
        ] {
            assert_eq!(
                cmp_translated("translate_html", seg),
                Ordering::Equal,
                "{seg}"
            );
        }
        assert_ne!(
            cmp_translated("translate_html", "translatehtml"),
            Ordering::Equal
        );
        assert_eq!(translated("a.b-c"), "a_b_c");
    }

    #[test]
    fn query_pairs() {
        let mut out = SmallVec::new();
        parse_query("a=1&b=&c&a=x+y%21", &mut out).unwrap();
        let got: Vec<(String, String)> = out
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(
            got,
            [("a", "1"), ("b", ""), ("c", ""), ("a", "x y!")]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        let mut out = SmallVec::new();
        parse_query("12,34", &mut out).unwrap();
        assert_eq!(out[0], (Cow::Borrowed("x"), Cow::Borrowed("12")));
        let mut out = SmallVec::new();
        assert_eq!(parse_query("a=%zz", &mut out).unwrap_err().status(), 400);
        assert_eq!(parse_query("a=%C3", &mut out).unwrap_err().status(), 400);
    }

    proptest::proptest! {
        #[test]
        fn any_path_is_split_or_refused_without_panic(path in "/\\PC{0,60}") {
            if let Ok(s) = Segments::parse(&path) {
                for seg in &s.list {
                    proptest::prop_assert!(!seg.value(&path).is_empty() || seg.lookup(&path).contains('%'));
                }
            }
        }

        #[test]
        fn encoding_round_trips(words in proptest::collection::vec("\\PC{1,8}", 1..5)) {
            let encoded: Vec<String> = words
                .iter()
                .map(|w| percent_encoding::utf8_percent_encode(w, percent_encoding::NON_ALPHANUMERIC).to_string())
                .collect();
            let path = format!("/{}", encoded.join("/"));
            let s = Segments::parse(&path).unwrap();
            let got: Vec<&str> = s.list.iter().map(|x| x.value(&path)).collect();
            proptest::prop_assert_eq!(got, words.iter().map(String::as_str).collect::<Vec<_>>());
        }
    }
}
