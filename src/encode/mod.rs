//! Compression: the `encode` tool, which answers a client that accepts it in gzip, Brotli or
//! Zstandard.
//!
//! This module owns choosing whether and how a response is compressed. The coding comes from
//! `Accept-Encoding` with its weights ([`crate::encoding`]); only text-like types
//! (`mime_types`) of at least `min_size` bytes are compressed, never a 206, a 304, a body
//! already encoded (a precompressed static file), nor one marked `Cache-Control:
//! no-transform`; every response whose coding depended on the request says so with `Vary:
//! Accept-Encoding`, and an encoded one gets its own `ETag` (the tag with `-gzip`, `-br` or
//! `-zstd` added inside the quotes), so that a validator never names two byte sequences. A
//! conditional GET is answered by the ETag tool once the response is final, against the
//! encoded variant's own tag.
//!
//! It runs first among the tools (priority 40: CherryPy's `gzip` runs at 80 of another
//! scale), because after-hooks run in priority order and only for the tools whose before-hook
//! ran: so it sees every answer — a handler's, a static file's, a cache hit — and the output
//! cache (90) stores the encoded bytes as the variant of that `Accept-Encoding`, so a hit is
//! never compressed again and a client that does not accept gzip never gets it. A body in
//! memory is compressed whole (the cache can store it); a streamed one (a static file) is
//! compressed as it streams. The codecs are `async-compression`'s; actix-web's `Compress`
//! middleware does not fit: it encodes while the body is written, after every tool, so the
//! cache could only store identity bytes and would compress each hit again.

use actix_web::HttpResponse;
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::http::header::{self, HeaderValue};
use async_compression::Level;
use bytes::Bytes;
use serde::Deserialize;

use crate::http::encoding::{self, Choice, Coding};
use crate::tools::{After, Exchange, Tool};

mod codec;

/// The largest body in memory compressed whole (then stored by the output cache if it may);
/// a larger one is compressed as it is written, a chunk at a time, so that one big answer
/// does not hold up the other requests of its worker.
const WHOLE_MAX: usize = 256 * 1024;

/// The `encode` tool (on by default).
///
/// ```
/// use drupe::{App, controller};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self) -> String { "a long text ".repeat(100) }
/// }
/// let app = App::builder(Root)
///     .set("/", "tools.encode.min_size", 1024)
///     .set("/", "tools.encode.codings", toml::Value::Array(vec!["gzip".into()]))
///     .build()
///     .unwrap();
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Encode;

/// The settings of `tools.encode` at a path.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct EncodeConfig {
    /// The smallest body compressed, in bytes (256).
    pub min_size: u64,
    /// The media types compressed (parameters ignored): exact (`application/json`), a
    /// whole type (`text/*`), or a suffix (`*/*+json`). By default text, JSON, XML,
    /// JavaScript, Atom, SVG, and every `+json` and `+xml`.
    pub mime_types: Vec<String>,
    /// The codings offered, the first preferred when the client weighs them alike
    /// (`["br", "zstd", "gzip"]`; `zstd` needs the crate's `zstd` feature, on by default).
    pub codings: Vec<String>,
    /// Gzip's level, 1 to 9 (6).
    pub gzip_level: i32,
    /// Brotli's quality, 0 to 11 (4: 11 costs a hundred times as much for a few percent).
    pub brotli_level: i32,
    /// Zstandard's level, 1 to 22 (3).
    pub zstd_level: i32,
    #[serde(skip)]
    offered: Vec<Coding>,
    #[serde(skip)]
    patterns: Vec<Pattern>,
}

impl Default for EncodeConfig {
    fn default() -> Self {
        Self {
            min_size: 256,
            mime_types: [
                "text/*",
                "application/json",
                "application/xml",
                "application/javascript",
                "application/atom+xml",
                "image/svg+xml",
                "*/*+json",
                "*/*+xml",
            ]
            .map(str::to_owned)
            .to_vec(),
            codings: if cfg!(feature = "zstd") {
                vec!["br".to_owned(), "zstd".to_owned(), "gzip".to_owned()]
            } else {
                vec!["br".to_owned(), "gzip".to_owned()]
            },
            gzip_level: 6,
            brotli_level: 4,
            zstd_level: 3,
            offered: Vec::new(),
            patterns: Vec::new(),
        }
    }
}

