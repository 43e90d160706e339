//! What a reply adds to the response negotiation builds: headers and cookies.
//!
//! [`ReplyParts`] is carried by [`Negotiated`](super::Negotiated), [`Created`](super::Created)
//! and [`NoContent`](super::NoContent) and applied to whichever representation was chosen, only
//! when the handler succeeds: an error response never carries them. A header that cannot be
//! sent (a bad name or value, or one the response's own machinery sets) turns the reply into a
//! 500 whose log line names it.

use std::fmt;

use actix_web::HttpResponse;
use actix_web::cookie::Cookie;
use actix_web::http::header::{self, HeaderName, HeaderValue, TryIntoHeaderValue};

use crate::HttpError;

/// Headers and cookies added to a successful reply's response.
///
/// ```
/// use drupe::represent::ReplyParts;
/// let mut parts = ReplyParts::new();
/// parts.header("cache-control", "no-store");
/// parts.cookie(actix_web::cookie::Cookie::new("seen", "1"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ReplyParts {
    headers: Vec<(HeaderName, HeaderValue)>,
    cookies: Vec<Cookie<'static>>,
    /// The version of the resource the answer shows, for its `ETag`.
    version: Option<String>,
    /// The media type negotiation chose, which the version's tag names.
    media: Option<&'static str>,
    /// Why a header could not be set (the first one): the reply answers 500.
    invalid: Option<String>,
}

impl ReplyParts {
    /// Nothing added.
    pub const fn new() -> Self {
        Self {
            headers: Vec::new(),
            cookies: Vec::new(),
            version: None,
            media: None,
            invalid: None,
        }
    }

    /// Sets the header `name` to `value`, replacing one set before under that name.
    /// `Content-Type` is the chosen representation's and `Set-Cookie` is written by
    /// [`cookie`](Self::cookie): setting either here answers 500.
    pub fn header<N, V>(&mut self, name: N, value: V)
    where
        N: TryInto<HeaderName, Error: fmt::Display>,
        V: TryIntoHeaderValue,
    {
        let name = match name.try_into() {
            Ok(n) => n,
            Err(e) => return self.refuse(format!("a reply's header name: {e}")),
        };
        if name == header::CONTENT_TYPE || name == header::SET_COOKIE {
            let why = if name == header::SET_COOKIE {
                "a reply's cookies are set by .cookie()"
            } else {
                "Content-Type is written by the representation negotiation chose"
            };
            return self.refuse(format!("a reply cannot set `{name}`: {why}"));
        }
        match value.try_into_value() {
            Ok(v) => self.headers.push((name, v)),
            Err(e) => {
                let e: actix_web::error::HttpError = e.into();
                self.refuse(format!("a reply's value of `{name}`: {e}"));
            }
        }
    }

    /// Adds a `Set-Cookie` for `cookie`.
    pub fn cookie(&mut self, cookie: Cookie<'_>) {
        self.cookies.push(cookie.into_owned());
    }

    /// The version of the resource the answer shows (a version column, a revision number, an
    /// update time): its `ETag` is made from it and the chosen media type (`"7-json"`), so the
    /// ETag tool need not hash the body and a change can be checked against `If-Match`
    /// without rendering. An `ETag` set with [`header`](Self::header) wins.
    pub fn version(&mut self, version: impl std::fmt::Display) {
        self.version = Some(version.to_string());
    }

    /// `Last-Modified`: when the resource last changed (to the second).
    pub fn last_modified(&mut self, at: std::time::SystemTime) {
        // Clamped: a date before 1970 or after 9999 cannot be written (and would panic).
        let at = crate::http::conditional::writable_date(at);
        self.header(
            header::LAST_MODIFIED,
            actix_web::http::header::HttpDate::from(at),
        );
    }

    /// The media type negotiation chose for the answer (its version's tag names it).
    pub(crate) fn negotiated(&mut self, media: &'static str) {
        self.media = Some(media);
    }

    /// Answers 500 instead, `why` going to the log.
    pub(crate) fn refuse(&mut self, why: String) {
        self.invalid.get_or_insert(why);
    }

    /// Refuses a header `name` set by [`header`](Self::header): the reply type sets it itself.
    pub(crate) fn forbid(&mut self, name: &HeaderName, why: &str) {
        if self.headers.iter().any(|(n, _)| n == name) {
            self.refuse(format!("a reply cannot set `{name}`: {why}"));
        }
    }

    /// A header set by the reply type itself (a `Created`'s `Location`).
    pub(crate) fn insert_own(&mut self, name: HeaderName, value: HeaderValue) {
        self.headers.push((name, value));
    }

    /// Writes the headers and cookies into `res`, or the 500 of a header that could not be set.
    pub(crate) fn apply(self, res: &mut HttpResponse) -> Result<(), HttpError> {
        if let Some(why) = self.invalid {
            return Err(HttpError::internal(why));
        }
        for (name, value) in self.headers {
            res.headers_mut().insert(name, value);
        }
        // An ETag the handler set wins over its version, which then names no tag at all:
        // the check before a change compares what the GET sent.
        if let Some(v) = self.version
            && !res.headers().contains_key(header::ETAG)
        {
            let tag = crate::http::conditional::version_tag(&v, self.media);
            res.headers_mut().insert(header::ETAG, tag);
            res.extensions_mut()
                .insert(crate::http::conditional::Versioned(v));
        }
        for c in &self.cookies {
            res.add_cookie(c)
                .map_err(|e| HttpError::internal(format!("cookie `{}`: {e}", c.name())))?;
        }
        Ok(())
    }

    /// `res` with the headers and cookies, or the error response of one that could not be set.
    pub(crate) fn applied(self, mut res: HttpResponse) -> HttpResponse {
        match self.apply(&mut res) {
            Ok(()) => res,
            Err(e) => HttpResponse::from_error(e),
        }
    }
}
