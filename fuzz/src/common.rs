//! What the request-level targets share: the tour application in process (each target
//! declares `mod tour` on `examples/tour/tree.rs`), and a request built from fuzzed parts.
//! The invariant they check is the framework's promise: bad input gets a 4xx, never a 5xx
//! and never a panic.

use std::cell::OnceCell;

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, Uri};
use drupe::testing::TestClient;

thread_local! {
    static RUNTIME: actix_web::rt::SystemRunner = actix_web::rt::System::new();
    static CLIENT: OnceCell<&'static TestClient> = const { OnceCell::new() };
}

/// A request built from fuzzed parts; parts the HTTP layer would refuse before drupe saw
/// them (an invalid URI, header name or value) make `send` return without a request.
#[derive(Debug, arbitrary::Arbitrary)]
pub(crate) struct FuzzRequest {
    pub(crate) method: u8,
    /// Only the dispatch target sends it; the others choose their own paths.
    #[allow(dead_code)]
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) content_type: Option<String>,
    pub(crate) body: Vec<u8>,
}

const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND", "TRACE",
];

/// Sends `r` to the tour; returns its status, or `None` when the request was not valid HTTP.
pub(crate) fn send(path: &str, r: &FuzzRequest) -> Option<u16> {
    Uri::try_from(path).ok()?;
    for (n, v) in &r.headers {
        HeaderName::from_bytes(n.as_bytes()).ok()?;
        HeaderValue::from_str(v).ok()?;
    }
    if let Some(ct) = &r.content_type {
        HeaderValue::from_str(ct).ok()?;
    }
    let method = Method::from_bytes(METHODS[r.method as usize % METHODS.len()].as_bytes()).ok()?;
    RUNTIME.with(|rt| {
        let client = CLIENT.with(|c| {
            *c.get_or_init(|| {
                let app = crate::tour::app();
                Box::leak(Box::new(rt.block_on(TestClient::new(app))))
            })
        });
        let mut b = client.request(method, path);
        for (n, v) in &r.headers {
            b = b.header(n, v);
        }
        if let Some(ct) = &r.content_type {
            b = b.body(ct, r.body.clone());
        }
        let res = rt.block_on(b.send());
        Some(res.status().as_u16())
    })
}

/// The promise: whatever came in, the answer is not a server error.
pub(crate) fn check(path: &str, r: &FuzzRequest) {
    if let Some(status) = send(path, r) {
        assert!(status < 500, "{status} for {path:?} {r:?}");
    }
}