impl EncodeConfig {
    /// The level for a coding.
    fn level(&self, c: Coding) -> Level {
        Level::Precise(match c {
            Coding::Gzip => self.gzip_level,
            Coding::Brotli => self.brotli_level,
            Coding::Zstd => self.zstd_level,
            Coding::Identity => 0,
        })
    }

    /// Whether a `Content-Type` is one to compress.
    fn compresses(&self, content_type: &str) -> bool {
        let essence = content_type.split(';').next().unwrap_or("").trim();
        let Some((ty, sub)) = essence.split_once('/') else {
            return false;
        };
        self.patterns.iter().any(|p| p.matches(ty, sub))
    }
}

/// One of `mime_types`, read once when the application is built.
#[derive(Debug, Clone)]
enum Pattern {
    /// `text/html`, `*/json`.
    Exact { ty: Option<String>, sub: String },
    /// `text/*`, `*/*`.
    Type(Option<String>),
    /// `*/*+json`, `application/*+xml`.
    Suffix { ty: Option<String>, suffix: String },
}

impl Pattern {
    /// `type/subtype`, `type/*` or `type/*+suffix`, each part `*` or a name.
    fn parse(text: &str) -> Option<Self> {
        let (ty, sub) = text.split_once('/')?;
        if ty.is_empty() || sub.is_empty() {
            return None;
        }
        let ty = (ty != "*").then(|| ty.to_ascii_lowercase());
        Some(if sub == "*" {
            Pattern::Type(ty)
        } else if let Some(suffix) = sub.strip_prefix("*+") {
            Pattern::Suffix {
                ty,
                suffix: suffix.to_ascii_lowercase(),
            }
        } else {
            Pattern::Exact {
                ty,
                sub: sub.to_ascii_lowercase(),
            }
        })
    }

    fn matches(&self, ty: &str, sub: &str) -> bool {
        let type_ok =
            |want: &Option<String>| want.as_ref().is_none_or(|t| t.eq_ignore_ascii_case(ty));
        match self {
            Pattern::Type(t) => type_ok(t),
            Pattern::Exact { ty: t, sub: s } => type_ok(t) && s.eq_ignore_ascii_case(sub),
            Pattern::Suffix { ty: t, suffix } => {
                type_ok(t)
                    && sub
                        .rsplit_once('+')
                        .is_some_and(|(_, s)| s.eq_ignore_ascii_case(suffix))
            }
        }
    }
}

impl Tool for Encode {
    type Config = EncodeConfig;
    const NAME: &'static str = "encode";
    const ON_BY_DEFAULT: bool = true;

    /// First: see the module's documentation.
    fn priority(&self) -> i32 {
        40
    }

    fn prepare(
        &self,
        cfg: &mut EncodeConfig,
        at: &crate::tools::Placement<'_>,
    ) -> Result<(), crate::ConfigError> {
        let mut offered = Vec::new();
        for name in &cfg.codings {
            let c = match name.as_str() {
                "br" => Coding::Brotli,
                "zstd" if cfg!(feature = "zstd") => Coding::Zstd,
                "zstd" => {
                    return Err(at.error(
                        "codings",
                        "zstd is not built in: drupe's `zstd` feature is off",
                    ));
                }
                "gzip" => Coding::Gzip,
                other => {
                    return Err(at.error(
                        "codings",
                        format!("unknown coding `{other}`: br, zstd and gzip are known"),
                    ));
                }
            };
            offered.push(c);
        }
        for (key, level, range) in [
            ("gzip_level", cfg.gzip_level, 1..=9),
            ("brotli_level", cfg.brotli_level, 0..=11),
            ("zstd_level", cfg.zstd_level, 1..=22),
        ] {
            if !range.contains(&level) {
                return Err(at.error(
                    key,
                    format!("{level} is not within {}..={}", range.start(), range.end()),
                ));
            }
        }
        let mut patterns = Vec::with_capacity(cfg.mime_types.len());
        for m in &cfg.mime_types {
            let Some(p) = Pattern::parse(m) else {
                return Err(at.error("mime_types", format!("`{m}` is not a media type")));
            };
            patterns.push(p);
        }
        cfg.offered = offered;
        cfg.patterns = patterns;
        Ok(())
    }

