//! The [`Invalidate`] extractor: handlers name other URIs to drop once their response succeeds.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

/// URIs a handler asked to invalidate, applied when its response succeeds.
#[derive(Default)]
pub(super) struct PendingInvalidations(pub(super) Vec<String>);

/// Invalidates other URIs than the request's own, once the response succeeds: an extractor.
///
/// ```
/// use drupe::cache::Invalidate;
/// use drupe::{Created, HttpError, resource};
/// struct Photos;
/// #[resource]
/// impl Photos {
///     fn post(&self, album: u64, invalidate: Invalidate) -> Result<Created<u64>, HttpError> {
///         invalidate.path(&format!("/albums/{album}"));
///         invalidate.path("/feed");
///         Ok(Created::new("/photos/1", 1))
///     }
/// }
/// ```
pub struct Invalidate(HttpRequest);

impl Invalidate {
    /// Invalidates `path` (`/feed`, with its query if any) on this request's host.
    pub fn path(&self, path: &str) {
        let uri = crate::http::url::absolute(&self.0, crate::context::behind_proxy(&self.0), path);
        self.0
            .extensions_mut()
            .get_or_insert_with(PendingInvalidations::default)
            .0
            .push(uri);
    }
}

impl FromRequest for Invalidate {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Invalidate(req.clone())))
    }
}
