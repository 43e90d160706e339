//! Test clients: the same readable requests and asserts over an in-process service or a real
//! server on an ephemeral port.
//!
//! This module owns [`TestClient`] (calls the application in process, no socket),
//! [`TestServer`] (serves it on `127.0.0.1:0` in a thread of its own and talks to it over TCP
//! with awc, plus [`TestServer::raw`] for hand-written, possibly malformed requests), and
//! [`TestResponse`] with its asserts. Both clients build requests the same way, so a test can
//! move from one to the other by changing one line. Use them under `#[actix_web::test]`.
//!
//! ```
//! use drupe::{App, controller, testing::TestClient};
//! struct Root;
//! #[controller]
//! impl Root {
//!     #[expose]
//!     fn index(&self) -> &'static str { "hello world" }
//! }
//! # actix_web::rt::System::new().block_on(async {
//! let client = TestClient::new(App::new(Root).unwrap()).await;
//! client.get("/").send().await
//!     .assert_status(200)
//!     .assert_header("content-type", "text/plain; charset=utf-8")
//!     .assert_text("hello world");
//! client.get("/nope").send().await.assert_status(404);
//! # });
//! ```

use std::fmt;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::rc::Rc;
use std::time::Duration;

use actix_service::boxed::{self, BoxService};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::test::{self as atest, TestRequest};
use bytes::Bytes;
use serde::Serialize;

mod tls;
use serde::de::DeserializeOwned;
#[cfg(feature = "tls")]
pub use tls::raw_request_tls;

use crate::App;

type Svc = BoxService<actix_http::Request, ServiceResponse, actix_web::Error>;

enum Backend {
    InProcess(Rc<Svc>),
    Socket { client: awc::Client, base: String },
}

/// An in-process client for an [`App`].
pub struct TestClient {
    backend: Backend,
}

impl TestClient {
    /// A client calling `app` in process.
    pub async fn new(app: App) -> Self {
        let svc = atest::init_service(actix_web::App::new().configure(app.configure())).await;
        Self {
            backend: Backend::InProcess(Rc::new(boxed::service(svc))),
        }
    }

    /// A request with any method.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder<'_> {
        RequestBuilder {
            client: self,
            method,
            path: path.to_owned(),
            headers: Vec::new(),
            body: Bytes::new(),
            peer: None,
        }
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::GET, path)
    }
    /// `HEAD path`.
    pub fn head(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::HEAD, path)
    }
    /// `POST path`.
    pub fn post(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::POST, path)
    }
    /// `PUT path`.
    pub fn put(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::PUT, path)
    }
    /// `PATCH path`.
    pub fn patch(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::PATCH, path)
    }
    /// `DELETE path`.
    pub fn delete(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::DELETE, path)
    }
    /// `OPTIONS path`.
    pub fn options(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::OPTIONS, path)
    }
}

/// A request being built.
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder<'c> {
    client: &'c TestClient,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Bytes,
    peer: Option<SocketAddr>,
}

/// One part of a multipart form.
#[derive(Debug, Clone)]
pub struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    data: Bytes,
}

impl Part {
    /// A text field.
    pub fn text(name: &str, value: &str) -> Self {
        Self {
            name: name.to_owned(),
            filename: None,
            content_type: None,
            data: Bytes::copy_from_slice(value.as_bytes()),
        }
    }

    /// A file field.
    pub fn file(name: &str, filename: &str, content_type: &str, data: impl Into<Bytes>) -> Self {
        Self {
            name: name.to_owned(),
            filename: Some(filename.to_owned()),
            content_type: Some(content_type.to_owned()),
            data: data.into(),
        }
    }
}

