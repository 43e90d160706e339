//! Query and form binding: fuzzed query strings and bodies (urlencoded, multipart, JSON,
//! XML, anything) sent to the tour's handlers that take typed, optional, repeated and named
//! parameters. No panic, no 5xx.

/// Handlers with parameters of every kind the binder knows.
const TARGETS: [&str; 11] = [
    "/",
    "/blog/post/2024/hello",
    "/blog/",
    "/blog/search",
    "/blog/secret",
    "/archive/2024/11",
    "/users",
    "/users/1",
    "/users/2",
    "/feed",
    "/translate.html",
];

const CONTENT_TYPES: [&str; 6] = [
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=X",
    "application/json",
    "application/xml",
    "text/plain",
    "application/x-www-form-urlencoded; charset=latin1",
];

/// One input, as the fuzzer runs it.
pub fn run(data: &[u8]) {
    let Some(input) = crate::input::<(u8, u8, String, crate::common::FuzzRequest)>(data) else {
        return;
    };
    let (target, ct, query, mut r) = input;
    let path = TARGETS[target as usize % TARGETS.len()];
    let uri = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    if r.content_type.is_none() && !r.body.is_empty() {
        r.content_type = Some(CONTENT_TYPES[ct as usize % CONTENT_TYPES.len()].to_owned());
    }
    crate::common::check(&uri, &r);
}
