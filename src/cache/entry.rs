//! A stored response, its keys, and its encoding for shared backends.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use bytes::Bytes;

/// A response as the cache keeps it. The body is shared (`Bytes`): a hit never copies it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub(crate) status: u16,
    /// The response's headers, without `Date`, `Age`, hop-by-hop fields and `X-Cache`.
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Bytes,
    pub(crate) stored_at: SystemTime,
    pub(crate) expires_at: SystemTime,
    /// The tags its handler gave it ([`super::Tags`]), for [`super::Invalidate::tag`]. A
    /// backend indexes them when storing; they are not part of the encoded form.
    pub(crate) tags: Box<[String]>,
}

/// Headers a cache neither stores nor replays.
const NOT_STORED: [&str; 11] = [
    "date",
    "age",
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "te",
    "trailer",
    "x-cache",
    "set-cookie",
];

impl Stored {
    pub(crate) fn new(
        status: u16,
        headers: &HeaderMap,
        body: Bytes,
        now: SystemTime,
        lifetime: Duration,
    ) -> Self {
        let headers = headers
            .iter()
            .filter(|(n, _)| !NOT_STORED.contains(&n.as_str()))
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        // Clamped: a lifetime past what the clock holds would overflow.
        let lifetime = lifetime.min(super::control::MAX_LIFETIME);
        Self {
            status,
            headers,
            body,
            stored_at: now,
            expires_at: now.checked_add(lifetime).unwrap_or(now),
            tags: Box::default(),
        }
    }

    /// The same response, carrying `tags`.
    pub(crate) fn with_tags(mut self, tags: Vec<String>) -> Self {
        self.tags = tags.into_boxed_slice();
        self
    }

