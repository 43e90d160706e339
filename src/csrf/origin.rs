//! The second line: where an unsafe request comes from, by the headers a browser sets itself
//! and a page cannot forge.
//!
//! `Sec-Fetch-Site: cross-site` is refused; else an `Origin` that is neither the request's own
//! (`scheme://host[:port]` as the request was addressed, through trusted proxies) nor one of
//! `trusted_origins` is refused, and so is `Origin: null` (a sandboxed frame, a redirect
//! across sites, a `data:` page: nothing the site itself sends). A request with neither
//! header is not a browser's form or script of today, and passes (curl, a server calling an
//! API).

use actix_web::HttpRequest;

use crate::HttpError;

/// `scheme://host[:port]` in lower case, without the scheme's default port: an origin as
/// browsers write it, comparable byte for byte. `None` if `text` is not one (a path, a user,
/// a bad host).
pub(super) fn normalize(text: &str) -> Option<String> {
    let (scheme, authority) = text.split_once("://")?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
    if !scheme_ok || !crate::http::url::valid_host(authority) {
        return None;
    }
    let scheme = scheme.to_ascii_lowercase();
    let mut authority = authority.to_ascii_lowercase();
    let default = match scheme.as_str() {
        "http" => Some(":80"),
        "https" => Some(":443"),
        _ => None,
    };
    if let Some(port) = default
        && authority.ends_with(port)
    {
        authority.truncate(authority.len() - port.len());
    }
    Some(format!("{scheme}://{authority}"))
}

/// Refuses a cross-site request: `own` is the request's origin (normalized), `trusted` the
/// other origins allowed (normalized).
pub(super) fn check(
    req: &HttpRequest,
    own: impl FnOnce() -> String,
    trusted: &[String],
) -> Result<(), HttpError> {
    let headers = req.headers();
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"))
    {
        return Err(HttpError::forbidden(
            "The CSRF check failed: the request was sent by another site's page \
             (Sec-Fetch-Site: cross-site).",
        ));
    }
    let Some(origin) = headers.get(actix_web::http::header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("").trim();
    if origin.eq_ignore_ascii_case("null") {
        return Err(HttpError::forbidden(
            "The CSRF check failed: the request's Origin is null (a sandboxed or \
             cross-site context), which this site does not accept.",
        ));
    }
    let own = own();
    match normalize(origin) {
        Some(o) if o == own || trusted.contains(&o) => Ok(()),
        _ => Err(HttpError::forbidden(format!(
            "The CSRF check failed: the request's Origin ({}) is not this site ({own}) nor \
             one of tools.csrf.trusted_origins.",
            origin.chars().take(200).collect::<String>()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn origins_are_normalized() {
        for (text, want) in [
            ("https://Example.COM", "https://example.com"),
            ("https://example.com:443", "https://example.com"),
            ("http://example.com:80", "http://example.com"),
            ("http://example.com:8080", "http://example.com:8080"),
            ("https://example.com:80", "https://example.com:80"),
            ("http://[::1]:80", "http://[::1]"),
            ("http://[::80]", "http://[::80]"),
            ("app://local", "app://local"),
        ] {
            assert_eq!(normalize(text).as_deref(), Some(want), "{text}");
        }
        for bad in [
            "example.com",
            "https://",
            "https://example.com/",
            "https://user@example.com",
            "https://example.com:x",
            "1http://example.com",
            "null",
        ] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }

    fn check_headers(headers: &[(&str, &str)]) -> Result<(), String> {
        let mut r = TestRequest::default();
        for (k, v) in headers {
            r = r.append_header((*k, *v));
        }
        let trusted = ["https://app.example".to_owned()];
        check(
            &r.to_http_request(),
            || "https://example.com".to_owned(),
            &trusted,
        )
        .map_err(|e| e.message().to_owned())
    }

    #[test]
    fn cross_site_and_foreign_origins_are_refused() {
        assert!(check_headers(&[]).is_ok());
        assert!(check_headers(&[("sec-fetch-site", "same-origin")]).is_ok());
        assert!(check_headers(&[("origin", "https://example.com:443")]).is_ok());
        assert!(check_headers(&[("origin", "https://app.example")]).is_ok());
        let e = check_headers(&[("sec-fetch-site", "cross-site")]).unwrap_err();
        assert!(
            e.contains("CSRF check") && e.contains("Sec-Fetch-Site"),
            "{e}"
        );
        let e = check_headers(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://example.com"),
        ])
        .unwrap_err();
        assert!(e.contains("cross-site"), "{e}");
        let e = check_headers(&[("origin", "null")]).unwrap_err();
        assert!(e.contains("null"), "{e}");
        let e = check_headers(&[("origin", "http://example.com")]).unwrap_err();
        assert!(e.contains("(http://example.com) is not this site (https://example.com)"));
        assert!(check_headers(&[("origin", "https://example.com.evil.example")]).is_err());
        assert!(check_headers(&[("origin", "garbage")]).is_err());
    }
}
