//! Representations: one handler value, written as the media type negotiation chose.
//!
//! This module owns the [`Representation`] trait and the values handlers return to have their
//! answer negotiated: [`Negotiated<T>`] (200), [`Created<T>`] (201 with an absolute
//! `Location`) and [`NoContent`] (204). A handler declares what it produces with
//! `#[produces(json, xml, atom, html = "users/item.html")]`; the dispatcher negotiates before
//! the handler runs (so a 406 never follows a side effect) and the returned value is written by
//! the chosen representation. Built in: [`Json`] (`application/json`, and the legacy
//! `text/json`, `text/x-json` with the same bytes), [`Xml`] (`application/xml`, `text/xml`),
//! [`Atom`] (`application/atom+xml`, RFC 4287) and [`Html`] (a minijinja template). A new
//! representation is one `impl Representation<T>` and a path in `#[produces(...)]`.

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, Responder};
use bytes::Bytes;
use serde::Serialize;

use crate::HttpError;
use crate::dispatch::HandlerResult;

pub mod atom;
pub mod html;
pub mod json;
pub mod xml;

pub use atom::{Atom, AtomEntry, Collection};
pub use html::{Html, Templates};
pub use json::Json;
pub use xml::Xml;

/// The media types a representation writes, in its preferred order.
pub trait MediaTypes {
    /// E.g. `["application/json", "text/json", "text/x-json"]`.
    const MEDIA_TYPES: &'static [&'static str];
}

/// Writes values of type `T` in one family of media types.
///
/// ```
/// use drupe::represent::{MediaTypes, Representation, RenderContext};
/// use drupe::HttpError;
///
/// /// `text/csv` for anything that is a list of rows.
/// struct Csv;
/// impl MediaTypes for Csv {
///     const MEDIA_TYPES: &'static [&'static str] = &["text/csv"];
/// }
/// impl Representation<Vec<Vec<String>>> for Csv {
///     fn render(&self, rows: &Vec<Vec<String>>, _: &RenderContext<'_>) -> Result<bytes::Bytes, HttpError> {
///         Ok(rows.iter().map(|r| r.join(",") + "\n").collect::<String>().into())
///     }
/// }
/// ```
pub trait Representation<T: ?Sized>: MediaTypes {
    /// The body for `value`.
    fn render(&self, value: &T, cx: &RenderContext<'_>) -> Result<Bytes, HttpError>;

    /// The `Content-Type` to send when it is not the negotiated media type itself (an image
    /// answered in its own format for `Accept: image/*`). `None`: the negotiated type.
    fn content_type(&self, value: &T) -> Option<String> {
        let _ = value;
        None
    }
}

/// What a representation may read while writing.
pub struct RenderContext<'a> {
    req: &'a HttpRequest,
    media: &'a str,
}

impl<'a> RenderContext<'a> {
    pub(crate) fn new(req: &'a HttpRequest, media: &'a str) -> Self {
        Self { req, media }
    }

    /// The request.
    pub fn request(&self) -> &HttpRequest {
        self.req
    }

    /// The media type chosen (one of the representation's `MEDIA_TYPES`).
    pub fn media_type(&self) -> &str {
        self.media
    }

    /// The absolute URL of `path` on this request's host.
    pub fn url(&self, path: &str) -> String {
        crate::http::url::absolute(self.req, crate::context::behind_proxy(self.req), path)
    }

    /// The absolute URL of this request.
    pub fn request_url(&self) -> String {
        let pq = self
            .req
            .uri()
            .path_and_query()
            .map_or("/", |pq| pq.as_str());
        self.url(pq)
    }
}

/// A set of representations (a tuple), indexed by the dispatcher's choice.
pub trait RenderSet<T: ?Sized> {
    /// Writes `value` with representation `index`; the body and, when the representation
    /// says so, its own content type.
    fn render(
        &self,
        index: usize,
        value: &T,
        cx: &RenderContext<'_>,
    ) -> Result<(Bytes, Option<String>), HttpError>;
}

macro_rules! render_set {
    ($($name:ident $idx:tt),+) => {
        impl<T: ?Sized, $($name: Representation<T>),+> RenderSet<T> for ($($name,)+) {
            fn render(
                &self,
                index: usize,
                value: &T,
                cx: &RenderContext<'_>,
            ) -> Result<(Bytes, Option<String>), HttpError> {
                match index {
                    $($idx => Ok((self.$idx.render(value, cx)?, self.$idx.content_type(value))),)+
                    _ => Err(HttpError::internal(format!("no representation #{index}"))),
                }
            }
        }
    };
}

render_set!(A 0);
render_set!(A 0, B 1);
render_set!(A 0, B 1, C 2);
render_set!(A 0, B 1, C 2, D 3);
render_set!(A 0, B 1, C 2, D 3, E 4);
render_set!(A 0, B 1, C 2, D 3, E 4, F 5);
render_set!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
render_set!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// The dispatcher's choice for a negotiated handler, kept in the request's extensions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Chosen {
    pub(crate) repr: usize,
    pub(crate) media: &'static str,
    /// Its index in the handler's `produces`.
    pub(crate) index: usize,
}

/// The `Content-Type` value for a media type: text types get `charset=utf-8`.
pub(crate) fn content_type(media: &str) -> HeaderValue {
    if media.starts_with("text/") && !media.contains("charset") {
        HeaderValue::from_str(&format!("{media}; charset=utf-8"))
    } else {
        HeaderValue::from_str(media)
    }
    .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
}

