//! Static files over a real socket: `tools.staticdir` and `tools.staticfile`, validators and
//! preconditions (RFC 9110 §13), ranges (§14), precompressed siblings, and paths that try to
//! leave the directory.

use std::path::Path;

use drupe::files::{StaticDir, StaticFile};
use drupe::testing::{TestResponse, TestServer};
use drupe::{App, AppBuilder, Config, controller};

struct Root;

#[controller]
impl Root {
    #[expose]
    fn index(&self) -> &'static str {
        "home"
    }
}

/// A site on disk: `static/` with text, a nested folder, a hidden file and precompressed
/// siblings; beside it, what must never be served.
fn site() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    std::fs::create_dir_all(r.join("static/css")).unwrap();
    std::fs::create_dir_all(r.join("static/empty")).unwrap();
    std::fs::create_dir_all(r.join("static-private")).unwrap();
    std::fs::write(r.join("secret.txt"), "TOP SECRET").unwrap();
    std::fs::write(r.join("static-private/x.txt"), "TOP SECRET").unwrap();
    std::fs::write(r.join("static/hello.txt"), "hello static\n").unwrap();
    std::fs::write(r.join("static/.env"), "TOP SECRET").unwrap();
    std::fs::write(r.join("static/css/site.css"), "body { color: black }\n").unwrap();
    std::fs::write(r.join("static/css/site.css.gz"), "gzip bytes").unwrap();
    std::fs::write(r.join("static/css/site.css.br"), "brotli bytes").unwrap();
    std::fs::write(r.join("static/a&b's.txt"), "amp").unwrap();
    std::fs::write(r.join("static/data.bin"), vec![7u8; 100]).unwrap();
    std::fs::write(r.join("static/big.bin"), big()).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(r.join("secret.txt"), r.join("static/hello.txt.gz")).unwrap();
        std::os::unix::fs::symlink(r.join("secret.txt"), r.join("static/out.txt")).unwrap();
        std::os::unix::fs::symlink(r.join("static/hello.txt"), r.join("static/in.txt")).unwrap();
    }
    root
}

/// 200,000 bytes that differ from one 64 KiB read to the next.
fn big() -> Vec<u8> {
    (0..200_000u32).map(|i| (i % 251) as u8).collect()
}

/// The site's `static/` as `tools.staticdir` serves it at `/static`.
fn static_dir(site: &tempfile::TempDir) -> StaticDir {
    StaticDir::new(site.path().join("static"))
}

/// The application serving `dir` at `/static`.
fn with_dir(dir: StaticDir) -> AppBuilder {
    App::builder(Root).tool_at("/static", dir)
}

async fn serve(builder: AppBuilder) -> TestServer {
    TestServer::start(builder.build().unwrap()).await
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
}

#[actix_web::test]
async fn the_tour_serves_its_static_folder() {
    let s = TestServer::start(crate::tour::app()).await;
    let c = s.client();
    c.get("/static/hello.txt")
        .send()
        .await
        .assert_status(200)
        .assert_text("hello static\n")
        .assert_header("content-type", "text/plain; charset=utf-8")
        .assert_header("accept-ranges", "bytes")
        .assert_header("content-length", "13");
    let lorem = c.get("/static/lorem.txt").send().await;
    lorem.assert_status(200);
    assert!(lorem.body().len() >= 8192, "{}", lorem.body().len());
    c.get("/static/")
        .send()
        .await
        .assert_status(200)
        .assert_header("content-type", "text/html; charset=utf-8")
        .assert_contains("hello.txt");
    c.get("/static")
        .send()
        .await
        .assert_status(301)
        .assert_header("location", &s.url("/static/"));
    c.get("/static/index.html")
        .send()
        .await
        .assert_status(200)
        .assert_contains("<h1>Static files</h1>");
    // What the folder does not have is a 404, though the tour's root has a `default`
    // handler that answers every other unknown path.
    for missing in [
        "/static/nope.txt",
        "/static/..%2f..%2fCargo.toml",
        "/static/.hidden",
    ] {
        c.get(missing).send().await.assert_status(404);
    }
    c.get("/elsewhere")
        .send()
        .await
        .assert_json(serde_json::json!(["elsewhere"]));
}

struct WithDefault;

#[controller]
impl WithDefault {
    #[expose]
    fn default(&self, rest: drupe::VirtualPath) -> String {
        format!("the handler: {}", rest.0.join("/"))
    }
}

