//! The request pipeline: walk, method dispatch, negotiation, tools, handler, finalization.
//!
//! This module owns the order in which a request meets drupe's parts:
//!
//! 1. the path is decoded (400 on bad escapes) and the per-path settings are looked up;
//! 2. the walk chooses a handler or a resource (404 `The path '/x' was not found.`);
//! 3. a resource chooses its verb: HEAD falls back to GET, OPTIONS is answered with `Allow`,
//!    anything else is a 405 carrying `Allow`;
//! 4. a handler with `#[produces]` is negotiated (406 listing what it produces, 400 for a
//!    malformed `Accept`) before anything runs;
//! 5. tools' before-hooks run in priority order and may answer;
//! 6. a form body is read into named parameters, the handler is called, and a panic in it
//!    costs this request a 500 and nothing else;
//! 7. errors are rendered in the format the client prefers, `Allow` and `Vary` are set, the
//!    after-hooks run, then every active tool sees the final response.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use futures_util::FutureExt;

use super::Call;
use super::hook::HookParams;
use super::param::ParamKind;
use super::path::Segments;
use super::tree::{HandlerId, NodeId};
use super::walk::{Target, walk};
use crate::app::Inner;
use crate::body::{BodyLimits, Stalled, guard, has_form_body, read_form};
use crate::config::Settings;
use crate::error::{self, HttpError, MethodNotAllowed, NotAcceptable, NotFound};
use crate::negotiate;
use crate::represent::Chosen;
use crate::tools::{After, Before, Exchange};

/// Handles one request. `path_start` is the length of the mount prefix in the raw path.
pub(crate) async fn handle(
    inner: Arc<Inner>,
    req: HttpRequest,
    payload: Payload,
    path_start: usize,
) -> HttpResponse {
    let start = Instant::now();
    let track = req.conn_data::<crate::net::ConnTrack>().cloned();
    let _in_flight = track.as_ref().map(crate::net::ConnTrack::enter);
    let head = *req.method() == Method::HEAD;
    let stalled = crate::body::has_body(&req).then(|| {
        let s = crate::body::Stalled::default();
        req.extensions_mut().insert(s.clone());
        s
    });
    let mut res = respond(&inner, req.clone(), payload, path_start, start).await;
    let mut close = track.as_ref().is_some_and(crate::net::ConnTrack::draining);
    if stalled.is_some_and(|s| s.get()) {
        // Whatever the reader made of the stall, the client hears 408, and the connection
        // (with the rest of a body that may never come) is closed.
        res = error::render(&req, &crate::body::stalled_error(inner.shared.body_timeout));
        close = true;
    }
    if close {
        // The server is stopping, or the body stalled: this connection closes after the
        // response.
        res.head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
    }
    if head {
        res = without_body(res);
    }
    res
}

/// A HEAD response: the headers of the GET response, its `Content-Length` included, and no
/// body. The body's size is kept so that the length written is the GET body's.
fn without_body(res: HttpResponse) -> HttpResponse {
    use actix_web::body::{BodySize, MessageBody};
    let (res, body) = res.into_parts();
    let size = match body.size() {
        BodySize::None => return res.set_body(body),
        BodySize::Sized(n) => Some(n),
        BodySize::Stream => None,
    };
    res.set_body(actix_web::body::BoxBody::new(HeadBody(size)))
}

/// The body of a HEAD response: a size and no bytes.
struct HeadBody(Option<u64>);

impl actix_web::body::MessageBody for HeadBody {
    type Error = std::convert::Infallible;

    fn size(&self) -> actix_web::body::BodySize {
        match self.0 {
            Some(n) => actix_web::body::BodySize::Sized(n),
            None => actix_web::body::BodySize::Stream,
        }
    }

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<bytes::Bytes, Self::Error>>> {
        std::task::Poll::Ready(None)
    }
}

