//! Security checks on the photoblog and the tour: what outsiders can reach, CSRF on every
//! form, uploads that cannot choose where they land, the headers on HTML, the cache and
//! credentials, and what the logs never hold.

use std::net::SocketAddr;

use drupe::testing::{Part, TestClient};
use serde_json::Value;

use crate::blog::{owner_auth, png, sign_in, sqlite_client};

fn outside() -> SocketAddr {
    "198.51.100.7:40000".parse().unwrap()
}

/// Albums and photos the service lists: what a forged request must not change.
async fn counts(c: &TestClient) -> (usize, usize) {
    let albums = c.get("/services/rest/album/").send().await;
    let photos = c.get("/services/rest/photo/").send().await;
    albums.assert_status(200);
    photos.assert_status(200);
    (
        albums.json::<Vec<Value>>().len(),
        photos.json::<Vec<Value>>().len(),
    )
}

#[actix_web::test]
async fn operator_pages_are_for_loopback_clients_unless_configured() {
    let (c, dir) = sqlite_client("sec-loopback").await;
    let operator = [
        "/_coverage/",
        "/_coverage/data.json",
        "/openapi.json",
        "/docs/",
        "/_cache/stats",
    ];
    for path in operator {
        c.get(path).send().await.assert_status(200);
        c.get(path).peer(outside()).send().await.assert_status(404);
    }
    c.post("/_coverage/reset")
        .peer(outside())
        .send()
        .await
        .assert_status(404);
    // The site itself is for everyone.
    c.get("/").peer(outside()).send().await.assert_status(200);
    // Configured public, the report and the documents answer anyone.
    let public = crate::tour::builder_with_cache(drupe::cache::Caching::memory(10, 1 << 20))
        .set_global("coverage.public", true)
        .set_global("openapi.public", true)
        .build()
        .unwrap();
    let p = TestClient::new(public).await;
    for path in ["/_coverage/", "/openapi.json", "/docs/"] {
        p.get(path).peer(outside()).send().await.assert_status(200);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The tour's operator pages: its coverage report, its API documents, its cache's counters.
const OPERATOR: [&str; 5] = [
    "/_coverage/",
    "/_coverage/data.json",
    "/openapi.json",
    "/docs/",
    "/_cache/stats",
];

#[actix_web::test]
async fn operator_pages_cannot_be_reached_by_forging_headers() {
    let proxy: SocketAddr = "10.0.0.1:50000".parse().unwrap();
    let app = crate::tour::builder_with_cache(drupe::cache::Caching::memory(10, 1 << 20))
        .set_global("server.trusted_proxies", vec!["10.0.0.1"])
        .build()
        .unwrap();
    let c = TestClient::new(app).await;
    for path in OPERATOR {
        // A client writing proxy headers itself is not a proxy: its own address counts.
        for (name, value) in [
            ("x-forwarded-for", "127.0.0.1"),
            ("forwarded", "for=127.0.0.1"),
            ("x-real-ip", "127.0.0.1"),
        ] {
            c.get(path)
                .peer(outside())
                .header(name, value)
                .send()
                .await
                .assert_status(404);
        }
        // Through the proxy, a client that put 127.0.0.1 first: the proxy appended the
        // address it really came from, and that one counts.
        c.get(path)
            .peer(proxy)
            .header("x-forwarded-for", "127.0.0.1, 198.51.100.7")
            .send()
            .await
            .assert_status(404);
        c.get(path)
            .peer(proxy)
            .header("forwarded", "for=127.0.0.1, for=\"198.51.100.7:4711\"")
            .send()
            .await
            .assert_status(404);
        // An operator on the proxy's machine is local.
        c.get(path)
            .peer(proxy)
            .header("x-forwarded-for", "127.0.0.1")
            .send()
            .await
            .assert_status(200);
        // DNS rebinding: a page of attacker.example, resolved to 127.0.0.1, in a browser on
        // this machine. The client is local; the name is not.
        for host in [
            "attacker.example",
            "attacker.example:8080",
            "localhost.attacker.example",
        ] {
            c.get(path)
                .header("host", host)
                .send()
                .await
                .assert_status(421)
                .assert_contains("answers only for this machine's names");
        }
        for host in [
            "localhost:8080",
            "127.0.0.1:8080",
            "[::1]:8080",
            "LOCALHOST",
        ] {
            c.get(path)
                .header("host", host)
                .send()
                .await
                .assert_status(200);
        }
    }
    // The reset too, before it looks at anything else.
    c.post("/_coverage/reset")
        .header("host", "attacker.example")
        .send()
        .await
        .assert_status(421);
    // The application's own pages answer any name.
    c.get("/")
        .header("host", "attacker.example")
        .send()
        .await
        .assert_status(200);
}

#[actix_web::test]
async fn operator_pages_answer_the_names_configured() {
    let app = crate::tour::builder_with_cache(drupe::cache::Caching::memory(10, 1 << 20))
        .set_global("server.allowed_hosts", vec!["Ops.Example"])
        .build()
        .unwrap();
    let c = TestClient::new(app).await;
    for path in OPERATOR {
        c.get(path)
            .header("host", "ops.example:8443")
            .send()
            .await
            .assert_status(200);
        c.get(path)
            .header("host", "other.example")
            .send()
            .await
            .assert_status(421);
    }
}

#[actix_web::test]
async fn the_photoblog_behind_its_proxy() {
    let dir = crate::blog::temp_dir("sec-proxy");
    let settings = photoblog::Settings {
        database: "sqlite::memory:".into(),
        data_dir: dir.join("photos"),
        trusted_proxies: vec!["10.0.0.0/8".into()],
        ..photoblog::Settings::default()
    };
    let c = TestClient::new(photoblog::build(&settings).await.unwrap()).await;
    let proxy: SocketAddr = "10.1.2.3:50000".parse().unwrap();
    // What the proxy says about scheme and host is believed: links point at the public site.
    c.get("/feed")
        .peer(proxy)
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "photos.example")
        .header("x-forwarded-for", "198.51.100.7")
        .send()
        .await
        .assert_status(200)
        .assert_contains("https://photos.example/");
    // The same headers from anyone else are not.
    let direct = c
        .get("/feed")
        .peer(outside())
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "evil.example")
        .send()
        .await;
    direct.assert_status(200);
    assert!(!direct.text().contains("evil.example"), "{direct:?}");
    // The operator pages: a visitor through the proxy is not local, whatever it prepends.
    for xff in ["198.51.100.7", "127.0.0.1, 198.51.100.7"] {
        c.get("/_coverage/")
            .peer(proxy)
            .header("x-forwarded-for", xff)
            .send()
            .await
            .assert_status(404);
    }
    c.get("/_coverage/")
        .peer(proxy)
        .header("x-forwarded-for", "127.0.0.1")
        .send()
        .await
        .assert_status(200);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The photoblog's forms, with the owner signed in: a post without the CSRF token, with one
/// not made for this browser's cookie, or with a token but no cookie (another site can
/// neither read nor set ours) is a 403 that changes nothing.
#[actix_web::test]
async fn every_form_needs_its_token() {
    let (c, dir) = sqlite_client("sec-csrf").await;
    let owner = sign_in(&c).await;
    let before = counts(&c).await;
    let album = c.get("/services/rest/album/1").send().await;
    album.assert_status(200);
    let title = album.json::<Value>()["title"].clone();
    let forms: [(&str, Vec<Part>); 4] = [
        ("/album/new", vec![Part::text("title", "Forged")]),
        ("/album/1/edit", vec![Part::text("title", "Forged")]),
        ("/album/1/delete", vec![]),
        (
            "/album/1/upload",
            vec![
                Part::text("film_id", "1"),
                Part::file("file", "x.png", "image/png", png(20, 20, 3)),
            ],
        ),
    ];
    // The session alone, without the CSRF cookie.
    let session_only: String = owner
        .cookie
        .split("; ")
        .filter(|c| c.starts_with("session_id="))
        .collect();
    for (path, fields) in &forms {
        // No token at all.
        c.post(path)
            .header("cookie", &owner.cookie)
            .multipart(fields)
            .send()
            .await
            .assert_status(403)
            .assert_contains("CSRF check");
        // A token that is not made for the cookie's secret.
        let mut forged = fields.clone();
        forged.push(Part::text("csrf_token", &"ab".repeat(32)));
        c.post(path)
            .header("cookie", &owner.cookie)
            .multipart(&forged)
            .send()
            .await
            .assert_status(403);
        // A good token without its cookie.
        let mut no_cookie = fields.clone();
        no_cookie.push(Part::text("csrf_token", &owner.token));
        c.post(path)
            .header("cookie", &session_only)
            .multipart(&no_cookie)
            .send()
            .await
            .assert_status(403)
            .assert_contains("no CSRF cookie");
    }
    assert_eq!(counts(&c).await, before, "a forged form changed something");
    let album = c.get("/services/rest/album/1").send().await;
    album.assert_status(200);
    assert_eq!(album.json::<Value>()["title"], title);
    let _ = std::fs::remove_dir_all(&dir);
}

#[actix_web::test]
async fn uploads_cannot_choose_their_path() {
    let (c, dir) = sqlite_client("sec-upload").await;
    let photos = dir.join("photos");
    let names = [
        "../../../../escape.png",
        "/etc/evil.png",
        "..\\..\\win.png",
        "C:\\evil.png",
    ];
    for (i, name) in names.iter().enumerate() {
        let r = c
            .post("/services/rest/photo/")
            .header("authorization", &owner_auth())
            .multipart(&[
                Part::file("file", name, "image/png", png(30, 20, 100 + i as u8)),
                Part::text("film_id", "1"),
            ])
            .send()
            .await;
        r.assert_status(201);
        let url = r.json::<Value>()["url"].as_str().unwrap().to_owned();
        let stored = url.rsplit('/').next().unwrap();
        // The stored name is the content's hash and a type, nothing of what the client sent.
        assert!(
            stored.len() == 36
                && stored.ends_with(".png")
                && stored[..32].bytes().all(|b| b.is_ascii_hexdigit()),
            "{stored}"
        );
        assert!(photos.join(stored).exists(), "{stored} is not in the store");
    }
    // A NUL in the name: the multipart parser refuses the part.
    c.post("/services/rest/photo/")
        .header("authorization", &owner_auth())
        .multipart(&[
            Part::file("file", "a\0b.png", "image/png", png(30, 20, 99)),
            Part::text("film_id", "1"),
        ])
        .send()
        .await
        .assert_status(400);
    // Nothing where the client's names lead, from the store up to the root.
    let tmp = std::env::temp_dir();
    for place in [
        dir.as_path(),
        photos.as_path(),
        tmp.as_path(),
        std::path::Path::new("/"),
    ] {
        for bad in ["escape.png", "evil.png", "win.png"] {
            let path = place.join(bad);
            assert!(!path.exists(), "{}", path.display());
        }
    }
    assert!(!std::path::Path::new("/etc/evil.png").exists());
    // Every file in the store is a hash-named original or thumbnail.
    for entry in walk(&photos) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.len() >= 36 && name[..32].bytes().all(|b| b.is_ascii_hexdigit()),
            "unexpected file {}",
            entry.display()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[actix_web::test]
async fn html_carries_its_security_headers_and_no_inline_code() {
    let (c, dir) = sqlite_client("sec-html").await;
    let owner = sign_in(&c).await;
    // Each page, and whether the owner asks (the forms are the owner's).
    let pages = [
        ("/", 200, false),
        ("/", 200, true),
        ("/album/1", 200, false),
        ("/photo/1", 200, false),
        ("/login", 200, false),
        ("/album/new", 200, true),
        ("/album/1/edit", 200, true),
        ("/album/1/delete", 200, true),
        ("/album/1/upload", 200, true),
        ("/album/999", 404, false),
        ("/no/such/page", 404, false),
    ];
    for (path, status, signed_in) in pages {
        let mut r = c.get(path).accept("text/html");
        if signed_in {
            r = r.header("cookie", &owner.cookie);
        }
        let r = r.send().await;
        r.assert_status(status);
        assert!(
            r.header("content-type")
                .is_some_and(|t| t.starts_with("text/html")),
            "{path}: {:?}",
            r.header("content-type")
        );
        r.assert_header("x-content-type-options", "nosniff");
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        let html = r.text();
        assert!(!html.contains("<script"), "{path} has inline script");
        // The login form asks for a password; no page shows one, nor mentions one otherwise.
        let password = if path == "/login" {
            crate::blog::OWNER_PASSWORD
        } else {
            "password"
        };
        for secret in ["sqlite:", "postgres://", "redis://", password] {
            assert!(!html.contains(secret), "{path} shows {secret}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[actix_web::test]
async fn the_cache_never_serves_a_credentialed_answer_to_another_client() {
    let cache = drupe::cache::Caching::memory(100, 1 << 20);
    let c = TestClient::new(crate::tour::app_with_cache(cache.clone())).await;
    c.get("/users/1")
        .header("authorization", "Bearer alice-token")
        .send()
        .await
        .assert_status(200)
        .assert_header("x-cache", "BYPASS");
    // Nothing of Alice's request was stored: Bob's request computes its own answer.
    c.get("/users/1")
        .send()
        .await
        .assert_header("x-cache", "MISS");
    // And a stored answer is not handed to a credentialed request either.
    c.get("/users/1")
        .header("authorization", "Bearer bob-token")
        .send()
        .await
        .assert_header("x-cache", "BYPASS");
    let stats = cache.stats().await;
    assert_eq!(stats.stores, 1, "{stats:?}");
}

/// The photoblog as a process (with `extra` arguments), its stdout and stderr going to files
/// in `dir` ([`output_of`] reads them); returns it and its address. The owner's password is
/// the tests' one (`PHOTOBLOG_ADMIN_PASSWORD`; an `--admin-password` in `extra` wins).
#[cfg(unix)]
fn logging_blog(
    dir: &std::path::Path,
    extra: &[&str],
    rust_log: &str,
) -> (std::process::Child, SocketAddr) {
    let bin = crate::process::example_binary("photoblog");
    let port = crate::process::free_port();
    std::fs::create_dir_all(dir).unwrap();
    let child = std::process::Command::new(bin)
        .args(["--bind", &format!("127.0.0.1:{port}"), "--database"])
        .arg(format!("sqlite:{}", dir.join("pb.db").display()))
        .arg("--data-dir")
        .arg(dir.join("photos"))
        .args(extra)
        .env("RUST_LOG", rust_log)
        .env("PHOTOBLOG_ADMIN_PASSWORD", crate::blog::OWNER_PASSWORD)
        // Files, not pipes: a full pipe would stall a process that logs this much.
        .stdout(std::fs::File::create(dir.join("out.log")).unwrap())
        .stderr(std::fs::File::create(dir.join("err.log")).unwrap())
        .spawn()
        .unwrap();
    crate::process::wait_port(port);
    (child, format!("127.0.0.1:{port}").parse().unwrap())
}

/// Everything a [`logging_blog`] wrote.
#[cfg(unix)]
fn output_of(dir: &std::path::Path) -> String {
    std::fs::read_to_string(dir.join("out.log")).unwrap()
        + &std::fs::read_to_string(dir.join("err.log")).unwrap()
}

/// The photoblog as a process with every log level on: secrets sent in headers and bodies
/// never reach its output, the access log's lines included — the owner's password (given on
/// the command line), its Basic header, the bearer token it is traded for, and a token that
/// is not one.
#[cfg(unix)]
#[test]
fn logs_hold_no_bodies_and_no_credentials() {
    use base64::Engine;
    let dir = crate::blog::temp_dir("sec-logs");
    let password = "SECRET-PASS-5c2a";
    let (mut child, addr) = logging_blog(&dir, &["--admin-password", password], "trace");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("admin:{password}"));
    // A password check takes a second or more in a debug build: past `raw_request`'s wait.
    let res = crate::process::http(
        addr,
        format!("POST /services/rest/token HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {basic}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes(),
    );
    assert!(res.starts_with("HTTP/1.1 201 "), "{res}");
    let token: Value = serde_json::from_str(res.split_once("\r\n\r\n").unwrap().1).unwrap();
    let token = token["token"].as_str().unwrap().to_owned();
    let secret_auth = format!("Bearer {token}");
    let secret_body = "SECRET-BODY-93f0";
    let bodies = [
        format!("{{\"title\": \"{secret_body}\"}}"),
        format!("{{\"title\": 5, \"content\": \"{secret_body}\"}}"),
        format!("{{\"title\": \"{secret_body}"),
    ];
    for (i, body) in bodies.iter().enumerate() {
        // The first is stored; the others are refused, their bodies in the error paths.
        let (method, target, status) = if i == 0 {
            ("POST", "/services/rest/album/", "201")
        } else {
            ("PUT", "/services/rest/album/1", "400")
        };
        let req = format!(
            "{method} {target} HTTP/1.1\r\nHost: x\r\nAuthorization: {secret_auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let res = drupe::testing::raw_request(addr, req.as_bytes());
        assert!(res.starts_with(&format!("HTTP/1.1 {status} ")), "{res}");
    }
    // A token that is not one, refused, and one sent where none is needed.
    let refused = drupe::testing::raw_request(
        addr,
        b"DELETE /services/rest/album/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer SECRET-AUTH-7d1e\r\nConnection: close\r\n\r\n",
    );
    assert!(refused.starts_with("HTTP/1.1 401 "), "{refused}");
    let res = drupe::testing::raw_request(
        addr,
        b"GET /album/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer SECRET-AUTH-7d1e\r\nConnection: close\r\n\r\n",
    );
    assert!(res.starts_with("HTTP/1.1 200"), "{res}");
    assert!(crate::process::terminate(&mut child).success());
    let out = output_of(&dir);
    assert!(out.contains("serving on"), "the log was captured: {out}");
    assert!(
        out.contains(r#""POST /services/rest/album/ HTTP/1.1" 201 "#)
            && out.contains(r#""DELETE /services/rest/album/1 HTTP/1.1" 401 "#)
            && out.contains(r#""GET /album/1 HTTP/1.1" 200 "#),
        "the access log was on: {out}"
    );
    for (what, secret) in [
        ("the owner's password", password),
        ("its Basic header", basic.as_str()),
        ("the bearer token", token.as_str()),
        ("a refused token", "SECRET-AUTH"),
        ("a body", secret_body),
    ] {
        assert!(!out.contains(secret), "{what} in the log:\n{out}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// One access line per request in CherryPy's shape — `peer - - [date] "request line" status
/// size "referer" "user agent"` — on by default in the photoblog, off with `--no-access-log`.
#[cfg(unix)]
#[test]
fn the_access_log_is_a_line_per_request_and_can_be_off() {
    let request = b"GET /services/rest/album/2 HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nReferer: http://x/from\r\nUser-Agent: agent-7/1.0\r\nConnection: close\r\n\r\n";
    let missing = b"GET /nowhere?q=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let dir = crate::blog::temp_dir("access-log");
    let (mut child, addr) = logging_blog(&dir, &[], "info");
    let ok = drupe::testing::raw_request(addr, request);
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    let body_len = ok.split_once("\r\n\r\n").unwrap().1.len();
    assert!(drupe::testing::raw_request(addr, missing).starts_with("HTTP/1.1 404"));
    assert!(crate::process::terminate(&mut child).success());
    let out = output_of(&dir);
    let lines: Vec<&str> = out.lines().filter(|l| l.contains("HTTP/1.1\" ")).collect();
    assert_eq!(lines.len(), 2, "{out}");
    let (peer, rest) = lines[0].split_once(" - - [").expect("peer - - [date]");
    assert_eq!(peer, "127.0.0.1", "{}", lines[0]);
    let (date, rest) = rest.split_once("] ").unwrap();
    assert!(
        time::PrimitiveDateTime::parse(
            date,
            time::macros::format_description!(
                "[day]/[month repr:short]/[year]:[hour]:[minute]:[second]"
            )
        )
        .is_ok(),
        "CherryPy's date: {date}"
    );
    assert_eq!(
        rest,
        format!(
            r#""GET /services/rest/album/2 HTTP/1.1" 200 {body_len} "http://x/from" "agent-7/1.0""#
        )
    );
    assert!(
        lines[1].contains(r#""GET /nowhere?q=1 HTTP/1.1" 404 "#),
        "{}",
        lines[1]
    );
    let _ = std::fs::remove_dir_all(&dir);

    let dir = crate::blog::temp_dir("access-log-off");
    let (mut child, addr) = logging_blog(&dir, &["--no-access-log"], "info");
    assert!(drupe::testing::raw_request(addr, request).starts_with("HTTP/1.1 200"));
    assert!(crate::process::terminate(&mut child).success());
    let out = output_of(&dir);
    assert!(out.contains("serving on"), "the log was captured: {out}");
    assert!(
        !out.contains("HTTP/1.1\" "),
        "an access line with the log off: {out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
