//! [`Validators`]: the answer of a resource's `head` verb that tells its current validators
//! without rendering it.

use actix_web::body::BoxBody;
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, Responder};

use super::{Chosen, Replied, Reply, ReplyParts};
use crate::HttpError;

/// The validators of a resource's current state — its version and when it last changed —
/// answered without its body: what a resource's `head` verb returns so that a HEAD, and the
/// ETag tool checking `If-Match` before a PUT, PATCH or DELETE, need not render it (a version
/// column read instead of a page built).
///
/// The `ETag` is made as [`Negotiated::version`](super::Negotiated::version) makes it for
/// the media type negotiated, so it is the tag a GET answers.
///
/// ```
/// use drupe::{HttpError, Negotiated, represent::Validators, resource};
/// #[derive(serde::Serialize)]
/// struct Doc { version: u64, text: String }
/// struct Page;
/// #[resource(produces(json, xml))]
/// impl Page {
///     fn get(&self) -> Negotiated<Doc> {
///         Negotiated::new(Doc { version: 3, text: "hello".into() }).version(3)
///     }
///     /// The version alone, for HEAD and for `If-Match`.
///     fn head(&self) -> Result<Validators, HttpError> {
///         Ok(Validators::new().version(3))
///     }
/// }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Validators {
    parts: ReplyParts,
}

impl Validators {
    /// No validator yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The version of the resource (see [`ReplyParts::version`]).
    pub fn version(mut self, version: impl std::fmt::Display) -> Self {
        self.parts.version(version);
        self
    }

    /// When it last changed.
    pub fn last_modified(mut self, at: std::time::SystemTime) -> Self {
        self.parts.last_modified(at);
        self
    }

    fn response(mut self, req: &HttpRequest) -> Result<HttpResponse, HttpError> {
        // No body, and no length: a GET's would not be 0 (RFC 9110 §9.3.2 lets a HEAD omit
        // it).
        let mut res = HttpResponse::Ok().body(actix_web::body::None::new());
        // The tag and the type name the media type a GET would answer in.
        if let Some(c) = req.extensions().get::<Chosen>() {
            self.parts.negotiated(c.media);
            res.headers_mut()
                .insert(header::CONTENT_TYPE, super::content_type(c.media));
        }
        self.parts.apply(&mut res)?;
        res.extensions_mut()
            .insert(crate::http::conditional::NotARepresentation);
        Ok(res)
    }
}

/// The value of a reply that is answered as it is and never rendered (so that a `head` verb
/// returning [`Validators`] fits a block that produces Atom too).
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct NotRendered;

impl serde::Serialize for NotRendered {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit()
    }
}

impl super::atom::AtomDocument for NotRendered {
    fn atom_document(&self, _: &super::RenderContext<'_>) -> Result<String, HttpError> {
        Err(HttpError::internal("validators have no Atom document"))
    }
}

impl Reply for Validators {
    type Value = NotRendered;
    fn into_replied(self, req: &HttpRequest) -> Result<Replied<NotRendered>, HttpError> {
        Ok(Replied::Response(self.response(req)?))
    }
}

impl Responder for Validators {
    type Body = BoxBody;
    fn respond_to(self, req: &HttpRequest) -> HttpResponse {
        self.response(req).unwrap_or_else(HttpResponse::from_error)
    }
}