async fn respond(
    inner: &Arc<Inner>,
    req: HttpRequest,
    payload: Payload,
    path_start: usize,
    start: Instant,
) -> HttpResponse {
    // Bounds on the head, whatever the HTTP layer let through (actix-web bounds a head only
    // while it is still arriving).
    let shared = &inner.shared;
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > shared.max_uri {
        return error::render(
            &req,
            &HttpError::uri_too_long(format!(
                "The request target is longer than {} bytes.",
                shared.max_uri
            )),
        );
    }
    let head: usize = target
        + req
            .headers()
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len() + 4)
            .sum::<usize>();
    if head > shared.max_head {
        return error::render(
            &req,
            &HttpError::header_fields_too_large(format!(
                "The request's header fields are larger than {} bytes.",
                shared.max_head
            )),
        );
    }
    // RFC 9112 §3.2: one Host, and a valid one. (Its absence from an HTTP/1.1 request is
    // refused by actix-web's parser over a socket; in process, tests may omit it.)
    let mut hosts = req.headers().get_all(header::HOST);
    let host = hosts.next();
    if hosts.next().is_some() {
        return error::render(&req, &HttpError::bad_request("More than one Host header."));
    }
    if let Some(h) = host
        && !h.to_str().is_ok_and(crate::url::valid_host)
    {
        return error::render(&req, &HttpError::bad_request("Invalid Host header."));
    }
    let path_start = path_start.min(req.path().len());
    if let Some(e) = inner
        .endpoints
        .iter()
        .find(|e| e.matches(&req.path()[path_start..]))
    {
        if !e.public
            && let Err(refused) = operator_only(&req, shared)
        {
            return error::render(&req, &refused);
        }
        let payload = match req.extensions().get::<Stalled>() {
            Some(stalled) => guard(payload, shared.body_timeout, stalled),
            None => payload,
        };
        return (e.handler)(req, payload).await;
    }
    let segs = match Segments::parse(&req.path()[path_start..]) {
        Ok(s) => s,
        Err(e) => return error::render(&req, &e),
    };
    let settings = {
        let path = &req.path()[path_start..];
        inner
            .settings
            .lookup(segs.list.iter().map(|s| s.lookup(path)))
            .clone()
    };
    let mut hook_params = HookParams::new();
    let route = walk(
        &inner.tree,
        &req.path()[path_start..],
        &segs,
        &mut hook_params,
    );
    let mut ex = Exchange {
        req: req.clone(),
        tree: inner.tree.clone(),
        handler: None,
        node: 0,
        is_index: false,
        start,
        behind_proxy: inner.shared.proxies.trusts_peer(&req),
    };
    let mut res = match route {
        Err(node) => {
            ex.node = node;
            error::render(&req, &NotFound::path(req.path()).into())
        }
        Ok(route) => {
            ex.node = route.node;
            ex.is_index = route.is_index;
            let routed = Routed {
                segs,
                path_start,
                vpath: route.vpath,
                hook_params,
            };
            match route.target {
                Target::Handler(h) => {
                    ex.handler = Some(h);
                    run(inner, &settings, &ex, payload, routed, h, None).await
                }
                Target::Resource(node) => {
                    ex.node = node;
                    resource(inner, &settings, &mut ex, payload, routed, node).await
                }
            }
        }
    };
    for t in &settings.tools {
        t.tool.respond(&*t.config, &ex, &mut res);
    }
    for t in &settings.tools {
        t.tool.end(&*t.config, &ex, &res);
    }
    res
}

