//! The [`Invalidate`] and [`Tags`] extractors: handlers name what else to drop once their
//! response succeeds (URIs, prefixes of URIs, tags), and tag what they answer.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use super::Target;
use super::state::RequestState;

/// What a handler asked to invalidate, applied when its response succeeds.
#[derive(Default)]
pub(super) struct PendingInvalidations(pub(super) Vec<Target>);

/// The tags a handler gave its response, stored with it.
#[derive(Default)]
pub(super) struct ResponseTags(pub(super) Vec<String>);

/// Invalidates other URIs than the request's own, once the response succeeds (a 2xx or
/// 3xx): one URI, every URI under a prefix, or every URI whose response carries a tag. An
/// extractor; the invalidations are dropped when the response fails.
///
/// ```
/// use drupe::cache::Invalidate;
/// use drupe::{Created, HttpError, resource};
/// struct Photos;
/// #[resource]
/// impl Photos {
///     fn post(&self, album: u64, invalidate: Invalidate) -> Result<Created<u64>, HttpError> {
///         // The album's pages, whatever their query: /albums/7, /albums/7/?page=2, ...
///         invalidate.prefix(&format!("/albums/{album}"));
///         invalidate.path("/feed");
///         // Pages elsewhere that show the album, tagged when they were answered.
///         invalidate.tag(&format!("album:{album}"));
///         Ok(Created::new("/photos/1", 1))
///     }
/// }
/// ```
pub struct Invalidate(HttpRequest);

impl Invalidate {
    /// Invalidates `path` (`/feed`, with its query if any) on this request's host.
    pub fn path(&self, path: &str) {
        self.push(Target::Uri(self.absolute(path)));
    }

    /// Invalidates every URI under `prefix` on this request's host, segment by segment:
    /// `/album/7` covers `/album/7`, `/album/7/`, `/album/7/photos` and `/album/7?page=2`,
    /// never `/album/70`; `/album/` covers everything under `/album/`.
    pub fn prefix(&self, prefix: &str) {
        self.push(Target::Prefix(self.absolute(prefix)));
    }

    /// Invalidates every URI whose stored response was tagged `tag` ([`Tags::add`]), on any
    /// host.
    pub fn tag(&self, tag: &str) {
        self.push(Target::Tag(tag.to_owned()));
    }

    fn absolute(&self, path: &str) -> String {
        crate::http::url::absolute(&self.0, crate::context::behind_proxy(&self.0), path)
    }

    fn push(&self, target: Target) {
        let mut ext = self.0.extensions_mut();
        // The cache applies invalidations after the handlers of the paths it is on for; any
        // other request's would be dropped without a word.
        if !ext.contains::<RequestState>() {
            tracing::warn!(
                "{} {} asked to invalidate {target:?}, but tools.caching is off for its path: \
                 nothing is invalidated (switch the cache on there)",
                self.0.method(),
                self.0.path()
            );
            return;
        }
        ext.get_or_insert_with(PendingInvalidations::default)
            .0
            .push(target);
    }
}

impl FromRequest for Invalidate {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Invalidate(req.clone())))
    }
}

/// Tags the response being answered, so that [`Invalidate::tag`] (or
/// [`Caching::invalidate_tag`](super::Caching::invalidate_tag)) drops it later with every
/// other response of that tag: a page that shows an album's title, wherever it lives, is
/// tagged with the album. An extractor; tags do not reach the client.
///
/// ```
/// use drupe::cache::Tags;
/// use drupe::controller;
/// struct Photos;
/// #[controller]
/// impl Photos {
///     #[expose]
///     fn default(&self, id: u64, tags: Tags) -> String {
///         let album = 7; // read with the photo
///         tags.add(&format!("album:{album}"));
///         format!("photo {id} of album {album}")
///     }
/// }
/// ```
pub struct Tags(HttpRequest);

impl Tags {
    /// Adds `tag` to the response's tags.
    pub fn add(&self, tag: &str) {
        let mut ext = self.0.extensions_mut();
        let tags = &mut ext.get_or_insert_with(ResponseTags::default).0;
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
}

impl FromRequest for Tags {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Tags(req.clone())))
    }
}