    /// Whether its handler tagged it `tag`.
    pub(crate) fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }

    /// A stored response fresh for ten minutes (benchmarks and tests of backends).
    #[doc(hidden)]
    pub fn for_bench(status: u16, headers: &HeaderMap, body: Bytes) -> Self {
        Self::new(
            status,
            headers,
            body,
            SystemTime::now(),
            Duration::from_secs(600),
        )
    }

    /// Approximate bytes held (the weigher's measure).
    pub(crate) fn weight(&self) -> usize {
        self.body.len()
            + self
                .headers
                .iter()
                .map(|(n, v)| n.as_str().len() + v.len() + 16)
                .sum::<usize>()
            + self.tags.iter().map(|t| t.len() + 24).sum::<usize>()
            + 64
    }

    /// A header's value.
    pub(crate) fn header(&self, name: &HeaderName) -> Option<&HeaderValue> {
        self.headers
            .iter()
            .find_map(|(n, v)| (n == name).then_some(v))
    }

    /// Whether it may be served to requests that carry credentials.
    pub(crate) fn sharing(&self) -> super::control::Sharing {
        super::control::sharing(
            self.headers
                .iter()
                .filter(|(n, _)| n == header::CACHE_CONTROL)
                .map(|(_, v)| v),
        )
    }

    /// Its age in whole seconds at `now`.
    pub(crate) fn age(&self, now: SystemTime) -> u64 {
        now.duration_since(self.stored_at)
            .map_or(0, |d| d.as_secs())
    }

    /// Whether it is still fresh at `now`.
    pub(crate) fn fresh(&self, now: SystemTime) -> bool {
        now < self.expires_at
    }

    /// Whether [`Stored::encode`] can hold it: it counts headers and names in 16 bits and
    /// values in 32. A count that wrapped would be read back with header bytes as the body.
    /// (The Redis backend's check: unused without that feature.)
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn encodable(&self) -> bool {
        u16::try_from(self.headers.len()).is_ok()
            && self.headers.iter().all(|(n, v)| {
                u16::try_from(n.as_str().len()).is_ok() && u32::try_from(v.len()).is_ok()
            })
    }

    /// Binary form for shared backends: magic, status, times, headers, body. Only for
    /// entries that are [`Stored::encodable`].
    pub(crate) fn encode(&self) -> Vec<u8> {
        let millis = |t: SystemTime| {
            t.duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64)
        };
        let mut out = Vec::with_capacity(self.weight() + 32);
        out.extend_from_slice(b"DRC1");
        out.extend_from_slice(&self.status.to_be_bytes());
        out.extend_from_slice(&millis(self.stored_at).to_be_bytes());
        out.extend_from_slice(&millis(self.expires_at).to_be_bytes());
        out.extend_from_slice(&(self.headers.len() as u16).to_be_bytes());
        for (n, v) in &self.headers {
            out.extend_from_slice(&(n.as_str().len() as u16).to_be_bytes());
            out.extend_from_slice(n.as_str().as_bytes());
            out.extend_from_slice(&(v.len() as u32).to_be_bytes());
            out.extend_from_slice(v.as_bytes());
        }
        out.extend_from_slice(&self.body);
        out
    }

    /// The inverse of [`Stored::encode`]; `None` for anything else.
    pub(crate) fn decode(data: Bytes) -> Option<Self> {
        let mut at = 0usize;
        let take = |at: &mut usize, n: usize| -> Option<&[u8]> {
            let s = data.get(*at..*at + n)?;
            *at += n;
            Some(s)
        };
        if take(&mut at, 4)? != b"DRC1" {
            return None;
        }
        let status = u16::from_be_bytes(take(&mut at, 2)?.try_into().ok()?);
        let ms = |b: &[u8]| -> Option<SystemTime> {
            let v = u64::from_be_bytes(b.try_into().ok()?);
            // Checked: Windows' SystemTime ends long before u64::MAX milliseconds.
            SystemTime::UNIX_EPOCH.checked_add(Duration::from_millis(v))
        };
        let stored_at = ms(take(&mut at, 8)?)?;
        let expires_at = ms(take(&mut at, 8)?)?;
        let count = u16::from_be_bytes(take(&mut at, 2)?.try_into().ok()?);
        let mut headers = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let nl = u16::from_be_bytes(take(&mut at, 2)?.try_into().ok()?) as usize;
            let name = HeaderName::from_bytes(take(&mut at, nl)?).ok()?;
            let vl = u32::from_be_bytes(take(&mut at, 4)?.try_into().ok()?) as usize;
            let value = HeaderValue::from_bytes(take(&mut at, vl)?).ok()?;
            headers.push((name, value));
        }
        Some(Self {
            status,
            headers,
            body: data.slice(at..),
            stored_at,
            expires_at,
            tags: Box::default(),
        })
    }
}

/// Whether the absolute `uri` lies under `prefix` (an absolute URI too), segment by
/// segment: `http://h/album/7` covers itself, `http://h/album/7/photos` and
/// `http://h/album/7?page=2`, never `http://h/album/70`. A prefix that ends with `/` covers
/// what starts with it.
pub(crate) fn under_prefix(uri: &str, prefix: &str) -> bool {
    match uri.strip_prefix(prefix) {
        Some(rest) => {
            rest.is_empty()
                || prefix.ends_with('/')
                || rest.starts_with('/')
                || rest.starts_with('?')
        }
        None => false,
    }
}

/// The variant key: the request's values of the headers the stored response's `Vary` names,
/// each paired with its name (`X-A: 1, X-B: 2` and `X-A: 2, X-B: 1` differ).
pub(crate) fn variant_key(vary: &[String], headers: &HeaderMap) -> String {
    // Sized for the usual `Vary: Accept` with a short value: one allocation, no growth.
    let mut key = String::with_capacity(64);
    for name in vary {
        key.push_str(name);
        // One lookup per name: this runs on every cached request.
        let lines = headers.get_all(name.as_str()).as_slice();
        if lines.is_empty() {
            // Absent differs from empty.
            key.push('\u{0}');
        } else if lines
            .iter()
            .all(|v| std::str::from_utf8(v.as_bytes()).is_ok())
        {
            key.push(':');
            for (i, v) in lines.iter().enumerate() {
                if i > 0 {
                    key.push_str(", ");
                }
                key.push_str(std::str::from_utf8(v.as_bytes()).unwrap_or_default());
            }
        } else {
            // Other bytes (obs-text): the combined value in hex after U+0001, which no header
            // value holds. A lossy conversion would give two values one key.
            key.push('\u{1}');
            for (i, v) in lines.iter().enumerate() {
                if i > 0 {
                    key.push_str("2c20");
                }
                for b in v.as_bytes() {
                    let _ = write!(key, "{b:02x}");
                }
            }
        }
        key.push('\n');
    }
    key
}

