//! The handler call: the body's limits, a form read into named values, the call itself, and
//! a panic turned into a 500 for this request alone.
//!
//! A form body is parked in the request before the tools run ([`park_form`]), so that a tool
//! may read a field of it first (the CSRF check's token), and read at the call if none did.

use std::panic::AssertUnwindSafe;

use actix_web::dev::Payload;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use futures_util::FutureExt;

use super::Compiled;
use crate::body::{Stalled, guard, has_form_body, has_parked_form, parked_form};
use crate::dispatch::tree::HandlerId;
use crate::dispatch::{Call, Routed};
use crate::error::HttpError;
use crate::tools::settings::Settings;

/// Before the tools: parks a form body the handler will get as named values in the request
/// (CherryPy reads form bodies whatever the handler takes, so values it does not take are
/// reported: `Unexpected body parameters`); the payload left for the call.
///
/// A handler whose extractor reads the body, or `request.body.process = false`, leaves the
/// body alone.
pub(super) fn park_form(
    app: &Compiled,
    settings: &Settings,
    req: &HttpRequest,
    payload: Payload,
    h: HandlerId,
) -> Payload {
    let handler = &app.tree.handlers[h as usize];
    if !(settings.request.body.process && !handler.info.extracts_body() && has_form_body(req)) {
        return payload;
    }
    // Whoever reads it meets the stall timeout.
    let payload = match req.extensions().get::<Stalled>() {
        Some(stalled) => guard(payload, app.context.body_timeout, stalled),
        None => payload,
    };
    crate::body::park_form(req, payload, settings.body.clone());
    Payload::None
}

/// Parks the form body of a request for a path the tree does not have, for a tool that
/// answers such a path itself; unread, it is dropped with the request.
pub(super) fn park_unrouted_form(
    app: &Compiled,
    settings: &Settings,
    req: &HttpRequest,
    payload: Payload,
) {
    if !(settings.request.body.process && has_form_body(req)) {
        return;
    }
    let payload = match req.extensions().get::<Stalled>() {
        Some(stalled) => guard(payload, app.context.body_timeout, stalled),
        None => payload,
    };
    crate::body::park_form(req, payload, settings.body.clone());
}

/// Reads a parked form body into named values, then calls the handler; a panic is a 500.
pub(super) async fn call(
    app: &Compiled,
    settings: &Settings,
    req: &HttpRequest,
    mut payload: Payload,
    routed: Routed,
    h: HandlerId,
) -> HttpResponse {
    let handler = &app.tree.handlers[h as usize];
    req.extensions_mut().insert(settings.body.clone());
    if let Some(stalled) = req.extensions().get::<Stalled>() {
        // Every reader of the body, drupe's or an extractor's, meets the stall timeout.
        payload = guard(payload, app.context.body_timeout, stalled);
    }
    let form = if has_parked_form(req) {
        // Boxed: its state (the multipart reader's) is large, and inline it would be copied
        // with every request's future, forms or not.
        match Box::pin(parked_form(req)).await {
            Ok(f) => f,
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
        show_mismatched: routed.show_mismatched,
        max_fields: routed.max_fields,
        retarget: routed.retarget,
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