/// CherryPy's behaviour on request: what the directory lacks goes to the handler.
#[actix_web::test]
async fn fall_through_lets_the_handler_answer() {
    let site = site();
    let app = App::builder(WithDefault)
        .tool_at("/static", static_dir(&site))
        .set("/static", "tools.staticdir.fall_through", true)
        .build()
        .unwrap();
    let s = TestServer::start(app).await;
    let c = s.client();
    c.get("/static/hello.txt")
        .send()
        .await
        .assert_text("hello static\n");
    c.get("/static/nope.txt")
        .send()
        .await
        .assert_text("the handler: static/nope.txt");
    c.get("/static/.env")
        .send()
        .await
        .assert_text("the handler: static/.env");
}

/// RFC 9110 §8.8: the validators, and §13.1: each precondition, in §13.2.2's order.
#[actix_web::test]
async fn validators_and_preconditions_rfc_9110_section_13() {
    let site = site();
    let s = serve(with_dir(static_dir(&site))).await;
    let c = s.client();
    let first = c.get("/static/hello.txt").send().await;
    let etag = first.header("etag").unwrap().to_owned();
    let date = first.header("last-modified").unwrap().to_owned();
    assert!(etag.starts_with('"'), "a strong tag: {etag}");
    // If-None-Match (weak comparison) → 304 with the validators and no body.
    for inm in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"x\", {etag}"),
        "*".into(),
    ] {
        let r = c
            .get("/static/hello.txt")
            .header("if-none-match", &inm)
            .send()
            .await;
        r.assert_status(304)
            .assert_header("etag", &etag)
            .assert_empty();
        r.assert_no_header("content-type");
    }
    c.get("/static/hello.txt")
        .header("if-none-match", "\"other\"")
        .send()
        .await
        .assert_status(200);
    // If-Modified-Since → 304, unless If-None-Match is there to decide.
    c.get("/static/hello.txt")
        .header("if-modified-since", &date)
        .send()
        .await
        .assert_status(304);
    c.get("/static/hello.txt")
        .header("if-modified-since", &date)
        .header("if-none-match", "\"other\"")
        .send()
        .await
        .assert_status(200);
    c.get("/static/hello.txt")
        .header("if-modified-since", "Thu, 01 Jan 1970 00:00:00 GMT")
        .send()
        .await
        .assert_status(200);
    // If-Match (strong comparison) → 412 when it does not list the current tag.
    for (im, status) in [
        (etag.clone(), 200),
        ("*".to_owned(), 200),
        ("\"other\"".to_owned(), 412),
        (format!("W/{etag}"), 412),
    ] {
        let r = c
            .get("/static/hello.txt")
            .header("if-match", &im)
            .send()
            .await;
        r.assert_status(status);
        if status == 412 {
            r.assert_header("etag", &etag);
        }
    }
    // If-Unmodified-Since → 412 for a file changed since; ignored when If-Match is there.
    c.get("/static/hello.txt")
        .header("if-unmodified-since", "Thu, 01 Jan 1970 00:00:00 GMT")
        .send()
        .await
        .assert_status(412);
    c.get("/static/hello.txt")
        .header("if-unmodified-since", &date)
        .send()
        .await
        .assert_status(200);
    c.get("/static/hello.txt")
        .header("if-unmodified-since", "Thu, 01 Jan 1970 00:00:00 GMT")
        .header("if-match", &etag)
        .send()
        .await
        .assert_status(200);
    // A precondition comes before Range: 412, not 416 (§13.2.2).
    c.get("/static/hello.txt")
        .header("if-match", "\"other\"")
        .header("range", "bytes=500-")
        .send()
        .await
        .assert_status(412);
    // A changed file has a new tag.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(site.path().join("static/hello.txt"), "hello again\n").unwrap();
    let changed = c.get("/static/hello.txt").send().await;
    changed.assert_text("hello again\n");
    assert_ne!(changed.header("etag").unwrap(), etag);
    c.get("/static/hello.txt")
        .header("if-none-match", &etag)
        .send()
        .await
        .assert_status(200);
}

fn assert_part(r: &TestResponse, range: &str, body: &[u8]) {
    r.assert_status(206)
        .assert_header("content-range", range)
        .assert_header("content-length", &body.len().to_string());
    assert_eq!(r.body().as_ref(), body);
}

