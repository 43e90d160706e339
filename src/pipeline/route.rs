//! A request the tree answers: the walk, the method dispatcher, negotiation, the tools around
//! the handler, and the finishing of its response.

use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};

use super::Compiled;
use super::call::{call, park_form, park_unrouted_form};
use std::rc::Rc;

use crate::dispatch::hook::HookParams;
use crate::dispatch::path::Segments;
use crate::dispatch::tree::{HandlerId, HandlerInfo, NodeId};
use crate::dispatch::walk::{Target, walk};
use crate::dispatch::{Retarget, Routed};
use crate::error::{self, HttpError, MethodNotAllowed, NotAcceptable, NotFound};
use crate::http::negotiate;
use crate::represent::{Chosen, is_internal_redirect};
use crate::tools::settings::Settings;
use crate::tools::{After, Before, Exchange};

/// Walks the tree for `req`, answers, and lets every active tool see the response.
pub(super) async fn route(
    app: &Compiled,
    req: HttpRequest,
    payload: Payload,
    path_start: usize,
    start: Instant,
    retarget: Option<Rc<Retarget>>,
) -> HttpResponse {
    let path = match &retarget {
        Some(t) => t.path.as_str(),
        None => &req.path()[path_start..],
    };
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
        routed: std::cell::RefCell::new(None),
        retarget: retarget.clone(),
        deadline: std::cell::Cell::new(None),
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
                show_mismatched: settings.request.show_mismatched_params,
                max_fields: settings.request.max_fields,
                retarget,
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
                    *ex.routed.get_mut() = Some(routed);
                    run(app, &settings, &ex, payload, h, allow).await
                }
                Verb::Answered(res) => paged(app, &settings, &req, res),
            }
        }
    };
    if is_internal_redirect(&res) {
        // Answered by the path it names: the pipeline dispatches it.
        return res;
    }
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
    // An internal redirect is answered as a GET.
    let method = if ex.retarget.is_some() {
        &Method::GET
    } else {
        ex.req.method()
    };
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
    h: HandlerId,
    allow: Option<HeaderValue>,
) -> HttpResponse {
    let req = &ex.req;
    let info = &app.tree.handlers[h as usize].info;
    let negotiated = !info.produces().is_empty();
    if negotiated && let Err(e) = negotiate_for(req, info) {
        return finalize(req, error::render(req, &e), allow, true, settings);
    }
    let payload = if ex.is_internal_redirect() {
        // The hop is a GET without a body.
        Payload::None
    } else {
        park_form(app, settings, req, payload, h)
    };
    let (mut answered, ran) = before(settings, ex).await;
    if answered.is_none() && !settings.before_call.is_empty() {
        answered = before_call(settings, ex).await;
    }
    let res = match (answered, ex.routed.take()) {
        (Some(r), _) => r,
        (None, Some(routed)) => match ex.deadline.get() {
            None => call(app, settings, req, payload, routed, h).await,
            // Boxed: only paths with a deadline pay for the timer's state.
            Some(d) => {
                Box::pin(super::timeout::bounded(
                    app, settings, ex, payload, routed, h, d,
                ))
                .await
            }
        },
        (None, None) => {
            HttpResponse::from_error(HttpError::internal("a routed request lost its route"))
        }
    };
    let res = paged(
        app,
        settings,
        req,
        finalize(req, res, allow, negotiated, settings),
    );
    after(settings, ex, res, ran).await
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
    let res = paged(
        app,
        settings,
        req,
        finalize(req, res, None, false, settings),
    );
    after(settings, ex, res, ran).await
}

