//! Error pages (`error_page.<status>`, `error_page.default`): the HTML page of an error drupe
//! rendered, from the application's templates, for a client that prefers HTML. Other clients
//! keep the problem details or the text the error was rendered in; errors answered before the
//! path's settings are known (a malformed request target, an oversized head) keep the
//! built-in page.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

use super::Compiled;
use crate::error::{ErrorFormat, Rendered, error_format};
use crate::tools::settings::ErrorPages;

/// `res` with the configured page for its status, when there is one and the client prefers
/// HTML; a template that fails to render leaves the built-in page, the reason in the log.
pub(super) fn apply(
    app: &Compiled,
    req: &HttpRequest,
    pages: &ErrorPages,
    res: HttpResponse,
) -> HttpResponse {
    let status = res.status();
    let Some(template) = pages.for_status(status.as_u16()) else {
        return res;
    };
    let Some(info) = res.extensions().get::<Rendered>().cloned() else {
        return res;
    };
    if error_format(req) != ErrorFormat::Html {
        return res;
    }
    let Some(templates) = &app.context.templates else {
        tracing::error!(
            template,
            "error_page.{} names a template, but the application has none",
            status.as_u16()
        );
        return res;
    };
    let context = serde_json::json!({
        "status": status.as_u16(),
        "reason": crate::http::reason(status.as_u16()),
        "message": info.message,
        "request_id": info.request_id,
        "path": req.path(),
        "version": env!("CARGO_PKG_VERSION"),
    });
    match templates.render(template, context) {
        Ok(html) => {
            let mut out = HttpResponse::build(status)
                .content_type(mime::TEXT_HTML_UTF_8)
                .body(html);
            for (name, value) in res.headers() {
                if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                    out.headers_mut().append(name.clone(), value.clone());
                }
            }
            out.extensions_mut().insert(info);
            out
        }
        Err(e) => {
            tracing::error!(
                template,
                status = status.as_u16(),
                "the error page could not be rendered: {}",
                e.internal_message().unwrap_or(e.message())
            );
            res
        }
    }
}
