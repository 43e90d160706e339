//! Errors a handler, an extractor or the framework answers with.
//!
//! This module owns [`HttpError`], the one error type of drupe, and the named rejections the
//! dispatcher raises ([`NotFound`], [`MethodNotAllowed`], [`NotAcceptable`],
//! [`MissingParameters`], [`UnexpectedParameters`], [`BadParameter`], ...). An `HttpError`
//! keeps what the client is told apart from what goes to the log, and its status can only be a
//! client (4xx) or server (5xx) error. Bodies are rendered late, once the request is known, so
//! every error is negotiated like any other response: `application/problem+json` (RFC 9457) for
//! clients that prefer JSON, an HTML page for browsers, plain text otherwise.

use std::borrow::Cow;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use smallvec::SmallVec;

/// The message a 5xx error shows a client: the details go to the log only.
pub const INTERNAL_MESSAGE: &str = "The server encountered an unexpected condition which prevented it from fulfilling the request.";

/// A status code that is certainly an error: 400–599.
///
/// ```
/// use drupe::ErrorStatus;
/// use actix_web::http::StatusCode;
/// assert!(ErrorStatus::new(StatusCode::NOT_FOUND).is_some());
/// assert!(ErrorStatus::new(StatusCode::OK).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorStatus(StatusCode);

impl ErrorStatus {
    /// `Some` for a 4xx or 5xx status, `None` otherwise.
    pub fn new(status: StatusCode) -> Option<Self> {
        (status.is_client_error() || status.is_server_error()).then_some(Self(status))
    }

    /// The status code.
    pub fn get(self) -> StatusCode {
        self.0
    }
}

/// The error type of handlers, extractors and tools.
///
/// The *client message* is what the response body says; the *internal message* (optional)
/// goes to the log only. For a 5xx the client message is always the generic
/// [`INTERNAL_MESSAGE`] unless set explicitly with [`HttpError::with_message`].
///
/// ```
/// use drupe::HttpError;
/// use actix_web::http::StatusCode;
///
/// let e = HttpError::not_found("No user 7.");
/// assert_eq!(e.status(), StatusCode::NOT_FOUND);
/// assert_eq!(e.message(), "No user 7.");
///
/// let e = HttpError::internal("pool exhausted after 3 s");
/// assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
/// assert!(!e.message().contains("pool"));
/// ```
#[derive(Clone)]
pub struct HttpError {
    // Boxed: errors travel in `Result`s on hot paths, where a small `Err` keeps the `Ok`
    // path cheap.
    inner: Box<ErrorInner>,
}

#[derive(Clone)]
struct ErrorInner {
    status: ErrorStatus,
    message: Cow<'static, str>,
    internal: Option<String>,
    headers: SmallVec<[(HeaderName, HeaderValue); 2]>,
    extra: Option<serde_json::Map<String, serde_json::Value>>,
}

