//! What tools tell each other about a request, in types that belong to none of them.
//!
//! The cache records what it did ([`CacheOutcome`]) in the request's extensions; the coverage
//! recorder, or a user's own tool, reads it at the end with [`cache_outcome`]. Neither knows
//! the other exists. A tool that writes something made for one request into a body (the
//! CSRF tool's token) marks the response ([`mark_per_request_body`]), so that the ETag tool
//! does not tag bytes that change on every answer.

use actix_web::http::header::HeaderValue;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};

/// What the output cache did for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheOutcome {
    /// Answered from the cache.
    Hit,
    /// Not in the cache: the handler ran.
    Miss,
    /// The cache was not used (method, directives, credentials, backend down).
    Bypass,
}

impl CacheOutcome {
    /// The value of the `X-Cache` debug header: `HIT`, `MISS`, `BYPASS`.
    pub fn header(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            CacheOutcome::Hit => "HIT",
            CacheOutcome::Miss => "MISS",
            CacheOutcome::Bypass => "BYPASS",
        })
    }

    /// Records what the cache did for `req`.
    pub fn record(self, req: &HttpRequest) {
        req.extensions_mut().insert(self);
    }
}

/// What the cache did for a request, once its response is final (`None` where no cache ran).
///
/// ```
/// use drupe::tools::{CacheOutcome, cache_outcome};
/// let req = actix_web::test::TestRequest::default().to_http_request();
/// assert_eq!(cache_outcome(&req), None);
/// CacheOutcome::Hit.record(&req);
/// assert_eq!(cache_outcome(&req), Some(CacheOutcome::Hit));
/// ```
pub fn cache_outcome(req: &HttpRequest) -> Option<CacheOutcome> {
    req.extensions().get::<CacheOutcome>().copied()
}

/// Something in a response's body made for this request alone.
#[derive(Debug, Clone, Copy)]
struct PerRequestBody;

/// Marks `res` as holding something made for its request alone (a CSRF token): its bytes
/// differ on every answer, so a tag made from them would validate nothing.
///
/// ```
/// use drupe::tools::{has_per_request_body, mark_per_request_body};
/// let mut res = actix_web::HttpResponse::Ok().body("<input value=\"token\">");
/// assert!(!has_per_request_body(&res));
/// mark_per_request_body(&mut res);
/// assert!(has_per_request_body(&res));
/// ```
pub fn mark_per_request_body(res: &mut HttpResponse) {
    res.extensions_mut().insert(PerRequestBody);
}

/// Whether [`mark_per_request_body`] marked `res`.
pub fn has_per_request_body(res: &HttpResponse) -> bool {
    res.extensions().contains::<PerRequestBody>()
}
