//! The live report's endpoints under its mount: the page (its view chosen by the query:
//! `threshold`, `exclude`, `handler`, `file`), its stylesheet and script, `data.json`, the raw
//! line profile, and `reset` — a POST carrying the page's token, refused from other sites.

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};

use super::super::{Coverage, ReportSettings};
use super::view::{Mode, View};
use super::{SCRIPT, STYLESHEET};

/// The page's policy: its own stylesheet and script only, no inline code, forms to itself.
const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'";

/// The live report's answers under its mount.
pub(in super::super) async fn respond(
    coverage: &Coverage,
    settings: &ReportSettings,
    base: &str,
    token: &str,
    req: &HttpRequest,
    payload: actix_web::dev::Payload,
) -> HttpResponse {
    let rest = req.path().strip_prefix(base).unwrap_or("");
    match (req.method().clone(), rest) {
        (Method::GET | Method::HEAD, "" | "index.html") => {
            page(coverage, settings.threshold, base, token, req)
        }
        (Method::GET | Method::HEAD, "data.json") => HttpResponse::Ok()
            .insert_header(("cache-control", "no-store"))
            .content_type(mime::APPLICATION_JSON)
            .body(serde_json::to_string(&coverage.snapshot()).unwrap_or_default()),
        (Method::GET | Method::HEAD, "profile.profraw") => profile(),
        (Method::POST, "reset") => reset(coverage, base, token, req, payload).await,
        (_, "reset") => HttpResponse::MethodNotAllowed()
            .insert_header(("allow", "POST"))
            .body("Reset with POST."),
        (Method::GET | Method::HEAD, "report.css") => HttpResponse::Ok()
            .content_type("text/css; charset=utf-8")
            .body(STYLESHEET),
        (Method::GET | Method::HEAD, "report.js") => HttpResponse::Ok()
            .content_type("text/javascript; charset=utf-8")
            .body(SCRIPT),
        _ => HttpResponse::build(StatusCode::NOT_FOUND)
            .body(format!("The path '{}' was not found.", req.path())),
    }
}

/// The page, as the query asks: `threshold` (0–100, else the configured one), `exclude`
/// (`|`-separated), `handler` (an index of the data's handlers), `file` (a source file).
fn page(
    coverage: &Coverage,
    threshold: f64,
    base: &str,
    token: &str,
    req: &HttpRequest,
) -> HttpResponse {
    let q = query(req.query_string());
    let data = coverage.snapshot();
    let view = View {
        data: &data,
        threshold: q
            .get("threshold")
            .and_then(|t| t.parse().ok())
            .filter(|t: &f64| (0.0..=100.0).contains(t))
            .unwrap_or(threshold),
        exclude: q
            .get("exclude")
            .map(|e| e.split('|').map(str::to_owned).collect())
            .unwrap_or_default(),
        selected: q
            .get("handler")
            .and_then(|h| h.parse().ok())
            .filter(|i| *i < data.handlers.len()),
        file: q.get("file").map(String::as_str),
        mode: Mode::Live { base, token },
    };
    let (status, html) = match super::render(&view) {
        Ok(html) => (StatusCode::OK, html),
        Err(failure) => (StatusCode::INTERNAL_SERVER_ERROR, failure),
    };
    html_headers(HttpResponse::build(status))
        .content_type(mime::TEXT_HTML_UTF_8)
        .body(html)
}

fn html_headers(mut b: HttpResponseBuilder) -> HttpResponseBuilder {
    b.insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("content-security-policy", CSP))
        .insert_header(("cache-control", "no-store"));
    b
}

/// The raw line profile, for `llvm-cov`, when the build records lines.
fn profile() -> HttpResponse {
    match super::super::lines::raw_profile() {
        Some(raw) => HttpResponse::Ok()
            .insert_header(("cache-control", "no-store"))
            .content_type("application/octet-stream")
            .body(raw),
        None => HttpResponse::NotFound()
            .body("This build does not record source lines (see scripts/line-coverage/)."),
    }
}

async fn reset(
    coverage: &Coverage,
    base: &str,
    token: &str,
    req: &HttpRequest,
    payload: actix_web::dev::Payload,
) -> HttpResponse {
    match reset_allowed(token, req, payload).await {
        Ok(()) => {
            coverage.reset();
            HttpResponse::SeeOther()
                .insert_header(("location", base.to_owned()))
                .finish()
        }
        Err(why) => HttpResponse::Forbidden()
            .insert_header(("cache-control", "no-store"))
            .content_type(mime::TEXT_PLAIN_UTF_8)
            .body(why),
    }
}

/// A reset comes from the report page itself: a browser's request from another site says so
/// (`Sec-Fetch-Site`), and only the page carries the token (a form field `token`).
async fn reset_allowed(
    token: &str,
    req: &HttpRequest,
    mut payload: actix_web::dev::Payload,
) -> Result<(), &'static str> {
    if let Some(site) = req.headers().get("sec-fetch-site")
        && !matches!(site.as_bytes(), b"same-origin" | b"none")
    {
        return Err("A reset comes from the report page, not from another site.");
    }
    const REFUSED: &str = "A reset needs the token of the report page (its Reset button).";
    let body = crate::body::read_bytes(req, &mut payload, 4096)
        .await
        .map_err(|_| REFUSED)?;
    let mut pairs = smallvec::SmallVec::new();
    let _ =
        crate::dispatch::path::parse_query(std::str::from_utf8(&body).unwrap_or(""), &mut pairs);
    let sent = pairs
        .iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.as_bytes());
    match sent {
        Some(sent) if !token.is_empty() && constant_time_eq(sent, token.as_bytes()) => Ok(()),
        _ => Err(REFUSED),
    }
}

/// Compares without stopping at the first difference, so the time taken does not tell how
/// much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn query(q: &str) -> std::collections::HashMap<String, String> {
    let mut out = smallvec::SmallVec::<[_; 8]>::new();
    let _ = crate::dispatch::path::parse_query(q, &mut out);
    out.into_iter()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}