/// Encodes parts as a `multipart/form-data` body; returns the body and its content type.
pub fn multipart_body(parts: &[Part]) -> (Bytes, String) {
    let boundary = "drupe-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let mut cd = format!("Content-Disposition: form-data; name=\"{}\"", p.name);
        if let Some(f) = &p.filename {
            cd.push_str(&format!("; filename=\"{f}\""));
        }
        body.extend_from_slice(cd.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(ct) = &p.content_type {
            body.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(&p.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (
        body.into(),
        format!("multipart/form-data; boundary={boundary}"),
    )
}

impl RequestBuilder<'_> {
    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets `Accept`.
    pub fn accept(self, value: &str) -> Self {
        self.header("accept", value)
    }

    /// A raw body with its content type.
    pub fn body(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self.header("content-type", content_type)
    }

    /// A JSON body.
    pub fn json<T: Serialize>(self, value: &T) -> Self {
        let body = serde_json::to_vec(value).expect("serializable test body");
        self.body("application/json", body)
    }

    /// A urlencoded form body.
    pub fn form(self, pairs: &[(&str, &str)]) -> Self {
        let body = serde_urlencoded::to_string(pairs).expect("encodable form");
        self.body("application/x-www-form-urlencoded", body)
    }

    /// A multipart form body.
    pub fn multipart(self, parts: &[Part]) -> Self {
        let (body, ct) = multipart_body(parts);
        self.body(&ct, body)
    }

    /// The client's address as the server sees it (in process only; default 127.0.0.1).
    pub fn peer(mut self, addr: SocketAddr) -> Self {
        self.peer = Some(addr);
        self
    }

    /// Sends the request.
    pub async fn send(self) -> TestResponse {
        let method = self.method.clone();
        match &self.client.backend {
            Backend::InProcess(svc) => {
                let mut r = TestRequest::default()
                    .method(self.method)
                    .uri(&self.path)
                    .peer_addr(
                        self.peer
                            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 40000))),
                    );
                // As a client would: a Host, the default one unless the test names its own.
                if !self
                    .headers
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("host"))
                {
                    r = r.insert_header(("host", "localhost:8080"));
                }
                for (k, v) in &self.headers {
                    r = r.append_header((k.as_str(), v.as_str()));
                }
                if !self.body.is_empty() {
                    r = r.set_payload(self.body);
                }
                let res = atest::call_service(&**svc, r.to_request()).await;
                let status = res.status();
                let headers = res.headers().clone();
                // What the service sent, HEAD included: drupe itself answers HEAD without a body.
                let body = atest::read_body(res).await;
                TestResponse {
                    method,
                    path: self.path,
                    status,
                    headers,
                    body,
                }
            }
            Backend::Socket { client, base } => {
                let url = format!("{base}{}", self.path);
                let mut r = client.request(self.method, &url);
                for (k, v) in &self.headers {
                    r = r.insert_header((k.as_str(), v.as_str()));
                }
                let sent = if self.body.is_empty() {
                    r.send().await
                } else {
                    r.send_body(self.body).await
                };
                let mut res = match sent {
                    Ok(res) => res,
                    Err(e) => panic!("{method} {url}: request failed: {e}"),
                };
                let status = res.status();
                let headers = res.headers().clone();
                let body = res
                    .body()
                    .limit(64 << 20)
                    .await
                    .unwrap_or_else(|e| panic!("{method} {url}: reading the body failed: {e}"));
                TestResponse {
                    method,
                    path: self.path,
                    status,
                    headers,
                    body,
                }
            }
        }
    }
}

/// A response, with asserts that print the request and the body when they fail.
#[derive(Clone)]
pub struct TestResponse {
    method: Method,
    path: String,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl fmt::Debug for TestResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} {} -> {}", self.method, self.path, self.status)?;
        for (k, v) in &self.headers {
            writeln!(f, "  {k}: {}", v.to_str().unwrap_or("<binary>"))?;
        }
        let text = String::from_utf8_lossy(&self.body);
        let shown: String = text.chars().take(2000).collect();
        write!(f, "  body: {shown:?}")
    }
}

impl TestResponse {
    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// A header's value (the first one), as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every header.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not the expected JSON ({e}):\n{self:?}"))
    }

    /// Asserts the status.
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "unexpected status:\n{self:?}");
        self
    }

    /// Asserts a header's value.
    #[track_caller]
    pub fn assert_header(&self, name: &str, value: &str) -> &Self {
        assert_eq!(
            self.header(name),
            Some(value),
            "unexpected `{name}` header:\n{self:?}"
        );
        self
    }

    /// Asserts a header is absent.
    #[track_caller]
    pub fn assert_no_header(&self, name: &str) -> &Self {
        assert!(
            self.headers
                .get(HeaderName::from_bytes(name.as_bytes()).expect("a header name"))
                .is_none(),
            "unexpected `{name}` header:\n{self:?}"
        );
        self
    }

    /// Asserts the body is exactly `text`.
    #[track_caller]
    pub fn assert_text(&self, text: &str) -> &Self {
        assert_eq!(self.text(), text, "unexpected body:\n{self:?}");
        self
    }

    /// Asserts the body contains `text`.
    #[track_caller]
    pub fn assert_contains(&self, text: &str) -> &Self {
        assert!(
            self.text().contains(text),
            "body does not contain {text:?}:\n{self:?}"
        );
        self
    }

    /// Asserts the body is this JSON value.
    #[track_caller]
    pub fn assert_json(&self, value: serde_json::Value) -> &Self {
        let got: serde_json::Value = self.json();
        assert_eq!(got, value, "unexpected JSON body:\n{self:?}");
        self
    }

    /// Asserts the body is empty.
    #[track_caller]
    pub fn assert_empty(&self) -> &Self {
        assert!(self.body.is_empty(), "body is not empty:\n{self:?}");
        self
    }
}

