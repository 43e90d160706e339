//! Cache keys: the variant key of any two header sets is shared exactly when they agree on
//! the headers `Vary` names; entries read back from a shared backend (Redis) are refused
//! unless they are our encoding, and re-encode to the same bytes; and requests with any Host,
//! Accept and query through the tour's cached subtrees never get a 5xx.

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

#[derive(Debug, arbitrary::Arbitrary)]
struct Input {
    vary: Vec<String>,
    a: Vec<(String, Vec<u8>)>,
    b: Vec<(String, Vec<u8>)>,
    stored: Vec<u8>,
    query: String,
    host: String,
    accept: String,
}

fn headers(pairs: &[(String, Vec<u8>)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (n, v) in pairs {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(n.as_bytes()),
            HeaderValue::from_bytes(v),
        ) {
            h.append(n, v);
        }
    }
    h
}

/// One input, as the fuzzer runs it.
pub fn run(data: &[u8]) {
    let Some(i) = crate::input::<Input>(data) else {
        return;
    };
    // Vary names as a response would list them: lower-case header names.
    let vary: Vec<String> = i
        .vary
        .iter()
        .filter_map(|n| HeaderName::from_bytes(n.as_bytes()).ok())
        .map(|n| n.as_str().to_owned())
        .collect();
    drupe::fuzzing::variant_key(&vary, &headers(&i.a), &headers(&i.b));
    drupe::fuzzing::stored(&i.stored);
    let r = crate::common::FuzzRequest {
        method: 0,
        path: String::new(),
        headers: vec![
            ("host".into(), i.host.clone()),
            ("accept".into(), i.accept.clone()),
        ],
        content_type: None,
        body: Vec::new(),
    };
    for path in ["/feed", "/users", "/users/1"] {
        let uri = if i.query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", i.query)
        };
        crate::common::check(&uri, &r);
    }
}
