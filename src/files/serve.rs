//! One file as an HTTP response: validators, preconditions, ranges, precompressed siblings.
//!
//! This module owns [`ServeFile`], what the static-file tools and an application's own
//! handlers (the photoblog's photos) answer a file with. Written here rather than taken from
//! actix-files' `NamedFile`, which reads the request itself and gets three things wrong that
//! cannot be corrected from outside: it answers `Range` before the preconditions (a 416 where
//! RFC 9110 §13.2.2 asks for a 412 or a 304), it answers 416 to a `Range` it cannot parse
//! (§14.2: ignore it) and a 206 with the first range alone to a request for several, and it
//! ignores `If-Range` (§13.1.5). Its content types come from the same `mime_guess` table, and
//! the body is read as it reads it: 64 KiB at a time on the blocking threads.
//!
//! The order is RFC 9110 §13.2.2's: `If-Match` (else `If-Unmodified-Since`) → 412;
//! `If-None-Match` (else `If-Modified-Since`) → 304 for GET and HEAD; then `Range`, for GET
//! only, honoured when `If-Range` (if any) still matches: one range (several that overlap or
//! touch are merged into one) → 206; several apart → the whole file, 200, as §14.2 allows;
//! none satisfiable → 416 with `Content-Range: bytes */LEN`.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::body::{BoxBody, SizedStream};
use actix_web::http::header::{self, EntityTag, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, Responder};

use crate::http::encoding::{self, Choice, Coding};
use crate::http::tag_listed;

/// The codings a precompressed sibling may have, in the order preferred on a tie.
const SIBLINGS: [Coding; 3] = [Coding::Brotli, Coding::Zstd, Coding::Gzip];

/// The size of a read from the file.
const CHUNK: usize = 64 * 1024;

/// The most ranges of one `Range` header looked at; more, and the header is ignored (a
/// request for thousands of ranges costs the server a seek each: CherryPy #1290).
const MAX_RANGES: usize = 64;

/// A file answered as HTTP: `Content-Type` from its extension (`charset=utf-8` on text),
/// `ETag` and `Last-Modified`, `Accept-Ranges`, conditional and range requests, a
/// precompressed sibling (`name.br`, `name.zst`, `name.gz`) for a client that accepts it.
/// The body is streamed from disk in 64 KiB reads.
///
/// ```
/// use drupe::{controller, files::ServeFile};
/// struct Downloads;
/// #[controller]
/// impl Downloads {
///     /// `GET /manual`: the manual, cached for a day.
///     #[expose]
///     fn manual(&self) -> ServeFile {
///         ServeFile::new("docs/manual.pdf").cache_control("public, max-age=86400")
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ServeFile {
    path: PathBuf,
    content_type: Option<String>,
    cache_control: Option<String>,
    precompressed: bool,
}

impl ServeFile {
    /// The file at `path`; a missing one answers 404.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            content_type: None,
            cache_control: None,
            precompressed: false,
        }
    }

    /// Answers with this `Content-Type` instead of the one the extension gives.
    pub fn content_type(mut self, media_type: impl Into<String>) -> Self {
        self.content_type = Some(media_type.into());
        self
    }

    /// Adds this `Cache-Control` (to the 200, the 206 and the 304).
    pub fn cache_control(mut self, value: impl Into<String>) -> Self {
        self.cache_control = Some(value.into());
        self
    }

    /// Looks for precompressed siblings (`name.br`, `name.zst`, `name.gz`, regular files, not
    /// links) and answers with one the client accepts, with its `Content-Encoding` (off by
    /// default).
    pub fn precompressed(mut self, on: bool) -> Self {
        self.precompressed = on;
        self
    }

    /// The response for `req`; an error when the file cannot be opened (`NotFound` for a
    /// missing one or a directory).
    pub fn respond(&self, req: &HttpRequest) -> io::Result<HttpResponse> {
        let (chosen, coding) = self.choose(req);
        let file = std::fs::File::open(&chosen)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(io::ErrorKind::NotFound.into());
        }
        let media = match &self.content_type {
            Some(m) => m.clone(),
            None => media_type(&self.path),
        };
        Ok(answer(req, file, &meta, coding, self, &media))
    }

    /// The file to open: the original, or the sibling the client prefers.
    fn choose(&self, req: &HttpRequest) -> (PathBuf, Coding) {
        let sibling = |c: Coding| {
            let mut name = self.path.clone().into_os_string();
            name.push(c.suffix());
            PathBuf::from(name)
        };
        if self.precompressed && req.headers().contains_key(header::ACCEPT_ENCODING) {
            // A regular file, not a link: the original was checked to be inside its
            // directory, and a link beside it could lead anywhere.
            let present: Vec<Coding> = SIBLINGS
                .into_iter()
                .filter(|c| {
                    std::fs::symlink_metadata(sibling(*c)).is_ok_and(|m| m.file_type().is_file())
                })
                .collect();
            if let Choice::Use(c) = encoding::choose(req, &present)
                && c != Coding::Identity
            {
                return (sibling(c), c);
            }
        }
        (self.path.clone(), Coding::Identity)
    }
}

