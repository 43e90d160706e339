//! The handler call under a deadline a tool set ([`Exchange::set_deadline`]): past it, the
//! handler's future is dropped — cancelled at its next await point — and the client hears the
//! deadline's status with `Retry-After`, never stored by a cache.

use actix_web::HttpResponse;
use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};

use super::Compiled;
use super::call::call;
use crate::dispatch::Routed;
use crate::dispatch::tree::HandlerId;
use crate::error::{ErrorStatus, HttpError};
use crate::tools::settings::Settings;
use crate::tools::{Deadline, Exchange};

/// [`call`] bounded by `d`.
pub(super) async fn bounded(
    app: &Compiled,
    settings: &Settings,
    ex: &Exchange,
    payload: Payload,
    routed: Routed,
    h: HandlerId,
    d: Deadline,
) -> HttpResponse {
    let req = &ex.req;
    let started = std::time::Instant::now();
    match tokio::time::timeout(d.after, call(app, settings, req, payload, routed, h)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(
                path = req.path(),
                handler = app.tree.handlers[h as usize].info.path(),
                deadline_ms = u64::try_from(d.after.as_millis()).unwrap_or(u64::MAX),
                ran_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                "the handler ran past its deadline and was cancelled"
            );
            let status = ErrorStatus::new(d.status).unwrap_or_else(|| {
                ErrorStatus::new(actix_web::http::StatusCode::SERVICE_UNAVAILABLE)
                    .expect("503 is an error status")
            });
            let e = HttpError::new(
                status,
                "The request took longer than this server allows; try again shortly.",
            )
            .with_header(header::RETRY_AFTER, HeaderValue::from(d.retry_after))
            .with_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            HttpResponse::from_error(e)
        }
    }
}