/// Admits a request to an operator page (the coverage report, the cache's counters, the API
/// documentation unless published): its client must be on this machine (a 404 for anyone
/// else, as if nothing were there), and it must name this machine — a loopback name or one of
/// `server.allowed_hosts` — so that a hostile name resolving to 127.0.0.1 cannot read the
/// pages from a browser on this machine (DNS rebinding: 421).
fn operator_only(req: &HttpRequest, shared: &crate::app::Shared) -> Result<(), HttpError> {
    use crate::client::{client_is_loopback, is_loopback_name, request_host};
    if !client_is_loopback(req, &shared.proxies) {
        return Err(NotFound::path(req.path()).into());
    }
    match request_host(req, &shared.proxies) {
        Some(h) if is_loopback_name(&h) || shared.allowed_hosts.contains(&h) => Ok(()),
        host => Err(HttpError::new(
            crate::error::ErrorStatus::new(StatusCode::MISDIRECTED_REQUEST)
                .expect("421 is an error status"),
            format!(
                "This page answers only for this machine's names (localhost, 127.0.0.1, [::1]) \
                 and those of server.allowed_hosts, not for {}.",
                host.as_deref().unwrap_or("a request without a Host")
            ),
        )),
    }
}

/// What the walk decided, moved into the handler call.
struct Routed {
    segs: Segments,
    path_start: usize,
    vpath: std::ops::Range<usize>,
    hook_params: HookParams,
}

/// The method dispatcher for a resource node.
async fn resource(
    inner: &Inner,
    settings: &Settings,
    ex: &mut Exchange,
    payload: Payload,
    routed: Routed,
    node_id: NodeId,
) -> HttpResponse {
    let node = &inner.tree.nodes[node_id as usize];
    let allow = node.allow.clone();
    let method = ex.req.method();
    let verb = node.verb(method).or_else(|| {
        if *method == Method::HEAD {
            node.verb(&Method::GET)
        } else {
            None
        }
    });
    let Some(h) = verb else {
        let allow_str = allow.as_ref().and_then(|a| a.to_str().ok()).unwrap_or("");
        let mut res = if *method == Method::OPTIONS {
            HttpResponse::NoContent().finish()
        } else {
            error::render(&ex.req, &MethodNotAllowed::new(allow_str).into())
        };
        if let Some(a) = allow {
            res.headers_mut().insert(header::ALLOW, a);
        }
        return res;
    };
    ex.handler = Some(h);
    run(inner, settings, ex, payload, routed, h, allow).await
}

/// Negotiation, tools, the handler, finalization.
async fn run(
    inner: &Inner,
    settings: &Settings,
    ex: &Exchange,
    payload: Payload,
    routed: Routed,
    h: HandlerId,
    allow: Option<HeaderValue>,
) -> HttpResponse {
    let req = &ex.req;
    let handler = &inner.tree.handlers[h as usize];
    let info = &handler.info;
    let negotiated = !info.produces().is_empty();
    if negotiated {
        let accept = req
            .headers()
            .get(header::ACCEPT)
            .map(|v| v.to_str().map_err(|_| ()));
        let decision = match accept {
            None => Ok(Some(0)),
            Some(Err(())) => Err(HttpError::bad_request(
                "Malformed HTTP header: Accept: not visible ASCII",
            )),
            Some(Ok(a)) => negotiate::select(a, info.produces())
                .map_err(|m| HttpError::bad_request(m.to_string())),
        };
        match decision {
            Ok(Some(i)) => {
                req.extensions_mut().insert(Chosen {
                    repr: info.repr_of(i),
                    media: info.produced_static(i),
                    index: i,
                });
            }
            Ok(None) => {
                let e = NotAcceptable::new(
                    accept.and_then(Result::ok),
                    info.produces().iter().map(|m| m.as_str()),
                );
                return finalize(req, error::render(req, &e.into()), allow, true);
            }
            Err(e) => return finalize(req, error::render(req, &e), allow, true),
        }
    }
    let mut answered = None;
    let mut ran = 0;
    for (k, t) in settings.tools.iter().enumerate() {
        ran = k + 1;
        match t.tool.before(&*t.config, ex) {
            Before::Continue => {}
            Before::Respond(r) => {
                answered = Some(r);
                break;
            }
            Before::Pending(f) => {
                if let Some(r) = f.await {
                    answered = Some(r);
                    break;
                }
            }
        }
    }
    let res = match answered {
        Some(r) => r,
        None => call(inner, settings, req, payload, routed, h).await,
    };
    let mut res = finalize(req, res, allow, negotiated);
    for t in &settings.tools[..ran] {
        res = match t.tool.after(&*t.config, ex, res) {
            After::Done(r) => r,
            After::Pending(f) => f.await,
        };
    }
    res
}