/// RFC 9110 §14: single ranges, suffix and open ones, several, unsatisfiable, If-Range.
#[actix_web::test]
async fn ranges_rfc_9110_section_14() {
    let site = site();
    let s = serve(with_dir(static_dir(&site))).await;
    let c = s.client();
    let range = |r: &'static str| c.get("/static/hello.txt").header("range", r);
    assert_part(&range("bytes=0-4").send().await, "bytes 0-4/13", b"hello");
    assert_part(
        &range("bytes=-7").send().await,
        "bytes 6-12/13",
        b"static\n",
    );
    assert_part(
        &range("bytes=6-").send().await,
        "bytes 6-12/13",
        b"static\n",
    );
    assert_part(
        &range("bytes=6-1000").send().await,
        "bytes 6-12/13",
        b"static\n",
    );
    // Overlapping and touching ranges are merged into one part.
    assert_part(
        &range("bytes=0-2,1-4,5-5").send().await,
        "bytes 0-5/13",
        b"hello ",
    );
    // Ranges apart: the whole file (§14.2 lets a server ignore Range).
    range("bytes=0-1,5-6")
        .send()
        .await
        .assert_status(200)
        .assert_text("hello static\n");
    // Not a valid ranges-specifier, or another unit: ignored.
    for r in ["bytes=5-2", "bytes=x-y", "lines=0-1", "bytes"] {
        range(r)
            .send()
            .await
            .assert_status(200)
            .assert_text("hello static\n");
    }
    // Nothing satisfiable: 416 with the length.
    for r in ["bytes=13-", "bytes=100-200", "bytes=-0"] {
        range(r)
            .send()
            .await
            .assert_status(416)
            .assert_header("content-range", "bytes */13");
    }
    // If-Range: the range when the validator still matches, the whole file when not.
    let full = c.get("/static/hello.txt").send().await;
    let etag = full.header("etag").unwrap().to_owned();
    let date = full.header("last-modified").unwrap().to_owned();
    for current in [etag.clone(), date.clone()] {
        let r = range("bytes=0-4").header("if-range", &current).send().await;
        assert_part(&r, "bytes 0-4/13", b"hello");
    }
    for stale in [
        "\"old\"".to_owned(),
        format!("W/{etag}"),
        "Thu, 01 Jan 1970 00:00:00 GMT".to_owned(),
    ] {
        range("bytes=0-4")
            .header("if-range", &stale)
            .send()
            .await
            .assert_status(200)
            .assert_text("hello static\n");
    }
    // HEAD: the headers (the length included), no body; Range is for GET only.
    let head = s.raw(
        b"HEAD /static/hello.txt HTTP/1.1\r\nHost: localhost\r\nRange: bytes=0-4\r\n\
          Connection: close\r\n\r\n",
    );
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("content-length: 13\r\n"), "{head}");
    assert!(head.ends_with("\r\n\r\n"), "no body: {head}");
    // A binary file, ranged.
    let r = c
        .get("/static/data.bin")
        .header("range", "bytes=90-")
        .send()
        .await;
    assert_part(&r, "bytes 90-99/100", &[7u8; 10]);
    r.assert_header("content-type", "application/octet-stream");
    // Several 64 KiB reads, from the start and from inside the file.
    let whole = c.get("/static/big.bin").send().await;
    assert_eq!(whole.body().as_ref(), big().as_slice());
    let r = c
        .get("/static/big.bin")
        .header("range", "bytes=70000-199999")
        .send()
        .await;
    assert_part(&r, "bytes 70000-199999/200000", &big()[70_000..]);
}

#[actix_web::test]
async fn precompressed_siblings_for_clients_that_accept_them() {
    let site = site();
    let s = serve(with_dir(static_dir(&site))).await;
    let c = s.client();
    let plain = c.get("/static/css/site.css").send().await;
    plain
        .assert_text("body { color: black }\n")
        .assert_header("content-type", "text/css; charset=utf-8")
        .assert_header("vary", "Accept-Encoding")
        .assert_no_header("content-encoding");
    let gz = c
        .get("/static/css/site.css")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    gz.assert_text("gzip bytes")
        .assert_header("content-encoding", "gzip")
        .assert_header("content-type", "text/css; charset=utf-8")
        .assert_header("vary", "Accept-Encoding");
    let br = c
        .get("/static/css/site.css")
        .header("accept-encoding", "gzip, br")
        .send()
        .await;
    br.assert_text("brotli bytes")
        .assert_header("content-encoding", "br");
    // Each coding its own validator: a gzip 304 never answers an identity request.
    let tags = [&plain, &gz, &br].map(|r| r.header("etag").unwrap().to_owned());
    assert!(
        tags[0] != tags[1] && tags[1] != tags[2] && tags[0] != tags[2],
        "{tags:?}"
    );
    c.get("/static/css/site.css")
        .header("if-none-match", &tags[1])
        .send()
        .await
        .assert_status(200);
    c.get("/static/css/site.css")
        .header("accept-encoding", "br;q=0, gzip;q=0")
        .send()
        .await
        .assert_text("body { color: black }\n");
    c.get("/static/css/site.css")
        .header("accept-encoding", "zstd")
        .send()
        .await
        .assert_text("body { color: black }\n");
}

