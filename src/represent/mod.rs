//! Representations: one handler value, written as the media type negotiation chose.
//!
//! This module owns the [`Representation`] trait and the values handlers return to have their
//! answer negotiated: [`Negotiated<T>`] (200), [`Created<T>`] (201 with an absolute
//! `Location`) and [`NoContent`](struct@NoContent) (204), each with the headers and cookies
//! added to it ([`ReplyParts`]). A handler declares what it produces with
//! `#[produces(json, xml, atom, html = "users/item.html")]` (or its impl block does, for all of
//! its handlers); the dispatcher negotiates before the handler runs (so a 406 never follows a
//! side effect) and the returned value is written by the chosen representation. Built in: [`Json`] (`application/json`, and the legacy
//! `text/json`, `text/x-json` with the same bytes), [`Xml`] (`application/xml`, `text/xml`),
//! [`Atom`] (`application/atom+xml`, RFC 4287) and [`Html`] (a minijinja template). A new
//! representation is one `impl Representation<T>` and a path in `#[produces(...)]`.

use actix_web::http::header::HeaderValue;
use actix_web::{HttpMessage, HttpRequest};
use bytes::Bytes;

use crate::HttpError;

pub mod atom;
pub mod html;
pub mod json;
pub(crate) mod output;
mod parts;
mod redirect;
mod reply;
mod validators;
pub mod xml;

pub use atom::{Atom, AtomEntry, Collection};
pub use html::{Html, Templates};
pub use json::Json;
pub use parts::ReplyParts;
pub use redirect::{InternalRedirect, Redirect, Target, Urls};
pub(crate) use redirect::{
    finish_redirect, internal_redirect, is_internal_redirect, redirect_page,
};
pub(crate) use reply::finish;
pub use reply::{Created, Finish, Negotiated, NoContent, Replied, Reply, ReplyOf};
pub use validators::{NotRendered, Validators};
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

pub(crate) fn render_chosen<T: ?Sized, S: RenderSet<T>>(
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