/// Reads a form body into named values, then calls the handler; a panic is a 500.
async fn call(
    inner: &Inner,
    settings: &Settings,
    req: &HttpRequest,
    mut payload: Payload,
    routed: Routed,
    h: HandlerId,
) -> HttpResponse {
    let handler = &inner.tree.handlers[h as usize];
    let limits = BodyLimits {
        bytes: settings.max_body_size,
        fields: settings.max_fields,
    };
    req.extensions_mut().insert(limits);
    if let Some(stalled) = req.extensions().get::<Stalled>() {
        // Every reader of the body, drupe's or an extractor's, meets the stall timeout.
        payload = guard(payload, inner.shared.body_timeout, stalled);
    }
    // CherryPy reads form bodies into named values whatever the handler takes, so values it
    // does not take are reported (`Unexpected body parameters`). A handler with a
    // body-reading extractor, or `request.body.process = false`, leaves the body alone.
    let reads_body = handler
        .info
        .params()
        .iter()
        .any(|p| p.kind == ParamKind::Body);
    let form = if settings.process_body && !reads_body && has_form_body(req) {
        match read_form(req, &mut payload, limits).await {
            Ok(f) => Some(f),
            Err(e) => return HttpResponse::from_error(e),
        }
    } else {
        None
    };
    let call = Call {
        req: req.clone(),
        payload,
        segs: routed.segs,
        path_start: routed.path_start,
        vpath: routed.vpath,
        hook_params: routed.hook_params,
        form,
        show_mismatched: settings.show_mismatched_params,
        max_fields: settings.max_fields,
    };
    match AssertUnwindSafe((handler.entry)(call)).catch_unwind().await {
        Ok(Ok(res)) => res,
        Ok(Err(e)) => HttpResponse::from_error(e),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a non-string panic payload".to_owned());
            HttpResponse::from_error(HttpError::internal(format!(
                "handler {} panicked: {msg}",
                handler.info.path()
            )))
        }
    }
}

/// Renders errors in the negotiated format, sets `Allow` and `Vary: Accept`.
fn finalize(
    req: &HttpRequest,
    res: HttpResponse,
    allow: Option<HeaderValue>,
    negotiated: bool,
) -> HttpResponse {
    let mut res = match res.error() {
        Some(err) => {
            let e = error::from_actix(err);
            if e.status().is_server_error() {
                tracing::error!(
                    status = e.status().as_u16(),
                    path = req.path(),
                    detail = e.internal_message().unwrap_or(e.message()),
                    "request failed"
                );
            } else {
                tracing::debug!(
                    status = e.status().as_u16(),
                    path = req.path(),
                    "{}",
                    e.message()
                );
            }
            error::render(req, &e)
        }
        None => res,
    };
    if let Some(a) = allow {
        res.headers_mut().insert(header::ALLOW, a);
    }
    if negotiated && res.status() != StatusCode::NOT_MODIFIED {
        add_vary(&mut res, "Accept");
    }
    res
}

/// Adds `name` to the response's `Vary` unless it is already listed (or `*`).
pub(crate) fn add_vary(res: &mut HttpResponse, name: &str) {
    let present = res.headers().get_all(header::VARY).any(|v| {
        v.to_str().is_ok_and(|s| {
            s.split(',')
                .map(str::trim)
                .any(|x| x == "*" || x.eq_ignore_ascii_case(name))
        })
    });
    if !present && let Ok(v) = HeaderValue::from_str(name) {
        res.headers_mut().append(header::VARY, v);
    }
}
