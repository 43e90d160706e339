//! Absolute URLs of the running application.
//!
//! This module owns how drupe writes the `scheme://host` of a request into `Location` headers,
//! Atom links and cache keys. Proxy headers (`Forwarded`, `X-Forwarded-Proto`,
//! `X-Forwarded-Host`) are honoured only for a request that came from a trusted proxy
//! (`server.trusted_proxies`, see [`crate::client`]), which the callers say with
//! `behind_proxy`; otherwise a client could make the server write any host into its
//! redirects.

use actix_web::HttpRequest;
use actix_web::http::header;

/// Whether a `Host` value is a syntactically valid `host[:port]` (RFC 3986 reg-name, IPv4 or
/// bracketed IPv6), so it can be written into a URL without changing its meaning.
pub(crate) fn valid_host(host: &str) -> bool {
    // By bytes, in one pass: this runs twice on every request (the head's check, the cache
    // key's URL).
    let b = host.as_bytes();
    if b.is_empty() || b.len() > 255 {
        return false;
    }
    let (name_ok, tail) = if b[0] == b'[' {
        let Some(end) = b.iter().position(|&c| c == b']') else {
            return false;
        };
        let v6 = &b[1..end];
        let ok = !v6.is_empty()
            && v6
                .iter()
                .all(|&c| c.is_ascii_hexdigit() || c == b':' || c == b'.');
        (ok, &b[end + 1..])
    } else {
        let name = b
            .iter()
            .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_')))
            .unwrap_or(b.len());
        (name > 0, &b[name..])
    };
    let port_ok = match tail {
        [] => true,
        [b':', port @ ..] => {
            !port.is_empty() && port.len() <= 5 && port.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    };
    name_ok && port_ok
}

/// `scheme://host` of the request.
pub(crate) fn base_url(req: &HttpRequest, behind_proxy: bool) -> String {
    base_url_then(req, behind_proxy, "")
}

/// `scheme://host` of the request followed by `tail`, in one allocation: the output cache
/// builds its key with this on every request.
pub(crate) fn base_url_then(req: &HttpRequest, behind_proxy: bool, tail: &str) -> String {
    let join = |scheme: &str, host: &str| {
        let mut s = String::with_capacity(scheme.len() + 3 + host.len() + tail.len());
        s.push_str(scheme);
        s.push_str("://");
        s.push_str(host);
        s.push_str(tail);
        s
    };
    if behind_proxy {
        let info = req.connection_info();
        if valid_host(info.host()) {
            return join(info.scheme(), info.host());
        }
    }
    let scheme = if req.app_config().secure() {
        "https"
    } else {
        "http"
    };
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .filter(|h| valid_host(h))
        .unwrap_or_else(|| req.app_config().host());
    join(scheme, host)
}

/// The absolute URL of `path` on the request's host with the request's query: where a
/// redirect to the canonical form of the request's path points.
pub(crate) fn absolute_with_query(req: &HttpRequest, behind_proxy: bool, path: &str) -> String {
    let mut url = absolute(req, behind_proxy, path);
    if !req.query_string().is_empty() {
        url.push('?');
        url.push_str(req.query_string());
    }
    url
}

/// The absolute URL of `path` (which starts with `/`) on the request's host.
pub(crate) fn absolute(req: &HttpRequest, behind_proxy: bool, path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        return path.to_owned();
    }
    if path.starts_with('/') {
        return base_url_then(req, behind_proxy, path);
    }
    let mut url = base_url(req, behind_proxy);
    url.push('/');
    url.push_str(path);
    url
}

/// Where a redirect to `target` points, as an absolute URL: a URL with a scheme is kept; a
/// path (`/blog/`) is inside the application, after its mount `prefix`; any other reference
/// (`edit`, `../`, `?page=2`, `//host/x`) is resolved against the request's URL (RFC 3986
/// §5.2). A target with a control character (a CR or LF that would split the header) or that
/// cannot be resolved is refused.
pub(crate) fn redirect_target(
    req: &HttpRequest,
    behind_proxy: bool,
    prefix: &str,
    target: &str,
) -> Result<String, String> {
    // A backslash reads as `/` in an http URL (WHATWG): `/\\evil.example` would leave the
    // host. No target needs one unescaped.
    if target.bytes().any(|b| b.is_ascii_control() || b == b'\\') {
        return Err(format!(
            "The URL reference {target:?} contains a control character or a backslash."
        ));
    }
    let base = base_url(req, behind_proxy);
    let here = url::Url::parse(&format!("{base}{}", req.path()))
        .map_err(|e| format!("the request's URL: {e}"))?;
    let path = target.starts_with('/') && !target.starts_with("//");
    let joined = if path {
        here.join(&format!("{prefix}{target}"))
    } else {
        here.join(target)
    };
    let url = joined.map_err(|e| format!("The URL reference {target:?} is not a URL: {e}."))?;
    if path && url.origin() != here.origin() {
        // A path stays on this host, whatever it is made of.
        return Err(format!(
            "The URL reference {target:?} leaves the application."
        ));
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "The URL reference {target:?} is not an http or https URL."
        ));
    }
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn hosts() {
        for ok in [
            "localhost",
            "localhost:8080",
            "127.0.0.1:1",
            "[::1]",
            "[::1]:80",
            "a-b.example.org",
        ] {
            assert!(valid_host(ok), "{ok}");
        }
        for bad in [
            "",
            "a/b",
            "a@b",
            "a b",
            "[::1",
            "host:",
            "host:123456",
            "a:b:c",
            "[::1]x",
            ":80",
            "[]",
            "host:8a",
            "h\r\nx",
        ] {
            assert!(!valid_host(bad), "{bad}");
        }
    }

    #[test]
    fn proxy_headers_only_when_configured() {
        let req = TestRequest::default()
            .insert_header(("host", "internal:8080"))
            .insert_header(("x-forwarded-host", "public.example"))
            .insert_header(("x-forwarded-proto", "https"))
            .to_http_request();
        assert_eq!(base_url(&req, false), "http://internal:8080");
        assert_eq!(base_url(&req, true), "https://public.example");
        assert_eq!(absolute(&req, false, "/a?b"), "http://internal:8080/a?b");
    }
}
