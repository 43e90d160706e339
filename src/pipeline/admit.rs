//! What a request must be before anything answers it: a head within its bounds, one valid
//! `Host`; and who may reach an operator page.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};

use crate::body::{Stalled, guard};
use crate::context::Context;
use crate::error::{self, ErrorStatus, HttpError, NotFound};
use crate::tools::{Access, Endpoint};

/// Bounds on the head, whatever the HTTP layer let through (actix-web bounds a head only while
/// it is still arriving), and RFC 9112 §3.2: one `Host`, a valid one. (Its absence from an
/// HTTP/1.1 request is refused by actix-web's parser over a socket; in process, tests may omit
/// it.)
pub(super) fn check_head(req: &HttpRequest, ctx: &Context) -> Result<(), HttpError> {
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > ctx.max_uri {
        return Err(HttpError::uri_too_long(format!(
            "The request target is longer than {} bytes.",
            ctx.max_uri
        )));
    }
    let head: usize = target
        + req
            .headers()
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len() + 4)
            .sum::<usize>();
    if head > ctx.max_head {
        return Err(HttpError::header_fields_too_large(format!(
            "The request's header fields are larger than {} bytes.",
            ctx.max_head
        )));
    }
    let mut hosts = req.headers().get_all(header::HOST);
    let host = hosts.next();
    if hosts.next().is_some() {
        return Err(HttpError::bad_request("More than one Host header."));
    }
    if let Some(h) = host
        && !h.to_str().is_ok_and(crate::http::url::valid_host)
    {
        return Err(HttpError::bad_request("Invalid Host header."));
    }
    Ok(())
}

/// An endpoint's answer, operator pages only for operators; its body meets the stall timeout.
pub(super) async fn endpoint(
    e: &Endpoint,
    ctx: &Context,
    req: HttpRequest,
    payload: Payload,
) -> HttpResponse {
    if e.access == Access::Operator
        && let Err(refused) = operator_only(&req, ctx)
    {
        return error::render(&req, &refused);
    }
    let payload = match req.extensions().get::<Stalled>() {
        Some(stalled) => guard(payload, ctx.body_timeout, stalled),
        None => payload,
    };
    (e.handler)(req, payload).await
}

/// Admits a request to an operator page (the coverage report, the cache's counters, the API
/// documentation unless published): its client must be on this machine (a 404 for anyone
/// else, as if nothing were there), and it must name this machine — a loopback name or one of
/// `server.allowed_hosts` — so that a hostile name resolving to 127.0.0.1 cannot read the
/// pages from a browser on this machine (DNS rebinding: 421).
fn operator_only(req: &HttpRequest, ctx: &Context) -> Result<(), HttpError> {
    use crate::http::client::{client_is_loopback, is_loopback_name, request_host};
    if !client_is_loopback(req, &ctx.proxies) {
        return Err(NotFound::path(req.path()).into());
    }
    match request_host(req, &ctx.proxies) {
        Some(h) if is_loopback_name(&h) || ctx.allowed_hosts.contains(&h) => Ok(()),
        host => Err(HttpError::new(
            ErrorStatus::new(StatusCode::MISDIRECTED_REQUEST).expect("421 is an error status"),
            format!(
                "This page answers only for this machine's names (localhost, 127.0.0.1, [::1]) \
                 and those of server.allowed_hosts, not for {}.",
                host.as_deref().unwrap_or("a request without a Host")
            ),
        )),
    }
}
