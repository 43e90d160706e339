//! Bounds on what a client sends, over a real socket: form fields and multipart parts
//! (`request.max_fields`), query parameters, and a body that stalls (`server.body_timeout`).
//! Each limit answers with a 4xx that names it, quickly, and the worker goes on serving.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use drupe::testing::{Part, TestServer};
use drupe::{App, Body, Kwargs, controller};

struct Root;

#[derive(serde::Deserialize)]
struct Greeting {
    name: String,
}

#[controller]
impl Root {
    /// A form handler with one field.
    #[expose]
    fn form(&self, title: Option<String>) -> String {
        title.unwrap_or_default()
    }

    /// Takes every field: counts them.
    #[expose]
    fn count(&self, rest: Kwargs) -> String {
        rest.0.len().to_string()
    }

    /// A typed body.
    #[expose]
    async fn greet(&self, body: Body<Greeting>) -> String {
        format!("hello {}", body.name)
    }

    #[expose]
    fn ok(&self) -> &'static str {
        "ok"
    }
}

/// `x0=&x1=&…` up to about `bytes` bytes: that many distinct names.
fn distinct_names(bytes: usize) -> (String, usize) {
    let mut body = String::with_capacity(bytes + 16);
    let mut n = 0;
    while body.len() < bytes {
        let _ = write!(body, "x{n}=&");
        n += 1;
    }
    (body, n)
}

#[actix_web::test]
async fn a_form_of_distinct_names_past_the_limit_is_413_naming_it() {
    let app = App::builder(Root)
        .set("/", "request.body.max_size", "2 MiB")
        .build()
        .unwrap();
    let s = TestServer::start(app).await;
    // 1 MiB of distinct names: once a worker compared each with every other for minutes.
    let (body, n) = distinct_names(1 << 20);
    assert!(n > 100_000);
    let t = std::time::Instant::now();
    let r = s
        .client()
        .post("/form")
        .body("application/x-www-form-urlencoded", body)
        .send()
        .await;
    let ms = t.elapsed().as_millis();
    r.assert_status(413)
        .assert_text("The form has more than 1000 fields (request.max_fields).");
    crate::reliability::hole(
        "form_fields",
        &format!("a 1 MiB urlencoded form of {n} distinct names, over a socket"),
        &format!(
            "{} naming request.max_fields, in {ms} ms",
            r.status().as_u16()
        ),
    );
    // The limit is the setting's, and exactly it: 1000 fields pass.
    let (body, n) = distinct_names(10_000);
    let at_limit: String = body.split('&').take(1000).collect::<Vec<_>>().join("&");
    assert!(n > 1000);
    s.client()
        .post("/count")
        .body("application/x-www-form-urlencoded", at_limit)
        .send()
        .await
        .assert_status(200)
        .assert_text("1000");
    s.client().get("/ok").send().await.assert_status(200);
    s.stop().await;
}

#[actix_web::test]
async fn binding_a_hundred_thousand_fields_is_linear() {
    // With the limit raised, 1 MiB of distinct names is bound by one pass: the answer (400,
    // naming the first of them) comes long before the client's 30 s timeout, where comparing
    // each name with every other took minutes.
    let app = App::builder(Root)
        .set("/", "request.body.max_size", "2 MiB")
        .set("/", "request.max_fields", 1_000_000)
        .build()
        .unwrap();
    let s = TestServer::start(app).await;
    let (body, n) = distinct_names(1 << 20);
    let t = std::time::Instant::now();
    let r = s
        .client()
        .post("/form")
        .body("application/x-www-form-urlencoded", body.clone())
        .send()
        .await;
    crate::reliability::hole(
        "form_binding",
        &format!("the same form bound whole, with request.max_fields raised past its {n} names"),
        &format!(
            "{} listing the first ten unexpected names, in {} ms (debug build)",
            r.status().as_u16(),
            t.elapsed().as_millis()
        ),
    );
    r.assert_status(400).assert_text(&format!(
        "Unexpected body parameters: x0, x1, x2, x3, x4, x5, x6, x7, x8, x9 and {} more",
        n - 10
    ));
    s.client()
        .post("/count")
        .body("application/x-www-form-urlencoded", body)
        .send()
        .await
        .assert_status(200)
        .assert_text(&n.to_string());
    s.stop().await;
}

