//! The request pipeline: from a request to its response, through the parts below it.
//!
//! This module owns the order in which a request meets drupe's parts:
//!
//! 1. the request's [`Context`] is installed, and its head checked: the target's and the
//!    head's sizes (414, 431), one valid `Host` ([`admit`]);
//! 2. an endpoint a tool published (the coverage report, the OpenAPI document) answers its
//!    path, operator pages only for operators;
//! 3. the path is decoded (400 on bad escapes), the per-path settings looked up, and the walk
//!    chooses a handler or a resource (404 `The path '/x' was not found.`); a resource chooses
//!    its verb (HEAD from GET, OPTIONS answered, 405 with `Allow`) ([`route`]);
//! 4. a handler with `#[produces]` is negotiated (406, 400 for a malformed `Accept`), tools'
//!    before-hooks run and may answer, then their checks just before the call
//!    ([`Tool::before_call`](crate::tools::Tool::before_call)), a form body is read into
//!    named values and the handler is called, a panic costing this request a 500 and nothing
//!    else ([`call`]);
//! 5. errors are rendered in the client's format, `Allow` and `Vary` set, the path's error
//!    page applied, after-hooks run, then every active tool sees the final response;
//! 6. a stalled body turns the answer into a 408 that closes the connection, a draining
//!    server closes it too, and a HEAD answer loses its body ([`head`]).

use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};

use crate::context::Context;
use crate::dispatch::tree::Tree;
use crate::error;
use crate::tools::Endpoint;
use crate::tools::settings::SettingsTrie;

mod admit;
mod call;
mod head;
mod pages;
mod route;
mod timeout;

use std::borrow::Cow;

use smallvec::SmallVec;

use crate::dispatch::bind::{Bound, Named, Offered};
use crate::dispatch::hook::HookParams;
use crate::dispatch::path::{Origin, Segments, parse_query};
use crate::dispatch::walk::{Target, walk};

/// What the pipeline needs of an application, compiled once.
pub(crate) struct Compiled {
    pub(crate) tree: Arc<Tree>,
    pub(crate) settings: SettingsTrie,
    pub(crate) endpoints: Vec<Endpoint>,
    pub(crate) context: Arc<Context>,
}

/// Handles one request. `path_start` is where the mount prefix ends in the raw path.
pub(crate) async fn handle(
    app: Arc<Compiled>,
    req: HttpRequest,
    payload: Payload,
    path_start: usize,
) -> HttpResponse {
    let start = Instant::now();
    Context::install(&app.context, &req);
    let track = req.conn_data::<crate::net::ConnTrack>().cloned();
    let _in_flight = track.as_ref().map(crate::net::ConnTrack::enter);
    let is_head = *req.method() == Method::HEAD;
    let stalled = crate::body::has_body(&req).then(|| {
        let s = crate::body::Stalled::default();
        req.extensions_mut().insert(s.clone());
        s
    });
    // The head's checks, then an endpoint or the tree, here rather than in a function of
    // their own: each async level is one more copy of the request's future.
    let mut res = if let Err(e) = admit::check_head(&req, &app.context) {
        error::render(&req, &e)
    } else {
        let path_start = path_start.min(req.path().len());
        if path_start > 0 {
            req.extensions_mut()
                .insert(crate::context::MountEnd(path_start));
        }
        match app
            .endpoints
            .iter()
            .find(|e| e.matches(&req.path()[path_start..]))
        {
            // Boxed: the operator pages are rare, and their future inline would be copied
            // with every request's.
            Some(e) => Box::pin(admit::endpoint(e, &app.context, req.clone(), payload)).await,
            None => {
                let res = route::route(&app, req.clone(), payload, path_start, start, None).await;
                if crate::represent::is_internal_redirect(&res) {
                    // Boxed: rare, and its future inline would be copied with every request's.
                    Box::pin(route::follow(&app, &req, path_start, start, res)).await
                } else {
                    res
                }
            }
        }
    };
    let mut close = track.as_ref().is_some_and(crate::net::ConnTrack::draining);
    if stalled.is_some_and(|s| s.get()) {
        // Whatever the reader made of the stall, the client hears 408, and the connection
        // (with the rest of a body that may never come) is closed.
        res = error::render(&req, &crate::body::stalled_error(app.context.body_timeout));
        close = true;
    }
    if close {
        // The server is stopping, or the body stalled: this connection closes after the
        // response.
        res.head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
    }
    if is_head {
        res = head::without_body(res);
    }
    res
}

/// Walks `path` and binds its values and `query` to the chosen handler's parameters, without
/// calling it: the dispatch work of one request, for benchmarks. `bind` receives the bound
/// values; returns `false` when nothing matched or binding failed.
pub(crate) fn resolve_and_bind(
    inner: &Compiled,
    path: &str,
    query: &str,
    bind: impl FnOnce(&Bound<'_>),
) -> bool {
    let Ok(segs) = Segments::parse(path) else {
        return false;
    };
    let settings = inner
        .settings
        .lookup(segs.list.iter().map(|s| s.lookup(path)));
    let mut hook_params = HookParams::new();
    let Ok(route) = walk(&inner.tree, path, &segs, &mut hook_params) else {
        return false;
    };
    let Target::Handler(h) = route.target else {
        return false;
    };
    let spec = inner.tree.handlers[h as usize].info.params();
    let mut offered = Offered::default();
    for s in &segs.list[route.vpath.clone()] {
        offered.positional.push(s.value(path));
    }
    for (k, v) in &hook_params {
        offered.named.push((
            Cow::Borrowed(&**k),
            Named::Text(Cow::Borrowed(v)),
            Origin::Path,
        ));
    }
    let mut query_pairs = SmallVec::new();
    if parse_query(query, &mut query_pairs).is_err() {
        return false;
    }
    for (k, v) in query_pairs {
        offered.named.push((k, Named::Text(v), Origin::Query));
    }
    match Bound::new(spec, offered, settings.request.show_mismatched_params) {
        Ok(b) => {
            bind(&b);
            true
        }
        Err(_) => false,
    }
}