impl Responder for ServeFile {
    type Body = BoxBody;

    fn respond_to(self, req: &HttpRequest) -> HttpResponse {
        match self.respond(req) {
            Ok(res) => res,
            Err(e) => HttpResponse::from_error(io_error(&e)),
        }
    }
}

/// The HTTP error for a file that could not be opened: 404 when it is not there (or is a
/// directory, or a name this system cannot have), 403 when it may not be read, 500 else.
pub(crate) fn io_error(e: &io::Error) -> crate::HttpError {
    match e.kind() {
        io::ErrorKind::NotFound
        | io::ErrorKind::NotADirectory
        | io::ErrorKind::IsADirectory
        | io::ErrorKind::InvalidInput
        | io::ErrorKind::InvalidFilename => crate::HttpError::not_found("No such file."),
        io::ErrorKind::PermissionDenied => crate::HttpError::new(
            crate::ErrorStatus::new(StatusCode::FORBIDDEN).expect("403 is an error status"),
            "This file may not be read.",
        ),
        _ => crate::HttpError::internal(format!("reading a file: {e}")),
    }
}

/// The `Content-Type` of a file by its extension: `application/octet-stream` when unknown
/// (never `text/html`, CherryPy #879), `charset=utf-8` on text.
pub(crate) fn media_type(path: &Path) -> String {
    let m = mime_guess::from_path(path).first_or_octet_stream();
    let textual = m.type_() == mime::TEXT
        || matches!(m.subtype().as_str(), "javascript" | "json" | "xml")
        || m.suffix()
            .is_some_and(|s| s == mime::XML || s == mime::JSON);
    if textual && m.get_param(mime::CHARSET).is_none() {
        format!("{}; charset=utf-8", m.essence_str())
    } else {
        m.to_string()
    }
}

/// The validators of a file: a strong ETag from its size and modification time (suffixed by
/// its coding, so that the gzip and the identity bytes never share one), and its date.
fn validators(meta: &std::fs::Metadata, coding: Coding) -> (EntityTag, Option<SystemTime>) {
    let modified = meta.modified().ok();
    let since = modified
        .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
        .unwrap_or_default();
    let mut tag = format!(
        "{:x}-{:x}.{:x}",
        meta.len(),
        since.as_secs(),
        since.subsec_nanos()
    );
    if coding != Coding::Identity {
        tag.push('-');
        tag.push_str(coding.name());
    }
    (EntityTag::new_strong(tag), modified)
}

/// What the preconditions and `Range` decided.
enum Outcome {
    Failed,
    NotModified,
    Whole,
    Part(u64, u64),
    Unsatisfiable,
}

