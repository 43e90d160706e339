//! Redirects: [`Redirect`] (CherryPy's `HTTPRedirect`), [`InternalRedirect`] and [`Urls`]
//! (CherryPy's `cherrypy.url()`), which build URLs that know the application's mount prefix.

use actix_web::body::BoxBody;
use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{StatusCode, Version};
use actix_web::{FromRequest, HttpRequest, HttpResponse, Responder, ResponseError};

use super::{Replied, Reply};
use crate::HttpError;
use crate::dispatch::reverse::{Route, Routes};

/// Where a redirect points: a URL or path as text, or a handler ([`url_for!`](crate::url_for)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A URL (`https://example.org/`), a path inside the application (`/blog/`: the mount
    /// prefix is added), or a reference resolved against the request's URL (`edit`, `../`).
    Text(String),
    /// A handler and its arguments.
    Route(Route),
}

impl From<&str> for Target {
    fn from(s: &str) -> Self {
        Target::Text(s.to_owned())
    }
}

impl From<String> for Target {
    fn from(s: String) -> Self {
        Target::Text(s)
    }
}

impl From<Route> for Target {
    fn from(r: Route) -> Self {
        Target::Route(r)
    }
}

/// Builds URLs for the request being answered: absolute, server-relative or relative, knowing
/// the application's mount prefix and, behind trusted proxies, the host the client used. A
/// handler argument.
///
/// ```
/// use drupe::{Urls, controller, url_for};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self, urls: Urls) -> Result<String, drupe::HttpError> {
///         Ok(format!("{} {}", urls.url("/about")?, urls.route(url_for!(Root::about))?))
///     }
///     #[expose]
///     fn about(&self) -> &'static str { "about" }
/// }
/// ```
#[derive(Clone)]
pub struct Urls {
    req: HttpRequest,
}

impl Urls {
    /// The absolute URL of `path` in the application (`/blog/` → `https://host/prefix/blog/`);
    /// a URL with a scheme is returned as is and another reference is resolved against the
    /// request's URL. A reference that is no URL, holds a control character or a backslash,
    /// or leaves the application's origin although written as a path, is a 400 saying so (it
    /// came from the client, as a `?next=` does).
    pub fn url(&self, path: &str) -> Result<String, HttpError> {
        self.resolve(path).map_err(HttpError::bad_request)
    }

    /// `path` in the application as the server sees it: the mount prefix added, no scheme or
    /// host (`/prefix/blog/`).
    pub fn path(&self, path: &str) -> String {
        format!("{}{path}", crate::context::mount_prefix(&self.req))
    }

    /// `path` in the application relative to the request's URL (from `/blog/post/2024/x`,
    /// `/blog/` is `../../`), for pages that must work under any host.
    pub fn relative(&self, path: &str) -> String {
        relative_to(self.req.path(), &self.path(path))
    }

    /// The absolute URL of a handler ([`url_for!`](crate::url_for)); a 500 when its
    /// controller is not mounted.
    pub fn route(&self, route: Route) -> Result<String, HttpError> {
        let path = route_path(&self.req, &route)?;
        self.resolve(&path).map_err(HttpError::internal)
    }

    /// The absolute URL of the request.
    pub fn current(&self) -> String {
        let pq = self
            .req
            .uri()
            .path_and_query()
            .map_or("/", |pq| pq.as_str());
        crate::http::url::absolute(&self.req, crate::context::behind_proxy(&self.req), pq)
    }

    fn resolve(&self, target: &str) -> Result<String, String> {
        crate::http::url::redirect_target(
            &self.req,
            crate::context::behind_proxy(&self.req),
            &crate::context::mount_prefix(&self.req),
            target,
        )
    }
}

impl FromRequest for Urls {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Urls { req: req.clone() }))
    }
}

/// The path of `route` in the application below its mount prefix.
fn route_path(req: &HttpRequest, route: &Route) -> Result<String, HttpError> {
    let routes = crate::context::internal_state::<Routes>(req)
        .ok_or_else(|| HttpError::internal("url_for: the request has no application"))?;
    route.path(&routes.0)
}

/// `to` relative to the directory of `from`, both absolute paths.
fn relative_to(from: &str, to: &str) -> String {
    let dir: Vec<&str> = from.split('/').collect();
    let dir = &dir[..dir.len().saturating_sub(1)];
    let target: Vec<&str> = to.split('/').collect();
    let common = dir.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let mut out = "../".repeat(dir.len() - common);
    out.push_str(&target[common..].join("/"));
    if out.is_empty() {
        out.push_str("./");
    }
    out
}

