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
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use smallvec::SmallVec;

use crate::http::negotiate::{self, MediaRange};

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

macro_rules! rejection {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub(crate) HttpError);

        impl From<$name> for HttpError {
            fn from(r: $name) -> HttpError {
                r.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl std::error::Error for $name {}

        impl ResponseError for $name {
            fn status_code(&self) -> StatusCode {
                self.0.status()
            }
            fn error_response(&self) -> HttpResponse {
                self.0.error_response()
            }
        }
    };
}

rejection! {
    /// 404: nothing in the tree answers this path.
    ///
    /// ```
    /// let e: drupe::HttpError = drupe::NotFound::path("/x").into();
    /// assert_eq!(e.message(), "The path '/x' was not found.");
    /// ```
    NotFound
}

impl NotFound {
    /// The dispatcher's 404 for `path` (script name + path info, as requested).
    pub fn path(path: &str) -> Self {
        Self(HttpError::not_found(format!(
            "The path '{path}' was not found."
        )))
    }
}

rejection! {
    /// 405: the resource exists but does not implement the method. Carries `Allow`.
    ///
    /// ```
    /// let e: drupe::HttpError = drupe::MethodNotAllowed::new("GET, HEAD, OPTIONS").into();
    /// assert_eq!(e.status().as_u16(), 405);
    /// ```
    MethodNotAllowed
}

impl MethodNotAllowed {
    /// A 405 whose `Allow` header is `allow` (already sorted and joined).
    pub fn new(allow: &str) -> Self {
        let mut e = HttpError::of(
            StatusCode::METHOD_NOT_ALLOWED,
            "Specified method is invalid for this resource",
        );
        if let Ok(v) = HeaderValue::from_str(allow) {
            e = e.with_header(header::ALLOW, v);
        }
        Self(e.with_extension(
            "allow",
            allow.split(", ").filter(|s| !s.is_empty()).collect(),
        ))
    }
}

rejection! {
    /// 406: no media type the resource produces is acceptable to the client. The body lists
    /// the types it produces.
    ///
    /// ```
    /// let e: drupe::HttpError =
    ///     drupe::NotAcceptable::new(Some("image/png"), ["application/json"]).into();
    /// assert!(e.message().contains("application/json"));
    /// ```
    NotAcceptable
}

impl NotAcceptable {
    /// The 406 for a raw `Accept` header (`None` when absent) and what is available.
    pub fn new<'a>(accept: Option<&str>, available: impl IntoIterator<Item = &'a str>) -> Self {
        let available: Vec<&str> = available.into_iter().collect();
        let said = match accept {
            Some(a) => format!("Your client sent this Accept header: {a}."),
            None => "Your client did not send an Accept header.".to_owned(),
        };
        let msg = format!(
            "{said} But this resource only emits these media types: {}.",
            available.join(", ")
        );
        Self(
            HttpError::of(StatusCode::NOT_ACCEPTABLE, msg)
                .with_extension("available", available.into()),
        )
    }
}

rejection! {
    /// 404: a required parameter of the handler got no value (`Missing parameters: a,b`).
    MissingParameters
}

impl MissingParameters {
    /// The rejection naming the parameters, in declaration order.
    pub fn new(names: &[&str]) -> Self {
        Self(HttpError::not_found(format!(
            "Missing parameters: {}",
            names.join(",")
        )))
    }
}

rejection! {
    /// Named parameters the handler does not take: 404 when any came from the query string
    /// (`Unexpected query string parameters: x, y`), else 400
    /// (`Unexpected body parameters: x, y`).
    UnexpectedParameters
}

impl UnexpectedParameters {
    /// The rejection; `from_query` selects 404 and the query wording.
    pub fn new(names: &[&str], from_query: bool) -> Self {
        let list = listed(names);
        Self(if from_query {
            HttpError::not_found(format!("Unexpected query string parameters: {list}"))
        } else {
            HttpError::bad_request(format!("Unexpected body parameters: {list}"))
        })
    }
}

/// Names for a message: the first [`LISTED`] of them, then how many more (a form of a
/// thousand unknown fields gets a message, not a page of names).
fn listed(names: &[&str]) -> String {
    let mut list = names[..names.len().min(LISTED)].join(", ");
    if names.len() > LISTED {
        use std::fmt::Write;
        let _ = write!(list, " and {} more", names.len() - LISTED);
    }
    list
}

const LISTED: usize = 10;

rejection! {
    /// A parameter received a value from the path and by name: 404 when any of those names
    /// came from the query string, else 400 (`Multiple values for parameters: a,b`).
    MultipleValues
}

impl MultipleValues {
    /// The rejection; `from_query` selects 404.
    pub fn new(names: &[&str], from_query: bool) -> Self {
        let msg = format!("Multiple values for parameters: {}", names.join(","));
        Self(if from_query {
            HttpError::not_found(msg)
        } else {
            HttpError::bad_request(msg)
        })
    }
}

rejection! {
    /// A value that does not parse into the parameter's type: 404 when it came from the path,
    /// 400 when it came from the query or the body. The message names the parameter and type.
    BadParameter
}

