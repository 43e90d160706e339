//! The values a handler returns to have its answer negotiated, and how they become responses.
//!
//! [`Negotiated<T>`] (200 unless set otherwise), [`Created<T>`] (201 with an absolute
//! `Location`) and [`NoContent`] (204) are [`Reply`]s: in a `#[produces]` handler the value is
//! written by the representation negotiation chose ([`finish`]); elsewhere it is JSON. Each
//! carries the headers and cookies of its [`ReplyParts`], applied to whichever representation
//! was chosen and never to an error response.

use actix_web::body::BoxBody;
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue, TryIntoHeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, Responder};
use serde::Serialize;

use super::{RenderSet, ReplyParts, render_chosen};
use crate::HttpError;
use crate::dispatch::HandlerResult;

/// A value answered in the representation negotiation chose (200 unless set otherwise), with
/// the headers and cookies added to it.
///
/// ```
/// use actix_web::cookie::Cookie;
/// use drupe::{controller, Negotiated};
/// #[derive(serde::Serialize)]
/// struct Point { x: i32, y: i32 }
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     #[produces(json, xml)]
///     fn point(&self) -> Negotiated<Point> {
///         Negotiated::new(Point { x: 1, y: 2 })
///             .header("cache-control", "max-age=60")
///             .cookie(Cookie::new("last", "point"))
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Negotiated<T> {
    value: T,
    status: StatusCode,
    parts: ReplyParts,
}

impl<T> Negotiated<T> {
    /// 200 with `value`.
    pub fn new(value: T) -> Self {
        Self {
            value,
            status: StatusCode::OK,
            parts: ReplyParts::new(),
        }
    }

    /// Another success status.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Sets a header on the response, whatever representation is chosen (see
    /// [`ReplyParts::header`]).
    pub fn header<N, V>(mut self, name: N, value: V) -> Self
    where
        N: TryInto<HeaderName, Error: std::fmt::Display>,
        V: TryIntoHeaderValue,
    {
        self.parts.header(name, value);
        self
    }

    /// Adds a `Set-Cookie` to the response.
    pub fn cookie(mut self, cookie: Cookie<'_>) -> Self {
        self.parts.cookie(cookie);
        self
    }

    /// The version of the resource shown: its `ETag` is made from it and the chosen media
    /// type (`"7-json"`) instead of the body's bytes (see [`ReplyParts::version`]).
    ///
    /// ```
    /// # #[derive(serde::Serialize)] struct Album { version: u64 }
    /// let album = Album { version: 7 };
    /// let v = album.version;
    /// let reply = drupe::Negotiated::new(album).version(v);
    /// ```
    pub fn version(mut self, version: impl std::fmt::Display) -> Self {
        self.parts.version(version);
        self
    }

    /// `Last-Modified`: when the resource last changed.
    pub fn last_modified(mut self, at: std::time::SystemTime) -> Self {
        self.parts.last_modified(at);
        self
    }

    /// The value.
    pub fn into_inner(self) -> T {
        self.value
    }
}

/// 201 Created: the new resource's representation and its absolute `Location`. It cannot be
/// built without a location.
///
/// ```
/// use drupe::Created;
/// let c = Created::new("/users/3", serde_json::json!({"id": 3}))
///     .header("cache-control", "no-store")
///     .cookie(actix_web::cookie::Cookie::new("created", "3"));
/// assert_eq!(c.location(), "/users/3");
/// ```
#[derive(Debug, Clone)]
pub struct Created<T> {
    location: String,
    value: T,
    parts: ReplyParts,
}

impl<T> Created<T> {
    /// The resource at `location` (a path on this host, or an absolute URL).
    pub fn new(location: impl Into<String>, value: T) -> Self {
        Self {
            location: location.into(),
            value,
            parts: ReplyParts::new(),
        }
    }

    /// The location as given.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Sets a header on the response (see [`ReplyParts::header`]); `Location` is the one
    /// given to [`new`](Self::new), made absolute, and cannot be set here.
    pub fn header<N, V>(mut self, name: N, value: V) -> Self
    where
        N: TryInto<HeaderName, Error: std::fmt::Display>,
        V: TryIntoHeaderValue,
    {
        self.parts.header(name, value);
        self
    }