/// The header names a response's `Vary` lists, lower-case, sorted; `None` for `Vary: *`.
pub(crate) fn vary_names(headers: &HeaderMap) -> Option<Vec<String>> {
    let mut names = Vec::new();
    for v in headers.get_all(header::VARY) {
        for n in v.to_str().unwrap_or("*").split(',') {
            let n = n.trim().to_ascii_lowercase();
            if n == "*" {
                return None;
            }
            if !n.is_empty() && !names.contains(&n) {
                names.push(n);
            }
        }
    }
    names.sort();
    Some(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_cover_whole_segments() {
        let p = "http://h/album/7";
        for uri in [
            p,
            "http://h/album/7/",
            "http://h/album/7/photos",
            "http://h/album/7?page=2",
        ] {
            assert!(under_prefix(uri, p), "{uri}");
        }
        for uri in [
            "http://h/album/70",
            "http://h/album/",
            "http://h/album/7x",
            "http://g/album/7",
        ] {
            assert!(!under_prefix(uri, p), "{uri}");
        }
        assert!(under_prefix("http://h/album/70", "http://h/album/"));
        assert!(under_prefix("http://h/", "http://h/"));
    }

    #[test]
    fn encoding_round_trips() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        h.insert(header::DATE, HeaderValue::from_static("x"));
        h.insert(header::ETAG, HeaderValue::from_static("\"e\""));
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let s = Stored::new(
            200,
            &h,
            Bytes::from_static(b"{\"a\":1}"),
            now,
            Duration::from_secs(60),
        );
        assert!(s.header(&header::DATE).is_none(), "Date is never stored");
        let back = Stored::decode(Bytes::from(s.encode())).unwrap();
        assert_eq!(back.status, 200);
        assert_eq!(back.body, s.body);
        assert_eq!(back.headers, s.headers);
        assert_eq!(back.expires_at, s.expires_at);
        assert!(Stored::decode(Bytes::from_static(b"DRC1\x00")).is_none());
        assert!(Stored::decode(Bytes::from_static(b"nope")).is_none());
    }

    #[test]
    fn variants_pair_values_with_names() {
        let vary = vec!["x-a".to_owned(), "x-b".to_owned()];
        let mut one = HeaderMap::new();
        one.insert(
            HeaderName::from_static("x-a"),
            HeaderValue::from_static("1"),
        );
        one.insert(
            HeaderName::from_static("x-b"),
            HeaderValue::from_static("2"),
        );
        let mut two = HeaderMap::new();
        two.insert(
            HeaderName::from_static("x-a"),
            HeaderValue::from_static("2"),
        );
        two.insert(
            HeaderName::from_static("x-b"),
            HeaderValue::from_static("1"),
        );
        assert_ne!(variant_key(&vary, &one), variant_key(&vary, &two));
        let mut empty = HeaderMap::new();
        empty.insert(HeaderName::from_static("x-a"), HeaderValue::from_static(""));
        assert_ne!(
            variant_key(&vary, &empty),
            variant_key(&vary, &HeaderMap::new())
        );
    }

    #[test]
    fn vary_star_is_never_a_variant() {
        let mut h = HeaderMap::new();
        h.append(
            header::VARY,
            HeaderValue::from_static("Accept, accept-encoding"),
        );
        assert_eq!(
            vary_names(&h),
            Some(vec!["accept".into(), "accept-encoding".into()])
        );
        h.append(header::VARY, HeaderValue::from_static("*"));
        assert_eq!(vary_names(&h), None);
    }
}