impl BadParameter {
    /// The rejection for parameter `name` of type `ty`; `from_path` selects 404.
    pub fn new(name: &str, ty: &str, from_path: bool) -> Self {
        let msg = format!("Invalid value for parameter '{name}': expected {ty}.");
        Self(if from_path {
            HttpError::not_found(msg)
        } else {
            HttpError::bad_request(msg)
        })
    }
}

/// The three ways an error body is written, chosen from the request's `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorFormat {
    Plain,
    Html,
    Problem,
}

const ERROR_FORMATS: [(&str, ErrorFormat); 4] = [
    ("text/plain", ErrorFormat::Plain),
    ("text/html", ErrorFormat::Html),
    ("application/problem+json", ErrorFormat::Problem),
    ("application/json", ErrorFormat::Problem),
];

/// Picks the error body format for a request: JSON-preferring clients get problem details,
/// browsers HTML, everything else (including a malformed `Accept`) plain text.
pub(crate) fn error_format(req: &HttpRequest) -> ErrorFormat {
    let Some(accept) = req.headers().get(header::ACCEPT) else {
        return ErrorFormat::Plain;
    };
    let Ok(accept) = accept.to_str() else {
        return ErrorFormat::Plain;
    };
    static RANGES: std::sync::OnceLock<Vec<MediaRange>> = std::sync::OnceLock::new();
    let ranges = RANGES.get_or_init(|| {
        ERROR_FORMATS
            .iter()
            .map(|(m, _)| MediaRange::parse_static(m))
            .collect()
    });
    match negotiate::select(accept, ranges) {
        Ok(Some(i)) => ERROR_FORMATS[i].1,
        _ => ErrorFormat::Plain,
    }
}

/// Renders an error body in the negotiated format. Headers the error carries are added;
/// `Vary: Accept` is added because the body depends on it.
pub(crate) fn render(req: &HttpRequest, err: &HttpError) -> HttpResponse {
    let status = err.status();
    let format = error_format(req);
    let mut builder = HttpResponse::build(status);
    let body = match format {
        ErrorFormat::Plain => {
            builder.content_type(mime::TEXT_PLAIN_UTF_8);
            err.message().to_owned()
        }
        ErrorFormat::Html => {
            builder.content_type(mime::TEXT_HTML_UTF_8);
            html_page(status, err.message())
        }
        ErrorFormat::Problem => {
            builder.content_type("application/problem+json");
            problem_json(req, status, err)
        }
    };
    for (name, value) in err.headers() {
        builder.append_header((name.clone(), value.clone()));
    }
    let mut res = builder.body(body);
    crate::http::add_vary(&mut res, "Accept");
    res
}

fn problem_json(req: &HttpRequest, status: StatusCode, err: &HttpError) -> String {
    let mut obj = serde_json::Map::new();
    obj.insert("type".into(), "about:blank".into());
    obj.insert("title".into(), crate::http::reason(status.as_u16()).into());
    obj.insert("status".into(), status.as_u16().into());
    obj.insert("detail".into(), err.message().into());
    obj.insert("instance".into(), req.path().into());
    if let Some(extra) = err.extensions() {
        for (k, v) in extra {
            obj.insert(k.clone(), v.clone());
        }
    }
    serde_json::Value::Object(obj).to_string()
}

/// The HTML error page: title and heading `"<code> <reason>"`, the message, a footer.
pub(crate) fn html_page(status: StatusCode, message: &str) -> String {
    let title = format!(
        "{} {}",
        status.as_u16(),
        crate::http::reason(status.as_u16())
    );
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<style>body{{font:16px/1.5 system-ui,sans-serif;margin:3em auto;\
         max-width:40em;padding:0 1em;color:#222}}h2{{color:#8b1d2c}}footer{{margin-top:3em;\
         color:#777;font-size:.85em}}</style>\n</head>\n<body>\n<h2>{title}</h2>\n<p>{msg}</p>\n\
         <footer>Powered by drupe {version}</footer>\n</body>\n</html>\n",
        msg = crate::http::escape_html(message),
        version = env!("CARGO_PKG_VERSION"),
    )
}

/// Converts any actix error into an [`HttpError`], keeping its status and (for 4xx) its text.
pub(crate) fn from_actix(err: &actix_web::Error) -> HttpError {
    if let Some(e) = err.as_error::<HttpError>() {
        return e.clone();
    }
    macro_rules! try_rejection {
        ($($t:ty),*) => {$(
            if let Some(e) = err.as_error::<$t>() {
                return e.0.clone();
            }
        )*};
    }
    try_rejection!(
        NotFound,
        MethodNotAllowed,
        NotAcceptable,
        MissingParameters,
        UnexpectedParameters,
        MultipleValues,
        BadParameter
    );
    let status = err.as_response_error().status_code();
    match ErrorStatus::new(status) {
        Some(s) if status.is_client_error() => HttpError::new(s, err.to_string()),
        Some(s) => HttpError::new(s, INTERNAL_MESSAGE).with_internal(err),
        None => HttpError::internal(err),
    }
}

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
        let page = html_page(StatusCode::NOT_FOUND, "<script>x</script>");
        assert!(page.contains("&lt;script&gt;"));
        assert!(page.contains("<title>404 Not Found</title>"));
    }
}
