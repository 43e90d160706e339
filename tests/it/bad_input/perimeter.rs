//! The catalogue's perimeter: limits on what a client sends, the operator pages, the request
//! line and the head.

use std::fmt::Write as _;

use super::{
    Case, PartSpec,
    Target::{Blog, Tour},
    case, get, get_with, multipart, raw, send, send_as_owner,
};

pub(super) fn cases() -> Vec<Case> {
    let big_header = format!("X-Big: {}\r\n", "a".repeat(24 * 1024));
    let many_headers: String = (0..200).fold(String::new(), |mut s, i| {
        let _ = write!(s, "X-H{i}: {i}\r\n");
        s
    });
    // Past `request.max_fields` (1000): as many distinct names as 0.9 MB holds, and parts.
    let mut distinct = String::new();
    for i in 0.. {
        if distinct.len() > 900_000 {
            break;
        }
        let _ = write!(distinct, "f{i}=&");
    }
    let query_1001: Vec<String> = (0..1001).map(|i| format!("q{i}")).collect();
    let part_names: Vec<String> = (0..1001).map(|i| format!("p{i}")).collect();
    let many_parts_refs: Vec<PartSpec<'_>> = part_names
        .iter()
        .map(|n| (n.as_str(), None, &b"v"[..]))
        .collect();
    let many_parts = multipart("XyZ", &many_parts_refs);
    let big_picture = multipart(
        "XyZ",
        &[
            ("film_id", None, b"1"),
            (
                "file",
                Some(("plain.png", "image/png")),
                &crate::blog::one_colour_png(8000, 8000, 200),
            ),
        ],
    );
    let hostile_host = |path: &str| {
        raw(&format!(
            "GET {path} HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n"
        ))
    };
    vec![
        // The perimeter: limits on what a client sends, and the operator pages.
        case(
            Tour,
            "a query of 1001 parameters",
            get(&format!("/?{}", query_1001.join("&"))),
            400,
        )
        .says("more than 1000 parameters (request.max_fields)"),
        case(
            Tour,
            "a typed form body of 0.9 MB of distinct names",
            send(
                "POST",
                "/users",
                "application/x-www-form-urlencoded",
                distinct.as_bytes(),
            ),
            413,
        )
        .says("more than 1000 fields (request.max_fields)"),
        case(
            Tour,
            "a body that stops after 9 of its 1000 bytes",
            raw(
                "POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
                 Content-Length: 1000\r\n\r\n{\"name\":",
            ),
            408,
        )
        .says("server.body_timeout"),
        case(
            Tour,
            "the API documents for a hostile name (DNS rebinding)",
            hostile_host("/docs/"),
            421,
        )
        .says("this machine's names"),
        case(
            Blog,
            "a form page posted 0.9 MB of distinct names",
            send(
                "POST",
                "/album/new",
                "application/x-www-form-urlencoded",
                distinct.as_bytes(),
            ),
            413,
        )
        .says("request.max_fields"),
        case(
            Blog,
            "an upload of 1001 parts",
            send_as_owner(
                "POST",
                "/services/rest/photo/",
                "multipart/form-data; boundary=XyZ",
                &many_parts,
            ),
            413,
        )
        .says("more than 1000 parts (request.max_fields)"),
        case(
            Blog,
            "an 8000×8000 one-colour PNG as a photo",
            send_as_owner(
                "POST",
                "/services/rest/photo/",
                "multipart/form-data; boundary=XyZ",
                &big_picture,
            ),
            413,
        )
        .says("8000×8000"),
        case(
            Blog,
            "the coverage report for a hostile name (DNS rebinding)",
            hostile_host("/_coverage/"),
            421,
        )
        .lacks("<html"),
        case(
            Blog,
            "a coverage reset without the report page's token",
            send(
                "POST",
                "/_coverage/reset",
                "application/x-www-form-urlencoded",
                b"token=guess",
            ),
            403,
        )
        .says("token of the report page"),
        // The request line and the head.
        case(Tour, "not HTTP at all", raw("HELLO THERE\r\n\r\n"), 400),
        case(
            Tour,
            "an invalid method token",
            raw("G(T / HTTP/1.1\r\nHost: x\r\n\r\n"),
            400,
        ),
        case(
            Tour,
            "an unknown HTTP version",
            raw("GET / HTTP/7.2\r\nHost: x\r\n\r\n"),
            400,
        ),
        case(
            Tour,
            "no Host on HTTP/1.1",
            raw("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"),
            400,
        ),
        case(
            Tour,
            "two Host headers",
            raw("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n"),
            400,
        ),
        case(
            Tour,
            "a Host with a path",
            raw("GET / HTTP/1.1\r\nHost: a/b\r\nConnection: close\r\n\r\n"),
            400,
        )
        .says("Invalid Host header"),
        case(
            Tour,
            "a header line without a colon",
            raw("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n"),
            400,
        ),
        case(
            Tour,
            "an obsolete folded header",
            raw("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n"),
            400,
        ),
        case(
            Tour,
            "a bare CR in a header value",
            raw("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n"),
            400,
        ),
        case(Tour, "a 24 KiB header", get_with("/", &big_header), 431)
            .says("larger than 16384 bytes"),
        case(Tour, "200 header lines", get_with("/", &many_headers), 431),
        case(
            Tour,
            "a 12 KiB request target",
            get(&format!("/?name={}", "n".repeat(12 * 1024))),
            414,
        )
        .says("longer than 8192 bytes"),
        case(
            Tour,
            "a 100 KiB request head",
            get(&format!("/?name={}", "n".repeat(100 * 1024))),
            400,
        ),
        case(
            Tour,
            "Content-Length with chunked (smuggling)",
            raw(
                "POST /users HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n0\r\n\r\n",
            ),
            400,
        ),
        case(
            Tour,
            "a non-numeric Content-Length",
            raw("POST /users HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"),
            400,
        ),
        case(
            Tour,
            "two different Content-Lengths",
            raw(
                "POST /users HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
            ),
            400,
        ),
        case(
            Tour,
            "a bad chunk size",
            raw(
                "POST /users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\nConnection: close\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n",
            ),
            400,
        ),
    ]
}
