//! `Cache-Control`, `Pragma`, `If-None-Match`, `If-Modified-Since` and `Expires`: any values
//! on a request and on a response are read without a panic, and a cached tour resource
//! answers requests carrying them with no 5xx.

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

#[derive(Debug, arbitrary::Arbitrary)]
struct Input {
    cache_control: Vec<u8>,
    pragma: Vec<u8>,
    if_none_match: Vec<u8>,
    if_modified_since: Vec<u8>,
    response_cache_control: Vec<u8>,
    expires: Vec<u8>,
    vary: Vec<u8>,
}

fn put(h: &mut HeaderMap, name: &'static str, v: &[u8]) {
    if let Ok(v) = HeaderValue::from_bytes(v) {
        h.append(HeaderName::from_static(name), v);
    }
}

/// One input, as the fuzzer runs it.
pub fn run(data: &[u8]) {
    let Some(i) = crate::input::<Input>(data) else {
        return;
    };
    let mut req = HeaderMap::new();
    put(&mut req, "cache-control", &i.cache_control);
    put(&mut req, "pragma", &i.pragma);
    put(&mut req, "if-none-match", &i.if_none_match);
    put(&mut req, "if-modified-since", &i.if_modified_since);
    let mut res = HeaderMap::new();
    put(&mut res, "cache-control", &i.response_cache_control);
    put(&mut res, "expires", &i.expires);
    put(&mut res, "vary", &i.vary);
    drupe::fuzzing::cache_headers(&req, &res);
    // The same request headers through the cache, as text where they are text.
    let headers: Vec<(String, String)> = req
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let r = crate::common::FuzzRequest {
        method: 0,
        path: String::new(),
        headers,
        content_type: None,
        body: Vec::new(),
    };
    crate::common::check("/feed", &r);
    crate::common::check("/users/1", &r);
}
