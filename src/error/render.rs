//! Error bodies, written once the request is known: problem+json (RFC 9457) for clients that
//! prefer JSON, an HTML page for browsers, plain text otherwise; and actix-web's own errors
//! turned into [`HttpError`]s.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

use super::rejections::*;
use super::{ErrorStatus, HttpError, INTERNAL_MESSAGE};
use crate::http::negotiate::{self, MediaRange};

/// The three ways an error body is written, chosen from the request's `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorFormat {
    Plain,
    Html,
    Problem,
}

const ERROR_FORMATS: [(&str, ErrorFormat); 4] = [
    ("text/plain", ErrorFormat::Plain),
    ("text/html", ErrorFormat::Html),
    ("application/problem+json", ErrorFormat::Problem),
    ("application/json", ErrorFormat::Problem),
];

/// Picks the error body format for a request: JSON-preferring clients get problem details,
/// browsers HTML, everything else (including a malformed `Accept`) plain text.
pub(crate) fn error_format(req: &HttpRequest) -> ErrorFormat {
    let Some(accept) = req.headers().get(header::ACCEPT) else {
        return ErrorFormat::Plain;
    };
    let Ok(accept) = accept.to_str() else {
        return ErrorFormat::Plain;
    };
    static RANGES: std::sync::OnceLock<Vec<MediaRange>> = std::sync::OnceLock::new();
    let ranges = RANGES.get_or_init(|| {
        ERROR_FORMATS
            .iter()
            .map(|(m, _)| MediaRange::parse_static(m))
            .collect()
    });
    match negotiate::select(accept, ranges) {
        Ok(Some(i)) => ERROR_FORMATS[i].1,
        _ => ErrorFormat::Plain,
    }
}

/// Renders an error body in the negotiated format. Headers the error carries are added;
/// `Vary: Accept` is added because the body depends on it.
pub(crate) fn render(req: &HttpRequest, err: &HttpError) -> HttpResponse {
    let status = err.status();
    let format = error_format(req);
    let mut builder = HttpResponse::build(status);
    let body = match format {
        ErrorFormat::Plain => {
            builder.content_type(mime::TEXT_PLAIN_UTF_8);
            let mut text = match err.request_id() {
                Some(id) => format!("{}\nRequest id: {id}\n", err.message()),
                None => err.message().to_owned(),
            };
            if let Some(t) = err.traceback() {
                text.push_str("\nTraceback:\n");
                text.push_str(t);
                text.push('\n');
            }
            text
        }
        ErrorFormat::Html => {
            builder.content_type(mime::TEXT_HTML_UTF_8);
            let mut page = html_page(status, err.message(), err.request_id());
            if let Some(t) = err.traceback() {
                let pre = format!(
                    "<pre id=\"traceback\">{}</pre>\n<footer>",
                    crate::http::escape_html(t)
                );
                page = page.replacen("<footer>", &pre, 1);
            }
            page
        }
        ErrorFormat::Problem => {
            builder.content_type("application/problem+json");
            problem_json(req, status, err)
        }
    };
    for (name, value) in err.headers() {
        builder.append_header((name.clone(), value.clone()));
    }
    let mut res = builder.body(body);
    crate::http::add_vary(&mut res, "Accept");
    res.extensions_mut().insert(super::Rendered {
        message: err.message().to_owned(),
        request_id: err.request_id().map(str::to_owned),
    });
    res
}

fn problem_json(req: &HttpRequest, status: StatusCode, err: &HttpError) -> String {
    let mut obj = serde_json::Map::new();
    obj.insert("type".into(), "about:blank".into());
    obj.insert("title".into(), crate::http::reason(status.as_u16()).into());
    obj.insert("status".into(), status.as_u16().into());
    obj.insert("detail".into(), err.message().into());
    obj.insert("instance".into(), req.path().into());
    if let Some(extra) = err.extensions() {
        for (k, v) in extra {
            obj.insert(k.clone(), v.clone());
        }
    }
    serde_json::Value::Object(obj).to_string()
}

/// The HTML error page: title and heading `"<code> <reason>"`, the message, the request id of
/// a server error, a footer.
pub(crate) fn html_page(status: StatusCode, message: &str, request_id: Option<&str>) -> String {
    let title = format!(
        "{} {}",
        status.as_u16(),
        crate::http::reason(status.as_u16())
    );
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<style>body{{font:16px/1.5 system-ui,sans-serif;margin:3em auto;\
         max-width:40em;padding:0 1em;color:#222}}h2{{color:#8b1d2c}}footer{{margin-top:3em;\
         color:#777;font-size:.85em}}</style>\n</head>\n<body>\n<h2>{title}</h2>\n<p>{msg}</p>\n{id}\
         <footer>Powered by drupe {version}</footer>\n</body>\n</html>\n",
        msg = crate::http::escape_html(message),
        id = request_id.map_or(String::new(), |id| format!(
            "<p>Request id: <code>{}</code></p>\n",
            crate::http::escape_html(id)
        )),
        version = env!("CARGO_PKG_VERSION"),
    )
}

/// Converts any actix error into an [`HttpError`], keeping its status and (for 4xx) its text.
pub(crate) fn from_actix(err: &actix_web::Error) -> HttpError {
    if let Some(e) = err.as_error::<HttpError>() {
        return e.clone();
    }
    macro_rules! try_rejection {
        ($($t:ty),*) => {$(
            if let Some(e) = err.as_error::<$t>() {
                return e.0.clone();
            }
        )*};
    }
    try_rejection!(
        NotFound,
        MethodNotAllowed,
        NotAcceptable,
        MissingParameters,
        UnexpectedParameters,
        MultipleValues,
        BadParameter
    );
    let status = err.as_response_error().status_code();
    match ErrorStatus::new(status) {
        Some(s) if status.is_client_error() => HttpError::new(s, err.to_string()),
        Some(s) => HttpError::new(s, INTERNAL_MESSAGE).with_internal(err),
        None => HttpError::internal(err),
    }
}