/// A real server on `127.0.0.1:0`, in a thread of its own, stopped when dropped.
///
/// It runs as [`App::serve`] does: drupe's listening socket ([`crate::net::bind`]), its
/// connection tracking, and the application's `[global] server.*` settings (request and
/// keep-alive timeouts, `server.shutdown_timeout` for [`TestServer::stop`]).
pub struct TestServer {
    addr: SocketAddr,
    served: Option<crate::engine::Served>,
    client: TestClient,
    /// Over TLS: the client configuration that trusts the server's certificate.
    #[cfg(feature = "tls")]
    tls: Option<std::sync::Arc<rustls::ClientConfig>>,
}

impl TestServer {
    /// Serves `app` with one worker.
    pub async fn start(app: App) -> Self {
        Self::start_with(app, 1).await
    }

    /// Serves `app` with `workers` workers.
    pub async fn start_with(app: App, workers: usize) -> Self {
        Self::serving(crate::engine::Site::single(app), workers, None)
    }

    /// Serves what `server` mounts (several applications, virtual hosts) with one worker, as
    /// [`Server::serve`](crate::engine::Server::serve) would (its TLS and plugins aside).
    ///
    /// Panics if a mount was refused.
    pub async fn start_server(server: crate::engine::Server) -> Self {
        let site = server
            .into_site()
            .unwrap_or_else(|e| panic!("cannot serve: {e}"));
        Self::serving(site, 1, None)
    }

    fn serving(site: crate::engine::Site, workers: usize, tls: Option<tls::Served>) -> Self {
        let app = site.primary().cloned().expect("an application is mounted");
        let bind = crate::net::BindAddr::Tcp("127.0.0.1:0".into());
        let listener = crate::net::bind(&bind, Duration::ZERO)
            .unwrap_or_else(|e| panic!("cannot listen on an ephemeral port on loopback: {e}"));
        let addr = listener.local_addr().expect("a TCP listener");
        let settings = crate::engine::Settings::from_settings(&app.settings().server, workers);
        let (server_config, client_config, scheme) = tls::split(tls);
        let served = crate::engine::serve_site(&site, listener, server_config, settings)
            .unwrap_or_else(|e| panic!("cannot serve on {addr}: {e}"));
        let client = tls::client(client_config.as_ref());
        Self {
            addr,
            served: Some(served),
            client: TestClient {
                backend: Backend::Socket {
                    client,
                    base: format!("{scheme}://{addr}"),
                },
            },
            #[cfg(feature = "tls")]
            tls: client_config,
        }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (`https://` over TLS).
    pub fn url(&self, path: &str) -> String {
        #[cfg(feature = "tls")]
        if self.tls.is_some() {
            return format!("https://{}{path}", self.addr);
        }
        format!("http://{}{path}", self.addr)
    }

    /// A client talking to it over TCP.
    pub fn client(&self) -> &TestClient {
        &self.client
    }

    /// Sends `request` as is and returns everything the server wrote until it closed the
    /// connection or went quiet for two seconds.
    pub fn raw(&self, request: &[u8]) -> String {
        #[cfg(feature = "tls")]
        if let Some(config) = &self.tls {
            return tls::raw_request_tls(self.addr, config.clone(), request);
        }
        raw_request(self.addr, request)
    }

    /// Stops the server as the engine does: in-flight requests finish within the
    /// application's `server.shutdown_timeout` (default 5 s), the rest are abandoned.
    pub async fn stop(mut self) {
        if let Some(served) = self.served.take()
            && let Err(abandoned) = served.shutdown().await
        {
            tracing::warn!("test server on {}: {abandoned}", self.addr);
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(served) = self.served.take() {
            // Stopping needs a runtime, and this may run inside one: ask from a thread.
            std::thread::spawn(move || {
                actix_web::rt::System::new().block_on(served.abort());
            })
            .join()
            .ok();
        }
    }
}

/// Writes `request` to `addr` and reads the answer (until close or two quiet seconds).
pub fn raw_request(addr: SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).expect("connect to the test server");
    s.set_read_timeout(Some(Duration::from_secs(2))).ok();
    s.write_all(request).expect("write the request");
    read_answer(&mut s)
}

/// Everything `answer` gives until it ends or fails (a read timeout: the server went quiet),
/// as text.
fn read_answer(answer: &mut impl Read) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n @ 1..) = answer.read(&mut buf) {
        out.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses a header value for asserts (`HeaderValue` from text).
pub fn header_value(v: &str) -> HeaderValue {
    HeaderValue::from_str(v).expect("a valid header value")
}