fn render_chosen<T: ?Sized, S: RenderSet<T>>(
    req: &HttpRequest,
    set: &S,
    value: &T,
) -> Result<(HeaderValue, Bytes), HttpError> {
    let chosen = req.extensions().get::<Chosen>().copied();
    let chosen = chosen.unwrap_or(Chosen {
        repr: 0,
        media: "application/json",
        index: 0,
    });
    let cx = RenderContext::new(req, chosen.media);
    let (body, own) = set.render(chosen.repr, value, &cx)?;
    Ok((content_type(own.as_deref().unwrap_or(chosen.media)), body))
}

/// A value answered in the representation negotiation chose (200 unless set otherwise).
///
/// ```
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
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Negotiated<T> {
    value: T,
    status: StatusCode,
}

impl<T> Negotiated<T> {
    /// 200 with `value`.
    pub fn new(value: T) -> Self {
        Self {
            value,
            status: StatusCode::OK,
        }
    }

    /// Another success status.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
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
/// let c = Created::new("/users/3", serde_json::json!({"id": 3}));
/// assert_eq!(c.location(), "/users/3");
/// ```
#[derive(Debug, Clone)]
pub struct Created<T> {
    location: String,
    value: T,
}

impl<T> Created<T> {
    /// The resource at `location` (a path on this host, or an absolute URL).
    pub fn new(location: impl Into<String>, value: T) -> Self {
        Self {
            location: location.into(),
            value,
        }
    }

    /// The location as given.
    pub fn location(&self) -> &str {
        &self.location
    }

    fn location_header(&self, req: &HttpRequest) -> Result<HeaderValue, HttpError> {
        let url =
            crate::http::url::absolute(req, crate::context::behind_proxy(req), &self.location);
        HeaderValue::from_str(&url)
            .map_err(|_| HttpError::internal(format!("invalid Location {url:?}")))
    }
}

/// 204 No Content.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoContent;

impl Responder for NoContent {
    type Body = BoxBody;
    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        HttpResponse::NoContent().finish()
    }
}

fn json_response<T: Serialize>(status: StatusCode, value: &T) -> HttpResponse {
    match serde_json::to_vec(value) {
        Ok(body) => HttpResponse::build(status)
            .content_type(mime::APPLICATION_JSON)
            .body(body),
        Err(e) => HttpResponse::from_error(HttpError::internal(format!("JSON encoding: {e}"))),
    }
}

/// Outside a `#[produces]` handler a negotiated value is JSON.
impl<T: Serialize> Responder for Negotiated<T> {
    type Body = BoxBody;
    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        json_response(self.status, &self.value)
    }
}

/// Outside a `#[produces]` handler a created value is JSON.
impl<T: Serialize> Responder for Created<T> {
    type Body = BoxBody;
    fn respond_to(self, req: &HttpRequest) -> HttpResponse {
        match self.location_header(req) {
            Ok(loc) => {
                let mut res = json_response(StatusCode::CREATED, &self.value);
                res.headers_mut().insert(header::LOCATION, loc);
                res
            }
            Err(e) => HttpResponse::from_error(e),
        }
    }
}

/// What a success value of a `#[produces]` handler becomes.
pub enum Replied<T> {
    /// A value to render with the chosen representation.
    Render {
        /// The status.
        status: StatusCode,
        /// A `Location` (for 201).
        location: Option<HeaderValue>,
        /// The value.
        value: T,
    },
    /// A ready response.
    Response(HttpResponse),
}

/// A success value of a `#[produces]` handler: [`Negotiated`], [`Created`], [`NoContent`], or
/// an `HttpResponse` the handler built itself (with [`ChosenMedia`]).
pub trait Reply {
    /// The type rendered.
    type Value;
    /// The success status it documents.
    const STATUS: u16 = 200;
    /// Its parts.
    fn into_replied(self, req: &HttpRequest) -> Result<Replied<Self::Value>, HttpError>;
}

/// What a `#[produces]` handler may return: a [`Reply`] or a `Result` of one.
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
            location,
            value,
        } => {
            let (ct, body) = render_chosen(req, set, &value)?;
            let mut res = HttpResponse::build(status);
            res.insert_header((header::CONTENT_TYPE, ct));
            if let Some(l) = location {
                res.insert_header((header::LOCATION, l));
            }
            Ok(res.body(body))
        }
    }
}

impl<T> Reply for Negotiated<T> {
    type Value = T;
    fn into_replied(self, _: &HttpRequest) -> Result<Replied<T>, HttpError> {
        Ok(Replied::Render {
            status: self.status,
            location: None,
            value: self.value,
        })
    }
}

impl<T> Reply for Created<T> {
    type Value = T;
    const STATUS: u16 = 201;
    fn into_replied(self, req: &HttpRequest) -> Result<Replied<T>, HttpError> {
        Ok(Replied::Render {
            status: StatusCode::CREATED,
            location: Some(self.location_header(req)?),
            value: self.value,
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
        Ok(Replied::Response(HttpResponse::NoContent().finish()))
    }
}

/// The media type negotiation chose for this request, for handlers that build their own
/// response: an extractor.
///
/// ```
/// use drupe::{controller, represent::ChosenMedia};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     #[produces(json, xml)]
///     fn which(&self, media: ChosenMedia) -> actix_web::HttpResponse {
///         actix_web::HttpResponse::Ok().body(media.as_str().to_owned())
///     }
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChosenMedia(&'static str);

impl ChosenMedia {
    /// The media type.
    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl actix_web::FromRequest for ChosenMedia {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;
    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let chosen = req.extensions().get::<Chosen>().map(|c| c.media);
        std::future::ready(chosen.map(ChosenMedia).ok_or_else(|| {
            HttpError::internal("ChosenMedia used on a handler without #[produces]").into()
        }))
    }
}
