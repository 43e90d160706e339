//! The bad-input catalogue: malformed and hostile requests, sent as raw bytes over a real
//! socket to the tour and to the photoblog. Each gets its expected 4xx (with a message where
//! the framework writes one), none gets a 5xx, the servers keep serving, and nothing stored
//! changes: the photoblog's rows and files, the tour's users.

use std::fmt::Write as _;

use drupe::testing::TestServer;
use serde_json::{Value, json};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Target {
    Tour,
    Blog,
}

struct Case {
    target: Target,
    name: &'static str,
    request: Vec<u8>,
    status: u16,
    /// Text the response must contain (status line, headers or body).
    contains: Option<&'static str>,
    /// Text it must not contain.
    lacks: Option<&'static str>,
}

fn head(method: &str, target: &str, headers: &str) -> String {
    format!("{method} {target} HTTP/1.1\r\nHost: localhost\r\n{headers}Connection: close\r\n\r\n")
}

fn get(target: &str) -> Vec<u8> {
    head("GET", target, "").into_bytes()
}

fn get_with(target: &str, headers: &str) -> Vec<u8> {
    head("GET", target, headers).into_bytes()
}

fn send(method: &str, target: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut r = head(
        method,
        target,
        &format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
            body.len()
        ),
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

fn raw(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn case(target: Target, name: &'static str, request: Vec<u8>, status: u16) -> Case {
    Case {
        target,
        name,
        request,
        status,
        contains: None,
        lacks: None,
    }
}

impl Case {
    fn says(mut self, text: &'static str) -> Self {
        self.contains = Some(text);
        self
    }
    fn lacks(mut self, text: &'static str) -> Self {
        self.lacks = Some(text);
        self
    }
}

/// A multipart part: its name, its file name and type if it is a file, its bytes.
type PartSpec<'a> = (&'a str, Option<(&'a str, &'a str)>, &'a [u8]);

fn multipart(boundary: &str, parts: &[PartSpec<'_>]) -> Vec<u8> {
    let mut b = Vec::new();
    for (name, file, data) in parts {
        b.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some((filename, ct)) => b.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {ct}\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => b.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        b.extend_from_slice(data);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    b
}

fn catalogue() -> Vec<Case> {
    use Target::{Blog, Tour};
    let billion_laughs = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<user><name>&lol3;</name></user>"#;
    let external = br#"<?xml version="1.0"?>
<!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><album><title>&xxe;</title></album>"#;
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let big_header = format!("X-Big: {}\r\n", "a".repeat(24 * 1024));
    let many_headers: String = (0..200).fold(String::new(), |mut s, i| {
        let _ = write!(s, "X-H{i}: {i}\r\n");
        s
    });
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
            send(
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
            send(
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
        // Writes that must not happen.
        case(
            Blog,
            "a 300-character title",
            send(
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
            send(
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
            send(
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
            send(
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
            send("POST", "/services/rest/album/", "application/xml", external),
            400,
        )
        .lacks("root:"),
        case(
            Blog,
            "a film with a text album_id",
            send(
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
            send(
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
            send(
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
            send(
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
            send(
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
            get_with("/album/new", "Cookie: =;;;==\r\n"),
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

fn status_of(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// What the photoblog stores: its rows (through its own API) and its files.
async fn blog_state(s: &TestServer, dir: &std::path::Path) -> (Value, Value, Vec<String>) {
    let c = s.client();
    let albums: Value = c.get("/services/rest/album/").send().await.json();
    let photos: Value = c.get("/services/rest/photo/").send().await.json();
    let mut files: Vec<String> = walk(dir);
    files.sort();
    (albums, photos, files)
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

#[actix_web::test]
async fn the_bad_input_catalogue() {
    let cases = catalogue();
    assert!(cases.len() >= 50, "{} cases", cases.len());
    // A stalled body is cut after a second, within the reader's two quiet seconds.
    let tour = TestServer::start(
        crate::tour::builder_with_cache(drupe::cache::Caching::memory(1000, 10 << 20))
            .set_global("server.body_timeout", 1)
            .build()
            .unwrap(),
    )
    .await;
    let (app, dir) = crate::blog::sqlite_blog("bad-input").await;
    let blog = TestServer::start(app).await;
    let users_before: Value = tour.client().get("/users").send().await.json();
    let blog_before = blog_state(&blog, &dir).await;
    let mut failures = Vec::new();
    let mut results = Vec::new();
    for c in &cases {
        let addr = match c.target {
            Target::Tour => tour.addr(),
            Target::Blog => blog.addr(),
        };
        let request = c.request.clone();
        let response =
            tokio::task::spawn_blocking(move || drupe::testing::raw_request(addr, &request))
                .await
                .unwrap();
        let status = status_of(&response);
        let lower = response.to_ascii_lowercase();
        let mut wrong = Vec::new();
        if status != c.status {
            wrong.push(format!("status {status}, expected {}", c.status));
        }
        if status >= 500 || status == 0 {
            wrong.push("a server error or no answer".to_owned());
        }
        if let Some(t) = c.contains
            && !lower.contains(&t.to_ascii_lowercase())
        {
            wrong.push(format!("no {t:?}"));
        }
        if let Some(t) = c.lacks
            && lower.contains(&t.to_ascii_lowercase())
        {
            wrong.push(format!("has {t:?}"));
        }
        if !wrong.is_empty() {
            let shown: String = response.chars().take(600).collect();
            failures.push(format!(
                "{:?} {}: {}\n{shown}",
                c.target,
                c.name,
                wrong.join("; ")
            ));
        }
        results.push(json!({
            "target": format!("{:?}", c.target), "case": c.name,
            "status": status, "expected": c.status, "ok": wrong.is_empty(),
        }));
        // Between cases: both servers still answer.
        assert_eq!(
            tour.client().get("/").send().await.status(),
            200,
            "the tour stopped serving after {}",
            c.name
        );
        assert_eq!(
            blog.client().get("/").send().await.status(),
            200,
            "the photoblog stopped serving after {}",
            c.name
        );
    }
    crate::reliability::record(
        "bad_input",
        json!({"cases": results, "failures": failures.len()}),
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // Nothing stored changed.
    let users_after: Value = tour.client().get("/users").send().await.json();
    assert_eq!(users_before, users_after, "the tour's users changed");
    assert_eq!(
        blog_before,
        blog_state(&blog, &dir).await,
        "the photoblog's rows or files changed"
    );
    tour.stop().await;
    blog.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
