//! The bad-input catalogue: malformed and hostile requests, sent as raw bytes over a real
//! socket to the tour and to the photoblog. Each gets its expected 4xx (with a message where
//! the framework writes one), none gets a 5xx, the servers keep serving, and nothing stored
//! changes: the photoblog's rows and files, the tour's users. The photoblog's REST writes
//! carry its owner's credentials where the case is about the body (they are checked first);
//! without them, or with broken ones, a write is refused before its body is read. The
//! catalogue runs twice: over plain TCP, and through TLS sessions.

use drupe::testing::TestServer;
use serde_json::{Value, json};

mod bodies;
mod perimeter;
mod targets;

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

/// [`send`] with the photoblog owner's credentials: the REST services check them before
/// the body is read, so a case about a body needs them to reach its parser.
fn send_as_owner(method: &str, target: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut r = head(
        method,
        target,
        &format!(
            "Authorization: {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
            crate::blog::owner_auth(),
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

/// Every case, section by section.
fn catalogue() -> Vec<Case> {
    let mut cases = perimeter::cases();
    cases.extend(targets::cases());
    cases.extend(bodies::cases());
    cases
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
    run_catalogue(None).await;
}

/// The same cases through a TLS session (HTTP/1.1 by ALPN): the same answers.
#[actix_web::test]
async fn the_bad_input_catalogue_over_tls() {
    let cert = crate::tls::Cert::new("bad-input-tls");
    run_catalogue(Some(&cert)).await;
}

async fn run_catalogue(tls: Option<&crate::tls::Cert>) {
    let cases = catalogue();
    assert!(cases.len() >= 50, "{} cases", cases.len());
    // A stalled body is cut after a second, within the reader's two quiet seconds.
    let tour_app = crate::tour::builder_with_cache(drupe::cache::Caching::memory(1000, 10 << 20))
        .set_global("server.body_timeout", 1)
        .build()
        .unwrap();
    let (app, dir) = crate::blog::sqlite_blog(if tls.is_some() {
        "bad-input-tls"
    } else {
        "bad-input"
    })
    .await;
    let (tour, blog) = match tls {
        Some(cert) => (
            TestServer::start_tls(tour_app, &cert.cert, &cert.key).await,
            TestServer::start_tls(app, &cert.cert, &cert.key).await,
        ),
        None => (
            TestServer::start(tour_app).await,
            TestServer::start(app).await,
        ),
    };
    let client_tls = tls.map(crate::tls::Cert::client_config);
    // The owner's password checked once before the cases (a check is remembered for a
    // minute): one takes a second or more in a debug build, near the reader's two quiet
    // seconds.
    blog.client()
        .post("/services/rest/token")
        .header("authorization", &crate::blog::owner_auth())
        .send()
        .await
        .assert_status(201);
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
        let client_tls = client_tls.clone();
        let response = tokio::task::spawn_blocking(move || match client_tls {
            Some(config) => drupe::testing::raw_request_tls(addr, config, &request),
            None => drupe::testing::raw_request(addr, &request),
        })
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
        if tls.is_some() {
            "bad_input_tls"
        } else {
            "bad_input"
        },
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