/// `res` with the path's error page for its status, if it is an error drupe rendered and the
/// path has one (`error_page.*`): before the after-hooks, so that the output cache stores the
/// page the client got.
fn paged(
    app: &Compiled,
    settings: &Settings,
    req: &HttpRequest,
    res: HttpResponse,
) -> HttpResponse {
    match &settings.error_pages {
        Some(pages) if res.status().is_client_error() || res.status().is_server_error() => {
            super::pages::apply(app, req, pages, res)
        }
        _ => res,
    }
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

/// The checks just before the call ([`Tool::before_call`](crate::tools::Tool)), in order,
/// until one answers.
async fn before_call(settings: &Settings, ex: &Exchange) -> Option<HttpResponse> {
    for t in settings.before_call.iter().map(|&i| &settings.tools[i]) {
        match t.tool.before_call(&*t.config, ex) {
            Before::Continue => {}
            Before::Respond(r) => return Some(r),
            Before::Pending(f) => {
                if let Some(r) = f.await {
                    return Some(r);
                }
            }
        }
    }
    None
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

/// Renders errors in the negotiated format (the detail of a 5xx in the log, and in the answer
/// only where `request.show_tracebacks` is on), sets `Allow` and `Vary: Accept`.
fn finalize(
    req: &HttpRequest,
    res: HttpResponse,
    allow: Option<HeaderValue>,
    negotiated: bool,
    settings: &Settings,
) -> HttpResponse {
    if is_internal_redirect(&res) {
        return res;
    }
    let mut res = match res.error() {
        // An extractor's answer that is no error (the login form's 303 for a handler that
        // asks for a signed-in caller) goes out as it is; a redirect returned as an error is
        // answered now that the request is known.
        Some(_) if !(res.status().is_client_error() || res.status().is_server_error()) => {
            crate::represent::finish_redirect(req, res)
        }
        Some(err) => {
            let mut e = error::from_actix(err);
            if e.status().is_server_error() {
                // One id in the log line and in the answer, and no internals in the answer.
                let id = error::new_request_id();
                tracing::error!(
                    status = e.status().as_u16(),
                    path = req.path(),
                    request_id = id.as_str(),
                    detail = e.internal_message().unwrap_or(e.message()),
                    "request failed"
                );
                e = e.with_request_id(&id);
                if settings.request.show_tracebacks
                    && let Some(detail) = e.internal_message().map(str::to_owned)
                {
                    e = e.with_traceback(&detail);
                }
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
    // A 304 carries only the fields of RFC 9110 §15.4.5.
    if let Some(a) = allow
        && res.status() != StatusCode::NOT_MODIFIED
    {
        res.headers_mut().insert(header::ALLOW, a);
    }
    if negotiated && res.status() != StatusCode::NOT_MODIFIED {
        crate::http::add_vary(&mut res, "Accept");
    }
    res
}

/// The longest chain of internal redirects followed.
const MAX_INTERNAL_REDIRECTS: usize = 10;

/// Follows the internal redirects `res` asks for: the tree is walked again for each target as a
/// GET without a body; a chain that comes back to a path it visited, or longer than
/// [`MAX_INTERNAL_REDIRECTS`], is a 500 with the chain in the log.
pub(super) async fn follow(
    app: &Compiled,
    req: &HttpRequest,
    path_start: usize,
    start: Instant,
    mut res: HttpResponse,
) -> HttpResponse {
    let own = &req.path()[path_start..];
    let mut here = (own.to_owned(), req.query_string().to_owned());
    let mut chain = vec![format!("{}?{}", here.0, here.1)];
    while let Some(next) = crate::represent::internal_redirect(&mut res) {
        let Some(target) = internal_target(&here.0, next.target()) else {
            let e = HttpError::internal(format!(
                "InternalRedirect to {:?}: not a path of the application",
                next.target()
            ));
            let root = app.settings.lookup(std::iter::empty()).clone();
            return finalize(req, HttpResponse::from_error(e), None, false, &root);
        };
        let key = format!("{}?{}", target.0, target.1);
        let looped = chain.contains(&key);
        chain.push(key);
        if looped || chain.len() > MAX_INTERNAL_REDIRECTS + 1 {
            let e = HttpError::internal(format!(
                "InternalRedirect {}: {}",
                if looped { "loop" } else { "chain too long" },
                chain.join(" -> ")
            ));
            let root = app.settings.lookup(std::iter::empty()).clone();
            return finalize(req, HttpResponse::from_error(e), None, false, &root);
        }
        let retarget = Rc::new(Retarget {
            path: target.0.clone(),
            query: target.1.clone(),
        });
        res = route(
            app,
            req.clone(),
            Payload::None,
            path_start,
            start,
            Some(retarget),
        )
        .await;
        here = target;
    }
    res
}

/// The path and query an internal redirect to `target` names, from the path `from`: a path
/// starting with `/` is the application's, another is resolved against `from`'s directory.
fn internal_target(from: &str, target: &str) -> Option<(String, String)> {
    if target.bytes().any(|b| b.is_ascii_control() || b == b'\\') {
        return None;
    }
    // The base's path is set, not joined: a request path of `//x/y` is no host.
    let mut base = url::Url::parse("http://app.invalid/").ok()?;
    base.set_path(from);
    let url = base.join(target).ok()?;
    if url.host_str() != Some("app.invalid") {
        return None;
    }
    Some((url.path().to_owned(), url.query().unwrap_or("").to_owned()))
}