impl HttpError {
    /// An error with this status and client message.
    pub fn new(status: ErrorStatus, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            inner: Box::new(ErrorInner {
                status,
                message: message.into(),
                internal: None,
                headers: SmallVec::new(),
                extra: None,
            }),
        }
    }

    fn of(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorStatus(status), message)
    }

    /// 400 Bad Request.
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::of(StatusCode::BAD_REQUEST, message)
    }

    /// 401 Unauthorized (the authentication tools add their `WWW-Authenticate`).
    pub fn unauthorized(message: impl Into<Cow<'static, str>>) -> Self {
        Self::of(StatusCode::UNAUTHORIZED, message)
    }

    /// 429 Too Many Requests with `Retry-After` in whole seconds (rounded up, at least 1).
    pub fn too_many_requests(
        wait: std::time::Duration,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        Self::of(StatusCode::TOO_MANY_REQUESTS, message)
            .with_header(header::RETRY_AFTER, HeaderValue::from(secs))
    }

    /// 403 Forbidden.
    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::of(StatusCode::FORBIDDEN, message)
    }

    /// 404 Not Found.
    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::of(StatusCode::NOT_FOUND, message)
    }

    /// 409 Conflict.
    pub fn conflict(message: impl Into<Cow<'static, str>>) -> Self {
        Self::of(StatusCode::CONFLICT, message)
    }

    /// 414 URI Too Long.
    ///
    /// ```
    /// let e = drupe::HttpError::uri_too_long("Too long.");
    /// assert_eq!(e.status().as_u16(), 414);
    /// ```
    pub fn uri_too_long(message: impl Into<Cow<'static, str>>) -> Self {
        Self::of(StatusCode::URI_TOO_LONG, message)
    }

    /// 431 Request Header Fields Too Large.
    ///
    /// ```
    /// let e = drupe::HttpError::header_fields_too_large("Too large.");
    /// assert_eq!(e.status().as_u16(), 431);
    /// ```
    pub fn header_fields_too_large(message: impl Into<Cow<'static, str>>) -> Self {
        Self::of(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, message)
    }

    /// 413 Content Too Large.
    pub fn payload_too_large(message: impl Into<Cow<'static, str>>) -> Self {
        Self::of(StatusCode::PAYLOAD_TOO_LARGE, message)
    }

    /// 415 Unsupported Media Type.
    pub fn unsupported_media_type(message: impl Into<Cow<'static, str>>) -> Self {
        Self::of(StatusCode::UNSUPPORTED_MEDIA_TYPE, message)
    }

    /// 422 Unprocessable Content: the body parsed but its values are not acceptable.
    pub fn unprocessable(message: impl Into<Cow<'static, str>>) -> Self {
        Self::of(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// 500 Internal Server Error: `detail` goes to the log, the client sees
    /// [`INTERNAL_MESSAGE`].
    pub fn internal(detail: impl fmt::Display) -> Self {
        Self::of(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL_MESSAGE).with_internal(detail)
    }

    /// 503 Service Unavailable with `Retry-After: seconds`; `detail` goes to the log.
    pub fn unavailable(retry_after_secs: u32, detail: impl fmt::Display) -> Self {
        Self::of(
            StatusCode::SERVICE_UNAVAILABLE,
            "The service is temporarily unavailable; try again shortly.",
        )
        .with_internal(detail)
        .with_header(header::RETRY_AFTER, HeaderValue::from(retry_after_secs))
    }

    /// Replaces the client message.
    pub fn with_message(mut self, message: impl Into<Cow<'static, str>>) -> Self {
        self.inner.message = message.into();
        self
    }

    /// Sets the message written to the log (never sent to the client).
    pub fn with_internal(mut self, detail: impl fmt::Display) -> Self {
        self.inner.internal = Some(detail.to_string());
        self
    }

    /// Adds a header to the error response (`Allow`, `Retry-After`, ...).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.inner.headers.push((name, value));
        self
    }

    /// Adds an extension member to the problem details (RFC 9457 §3.2).
    pub fn with_extension(mut self, key: &str, value: serde_json::Value) -> Self {
        self.inner
            .extra
            .get_or_insert_with(Default::default)
            .insert(key.to_owned(), value);
        self
    }

    /// Marks a server error with the id its log line carries (`request_id`): the page, the
    /// problem details and an `X-Request-Id` header show it, so that a user's report finds
    /// the log line.
    pub(crate) fn with_request_id(self, id: &str) -> Self {
        let v = HeaderValue::from_str(id).unwrap_or(HeaderValue::from_static("-"));
        self.with_extension("request_id", id.into())
            .with_header(HeaderName::from_static("x-request-id"), v)
    }

    /// Adds what went wrong inside (`traceback`, as CherryPy calls it) to a server error's
    /// answer: the page, the plain text and the problem details show it.
    pub(crate) fn with_traceback(self, detail: &str) -> Self {
        self.with_extension("traceback", detail.into())
    }

    /// What [`with_traceback`](Self::with_traceback) added.
    pub(crate) fn traceback(&self) -> Option<&str> {
        self.extensions()?.get("traceback")?.as_str()
    }

    /// The id [`with_request_id`](Self::with_request_id) gave it.
    pub(crate) fn request_id(&self) -> Option<&str> {
        self.extensions()?.get("request_id")?.as_str()
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.inner.status.0
    }

    /// What the client is told.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// What the log is told, if anything beyond the client message.
    pub fn internal_message(&self) -> Option<&str> {
        self.inner.internal.as_deref()
    }

    pub(crate) fn headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.inner.headers
    }

    pub(crate) fn extensions(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        self.inner.extra.as_ref()
    }
}