    /// Adds a `Set-Cookie` to the response.
    pub fn cookie(mut self, cookie: Cookie<'_>) -> Self {
        self.parts.cookie(cookie);
        self
    }

    /// The parts with the absolute `Location` of this request.
    fn parts_with_location(mut self, req: &HttpRequest) -> Result<(ReplyParts, T), HttpError> {
        let url =
            crate::http::url::absolute(req, crate::context::behind_proxy(req), &self.location);
        let loc = HeaderValue::from_str(&url)
            .map_err(|_| HttpError::internal(format!("invalid Location {url:?}")))?;
        self.parts.forbid(
            &header::LOCATION,
            "a Created's Location is the one given to Created::new",
        );
        self.parts.insert_own(header::LOCATION, loc);
        Ok((self.parts, self.value))
    }
}

/// 204 No Content, with the headers and cookies added to it. `NoContent` is also a value:
/// `Ok(NoContent)`, `NoContent.cookie(...)`.
///
/// ```
/// use drupe::{resource, NoContent};
/// struct Session;
/// #[resource]
/// impl Session {
///     fn delete(&self) -> NoContent {
///         let mut gone = actix_web::cookie::Cookie::new("session", "");
///         gone.make_removal();
///         NoContent.header("cache-control", "no-store").cookie(gone)
///     }
/// }
/// ```
#[derive(Debug, Clone, Default)]
pub struct NoContent {
    parts: ReplyParts,
}

/// The 204 answer without headers or cookies of its own.
#[allow(non_upper_case_globals)]
pub const NoContent: NoContent = NoContent {
    parts: ReplyParts::new(),
};

impl NoContent {
    /// Sets a header on the response (see [`ReplyParts::header`]).
    pub fn header<N, V>(mut self, name: N, value: V) -> Self
    where
        N: TryInto<HeaderName, Error: std::fmt::Display>,
        V: TryIntoHeaderValue,
    {
        self.parts.header(name, value);
        self
    }

    /// Adds a `Set-Cookie` to the response.
    pub fn cookie(mut self, cookie: Cookie<'_>) -> Self {
        self.parts.cookie(cookie);
        self
    }
}

impl Responder for NoContent {
    type Body = BoxBody;
    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        self.parts.applied(HttpResponse::NoContent().finish())
    }
}

fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Result<HttpResponse, HttpError> {
    let body = serde_json::to_vec(value)
        .map_err(|e| HttpError::internal(format!("JSON encoding: {e}")))?;
    Ok(HttpResponse::build(status)
        .content_type(mime::APPLICATION_JSON)
        .body(body))
}

/// Outside a `#[produces]` handler a negotiated value is JSON.
impl<T: Serialize> Responder for Negotiated<T> {
    type Body = BoxBody;
    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        match json_response(self.status, &self.value) {
            Ok(res) => self.parts.applied(res),
            Err(e) => HttpResponse::from_error(e),
        }
    }
}

/// Outside a `#[produces]` handler a created value is JSON.
impl<T: Serialize> Responder for Created<T> {
    type Body = BoxBody;
    fn respond_to(self, req: &HttpRequest) -> HttpResponse {
        let res = self.parts_with_location(req).and_then(|(parts, value)| {
            Ok(parts.applied(json_response(StatusCode::CREATED, &value)?))
        });
        res.unwrap_or_else(HttpResponse::from_error)
    }
}

/// What a success value of a `#[produces]` handler becomes.
pub enum Replied<T> {
    /// A value to render with the chosen representation.
    Render {
        /// The status.
        status: StatusCode,
        /// Headers and cookies added to the rendered response.
        parts: ReplyParts,
        /// The value.
        value: T,
    },
    /// A ready response.
    Response(HttpResponse),
}

/// A success value of a `#[produces]` handler: [`Negotiated`], [`Created`],
/// [`NoContent`](struct@NoContent), or an `HttpResponse` the handler built itself (with
/// [`ChosenMedia`](super::ChosenMedia)).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a negotiated reply",
    label = "a `#[produces]` handler returns `Negotiated<T>`, `Created<T>`, `NoContent` or an `HttpResponse`, or a `Result` of one",
    note = "a method of an impl block with `produces(...)` that answers by itself opts out with `#[produces(none)]`"
)]
pub trait Reply {
    /// The type rendered.
    type Value;
    /// The success status it documents.
    const STATUS: u16 = 200;
    /// Its parts.
    fn into_replied(self, req: &HttpRequest) -> Result<Replied<Self::Value>, HttpError>;
}