fn answer(
    req: &HttpRequest,
    file: std::fs::File,
    meta: &std::fs::Metadata,
    coding: Coding,
    opts: &ServeFile,
    media: &str,
) -> HttpResponse {
    let len = meta.len();
    let (etag, modified) = validators(meta, coding);
    // HTTP dates have whole seconds: compare at that precision.
    let modified = modified.map(httpdate::HttpDate::from);
    let mut res = HttpResponse::build(StatusCode::OK);
    res.insert_header((header::ETAG, etag.to_string()));
    if let Some(m) = modified {
        res.insert_header((header::LAST_MODIFIED, m.to_string()));
    }
    if let Some(cc) = &opts.cache_control
        && let Ok(v) = HeaderValue::from_str(cc)
    {
        res.insert_header((header::CACHE_CONTROL, v));
    }
    if opts.precompressed {
        res.insert_header((header::VARY, "Accept-Encoding"));
    }
    match decide(req, &etag, modified, len) {
        Outcome::Failed => res
            .status(StatusCode::PRECONDITION_FAILED)
            .content_type("text/plain; charset=utf-8")
            .body("The file does not match the request's precondition."),
        Outcome::NotModified => res.status(StatusCode::NOT_MODIFIED).finish(),
        Outcome::Unsatisfiable => res
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .insert_header((header::CONTENT_RANGE, format!("bytes */{len}")))
            .content_type("text/plain; charset=utf-8")
            .body(format!(
                "The range asked for is not within the file's {len} bytes."
            )),
        Outcome::Whole => body(res, media, coding, file, 0, len),
        Outcome::Part(first, last) => {
            res.status(StatusCode::PARTIAL_CONTENT)
                .insert_header((header::CONTENT_RANGE, format!("bytes {first}-{last}/{len}")));
            body(res, media, coding, file, first, last - first + 1)
        }
    }
}

fn body(
    mut res: HttpResponseBuilder,
    media: &str,
    coding: Coding,
    file: std::fs::File,
    offset: u64,
    count: u64,
) -> HttpResponse {
    res.insert_header((header::ACCEPT_RANGES, "bytes"));
    res.content_type(media);
    if coding != Coding::Identity {
        res.insert_header((header::CONTENT_ENCODING, coding.name()));
    }
    res.body(SizedStream::new(count, stream(file, offset, count)))
}

/// The bytes `offset..offset + count` of the file, read in chunks of [`CHUNK`] bytes on the
/// blocking threads, each read straight into the buffer that becomes the chunk. (tokio's
/// `fs::File` reads into a buffer of its own and copies out of it: one copy more of every
/// byte served, measured at 8% of a 64 KiB file's requests/s.) The file is positioned once,
/// by the first read; each read goes on where the last one stopped.
fn stream(
    file: std::fs::File,
    offset: u64,
    count: u64,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, io::Error>> {
    futures_util::stream::try_unfold(
        (file, Some(offset), count),
        |(mut file, seek, left)| async move {
            if left == 0 {
                return Ok(None);
            }
            let n = left.min(CHUNK as u64);
            let (file, chunk) = actix_web::web::block(move || {
                use std::io::{Read, Seek};
                if let Some(at) = seek.filter(|at| *at > 0) {
                    file.seek(io::SeekFrom::Start(at))?;
                }
                let mut buf = Vec::with_capacity(n as usize);
                (&mut file).take(n).read_to_end(&mut buf)?;
                if (buf.len() as u64) < n {
                    // The file shrank since its length was sent.
                    return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
                }
                Ok((file, bytes::Bytes::from(buf)))
            })
            .await
            .map_err(io::Error::other)??;
            Ok(Some((chunk, (file, None, left - n))))
        },
    )
}

/// RFC 9110 §13.2.2, then §14.2.
fn decide(
    req: &HttpRequest,
    etag: &EntityTag,
    modified: Option<httpdate::HttpDate>,
    len: u64,
) -> Outcome {
    let h = req.headers();
    let date = |name| {
        h.get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.parse::<httpdate::HttpDate>().ok())
    };
    if h.contains_key(header::IF_MATCH) {
        if !tag_listed(h, header::IF_MATCH, etag, true) {
            return Outcome::Failed;
        }
    } else if let (Some(since), Some(m)) = (date(header::IF_UNMODIFIED_SINCE), modified)
        && m > since
    {
        return Outcome::Failed;
    }
    let safe = matches!(*req.method(), Method::GET | Method::HEAD);
    if h.contains_key(header::IF_NONE_MATCH) {
        if tag_listed(h, header::IF_NONE_MATCH, etag, false) {
            return if safe {
                Outcome::NotModified
            } else {
                Outcome::Failed
            };
        }
    } else if safe
        && let (Some(since), Some(m)) = (date(header::IF_MODIFIED_SINCE), modified)
        && m <= since
    {
        return Outcome::NotModified;
    }
    if *req.method() != Method::GET {
        return Outcome::Whole;
    }
    let Some(range) = h.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Outcome::Whole;
    };
    if let Some(if_range) = h.get(header::IF_RANGE) {
        let Ok(s) = if_range.to_str() else {
            return Outcome::Whole;
        };
        let current = if s.starts_with('"') || s.starts_with("W/") {
            // A strong comparison: a weak tag never matches (§13.1.5).
            s.parse::<EntityTag>().is_ok_and(|t| t.strong_eq(etag))
        } else {
            // A date matches only the exact Last-Modified.
            s.parse::<httpdate::HttpDate>()
                .ok()
                .is_some_and(|d| Some(d) == modified)
        };
        if !current {
            return Outcome::Whole;
        }
    }
    ranges(range, len)
}