/// Every way out of the directory is a 404, and the secret is never in an answer.
#[actix_web::test]
async fn no_path_leaves_the_directory() {
    let site = site();
    let s = serve(with_dir(static_dir(&site))).await;
    let mut attempts = vec![
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/%2E%2E/secret.txt",
        "/static/.%2e/secret.txt",
        "/static/..%2fsecret.txt",
        "/static/..%2Fstatic-private/x.txt",
        "/static/..%5csecret.txt",
        "/static/..\\secret.txt",
        "/static/%2fetc%2fpasswd",
        "/static//etc/passwd",
        "/static/%00",
        "/static/hello.txt%00.png",
        "/static/C:%5cWindows%5cwin.ini",
        "/static/c:/windows/win.ini",
        "/static/%5c%5c%3f%5cC:%5csecret.txt",
        "/static/CON",
        "/static/nul.txt",
        "/static/AUX",
        "/static/com1.css",
        "/static/hello.txt.",
        "/static/hello.txt%20",
        "/static/hello.txt::$DATA",
        "/static/.env",
        "/static/%2eenv",
        "/static/css/../../secret.txt",
        "/static/empty",
        "/static/empty/",
    ];
    #[cfg(unix)]
    attempts.push("/static/out.txt");
    let secret = site.path().join("secret.txt");
    let secret_url = format!("/static/{}", secret.display());
    attempts.push(&secret_url);
    for path in attempts {
        let answer = s.raw(get(path).as_bytes());
        assert!(
            answer.starts_with("HTTP/1.1 404") || answer.starts_with("HTTP/1.1 400"),
            "{path}: {answer}"
        );
        assert!(!answer.contains("TOP SECRET"), "{path}: {answer}");
    }
    // What is inside is served, a symlink inside the directory included; a precompressed
    // "sibling" that is a link leading out is not one.
    let ok = s.raw(get("/static/hello.txt").as_bytes());
    assert!(
        ok.starts_with("HTTP/1.1 200") && ok.ends_with("hello static\n"),
        "{ok}"
    );
    let gz = s.raw(
        b"GET /static/hello.txt HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n\
          Connection: close\r\n\r\n",
    );
    assert!(
        gz.ends_with("hello static\n") && !gz.contains("TOP SECRET"),
        "{gz}"
    );
    #[cfg(unix)]
    {
        let ok = s.raw(get("/static/in.txt").as_bytes());
        assert!(ok.ends_with("hello static\n"), "{ok}");
    }
}

#[actix_web::test]
async fn hidden_files_and_outside_links_only_when_allowed() {
    let site = site();
    let builder = with_dir(static_dir(&site))
        .set("/static", "tools.staticdir.show_hidden", true)
        .set("/static", "tools.staticdir.follow_symlinks", true);
    let s = serve(builder).await;
    let c = s.client();
    c.get("/static/.env").send().await.assert_text("TOP SECRET");
    #[cfg(unix)]
    c.get("/static/out.txt")
        .send()
        .await
        .assert_text("TOP SECRET");
    // `..` is still refused.
    let answer = s.raw(get("/static/../secret.txt").as_bytes());
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
}

#[actix_web::test]
async fn a_listing_only_when_asked_and_escaped() {
    let site = site();
    let s = serve(with_dir(static_dir(&site))).await;
    s.client().get("/static/").send().await.assert_status(404);
    drop(s);
    let s = serve(with_dir(static_dir(&site).listing(true))).await;
    let page = s.client().get("/static/").send().await;
    page.assert_status(200)
        .assert_header("content-type", "text/html; charset=utf-8")
        .assert_contains("<a href=\"a%26b%27s.txt\">a&amp;b&#x27;s.txt</a>")
        .assert_contains("<a href=\"css/\">css/</a>");
    assert!(!page.text().contains(".env"), "{}", page.text());
    s.client()
        .get("/static/a%26b%27s.txt")
        .send()
        .await
        .assert_text("amp");
}

