//! Redirects and URLs over a real socket: `Redirect` as a value and as an error (RFC 9110
//! §15.4: 301, 302, 303, 307, 308 and an absolute `Location`, §10.2.2), targets resolved as
//! RFC 3986 §5.2 says, the mount prefix and trusted proxies honoured, CR/LF refused;
//! `InternalRedirect` and its loop guard; `Urls` and `url_for!`.

use drupe::testing::TestServer;
use drupe::{App, InternalRedirect, Redirect, Urls, VirtualPath, controller, url_for};

#[controller]
struct Root {
    #[mount]
    blog: Blog,
}

#[controller]
impl Root {
    #[expose]
    fn index(&self) -> &'static str {
        "home"
    }

    /// `/go?to=...&status=...`: a redirect of each kind to a target from the client.
    #[expose]
    fn go(&self, to: String, status: Option<u16>) -> Redirect {
        match status {
            Some(301) => Redirect::permanent(to),
            Some(302) => Redirect::found(to),
            Some(303) => Redirect::see_other(to),
            Some(307) => Redirect::temporary(to),
            Some(308) => Redirect::permanent_redirect(to),
            _ => Redirect::to(to),
        }
    }

    /// A redirect returned as an error with `?`.
    #[expose]
    fn save(&self, name: String) -> Result<String, actix_web::Error> {
        if name.is_empty() {
            Err(Redirect::see_other(url_for!(
                Blog::post,
                2024,
                "needs a name"
            )))?;
        }
        Ok(format!("saved {name}"))
    }

    /// An internal redirect to what `/` answers.
    #[expose]
    fn home(&self) -> InternalRedirect {
        InternalRedirect::to("/")
    }

    /// Internal redirects with a query, relative, and in loops.
    #[expose]
    fn search(&self) -> InternalRedirect {
        InternalRedirect::to("blog/search?q=rust")
    }
    #[expose]
    fn ping(&self) -> InternalRedirect {
        InternalRedirect::to("/pong")
    }
    #[expose]
    fn pong(&self) -> InternalRedirect {
        InternalRedirect::to("/ping")
    }
    #[expose]
    fn chain(&self, n: u32) -> InternalRedirect {
        InternalRedirect::to(format!("/chain?n={}", n + 1))
    }
    #[expose]
    fn outside(&self) -> InternalRedirect {
        InternalRedirect::to("http://elsewhere.example/")
    }

    /// URLs of this request.
    #[expose]
    fn urls(&self, urls: Urls) -> Result<String, drupe::HttpError> {
        Ok([
            urls.url("/blog/")?,
            urls.path("/blog/"),
            urls.relative("/blog/"),
            urls.route(url_for!(Blog::post, 2024, "hello world"))?,
            urls.route(url_for!(Blog::search, "rust", Some(2)))?,
            urls.route(url_for!(Blog::search, "rust", None))?,
            urls.route(url_for!(Blog::files, ["a", "b c"]))?,
            urls.route(url_for!(Blog::index))?,
            urls.current(),
        ]
        .join("\n"))
    }

    /// The URL of a path the client gives.
    #[expose]
    fn link(&self, to: String, urls: Urls) -> Result<String, drupe::HttpError> {
        urls.url(&to)
    }

    /// A route whose value would be read as a step of the path.
    #[expose]
    fn dots(&self, urls: Urls) -> Result<String, drupe::HttpError> {
        urls.route(url_for!(Blog::post, 2024, ".."))
    }

    /// A route whose controller is not mounted.
    #[expose]
    fn nowhere(&self, urls: Urls) -> Result<String, drupe::HttpError> {
        urls.route(url_for!(Unmounted::index))
    }
}

struct Blog;

#[controller]
impl Blog {
    #[expose]
    fn index(&self) -> &'static str {
        "blog"
    }
    /// A negotiated handler that redirects: its answer still varies on `Accept`.
    #[expose]
    #[produces(json, xml)]
    fn moved(&self) -> drupe::Redirect {
        Redirect::permanent("/blog/")
    }
    #[expose]
    fn post(&self, year: u16, slug: String) -> String {
        format!("{year}: {slug}")
    }
    #[expose]
    fn search(&self, q: String, page: Option<u32>) -> String {
        format!("search {q} page {}", page.unwrap_or(1))
    }
    #[expose]
    fn files(&self, rest: VirtualPath) -> String {
        rest.0.join("|")
    }
}