#[actix_web::test]
async fn multipart_parts_and_query_parameters_are_counted_too() {
    let app = App::builder(Root)
        .set("/", "request.max_fields", 50)
        .build()
        .unwrap();
    let s = TestServer::start(app).await;
    let parts: Vec<Part> = (0..51).map(|i| Part::text(&format!("p{i}"), "v")).collect();
    s.client()
        .post("/count")
        .multipart(&parts)
        .send()
        .await
        .assert_status(413)
        .assert_text("The multipart body has more than 50 parts (request.max_fields).");
    s.client()
        .post("/count")
        .multipart(&parts[..50])
        .send()
        .await
        .assert_status(200)
        .assert_text("50");
    // A typed body read from a form meets the same limit.
    let (body, _) = distinct_names(2_000);
    s.client()
        .post("/greet")
        .body("application/x-www-form-urlencoded", body)
        .send()
        .await
        .assert_status(413)
        .assert_text("The form has more than 50 fields (request.max_fields).");
    let query: Vec<String> = (0..51).map(|i| format!("q{i}=1")).collect();
    s.client()
        .get(&format!("/count?{}", query.join("&")))
        .send()
        .await
        .assert_status(400)
        .assert_text("The query string has more than 50 parameters (request.max_fields).");
    s.client()
        .get(&format!("/count?{}", query[..50].join("&")))
        .send()
        .await
        .assert_status(200)
        .assert_text("50");
    s.stop().await;
}

/// Sends `head` and the first bytes of a body that never ends; returns what the server wrote
/// and whether it then closed the connection (read to end-of-stream).
fn stall(addr: std::net::SocketAddr, head: &str, first: &[u8]) -> (String, bool) {
    let mut c = TcpStream::connect(addr).unwrap();
    // Only a hang reaches this: the server should answer within the body timeout (0.5 s).
    c.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    c.write_all(head.as_bytes()).unwrap();
    c.write_all(first).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = loop {
        match c.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => break false,
        }
    };
    (String::from_utf8_lossy(&out).into_owned(), closed)
}

#[actix_web::test]
async fn a_body_that_stalls_gets_408_and_the_connection_closes() {
    let app = App::builder(Root)
        .set_global("server.body_timeout", 0.5)
        .build()
        .unwrap();
    let s = TestServer::start(app).await;
    let addr = s.addr();
    let mut seen = Vec::new();
    for (path, content_type, first) in [
        // Read into named values by drupe.
        (
            "/form",
            "application/x-www-form-urlencoded",
            &b"title=abc"[..],
        ),
        // Read by an extractor.
        ("/greet", "application/json", &b"{\"name\":"[..]),
        // Parsed as it arrives.
        (
            "/count",
            "multipart/form-data; boundary=XyZ",
            &b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nva"[..],
        ),
    ] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\nContent-Length: 1000\r\n\r\n"
        );
        let t = std::time::Instant::now();
        let (response, closed) = tokio::task::spawn_blocking(move || stall(addr, &head, first))
            .await
            .unwrap();
        seen.push(format!(
            "{path}: {} after {} ms, {}",
            response.get(9..12).unwrap_or("nothing"),
            t.elapsed().as_millis(),
            if closed { "closed" } else { "left open" }
        ));
        assert!(
            response.starts_with("HTTP/1.1 408"),
            "{path}: no 408:\n{response}"
        );
        assert!(
            response
                .contains("The request body stalled for more than 0.5 s (server.body_timeout)."),
            "{path}: {response}"
        );
        assert!(closed, "{path}: the connection stayed open:\n{response}");
    }
    crate::reliability::hole(
        "body_stall",
        "a POST declaring 1000 bytes that stops after the first few (form, typed body, \
         multipart), server.body_timeout = 0.5",
        &seen.join("; "),
    );
    s.client().get("/ok").send().await.assert_status(200);
    s.stop().await;
}
