//! Answers from stored responses: a hit (with `Age`) or a 304 when the request's validators
//! match.

use std::time::SystemTime;

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};

use super::entry::Stored;
use super::{CacheOutcome, CachingConfig, control};
use crate::http::not_modified;

/// `Age` values: the first hundred seconds from a table (most hits are that young), formatted
/// beyond.
fn age_value(secs: u64) -> HeaderValue {
    static YOUNG: std::sync::LazyLock<Vec<HeaderValue>> =
        std::sync::LazyLock::new(|| (0..100u64).map(HeaderValue::from).collect());
    match YOUNG.get(secs as usize) {
        Some(v) => v.clone(),
        None => HeaderValue::from(secs),
    }
}

/// The response for a hit (or a 304 when the request's validators match); `inm` is the
/// request's `If-None-Match`, already read.
pub(super) fn hit_response(
    stored: &Stored,
    req: &HttpRequest,
    inm: Option<&control::IfNoneMatch>,
    cfg: &CachingConfig,
    now: SystemTime,
) -> HttpResponse {
    let age = age_value(stored.age(now));
    let etag = stored.header(&header::ETAG);
    // Only a stored success is revalidated here, and only when no `If-Match` or
    // `If-Unmodified-Since` must be looked at first (RFC 9110 §13.2.2): the ETag tool
    // evaluates those on the full answer.
    let h = req.headers();
    let own = (200..300).contains(&stored.status)
        && !h.contains_key(header::IF_MATCH)
        && !h.contains_key(header::IF_UNMODIFIED_SINCE);
    let unchanged = own
        && match inm {
            Some(inm) => etag
                .and_then(|e| e.to_str().ok())
                .is_some_and(|e| control::none_match_hits(inm, e)),
            None => {
                // If-Modified-Since counts only without If-None-Match (RFC 9110 §13.1.3).
                let ims = req
                    .headers()
                    .get(header::IF_MODIFIED_SINCE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| httpdate::parse_http_date(v).ok());
                let lm = stored
                    .header(&header::LAST_MODIFIED)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| httpdate::parse_http_date(v).ok());
                matches!((ims, lm), (Some(ims), Some(lm)) if lm <= ims)
            }
        };
    let mut res = if unchanged {
        not_modified(stored.headers.iter().map(|(n, v)| (n, v)))
    } else {
        let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
        let mut r = HttpResponse::with_body(status, BoxBody::new(stored.body.clone()));
        let h = r.headers_mut();
        for (n, v) in &stored.headers {
            h.append(n.clone(), v.clone());
        }
        r
    };
    res.headers_mut().insert(header::AGE, age);
    if cfg.x_cache() {
        res.headers_mut().insert(
            HeaderName::from_static("x-cache"),
            CacheOutcome::Hit.header(),
        );
    }
    res
}