/// The answer to `Range: <range>` for a file of `len` bytes.
fn ranges(range: &str, len: u64) -> Outcome {
    use actix_web::http::header::Range;
    let Some(specs) = range.trim().parse::<Range>().ok().and_then(|r| match r {
        Range::Bytes(specs) if specs.len() <= MAX_RANGES => Some(specs),
        // Another unit, or too many ranges: ignored.
        _ => None,
    }) else {
        return Outcome::Whole;
    };
    let mut spans: Vec<(u64, u64)> = specs
        .iter()
        .filter_map(|s| s.to_satisfiable_range(len))
        .collect();
    if spans.is_empty() {
        return Outcome::Unsatisfiable;
    }
    spans.sort_unstable();
    let (first, mut last) = spans[0];
    for &(a, b) in &spans[1..] {
        if a > last.saturating_add(1) {
            // Ranges apart: the whole file rather than a multipart body (§14.2 allows it).
            return Outcome::Whole;
        }
        last = last.max(b);
    }
    Outcome::Part(first, last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(r: &str, len: u64) -> Option<(u64, u64)> {
        match ranges(r, len) {
            Outcome::Part(a, b) => Some((a, b)),
            _ => None,
        }
    }

    #[test]
    fn ranges_of_rfc_9110_section_14_1_2() {
        assert_eq!(part("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(part("bytes=90-", 100), Some((90, 99)));
        assert_eq!(part("bytes=-10", 100), Some((90, 99)));
        assert_eq!(part("bytes=-1000", 100), Some((0, 99)));
        assert_eq!(part("bytes=50-1000", 100), Some((50, 99)));
        // Overlapping or touching ranges are merged.
        assert_eq!(part("bytes=0-9,5-19,20-29", 100), Some((0, 29)));
        assert!(matches!(ranges("bytes=0-9,50-59", 100), Outcome::Whole));
        assert!(matches!(ranges("bytes=100-", 100), Outcome::Unsatisfiable));
        assert!(matches!(ranges("bytes=-0", 100), Outcome::Unsatisfiable));
        assert!(matches!(ranges("bytes=0-", 0), Outcome::Unsatisfiable));
        // Not a ranges-specifier: ignored.
        for r in [
            "bytes=5-4",
            "bytes=x-",
            "lines=1-2",
            "bytes",
            "bytes=",
            "0-9",
        ] {
            assert!(matches!(ranges(r, 100), Outcome::Whole), "{r}");
        }
        let many = format!("bytes={}", vec!["0-0"; MAX_RANGES + 1].join(","));
        assert!(matches!(ranges(&many, 100), Outcome::Whole));
    }

    #[test]
    fn text_gets_a_charset_and_the_unknown_is_octets() {
        assert_eq!(media_type(Path::new("a.txt")), "text/plain; charset=utf-8");
        assert_eq!(media_type(Path::new("a.css")), "text/css; charset=utf-8");
        assert_eq!(
            media_type(Path::new("a.js")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            media_type(Path::new("a.svg")),
            "image/svg+xml; charset=utf-8"
        );
        assert_eq!(media_type(Path::new("a.png")), "image/png");
        assert_eq!(media_type(Path::new("a.weird")), "application/octet-stream");
        assert_eq!(media_type(Path::new("noext")), "application/octet-stream");
    }
}