struct Unmounted;

#[controller]
impl Unmounted {
    #[expose]
    fn index(&self) -> &'static str {
        "never"
    }
}

fn app() -> App {
    App::builder(Root { blog: Blog })
        .set_global("server.trusted_proxies", vec!["127.0.0.1"])
        .build()
        .unwrap()
}

/// RFC 9110 §15.4.2–§15.4.9 and §10.2.2: each status, an absolute `Location` built from the
/// request, CherryPy's body linking it, and 303 as the default (302 for HTTP/1.0).
#[actix_web::test]
async fn each_status_with_an_absolute_location_rfc_9110_section_15_4() {
    let s = TestServer::start(app()).await;
    let c = s.client();
    for (status, phrase) in [
        (301, "permanently moved"),
        (302, "resides temporarily"),
        (303, "can be found"),
        (307, "moved temporarily"),
        (308, "has been moved"),
    ] {
        let r = c
            .get(&format!("/go?to=/blog/&status={status}"))
            .send()
            .await;
        r.assert_status(status)
            .assert_header("location", &s.url("/blog/"))
            .assert_header("content-type", "text/html; charset=utf-8")
            .assert_contains(phrase)
            .assert_contains(&format!("<a href=\"{}\">", s.url("/blog/")));
    }
    c.get("/go?to=/blog/").send().await.assert_status(303);
    // A negotiated handler's redirect keeps `Vary: Accept` (RFC 9110 §12.5.5).
    c.get("/blog/moved")
        .accept("application/json")
        .send()
        .await
        .assert_status(301)
        .assert_header("location", &s.url("/blog/"))
        .assert_header("vary", "Accept");
    let old = s.raw(b"GET /go?to=/blog/ HTTP/1.0\r\nHost: h\r\n\r\n");
    assert!(
        old.starts_with("HTTP/1.0 302") || old.starts_with("HTTP/1.1 302"),
        "{old}"
    );
    assert!(old.contains("location: http://h/blog/"), "{old}");
    // HEAD: the same status and Location, no body.
    c.head("/go?to=/blog/&status=301")
        .send()
        .await
        .assert_status(301)
        .assert_header("location", &s.url("/blog/"))
        .assert_empty();
}

/// RFC 3986 §5.2: a URL is kept, a path is the application's, a relative reference is resolved
/// against the request's URL; a trusted proxy's host and scheme are used, another's are not.
#[actix_web::test]
async fn targets_resolve_as_rfc_3986_section_5_2() {
    let s = TestServer::start(app()).await;
    let c = s.client();
    for (to, location) in [
        ("https://example.org/x", "https://example.org/x".to_owned()),
        ("/blog/post/2024/x", s.url("/blog/post/2024/x")),
        ("blog/", s.url("/blog/")),
        ("./blog/../blog/", s.url("/blog/")),
        ("?q=1", s.url("/go?q=1")),
        ("//example.org/y", "http://example.org/y".to_owned()),
    ] {
        let enc: String = form_urlencoded::byte_serialize(to.as_bytes()).collect();
        c.get(&format!("/go?to={enc}&status=302"))
            .send()
            .await
            .assert_status(302)
            .assert_header("location", &location);
    }
    // Behind the trusted proxy (the test client is 127.0.0.1), its host and scheme.
    c.get("/go?to=/blog/")
        .header("x-forwarded-host", "public.example")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .assert_header("location", "https://public.example/blog/");
}

/// CR and LF never reach a header (RFC 9110 §5.5): a 400 that says why; nor does a scheme
/// that is not http(s).
#[actix_web::test]
async fn a_target_with_cr_or_lf_is_refused() {
    let s = TestServer::start(app()).await;
    let c = s.client();
    for to in [
        "/x%0d%0aSet-Cookie:%20a=b",
        "/x%0aLocation:%20http://evil/",
        "/x%00",
        "javascript:alert(1)",
        // A backslash reads as a slash: `/\evil.example` would leave the host.
        "/%5Cevil.example",
        "/%5C%5Cevil.example/x",
        "/%09/evil.example",
    ] {
        let r = c.get(&format!("/go?to={to}")).send().await;
        r.assert_status(400)
            .assert_no_header("location")
            .assert_no_header("set-cookie");
    }
}

