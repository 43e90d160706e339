//! The catalogue's request targets: paths and their encoding, parameters, negotiation and
//! caching headers.

use super::{Case, Target::Tour, case, get, get_with};

pub(super) fn cases() -> Vec<Case> {
    vec![
        // Paths and their encoding.
        case(
            Tour,
            "invalid percent-encoding",
            get("/blog/post/2024/%zz"),
            400,
        )
        .says("percent"),
        case(
            Tour,
            "percent-encoding that is not UTF-8",
            get("/blog/post/2024/%C3%28"),
            400,
        )
        .says("UTF-8"),
        case(Tour, "a year over u16", get("/blog/post/99999/x"), 404),
        case(Tour, "a negative id", get("/users/-1"), 404),
        case(
            Tour,
            "an id over u64",
            get("/users/99999999999999999999999"),
            404,
        ),
        case(Tour, "a private method", get("/blog/secret"), 404),
        case(
            Tour,
            "a CRLF in a redirected query",
            get("/blog?x=%0d%0aSet-Cookie:%20pwn=1"),
            301,
        )
        .lacks("\r\nset-cookie: pwn"),
        case(
            Tour,
            "a CRLF in a redirected path",
            get("/archive%0d%0aSet-Cookie:%20pwn=1"),
            200,
        )
        .lacks("\r\nset-cookie: pwn"),
        // Parameters.
        case(
            Tour,
            "a duplicated single parameter",
            get("/?name=a&name=b"),
            400,
        )
        .says("name"),
        case(
            Tour,
            "an unexpected query parameter",
            get("/blog/post/2024/x?evil=1"),
            404,
        ),
        case(
            Tour,
            "a page that is not a number",
            get("/blog/search?q=x&page=abc"),
            400,
        )
        .says("page"),
        case(
            Tour,
            "a page over u32",
            get("/blog/search?q=x&page=99999999999"),
            400,
        )
        .says("page"),
        case(
            Tour,
            "a missing required parameter",
            get("/blog/search"),
            404,
        ),
        case(
            Tour,
            "invalid percent-encoding in the query",
            get("/?name=%zz"),
            400,
        ),
        // Negotiation and caching headers.
        case(
            Tour,
            "a malformed Accept",
            get_with("/users/1", "Accept: text/html;q=high\r\n"),
            400,
        )
        .says("Accept"),
        case(
            Tour,
            "a q over 1",
            get_with("/users/1", "Accept: application/json;q=2\r\n"),
            400,
        ),
        case(
            Tour,
            "an Accept with bytes outside ASCII",
            get_with("/users/1", "Accept: text/caf\u{e9}\r\n"),
            400,
        )
        .says("Accept"),
        case(
            Tour,
            "nothing acceptable",
            get_with("/users/1", "Accept: image/png\r\n"),
            406,
        )
        .says("application/json"),
        case(
            Tour,
            "a malformed Cache-Control",
            get_with("/users/1", "Cache-Control: max-age=abc\r\n"),
            400,
        )
        .says("Cache-Control"),
        case(
            Tour,
            "an unquoted If-None-Match",
            get_with("/users/1", "If-None-Match: abc\r\n"),
            400,
        )
        .says("If-None-Match"),
        case(
            Tour,
            "a garbage If-Modified-Since",
            get_with("/users/1", "If-Modified-Since: yesterday\r\n"),
            200,
        ),
    ]
}
