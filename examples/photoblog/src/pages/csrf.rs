//! The forms' CSRF protection (double-submit cookie): a form page carries the visitor's token
//! in a hidden field and in the `photoblog_csrf` cookie (set on the visitor's first form); a
//! posted form must send both, equal. Another site can neither read nor set the cookie.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use drupe::HttpError;
use minijinja::{Value, context};

use super::render;

const CSRF_COOKIE: &str = "photoblog_csrf";

/// The CSRF token for a form: the one the browser holds, or a new one it is given.
fn csrf_token(req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
    match req.cookie(CSRF_COOKIE) {
        Some(c) if c.value().len() == 32 => (c.value().to_owned(), None),
        _ => {
            let t = uuid::Uuid::new_v4().simple().to_string();
            let cookie = Cookie::build(CSRF_COOKIE, t.clone())
                .path("/")
                .http_only(true)
                .same_site(SameSite::Strict)
                .finish();
            (t, Some(cookie))
        }
    }
}

/// A form page, with its token cookie when it is new. It is `Cache-Control: no-store`: it
/// holds this visitor's token, so no cache — the output cache or one on the way — may keep it
/// and hand it to another visitor (who would get someone else's token and no cookie of their
/// own, and see every post refused).
pub(crate) fn form_page(
    req: &HttpRequest,
    template: &str,
    ctx: Value,
    status: StatusCode,
) -> HttpResponse {
    let (token, cookie) = csrf_token(req);
    let mut res = actix_web::Responder::respond_to(
        render(template, context! { csrf => token, ..ctx }).with_status(status),
        req,
    );
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    if let Some(c) = cookie
        && let Err(e) = res.add_cookie(&c)
    {
        // A hex token always makes a valid header: failing here is a bug, answered as one.
        tracing::error!("cannot set the CSRF cookie: {e}");
        return HttpResponse::from_error(HttpError::internal(e));
    }
    res
}

/// A posted form must carry the token its page set (double-submit).
pub(crate) fn check_csrf(req: &HttpRequest, token: Option<&str>) -> Result<(), HttpError> {
    let token = token.unwrap_or("");
    let cookie = req.cookie(CSRF_COOKIE);
    let expected = cookie.as_ref().map(|c| c.value()).unwrap_or("");
    let same = expected.len() == token.len()
        && !expected.is_empty()
        && expected
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err(HttpError::forbidden(
            "This form was not sent by this site, or it expired (CSRF check). Reload the page and try again.",
        ))
    }
}