#[actix_web::test]
async fn other_methods_and_other_paths_are_not_the_tools() {
    let site = site();
    let builder = with_dir(static_dir(&site)).tool_at(
        "/hello",
        StaticFile::new(site.path().join("static/hello.txt")),
    );
    let s = serve(builder).await;
    let c = s.client();
    c.get("/hello").send().await.assert_text("hello static\n");
    c.head("/hello")
        .send()
        .await
        .assert_status(200)
        .assert_empty();
    // CherryPy's staticdir declines anything but GET and HEAD: the tree answers (404 here).
    c.post("/static/hello.txt").send().await.assert_status(404);
    c.get("/static/missing.txt").send().await.assert_status(404);
    c.get("/").send().await.assert_text("home");
}

#[actix_web::test]
async fn a_single_file_and_settings_from_toml() {
    let site = site();
    let toml = format!(
        r#"
        ["/static"]
        tools.staticdir.on = true
        tools.staticdir.root = {root:?}
        tools.staticdir.dir = "static"
        tools.staticdir.content_types = {{ bin = "application/x-demo" }}
        ["/static/css"]
        tools.staticdir.cache_control = "public, max-age=60"
        ["/robots.txt"]
        tools.staticfile.on = true
        tools.staticfile.filename = {file:?}
        "#,
        root = site.path().display().to_string(),
        file = site.path().join("static/hello.txt").display().to_string(),
    );
    let app = App::builder(Root)
        .config(Config::from_toml(&toml).unwrap())
        .build()
        .unwrap();
    let s = TestServer::start(app).await;
    let c = s.client();
    c.get("/robots.txt")
        .send()
        .await
        .assert_text("hello static\n");
    c.get("/robots.txt/x").send().await.assert_status(404);
    // `/static/css` sets only a header: the directory stays mapped at `/static`.
    c.get("/static/css/site.css")
        .send()
        .await
        .assert_text("body { color: black }\n")
        .assert_header("cache-control", "public, max-age=60");
    c.get("/static/hello.txt")
        .send()
        .await
        .assert_no_header("cache-control");
    c.get("/static/data.bin")
        .send()
        .await
        .assert_header("content-type", "application/x-demo");
}

#[test]
fn a_missing_directory_is_an_error_naming_the_key() {
    let toml = r#"
        ["/static"]
        tools.staticdir.on = true
        tools.staticdir.dir = "/no/such/dir"
    "#;
    let Err(err) = App::builder(Root)
        .config(Config::from_toml(toml).unwrap())
        .build()
    else {
        panic!("a missing directory is an error");
    };
    let text = err.to_string();
    assert!(text.contains("tools.staticdir.dir"), "{text}");
    assert!(text.contains("line 4"), "{text}");
    let Err(err) = App::builder(Root)
        .set("/static", "tools.staticdir.on", true)
        .build()
    else {
        panic!("no directory is an error");
    };
    assert!(err.to_string().contains("not set"), "{err}");
    // A file where a directory is wanted, and a file that is not there.
    let file = tempfile::NamedTempFile::new().unwrap();
    for (path, key, value, expected) in [
        (
            "/static",
            "tools.staticdir.dir",
            file.path(),
            "is not a directory",
        ),
        (
            "/robots.txt",
            "tools.staticfile.filename",
            Path::new("/no/such/file"),
            "cannot use /no/such/file",
        ),
    ] {
        let on = format!("{}.on", key.rsplit_once('.').unwrap().0);
        let Err(err) = App::builder(Root)
            .set(path, &on, true)
            .set(path, key, value.to_string_lossy().into_owned())
            .build()
        else {
            panic!("{key} = {} accepted", value.display());
        };
        let text = err.to_string();
        assert!(text.contains(key) && text.contains(expected), "{text}");
    }
    let Err(err) = App::builder(Root)
        .set("/robots.txt", "tools.staticfile.on", true)
        .build()
    else {
        panic!("no file is an error");
    };
    assert!(
        err.to_string().contains("tools.staticfile.filename"),
        "{err}"
    );
}