/// A new request id: 16 hex digits from the OS's random source (a counter if it fails), for a
/// 5xx and its log line.
pub(crate) fn new_request_id() -> String {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        b = NEXT
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .to_be_bytes();
    }
    format!("{:016x}", u64::from_be_bytes(b))
}

/// What an error response drupe rendered said, kept in its extensions: an error page
/// configured for its path (`error_page.<status>`) shows the same.
#[derive(Debug, Clone)]
pub(crate) struct Rendered {
    pub(crate) message: String,
    pub(crate) request_id: Option<String>,
}

impl fmt::Debug for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpError")
            .field("status", &self.status().as_u16())
            .field("message", &self.inner.message)
            .field("internal", &self.inner.internal)
            .finish()
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status().as_u16(), self.message())
    }
}

impl std::error::Error for HttpError {}

impl ResponseError for HttpError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    /// A plain-text rendering; the dispatcher replaces it with the negotiated one.
    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status())
            .content_type(mime::TEXT_PLAIN_UTF_8)
            .body(self.message().to_owned());
        for (name, value) in self.headers() {
            res.headers_mut().append(name.clone(), value.clone());
        }
        res
    }
}

mod rejections;
mod render;

pub use rejections::*;
pub(crate) use render::*;

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn status_is_always_an_error() {
        for code in [200u16, 204, 301, 304, 399] {
            assert!(ErrorStatus::new(StatusCode::from_u16(code).unwrap()).is_none());
        }
        for code in [400u16, 404, 499, 500, 599] {
            assert!(ErrorStatus::new(StatusCode::from_u16(code).unwrap()).is_some());
        }
    }

    #[test]
    fn internal_detail_never_reaches_the_body() {
        let e = HttpError::internal("password=hunter2");
        let req = TestRequest::default()
            .insert_header(("accept", "application/json"))
            .to_http_request();
        let res = render(&req, &e);
        assert_eq!(res.status(), 500);
        let body = actix_web::body::to_bytes(res.into_body());
        let body = futures_util::FutureExt::now_or_never(body)
            .unwrap()
            .unwrap();
        assert!(!String::from_utf8_lossy(&body).contains("hunter2"));
    }

    #[test]
    fn format_follows_accept() {
        let f = |accept: Option<&str>| {
            let mut r = TestRequest::default();
            if let Some(a) = accept {
                r = r.insert_header(("accept", a));
            }
            error_format(&r.to_http_request())
        };
        assert_eq!(f(None), ErrorFormat::Plain);
        assert_eq!(f(Some("*/*")), ErrorFormat::Plain);
        assert_eq!(f(Some("application/json")), ErrorFormat::Problem);
        assert_eq!(
            f(Some(
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
            )),
            ErrorFormat::Html
        );
        assert_eq!(f(Some("image/png")), ErrorFormat::Plain);
        assert_eq!(f(Some("text/html;q=nope")), ErrorFormat::Plain);
    }

    #[test]
    fn html_page_escapes() {
        let page = html_page(StatusCode::NOT_FOUND, "<script>x</script>", None);
        assert!(page.contains("&lt;script&gt;"));
        assert!(page.contains("<title>404 Not Found</title>"));
    }
}