/// A redirect (CherryPy's `HTTPRedirect`): a value a handler returns, or an error it returns
/// with `?` from a handler whose error type is `actix_web::Error`. `Location` is absolute,
/// built from the request (the host the client used behind trusted proxies); a path is
/// inside the application (`/blog/` gets the mount prefix); a target with a CR, LF or other
/// control character is refused with a 400, never written into the header. The body is a
/// short HTML page linking the target, as CherryPy's.
///
/// ```
/// use drupe::{Redirect, controller, url_for};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn old(&self) -> Redirect {
///         Redirect::permanent("/new")
///     }
///     #[expose]
///     fn new(&self) -> &'static str { "new" }
///     #[expose]
///     fn save(&self, name: String) -> Result<String, actix_web::Error> {
///         if name.is_empty() {
///             Err(Redirect::see_other(url_for!(Root::new)))?;
///         }
///         Ok(name)
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Redirect {
    target: Target,
    status: Option<StatusCode>,
}

impl Redirect {
    /// 303 See Other for HTTP/1.1 clients, 302 for HTTP/1.0 (CherryPy's default): after a
    /// POST, the client GETs the target.
    pub fn to(target: impl Into<Target>) -> Self {
        Self {
            target: target.into(),
            status: None,
        }
    }

    /// 301 Moved Permanently.
    pub fn permanent(target: impl Into<Target>) -> Self {
        Self::with(target, StatusCode::MOVED_PERMANENTLY)
    }

    /// 302 Found.
    pub fn found(target: impl Into<Target>) -> Self {
        Self::with(target, StatusCode::FOUND)
    }

    /// 303 See Other.
    pub fn see_other(target: impl Into<Target>) -> Self {
        Self::with(target, StatusCode::SEE_OTHER)
    }

    /// 307 Temporary Redirect: the client repeats the same method and body.
    pub fn temporary(target: impl Into<Target>) -> Self {
        Self::with(target, StatusCode::TEMPORARY_REDIRECT)
    }

    /// 308 Permanent Redirect: permanent, the same method and body.
    pub fn permanent_redirect(target: impl Into<Target>) -> Self {
        Self::with(target, StatusCode::PERMANENT_REDIRECT)
    }

    fn with(target: impl Into<Target>, status: StatusCode) -> Self {
        Self {
            target: target.into(),
            status: Some(status),
        }
    }

    /// The target as given.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The response to `req`.
    pub(crate) fn response(&self, req: &HttpRequest) -> HttpResponse {
        match self.location(req) {
            Ok(url) => self.page(req, &url),
            Err(e) => {
                tracing::warn!(path = req.path(), "a redirect refused: {}", e.message());
                HttpResponse::from_error(e)
            }
        }
    }

    fn location(&self, req: &HttpRequest) -> Result<String, HttpError> {
        let text;
        let target = match &self.target {
            Target::Text(t) => t.as_str(),
            Target::Route(r) => {
                text = route_path(req, r)?;
                text.as_str()
            }
        };
        crate::http::url::redirect_target(
            req,
            crate::context::behind_proxy(req),
            &crate::context::mount_prefix(req),
            target,
        )
        .map_err(HttpError::bad_request)
    }

    fn page(&self, req: &HttpRequest, url: &str) -> HttpResponse {
        let status = self.status.unwrap_or(if req.version() <= Version::HTTP_10 {
            StatusCode::FOUND
        } else {
            StatusCode::SEE_OTHER
        });
        let Ok(location) = HeaderValue::from_str(url) else {
            return HttpResponse::from_error(HttpError::bad_request(
                "The redirect target cannot be written into a Location header.",
            ));
        };
        page(status, location, url)
    }
}

/// A redirect to the absolute `url` with CherryPy's HTML body (the trailing-slash redirect's
/// too). A URL that cannot be a header value becomes a 400.
pub(crate) fn redirect_page(status: StatusCode, url: &str) -> HttpResponse {
    match HeaderValue::from_str(url) {
        Ok(location) => page(status, location, url),
        Err(_) => HttpResponse::from_error(HttpError::bad_request(
            "The redirect target cannot be written into a Location header.",
        )),
    }
}

