//! A request the tree answers: the walk, the method dispatcher, negotiation, the tools around
//! the handler, and the finishing of its response.

use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};

use super::Compiled;
use super::call::{Routed, call, park_form, park_unrouted_form};
use crate::dispatch::hook::HookParams;
use crate::dispatch::path::Segments;
use crate::dispatch::tree::{HandlerId, HandlerInfo, NodeId};
use crate::dispatch::walk::{Target, walk};
use crate::error::{self, HttpError, MethodNotAllowed, NotAcceptable, NotFound};
use crate::http::negotiate;
use crate::represent::Chosen;
use crate::tools::settings::Settings;
use crate::tools::{After, Before, Exchange};

/// Walks the tree for `req`, answers, and lets every active tool see the response.
pub(super) async fn route(
    app: &Compiled,
    req: HttpRequest,
    payload: Payload,
    path_start: usize,
    start: Instant,
) -> HttpResponse {
    let path = &req.path()[path_start..];
    let segs = match Segments::parse(path) {
        Ok(s) => s,
        Err(e) => return error::render(&req, &e),
    };
    let settings: Arc<Settings> = app
        .settings
        .lookup(segs.list.iter().map(|s| s.lookup(path)))
        .clone();
    let mut hook_params = HookParams::new();
    let found = walk(&app.tree, path, &segs, &mut hook_params);
    let mut ex = Exchange {
        req: req.clone(),
        tree: app.tree.clone(),
        handler: None,
        node: 0,
        is_index: false,
        start,
        behind_proxy: app.context.proxies.trusts_peer(&req),
        path_start,
    };
    let mut res = match found {
        Err(node) => {
            ex.node = node;
            unfound(app, &settings, &ex, payload).await
        }
        Ok(found) => {
            ex.node = found.node;
            ex.is_index = found.is_index;
            let routed = Routed {
                segs,
                path_start,
                vpath: found.vpath,
                hook_params,
            };
            // The method dispatcher chooses a resource's verb here, not in a future of its
            // own: one level less of the request's future to build and move.
            let chosen = match found.target {
                Target::Handler(h) => Verb::Handler(h, None),
                Target::Resource(node) => {
                    ex.node = node;
                    verb(app, &ex, node)
                }
            };
            match chosen {
                Verb::Handler(h, allow) => {
                    ex.handler = Some(h);
                    run(app, &settings, &ex, payload, routed, h, allow).await
                }
                Verb::Answered(res) => res,
            }
        }
    };
    for t in &settings.tools {
        t.tool.on_response(&*t.config, &ex, &mut res);
    }
    for t in &settings.tools {
        t.tool.on_end(&*t.config, &ex, &res);
    }
    res
}

/// What the method dispatcher chose for a request.
enum Verb {
    /// The handler of the request's method, with the resource's `Allow` (if it is one).
    Handler(HandlerId, Option<HeaderValue>),
    /// The answer without a handler: OPTIONS, or 405.
    Answered(HttpResponse),
}

/// The method dispatcher for a resource node: the handler of the request's method (HEAD
/// answered by GET's), or the answer without one.
fn verb(app: &Compiled, ex: &Exchange, node_id: NodeId) -> Verb {
    let node = &app.tree.nodes[node_id as usize];
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
        return Verb::Answered(res);
    };
    Verb::Handler(h, allow)
}

/// Negotiation, tools, the handler, finalization.
async fn run(
    app: &Compiled,
    settings: &Settings,
    ex: &Exchange,
    payload: Payload,
    routed: Routed,
    h: HandlerId,
    allow: Option<HeaderValue>,
) -> HttpResponse {
    let req = &ex.req;
    let info = &app.tree.handlers[h as usize].info;
    let negotiated = !info.produces().is_empty();
    if negotiated && let Err(e) = negotiate_for(req, info) {
        return finalize(req, error::render(req, &e), allow, true);
    }
    let payload = park_form(app, settings, req, payload, h);
    let (answered, ran) = before(settings, ex).await;
    let res = match answered {
        Some(r) => r,
        None => call(app, settings, req, payload, routed, h).await,
    };
    after(settings, ex, finalize(req, res, allow, negotiated), ran).await
}

/// A path the tree does not have: the tools' before-hooks may still answer it (the static
/// files, as CherryPy's run before its `NotFound` handler; the login form of
/// `session_auth`, which reads the form parked for it); else 404.
async fn unfound(
    app: &Compiled,
    settings: &Settings,
    ex: &Exchange,
    payload: Payload,
) -> HttpResponse {
    let req = &ex.req;
    park_unrouted_form(app, settings, req, payload);
    let (answered, ran) = before(settings, ex).await;
    let res = answered.unwrap_or_else(|| error::render(req, &NotFound::path(req.path()).into()));
    after(settings, ex, finalize(req, res, None, false), ran).await
}

/// The before-hooks, in order, until one answers: its answer, and how many ran.
async fn before(settings: &Settings, ex: &Exchange) -> (Option<HttpResponse>, usize) {
    let mut ran = 0;
    for (k, t) in settings.tools.iter().enumerate() {
        ran = k + 1;
        match t.tool.before_handler(&*t.config, ex) {
            Before::Continue => {}
            Before::Respond(r) => return (Some(r), ran),
            Before::Pending(f) => {
                if let Some(r) = f.await {
                    return (Some(r), ran);
                }
            }
        }
    }
    (None, ran)
}

/// The after-hooks of the tools whose before-hook ran, in order.
async fn after(
    settings: &Settings,
    ex: &Exchange,
    mut res: HttpResponse,
    ran: usize,
) -> HttpResponse {
    for t in &settings.tools[..ran] {
        res = match t.tool.after_handler(&*t.config, ex, res) {
            After::Done(r) => r,
            After::Pending(f) => f.await,
        };
    }
    res
}

/// Chooses the representation of a `#[produces]` handler from `Accept`, or the error: 406
/// listing what it produces, 400 for a malformed `Accept`.
fn negotiate_for(req: &HttpRequest, info: &HandlerInfo) -> Result<(), HttpError> {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .map(|v| v.to_str().map_err(|_| ()));
    let decision = match accept {
        None => Ok(Some(0)),
        Some(Err(())) => Err(HttpError::bad_request(
            "Malformed HTTP header: Accept: not visible ASCII",
        )),
        Some(Ok(a)) => {
            negotiate::select(a, info.produces()).map_err(|m| HttpError::bad_request(m.to_string()))
        }
    };
    match decision {
        Ok(Some(i)) => {
            req.extensions_mut().insert(Chosen {
                repr: info.repr_of(i),
                media: info.produced_static(i),
                index: i,
            });
            Ok(())
        }
        Ok(None) => Err(NotAcceptable::new(
            accept.and_then(Result::ok),
            info.produces().iter().map(|m| m.as_str()),
        )
        .into()),
        Err(e) => Err(e),
    }
}

/// Renders errors in the negotiated format (the detail of a 5xx in the log only), sets
/// `Allow` and `Vary: Accept`.
fn finalize(
    req: &HttpRequest,
    res: HttpResponse,
    allow: Option<HeaderValue>,
    negotiated: bool,
) -> HttpResponse {
    let mut res = match res.error() {
        // An extractor's answer that is no error (the login form's 303 for a handler that
        // asks for a signed-in caller) goes out as it is.
        Some(_) if !(res.status().is_client_error() || res.status().is_server_error()) => res,
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
        crate::http::add_vary(&mut res, "Accept");
    }
    res
}
