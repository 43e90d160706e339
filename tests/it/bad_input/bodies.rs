//! The catalogue's bodies: parsers, uploads, files reached by traversal, ids and ranges, and
//! the writes that must not happen.

use serde_json::json;

use super::{
    Case,
    Target::{Blog, Tour},
    case, get, get_with, head, multipart, raw, send, send_as_owner,
};

pub(super) fn cases() -> Vec<Case> {
    let billion_laughs = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<user><name>&lol3;</name></user>"#;
    let external = br#"<?xml version="1.0"?>
<!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><album><title>&xxe;</title></album>"#;
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let not_image = multipart(
        "XyZ",
        &[
            ("film_id", None, b"1"),
            (
                "file",
                Some(("cat.png", "image/png")),
                b"just text, not a picture",
            ),
        ],
    );
    let mut truncated = multipart(
        "XyZ",
        &[
            ("film_id", None, b"1"),
            ("file", Some(("a.png", "image/png")), b"\x89PNG\r\n\x1a\n"),
        ],
    );
    truncated.truncate(truncated.len() - 12);
    vec![
        // Bodies.
        case(
            Tour,
            "a text/plain body",
            send("POST", "/users", "text/plain", b"name=x"),
            415,
        ),
        case(
            Tour,
            "a body without Content-Type",
            raw(
                "POST /users HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
            ),
            415,
        ),
        case(
            Tour,
            "malformed JSON",
            send("POST", "/users", "application/json", b"{\"name\": "),
            400,
        )
        .says("JSON"),
        case(
            Tour,
            "JSON of the wrong type",
            send("POST", "/users", "application/json", b"{\"name\": 5}"),
            400,
        ),
        case(
            Tour,
            "JSON nested 100 000 deep",
            send("POST", "/users", "application/json", deep_json.as_bytes()),
            400,
        ),
        case(
            Tour,
            "malformed XML",
            send("POST", "/users", "application/xml", b"<user><name>x</user>"),
            400,
        ),
        case(
            Tour,
            "XML entity expansion",
            send("POST", "/users", "application/xml", billion_laughs),
            400,
        )
        .lacks("lollol"),
        case(
            Tour,
            "a declared 20 MB body",
            raw(
                "POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 20000000\r\nConnection: close\r\n\r\n{",
            ),
            413,
        ),
        case(
            Tour,
            "an unknown method on a resource",
            raw("BREW /users HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
            405,
        )
        .says("allow: "),
        case(
            Tour,
            "TRACE on a resource",
            raw("TRACE /users/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
            405,
        ),
        case(
            Tour,
            "PUT on a non-integer id",
            send("PUT", "/users/abc", "application/json", b"{\"name\":\"x\"}"),
            404,
        ),
        case(
            Tour,
            "DELETE of nobody",
            head("DELETE", "/users/999", "").into_bytes(),
            404,
        ),
        // Files: traversal in every spelling.
        case(
            Blog,
            "an encoded ../ on photos",
            get("/photos/..%2f..%2fetc%2fpasswd"),
            404,
        ),
        case(
            Blog,
            "%2e%2e segments on photos",
            get("/photos/%2e%2e/%2e%2e/etc/passwd"),
            404,
        ),
        case(
            Blog,
            "a backslash on thumbnails",
            get("/photos/thumbs/..%5c..%5cCargo.toml"),
            404,
        ),
        case(
            Blog,
            "an encoded ../ on static",
            get("/static/..%2fstyle.css"),
            404,
        ),
        case(
            Blog,
            "an absolute path on static",
            get("/static//etc/passwd"),
            404,
        ),
        case(Blog, "a NUL in a photo name", get("/photos/%00.png"), 404),
        case(
            Blog,
            "a NUL before an extension",
            get("/static/style.css%00.txt"),
            404,
        ),
        case(
            Blog,
            "a Windows drive on photos",
            get("/photos/C:%5cWindows%5cwin.ini"),
            404,
        ),
        // Ids, pages and ranges.
        case(
            Blog,
            "a page over i64",
            get("/?page=99999999999999999999"),
            400,
        ),
        case(Blog, "a negative page", get("/?page=-1"), 400).says("expected u32"),
        case(Blog, "a negative album", get("/album/-5"), 404),
        case(
            Blog,
            "a fractional id",
            get("/services/rest/album/1.5"),
            404,
        ),
        case(
            Blog,
            "a range past i64",
            get("/services/rest/albums/0-99999999999999999999"),
            404,
        )
        .says("No albums 0-99999999999999999999: a range is <start>-<end>, e.g. 0-3."),
        case(
            Blog,
            "a duplicated id",
            get("/services/rest/album/?album_id=1&album_id=2"),
            400,
        ),
        // Writes that must not happen: nobody but the owner writes.
        case(
            Blog,
            "an anonymous DELETE of an album",
            head("DELETE", "/services/rest/album/1", "").into_bytes(),
            401,
        )
        .says(r#"Bearer realm="photoblog""#),
        case(
            Blog,
            "an anonymous PUT of a valid album",
            send(
                "PUT",
                "/services/rest/album/1",
                "application/json",
                br#"{"title": "Taken"}"#,
            ),
            401,
        )
        .says(r#"Basic realm="photoblog""#),
        case(
            Blog,
            "a made-up bearer token on a DELETE",
            head(
                "DELETE",
                "/services/rest/album/1",
                "Authorization: Bearer made-up-token\r\n",
            )
            .into_bytes(),
            401,
        )
        .says("invalid_token"),
        case(
            Blog,
            "an unknown authentication scheme on a DELETE",
            head(
                "DELETE",
                "/services/rest/album/1",
                "Authorization: Digest username=\"admin\"\r\n",
            )
            .into_bytes(),
            401,
        ),
        case(
            Blog,
            "Basic credentials that are not base64",
            head(
                "DELETE",
                "/services/rest/album/1",
                "Authorization: Basic !!!\r\n",
            )
            .into_bytes(),
            400,
        )
        .says("not base64"),
        case(
            Blog,
            "Basic credentials without a colon",
            head(
                "DELETE",
                "/services/rest/album/1",
                "Authorization: Basic YWRtaW4=\r\n",
            )
            .into_bytes(),
            400,
        )
        .says("no ':'"),
        case(
            Blog,
            "a bearer token with a space",
            head(
                "DELETE",
                "/services/rest/album/1",
                "Authorization: Bearer a b\r\n",
            )
            .into_bytes(),
            400,
        )
        .says("not a token"),
        // Writes that must not happen: the owner's, refused for their content.
        case(
            Blog,
            "a 300-character title",
            send_as_owner(
                "POST",
                "/services/rest/album/",
                "application/json",
                json!({"title": "t".repeat(300)}).to_string().as_bytes(),
            ),
            400,
        )
        .says("longer than 200"),
        case(
            Blog,
            "an empty title by form",
            send_as_owner(
                "POST",
                "/services/rest/album/",
                "application/x-www-form-urlencoded",
                b"title=",
            ),
            400,
        )
        .says("title is required"),
        case(
            Blog,
            "a NUL in a title (PostgreSQL cannot store it)",
            send_as_owner(
                "POST",
                "/services/rest/album/",
                "application/json",
                br#"{"title": "before\u0000after"}"#,
            ),
            400,
        )
        .says("title contains a NUL character"),
        case(
            Blog,
            "XML entity expansion on an album",
            send_as_owner(
                "PUT",
                "/services/rest/album/1",
                "application/xml",
                billion_laughs,
            ),
            400,
        ),
        case(
            Blog,
            "an external XML entity",
            send_as_owner("POST", "/services/rest/album/", "application/xml", external),
            400,
        )
        .lacks("root:"),
        case(
            Blog,
            "a film with a text album_id",
            send_as_owner(
                "POST",
                "/services/rest/film/",
                "application/json",
                br#"{"title":"x","album_id":"abc"}"#,
            ),
            400,
        ),
        case(
            Blog,
            "an upload that is not an image",
            send_as_owner(
                "POST",
                "/services/rest/photo/",
                "multipart/form-data; boundary=XyZ",
                &not_image,
            ),
            415,
        )
        .says("not a PNG"),
        case(
            Blog,
            "a truncated multipart body",
            send_as_owner(
                "POST",
                "/services/rest/photo/",
                "multipart/form-data; boundary=XyZ",
                &truncated,
            ),
            400,
        ),
        case(
            Blog,
            "a multipart body without its boundary",
            send_as_owner(
                "POST",
                "/services/rest/photo/",
                "multipart/form-data",
                &not_image,
            ),
            400,
        ),
        case(
            Blog,
            "a 2 MiB upload (limit 1 MiB)",
            send_as_owner(
                "POST",
                "/services/rest/photo/",
                "multipart/form-data; boundary=XyZ",
                &multipart(
                    "XyZ",
                    &[
                        ("film_id", None, b"1"),
                        ("file", Some(("big.png", "image/png")), &vec![0u8; 2 << 20]),
                    ],
                ),
            ),
            413,
        ),
        case(
            Blog,
            "a form with broken percent-encoding",
            send(
                "POST",
                "/album/new",
                "application/x-www-form-urlencoded",
                b"title=%zz&csrf=x",
            ),
            400,
        ),
        case(
            Blog,
            "a malformed cookie on a form page",
            get_with("/login", "Cookie: =;;;==\r\n"),
            200,
        ),
        case(
            Blog,
            "a malformed If-None-Match on an album",
            get_with("/services/rest/album/1", "If-None-Match: W/x, *, \r\n"),
            400,
        ),
    ]
}