fn page(status: StatusCode, location: HeaderValue, url: &str) -> HttpResponse {
    let phrase = match status.as_u16() {
        300 | 303 => "This resource can be found at",
        301 => "This resource has permanently moved to",
        302 => "This resource resides temporarily at",
        307 => "This resource has moved temporarily to",
        _ => "This resource has been moved to",
    };
    let href = crate::http::escape_html(url);
    HttpResponse::build(status)
        .insert_header((header::LOCATION, location))
        .content_type(mime::TEXT_HTML_UTF_8)
        .body(format!("{phrase} <a href=\"{href}\">{href}</a>."))
}

impl Responder for Redirect {
    type Body = BoxBody;
    fn respond_to(self, req: &HttpRequest) -> HttpResponse {
        self.response(req)
    }
}

impl Reply for Redirect {
    type Value = ();
    const STATUS: u16 = 303;
    fn into_replied(self, req: &HttpRequest) -> Result<Replied<()>, HttpError> {
        Ok(Replied::Response(self.response(req)))
    }
}

impl std::fmt::Display for Redirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.target {
            Target::Text(t) => write!(f, "redirect to {t}"),
            Target::Route(r) => write!(f, "redirect to the handler {}", r.handler()),
        }
    }
}

/// Returned as an error (`Err(Redirect::to("/"))?`), the redirect is answered once the
/// pipeline knows the request: the response carries it until then.
impl ResponseError for Redirect {
    fn status_code(&self) -> StatusCode {
        self.status.unwrap_or(StatusCode::SEE_OTHER)
    }
    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::new(self.status_code());
        res.extensions_mut().insert(PendingRedirect(self.clone()));
        res
    }
}

/// A redirect returned as an error, answered by [`finish_redirect`].
pub(crate) struct PendingRedirect(Redirect);

/// The answer of a redirect a handler returned as an error, now that the request is known.
pub(crate) fn finish_redirect(req: &HttpRequest, mut res: HttpResponse) -> HttpResponse {
    let pending = res.extensions_mut().remove::<PendingRedirect>();
    match pending {
        Some(PendingRedirect(r)) => r.response(req),
        None => res,
    }
}

/// Answers the request as another path of the application would, without a round trip
/// (CherryPy's `InternalRedirect`): the tree is walked again for `path` (a `?` in it gives the
/// query string; a relative path is resolved against the request's), the handler runs as for
/// a GET without a body, and what it answers is the answer. Headers and cookies set before are
/// dropped. A chain that comes back to a path it visited, or longer than 10, is a 500, the
/// chain in the log.
///
/// ```
/// use drupe::{InternalRedirect, controller};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self) -> &'static str { "home page" }
///     /// `/home` answers what `/` answers.
///     #[expose]
///     fn home(&self) -> InternalRedirect {
///         InternalRedirect::to("/")
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalRedirect {
    target: String,
}

impl InternalRedirect {
    /// Re-dispatches to `path` (with its `?query`).
    pub fn to(path: impl Into<String>) -> Self {
        Self {
            target: path.into(),
        }
    }

    /// The target as given.
    pub fn target(&self) -> &str {
        &self.target
    }
}

impl std::fmt::Display for InternalRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "internal redirect to {}", self.target)
    }
}

/// Outside the pipeline (nothing re-dispatches), a 500.
impl ResponseError for InternalRedirect {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }
    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::new(StatusCode::INTERNAL_SERVER_ERROR);
        res.extensions_mut().insert(self.clone());
        res
    }
}

impl Responder for InternalRedirect {
    type Body = BoxBody;
    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        self.error_response()
    }
}

impl Reply for InternalRedirect {
    type Value = ();
    fn into_replied(self, _: &HttpRequest) -> Result<Replied<()>, HttpError> {
        Ok(Replied::Response(self.error_response()))
    }
}

/// Whether `res` asks for an internal redirect: only a 500 can (its status is looked at
/// first, so that every other answer costs no lookup).
pub(crate) fn is_internal_redirect(res: &HttpResponse) -> bool {
    res.status() == StatusCode::INTERNAL_SERVER_ERROR
        && res.extensions().contains::<InternalRedirect>()
}

/// The internal redirect a response asks for, taken off it.
pub(crate) fn internal_redirect(res: &mut HttpResponse) -> Option<InternalRedirect> {
    res.extensions_mut().remove::<InternalRedirect>()
}

#[cfg(test)]
mod tests {
    use super::relative_to;

    #[test]
    fn relative_paths() {
        assert_eq!(relative_to("/blog/post/2024/x", "/blog/"), "../../");
        assert_eq!(relative_to("/blog/", "/blog/post/1"), "post/1");
        assert_eq!(relative_to("/a", "/b"), "b");
        assert_eq!(relative_to("/blog/x", "/blog/"), "./");
    }
}