/// What a `#[produces]` handler may return: a [`Reply`] or a `Result` of one.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a negotiated reply",
    label = "a `#[produces]` handler returns `Negotiated<T>`, `Created<T>`, `NoContent` or an `HttpResponse`, or a `Result` of one",
    note = "a method of an impl block with `produces(...)` that answers by itself opts out with `#[produces(none)]`"
)]
pub trait Finish {
    /// The type rendered.
    type Value;
    /// The success status it documents.
    const STATUS: u16;
    /// Its parts, or the handler's error.
    fn into_replied(self, req: &HttpRequest) -> Result<Replied<Self::Value>, actix_web::Error>;
}

impl<X: Reply> Finish for X {
    type Value = X::Value;
    const STATUS: u16 = X::STATUS;
    fn into_replied(self, req: &HttpRequest) -> Result<Replied<X::Value>, actix_web::Error> {
        Reply::into_replied(self, req).map_err(Into::into)
    }
}

impl<X: Reply, E: Into<actix_web::Error>> Finish for Result<X, E> {
    type Value = X::Value;
    const STATUS: u16 = X::STATUS;
    fn into_replied(self, req: &HttpRequest) -> Result<Replied<X::Value>, actix_web::Error> {
        match self {
            Ok(x) => Reply::into_replied(x, req).map_err(Into::into),
            Err(e) => Err(e.into()),
        }
    }
}

/// The reply in a `#[produces]` handler's return type, whatever its error type: what the
/// OpenAPI document describes.
pub trait ReplyOf {
    /// The reply.
    type Reply: Reply;
}

impl<X: Reply> ReplyOf for X {
    type Reply = X;
}

impl<X: Reply, E> ReplyOf for Result<X, E> {
    type Reply = X;
}

/// Renders a `#[produces]` handler's output with the representation chosen for the request.
pub(crate) fn finish<O: Finish, S: RenderSet<O::Value>>(
    out: O,
    req: &HttpRequest,
    set: &S,
) -> HandlerResult {
    match out.into_replied(req)? {
        Replied::Response(r) => Ok(r),
        Replied::Render {
            status,
            mut parts,
            value,
        } => {
            if let Some(c) = req.extensions().get::<super::Chosen>() {
                parts.negotiated(c.media);
            }
            let (ct, body) = render_chosen(req, set, &value)?;
            let mut res = HttpResponse::build(status)
                .insert_header((header::CONTENT_TYPE, ct))
                .body(body);
            parts.apply(&mut res)?;
            Ok(res)
        }
    }
}

impl<T> Reply for Negotiated<T> {
    type Value = T;
    fn into_replied(self, _: &HttpRequest) -> Result<Replied<T>, HttpError> {
        Ok(Replied::Render {
            status: self.status,
            parts: self.parts,
            value: self.value,
        })
    }
}

impl<T> Reply for Created<T> {
    type Value = T;
    const STATUS: u16 = 201;
    fn into_replied(self, req: &HttpRequest) -> Result<Replied<T>, HttpError> {
        let (parts, value) = self.parts_with_location(req)?;
        Ok(Replied::Render {
            status: StatusCode::CREATED,
            parts,
            value,
        })
    }
}

/// A ready response renders nothing: its `Value` is `()`, which every representation but Atom
/// accepts (a handler producing Atom returns a value that is an Atom entry).
impl Reply for HttpResponse {
    type Value = ();
    fn into_replied(self, _: &HttpRequest) -> Result<Replied<()>, HttpError> {
        Ok(Replied::Response(self))
    }
}

impl Reply for NoContent {
    type Value = ();
    const STATUS: u16 = 204;
    fn into_replied(self, _: &HttpRequest) -> Result<Replied<()>, HttpError> {
        let mut res = HttpResponse::NoContent().finish();
        self.parts.apply(&mut res)?;
        Ok(Replied::Response(res))
    }
}