/// A redirect returned as an error with `?`, to a handler named with `url_for!`.
#[actix_web::test]
async fn a_redirect_returned_with_the_question_mark() {
    let s = TestServer::start(app()).await;
    let c = s.client();
    c.post("/save")
        .form(&[("name", "")])
        .send()
        .await
        .assert_status(303)
        .assert_header("location", &s.url("/blog/post/2024/needs%20a%20name"));
    c.post("/save")
        .form(&[("name", "x")])
        .send()
        .await
        .assert_text("saved x");
}

/// `InternalRedirect`: the target's answer, 200, without a round trip; its query and relative
/// targets; loops and long chains are a 500 whose detail stays in the log.
#[actix_web::test]
async fn internal_redirects_and_their_loops() {
    let s = TestServer::start(app()).await;
    let c = s.client();
    c.get("/home")
        .send()
        .await
        .assert_status(200)
        .assert_text("home")
        .assert_no_header("location");
    // A POST is answered as a GET of the target.
    c.post("/home")
        .send()
        .await
        .assert_status(200)
        .assert_text("home");
    c.get("/search")
        .send()
        .await
        .assert_status(200)
        .assert_text("search rust page 1");
    for p in ["/ping", "/chain?n=0", "/outside"] {
        let r = c.get(p).accept("application/json").send().await;
        r.assert_status(500);
        let body = r.text();
        assert!(
            !body.contains("->") && !body.contains("loop"),
            "{p}: {body}"
        );
        assert!(r.header("x-request-id").is_some(), "{p}");
    }
}

/// `Urls` and `url_for!`: absolute, server-relative and relative URLs; handlers' paths with
/// their values escaped, optional and named values in the query, virtual paths.
#[actix_web::test]
async fn urls_and_routes_from_the_tree() {
    let s = TestServer::start(app()).await;
    let c = s.client();
    let r = c.get("/urls").send().await;
    r.assert_status(200);
    let lines: Vec<String> = r.text().lines().map(str::to_owned).collect();
    assert_eq!(
        lines,
        [
            s.url("/blog/"),
            "/blog/".to_owned(),
            "blog/".to_owned(),
            s.url("/blog/post/2024/hello%20world"),
            // A required value is a path segment, as the OpenAPI document lays it out.
            s.url("/blog/search/rust?page=2"),
            s.url("/blog/search/rust"),
            s.url("/blog/files/a/b%20c"),
            s.url("/blog/"),
            s.url("/urls"),
        ]
    );
    // Each of them answers.
    c.get("/blog/post/2024/hello%20world")
        .send()
        .await
        .assert_text("2024: hello world");
    c.get("/blog/files/a/b%20c")
        .send()
        .await
        .assert_text("a|b c");
    c.get("/blog/search/rust?page=2")
        .send()
        .await
        .assert_text("search rust page 2");
    c.get("/nowhere").send().await.assert_status(500);
    c.get("/dots").send().await.assert_status(500);
    // A reference from the client that is no URL of the application: a 400 saying why.
    c.get("/link?to=/blog/")
        .send()
        .await
        .assert_text(&s.url("/blog/"));
    for to in ["/%5Cevil.example", "/x%0d%0ay", "http:%2F%2F%5Bx"] {
        let r = c.get(&format!("/link?to={to}")).send().await;
        r.assert_status(400).assert_contains("The URL reference");
    }
}

/// Mounted under a prefix in a user's actix-web server, paths and routes carry it.
#[actix_web::test]
async fn under_a_mount_prefix() {
    let app = app();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server =
        actix_web::HttpServer::new(move || actix_web::App::new().service(app.scope("/api")))
            .workers(1)
            .listen(listener)
            .unwrap()
            .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let url = |p: &str| format!("http://{addr}{p}");
    let client = awc::Client::builder().disable_redirects().finish();
    let mut r = client.get(url("/api/urls")).send().await.unwrap();
    let body = String::from_utf8(r.body().await.unwrap().to_vec()).unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], url("/api/blog/"));
    assert_eq!(lines[1], "/api/blog/");
    assert_eq!(lines[3], url("/api/blog/post/2024/hello%20world"));
    let r = client.get(url("/api/go?to=/blog/")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers().get("location").unwrap().to_str().unwrap(),
        url("/api/blog/")
    );
    let mut r = client.get(url("/api/home")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.body().await.unwrap(), "home");
    handle.stop(true).await;
}
