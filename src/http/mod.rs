//! HTTP helpers: the bottom layer, which every other part of drupe may use and which uses
//! none of them.
//!
//! This module owns what is about HTTP itself rather than about drupe: absolute URLs of a
//! request ([`url`]), `Accept` negotiation ([`negotiate`]), who the client is behind trusted
//! proxies ([`client`]), which content coding a client prefers ([`encoding`]), validators and preconditions
//! ([`conditional`]), and the one copy of the small things several layers write: `Vary`
//! values ([`add_vary`]), validator lists ([`tag_listed`]) and 304s ([`not_modified`]), HTML escaping ([`escape_html`]) and reason phrases ([`reason`]).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};

pub(crate) mod client;
pub(crate) mod conditional;
pub mod encoding;
pub mod negotiate;
pub(crate) mod url;

/// Adds `name` to the response's `Vary` unless it is already listed (or `*`).
pub(crate) fn add_vary(res: &mut HttpResponse, name: &'static str) {
    if !vary_lists(res, name) {
        res.headers_mut()
            .append(header::VARY, HeaderValue::from_static(name));
    }
}

/// [`add_vary`] for a name known at run time (one copied from another response's `Vary`).
pub(crate) fn add_vary_name(res: &mut HttpResponse, name: header::HeaderName) {
    if !vary_lists(res, name.as_str())
        && let Ok(v) = HeaderValue::from_str(name.as_str())
    {
        res.headers_mut().append(header::VARY, v);
    }
}

fn vary_lists(res: &HttpResponse, name: &str) -> bool {
    res.headers().get_all(header::VARY).any(|v| {
        v.to_str().is_ok_and(|s| {
            s.split(',')
                .map(str::trim)
                .any(|x| x == "*" || x.eq_ignore_ascii_case(name))
        })
    })
}

/// A 304 carrying the fields RFC 9110 §15.4.5 asks for (`Date` is added by actix-web) and
/// `Last-Modified`, taken from the full response's `headers`.
pub(crate) fn not_modified<'h>(
    headers: impl IntoIterator<Item = (&'h header::HeaderName, &'h HeaderValue)>,
) -> HttpResponse {
    let mut r = HttpResponse::new(StatusCode::NOT_MODIFIED);
    for (n, v) in headers {
        if matches!(
            n.as_str(),
            "etag" | "cache-control" | "expires" | "vary" | "content-location" | "last-modified"
        ) {
            r.headers_mut().append(n.clone(), v.clone());
        }
    }
    r
}

/// `res` turned into a 304 in place: no body, none of the fields that describe a body
/// (RFC 9110 §15.4.5: `Content-Type`, `Content-Length`, `Content-Encoding`...), and every other
/// field kept — `ETag`, `Vary`, the freshness fields, and what other tools added for this
/// client (`Set-Cookie`, `Access-Control-*`).
pub(crate) fn into_not_modified<B>(res: HttpResponse<B>) -> HttpResponse {
    let (mut head, _) = res.into_parts();
    *head.status_mut() = StatusCode::NOT_MODIFIED;
    let h = head.headers_mut();
    for name in [
        header::CONTENT_TYPE,
        header::CONTENT_LENGTH,
        header::CONTENT_ENCODING,
        header::CONTENT_LANGUAGE,
        header::CONTENT_RANGE,
        header::ACCEPT_RANGES,
        header::TRANSFER_ENCODING,
        header::ALLOW,
    ] {
        h.remove(name);
    }
    head.set_body(actix_web::body::BoxBody::new(actix_web::body::None::new()))
}

/// Whether a request's `If-Match` (`strong`: RFC 9110 §13.1.1's strong comparison) or
/// `If-None-Match` (weak, §13.1.2) lists `etag`; `*` lists any current representation.
pub(crate) fn tag_listed(
    headers: &header::HeaderMap,
    name: header::HeaderName,
    etag: &header::EntityTag,
    strong: bool,
) -> bool {
    headers.get_all(name).any(|v| {
        let Ok(s) = v.to_str() else {
            return false;
        };
        conditional::tags_in(s).any(|item| {
            item.is_none_or(|t| {
                if strong {
                    t.strong_eq(etag)
                } else {
                    t.weak_eq(etag)
                }
            })
        })
    })
}

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// The reason phrase of a status (`404` → `Not Found`); `Error` for a code without one.
pub(crate) fn reason(status: u16) -> &'static str {
    StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vary_is_added_once() {
        let mut res = HttpResponse::Ok()
            .insert_header((header::VARY, "accept-encoding, Accept"))
            .finish();
        add_vary(&mut res, "Accept");
        add_vary(&mut res, "Cookie");
        add_vary(&mut res, "Cookie");
        let all: Vec<&str> = res
            .headers()
            .get_all(header::VARY)
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(all, ["accept-encoding, Accept", "Cookie"]);
    }

    #[test]
    fn escaping_and_reasons() {
        assert_eq!(
            escape_html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
        );
        assert_eq!(reason(404), "Not Found");
        assert_eq!(reason(799), "Error");
    }
}