    fn after_handler<'a>(
        &'a self,
        cfg: &'a EncodeConfig,
        ex: &'a Exchange,
        res: HttpResponse,
    ) -> After<'a> {
        let Some(coding) = decide(cfg, ex, &res) else {
            return After::Done(res);
        };
        let mut res = res;
        crate::http::add_vary(&mut res, "Accept-Encoding");
        if coding == Coding::Identity {
            return After::Done(res);
        }
        let level = cfg.level(coding);
        let (mut res, body) = res.into_parts();
        mark(&mut res, coding);
        match body.try_into_bytes() {
            Ok(bytes) if bytes.len() <= WHOLE_MAX => After::Pending(Box::pin(async move {
                match codec::whole(coding, level, &bytes).await {
                    Ok(encoded) => res.set_body(BoxBody::new(Bytes::from(encoded))),
                    Err(e) => {
                        tracing::error!("compressing a response ({}): {e}", coding.name());
                        HttpResponse::from_error(crate::HttpError::internal(format!(
                            "compressing a response: {e}"
                        )))
                    }
                }
            })),
            Ok(bytes) => {
                After::Done(res.set_body(codec::streamed(coding, level, BoxBody::new(bytes))))
            }
            Err(body) => {
                // A stream can no longer answer a range of its encoded bytes.
                res.headers_mut().remove(header::ACCEPT_RANGES);
                After::Done(res.set_body(codec::streamed(coding, level, body)))
            }
        }
    }
}

/// The coding for a response, or `None` when its coding cannot depend on the request (no
/// `Vary` then).
fn decide(cfg: &EncodeConfig, ex: &Exchange, res: &HttpResponse) -> Option<Coding> {
    let status = res.status();
    // Not a 206 (a part of the identity bytes), 204, 304 or a redirect.
    if !(matches!(status.as_u16(), 200 | 201 | 203)
        || status.is_client_error()
        || status.is_server_error())
    {
        return None;
    }
    // The cheapest test first: most small answers (a JSON item, a redirect page) end here.
    match res.body().size() {
        BodySize::Sized(n) if n < cfg.min_size => return None,
        BodySize::None => return None,
        _ => {}
    }
    let h = res.headers();
    if h.contains_key(header::CONTENT_ENCODING)
        || h.get(header::CACHE_CONTROL).is_some_and(|v| {
            v.to_str().is_ok_and(|s| {
                s.split(',')
                    .any(|d| d.trim().eq_ignore_ascii_case("no-transform"))
            })
        })
    {
        return None;
    }
    let ct = h.get(header::CONTENT_TYPE)?.to_str().ok()?;
    if !cfg.compresses(ct) {
        return None;
    }
    Some(match encoding::choose(ex.request(), &cfg.offered) {
        Choice::Use(c) => c,
        // Nothing acceptable, not even identity: identity anyway (RFC 9110 §12.5.3 allows
        // it), rather than a 406 for a body the client can still use.
        Choice::Nothing => Coding::Identity,
    })
}

/// The headers of an encoded response: its coding, its own validator, no length of the
/// identity bytes.
fn mark(res: &mut HttpResponse<()>, coding: Coding) {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_ENCODING,
        HeaderValue::from_static(coding.name()),
    );
    h.remove(header::CONTENT_LENGTH);
    if let Some(tag) = h.get(header::ETAG).and_then(|v| v.to_str().ok())
        && let Some(open) = tag.strip_suffix('"')
        && let Ok(v) = HeaderValue::from_str(&format!("{open}-{}\"", coding.name()))
    {
        h.insert(header::ETAG, v);
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    fn any(patterns: &[&str], content_type: &str) -> bool {
        let cfg = super::EncodeConfig {
            patterns: patterns
                .iter()
                .map(|p| Pattern::parse(p).unwrap())
                .collect(),
            ..Default::default()
        };
        cfg.compresses(content_type)
    }

    #[test]
    fn media_type_patterns() {
        assert!(any(&["text/*"], "TEXT/HTML; charset=utf-8"));
        assert!(any(&["application/json"], "application/JSON"));
        assert!(any(&["*/*+json"], "application/problem+json"));
        assert!(any(&["application/*+xml"], "application/atom+xml"));
        assert!(!any(&["application/*+xml"], "image/svg+xml"));
        assert!(!any(&["application/json"], "application/jsonx"));
        assert!(!any(&["text/*"], "image/png"));
        assert!(!any(&["text/*"], "garbage"));
        for bad in ["text", "text/", "/html", ""] {
            assert!(Pattern::parse(bad).is_none(), "{bad}");
        }
    }
}
