//! Who may write through the REST services: the owner (`admin`) alone, by password or by a
//! token it asked for. Everyone else — no credentials, a wrong password, another user, a
//! made-up token — gets 401 with both challenges and changes nothing, while reads stay
//! public. And the owner's password as the process sets it: made up and shown once on a
//! first run, replaced by `--admin-password` or `PHOTOBLOG_ADMIN_PASSWORD`.

use actix_web::http::Method;
use drupe::testing::{Part, TestClient, TestResponse, TestServer};
use serde_json::{Value, json};

use crate::support::{ByOwner, OWNER_PASSWORD, basic, blog_on, png, settings_on, temp_dir};

/// What a write sends.
#[derive(Clone)]
enum Payload {
    Nothing,
    Json(Value),
    /// A small PNG for `film_id`.
    Photo(i64),
}

/// One write to the REST services.
#[derive(Clone)]
struct Write {
    method: Method,
    path: String,
    payload: Payload,
}

impl Write {
    fn new(method: Method, path: impl Into<String>, payload: Payload) -> Self {
        Self {
            method,
            path: path.into(),
            payload,
        }
    }

    /// Sends it with `authorization` (none when `None`), from the client `from` (behind the
    /// trusted proxy, 127.0.0.1, that the test's server trusts).
    async fn send(&self, c: &TestClient, authorization: Option<&str>, from: &str) -> TestResponse {
        let mut r = c
            .request(self.method.clone(), &self.path)
            .accept("application/json")
            .header("x-forwarded-for", from);
        if let Some(a) = authorization {
            r = r.header("authorization", a);
        }
        match &self.payload {
            Payload::Nothing => r,
            Payload::Json(v) => r.json(v),
            Payload::Photo(film) => r.multipart(&[
                Part::file("file", "mine.png", "image/png", png(20, 20, 3)),
                Part::text("film_id", &film.to_string()),
            ]),
        }
        .send()
        .await
    }

    fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// A write of each method on each entity, in an order the owner can make them all: album 1,
/// its first film and that film's first photo.
fn writes(film: i64, photo: i64) -> Vec<Write> {
    let title = || Payload::Json(json!({"title": "Mine now"}));
    vec![
        Write::new(Method::POST, "/services/rest/album/", title()),
        Write::new(Method::PUT, "/services/rest/album/1", title()),
        Write::new(
            Method::POST,
            "/services/rest/film/",
            Payload::Json(json!({"title": "Mine now", "album_id": 1})),
        ),
        Write::new(Method::PUT, format!("/services/rest/film/{film}"), title()),
        Write::new(Method::POST, "/services/rest/photo/", Payload::Photo(film)),
        Write::new(
            Method::PUT,
            format!("/services/rest/photo/{photo}"),
            Payload::Json(json!({"legend": "Mine now"})),
        ),
        Write::new(
            Method::DELETE,
            format!("/services/rest/photo/{photo}"),
            Payload::Nothing,
        ),
        Write::new(
            Method::DELETE,
            format!("/services/rest/film/{film}"),
            Payload::Nothing,
        ),
        Write::new(Method::DELETE, "/services/rest/album/1", Payload::Nothing),
    ]
}

/// A GET past the output cache: what the database holds now, not a copy kept from before.
async fn fresh(c: &TestClient, path: &str) -> TestResponse {
    c.get(path)
        .accept("application/json")
        .header("cache-control", "no-cache")
        .send()
        .await
}

/// What the REST services show (read anonymously: reads are public) and the photo files.
async fn state(c: &TestClient, photos: &std::path::Path) -> Vec<String> {
    let mut seen = Vec::new();
    for path in [
        "/services/rest/album/",
        "/services/rest/album/1",
        "/services/rest/film/",
        "/services/rest/photo/",
    ] {
        let r = fresh(c, path).await;
        r.assert_status(200);
        seen.push(format!("{path} {}", r.text()));
    }
    for dir in [photos.to_path_buf(), photos.join("thumbs")] {
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        seen.push(format!("{}: {names:?}", dir.display()));
    }
    seen
}

/// A 401 that says how to authenticate, both ways.
fn assert_challenged(r: &TestResponse, what: &str) {
    assert_challenges(
        r,
        &["Basic realm=\"photoblog\"", "Bearer realm=\"photoblog\""],
        what,
    );
}

/// A 401 for a token that is not one: the Bearer challenge says so (RFC 6750).
fn assert_token_refused(r: &TestResponse, what: &str) {
    assert_challenges(
        r,
        &["Bearer realm=\"photoblog\", error=\"invalid_token\""],
        what,
    );
}

/// A 401 with a `WWW-Authenticate` starting with each of `expected`.
fn assert_challenges(r: &TestResponse, expected: &[&str], what: &str) {
    assert_eq!(r.status(), 401, "{what}: {r:?}");
    let challenges: Vec<&str> = r
        .headers()
        .get_all("www-authenticate")
        .filter_map(|v| v.to_str().ok())
        .collect();
    for challenge in expected {
        assert!(
            challenges.iter().any(|c| c.starts_with(challenge)),
            "{what}: no `{challenge}` in {challenges:?}"
        );
    }
}

/// Album 1's first film and that film's first photo.
async fn film_and_photo(c: &TestClient) -> (i64, i64) {
    let films: Vec<Value> = fresh(c, "/services/rest/film?album_id=1").await.json();
    let film = films[0]["id"].as_i64().unwrap();
    let photos: Vec<Value> = fresh(c, &format!("/services/rest/photo?film_id={film}"))
        .await
        .json();
    (film, photos[0]["id"].as_i64().unwrap())
}

/// Over a real socket: every write without the owner's credentials — none, a wrong password,
/// the owner's password under another name, a made-up token — is a 401 (with both challenges,
/// but for the token: the Bearer one, `invalid_token`), and nothing changes (album 1 is still there after an anonymous `DELETE`, which the review
/// found answered 204); the photos are still served to anyone. The same writes as the owner
/// then all go through: they were refused for their credentials alone.
///
/// The rate limiter allows a client 10 failed credentials at once: the made-up tokens and the
/// wrong passwords come from two clients (through a trusted proxy), so that each is checked.
#[actix_web::test]
async fn nobody_but_the_owner_writes() {
    let dir = temp_dir("owner-only");
    let db = format!("sqlite:{}", dir.join("pb.db").display());
    let settings = photoblog::Settings {
        trusted_proxies: vec!["127.0.0.1".to_owned()],
        ..settings_on(&db, &dir, "memory")
    };
    let s = TestServer::start(photoblog::build(&settings).await.unwrap()).await;
    let c = s.client();
    let photos = dir.join("photos");
    let (film, photo) = film_and_photo(c).await;
    let before = state(c, &photos).await;
    let all = writes(film, photo);
    let wrong = basic("admin", "not-the-password");
    let stranger = basic("mallory", OWNER_PASSWORD);
    let made_up = "Bearer aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    for w in &all {
        let anonymous = w.send(c, None, "192.0.2.1").await;
        assert_challenged(&anonymous, &format!("{} anonymous", w.name()));
        assert_token_refused(
            &w.send(c, Some(made_up), "192.0.2.2").await,
            &format!("{} with a made-up token", w.name()),
        );
    }
    // A wrong password costs a hash (on purpose): a few writes are enough.
    for w in [&all[1], &all[3], &all[4], &all[8]] {
        for (who, auth) in [("a wrong password", &wrong), ("another user", &stranger)] {
            assert_challenged(
                &w.send(c, Some(auth), "192.0.2.3").await,
                &format!("{} as {who}", w.name()),
            );
        }
    }
    assert_eq!(
        state(c, &photos).await,
        before,
        "a refused write changed something"
    );
    // Reads are public: the pages, the feed and the picture itself, without credentials.
    for path in [
        "/",
        "/album/1",
        "/feed/album/1",
        "/services/rest/albums/0-3",
    ] {
        c.get(path).send().await.assert_status(200);
    }
    c.get(&format!("/services/rest/photo/{photo}"))
        .accept("image/*")
        .send()
        .await
        .assert_status(200)
        .assert_header("content-type", "image/png");
    // The owner makes every one of them.
    let owner = crate::support::owner_auth();
    let expected = [201, 200, 201, 200, 201, 200, 204, 204, 204];
    for (w, status) in all.iter().zip(expected) {
        let r = w.send(c, Some(&owner), "192.0.2.1").await;
        assert_eq!(r.status(), status, "{} as the owner: {r:?}", w.name());
    }
    fresh(c, "/services/rest/album/1").await.assert_status(404);
    s.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// `POST /services/rest/token`: refused to anyone but the owner; the owner gets a fresh token
/// each time, kept by no cache, which then writes as the owner does (`Bearer`); a token
/// altered by one character, or made up, is refused.
#[actix_web::test]
async fn a_token_from_the_owner_writes_in_its_place() {
    let dir = temp_dir("owner-token");
    let db = format!("sqlite:{}", dir.join("pb.db").display());
    let s = TestServer::start(blog_on(&db, &dir, "memory").await).await;
    let c = s.client();
    let ask = |auth: Option<String>| async move {
        let mut r = c.post("/services/rest/token");
        if let Some(a) = auth {
            r = r.header("authorization", &a);
        }
        r.send().await
    };
    assert_challenged(&ask(None).await, "a token for nobody");
    assert_challenged(
        &ask(Some(basic("admin", "guess"))).await,
        "a token for a wrong password",
    );
    assert_token_refused(
        &ask(Some("Bearer made-up-token".into())).await,
        "a token for a made-up token",
    );
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let r = ask(Some(crate::support::owner_auth())).await;
        r.assert_status(201)
            .assert_header("cache-control", "no-store");
        let token = r.json::<Value>()["token"].as_str().unwrap().to_owned();
        assert!(token.len() >= 32, "{token}");
        tokens.push(token);
    }
    assert_ne!(tokens[0], tokens[1], "each request gets a token of its own");
    let bearer = format!("Bearer {}", tokens[0]);
    let created = c
        .post("/services/rest/album/")
        .header("authorization", &bearer)
        .json(&json!({"title": "By token"}))
        .send()
        .await;
    created.assert_status(201);
    let id = created.json::<Value>()["id"].as_i64().unwrap();
    let album = format!("/services/rest/album/{id}");
    // One character off, or the other token's prefix on this one's tail: refused.
    let mut altered = tokens[0].clone();
    let last = if altered.ends_with('A') { "B" } else { "A" };
    altered.replace_range(altered.len() - 1.., last);
    for token in [altered, format!("{}{}", &tokens[1][..16], &tokens[0][16..])] {
        let r = c
            .put(&album)
            .header("authorization", &format!("Bearer {token}"))
            .json(&json!({"title": "Altered"}))
            .send()
            .await;
        assert_token_refused(&r, "an altered token");
    }
    c.put(&album)
        .header("authorization", &bearer)
        .json(&json!({"title": "By token, renamed"}))
        .send()
        .await
        .assert_status(200);
    fresh(c, &album).await.assert_contains("By token, renamed");
    c.delete(&album)
        .header("authorization", &format!("Bearer {}", tokens[1]))
        .send()
        .await
        .assert_status(204);
    fresh(c, &album).await.assert_status(404);
    // The password still works beside the tokens.
    c.post("/services/rest/album/")
        .by_owner()
        .json(&json!({"title": "By password"}))
        .send()
        .await
        .assert_status(201);
    s.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// The photoblog as its own process, on a SQLite file in `dir`, its stderr in a file.
#[cfg(unix)]
struct Process {
    child: std::process::Child,
    addr: std::net::SocketAddr,
    log: std::path::PathBuf,
}

#[cfg(unix)]
impl Process {
    /// Starts the photoblog on `dir`'s database with `args`, `PHOTOBLOG_ADMIN_PASSWORD` set to
    /// `env_password` (unset when `None`), and waits until it listens. `run` names its log.
    fn start(dir: &std::path::Path, run: &str, args: &[&str], env_password: Option<&str>) -> Self {
        let port = crate::support::free_port();
        let log = dir.join(format!("{run}.log"));
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_photoblog"));
        cmd.args(["--bind", &format!("127.0.0.1:{port}"), "--database"])
            .arg(format!("sqlite:{}", dir.join("pb.db").display()))
            .arg("--data-dir")
            .arg(dir.join("photos"))
            .args(["--no-seed", "--no-access-log", "--workers", "1"])
            .args(args)
            .env_remove("PHOTOBLOG_ADMIN_PASSWORD")
            .stdout(std::process::Stdio::null())
            // A file, not a pipe: nothing reads it while the process runs.
            .stderr(std::fs::File::create(&log).unwrap());
        if let Some(p) = env_password {
            cmd.env("PHOTOBLOG_ADMIN_PASSWORD", p);
        }
        let mut child = cmd.spawn().unwrap();
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::net::TcpStream::connect(addr).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "the photoblog exited ({status}): {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            assert!(
                std::time::Instant::now() < deadline,
                "nothing listens on {addr}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Self { child, addr, log }
    }

    /// What it wrote on stderr so far (the owner's password comes before it listens).
    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }

    /// The status of `POST /services/rest/album/` with `authorization`.
    fn create_album(&self, authorization: &str) -> u16 {
        use std::io::{Read, Write};
        let body = r#"{"title": "From the owner"}"#;
        let request = format!(
            "POST /services/rest/album/ HTTP/1.1\r\nHost: x\r\nAuthorization: {authorization}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut s = std::net::TcpStream::connect(self.addr).unwrap();
        // A password check takes a second or so in a debug build.
        s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
            .unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no answer: {answer:?}"))
    }

    /// SIGTERM, and the exit waited for.
    fn stop(mut self) {
        let sent = std::process::Command::new("kill")
            .args(["-15", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}: {}", self.stderr());
    }
}

#[cfg(unix)]
impl Drop for Process {
    /// A failed check does not leave the process running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The password a first run printed: `created the user `admin` with the password XXXX`.
#[cfg(unix)]
fn shown_password(stderr: &str) -> Option<&str> {
    let (_, rest) = stderr.split_once("created the user `admin` with the password ")?;
    rest.split_whitespace().next()
}

/// A first run without a password makes one up and prints it once, on stderr; it works as the
/// owner's Basic password. A second run on the same database prints none, and the password
/// still holds.
#[cfg(unix)]
#[test]
fn a_first_run_shows_a_made_up_password_once() {
    let dir = temp_dir("owner-first-run");
    let first = Process::start(&dir, "first", &[], None);
    let said = first.stderr();
    let password = shown_password(&said)
        .unwrap_or_else(|| panic!("no password shown: {said}"))
        .to_owned();
    assert!(password.len() >= 16, "{password}");
    assert_eq!(said.matches(&password).count(), 1, "shown once: {said}");
    assert!(
        said.contains("--admin-password"),
        "says how to set another: {said}"
    );
    assert_eq!(first.create_album(&basic("admin", &password)), 201);
    assert_eq!(first.create_album(&basic("admin", OWNER_PASSWORD)), 401);
    first.stop();
    let second = Process::start(&dir, "second", &[], None);
    let said = second.stderr();
    assert!(
        shown_password(&said).is_none() && !said.contains(&password),
        "a second run shows a password: {said}"
    );
    assert_eq!(second.create_album(&basic("admin", &password)), 201);
    second.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--admin-password` sets the owner's password on a new database and replaces it on an
/// existing one (the old one is refused from then on), and so does
/// `PHOTOBLOG_ADMIN_PASSWORD`; neither is shown. An empty password is refused at start.
#[cfg(unix)]
#[test]
fn the_password_is_set_by_the_flag_or_the_environment() {
    let dir = temp_dir("owner-replace");
    let runs: [(&str, &[&str], Option<&str>, &str); 3] = [
        ("flag", &["--admin-password", "first-Pa55"], None, ""),
        (
            "flag-again",
            &["--admin-password", "second-Pa55"],
            None,
            "first-Pa55",
        ),
        ("environment", &[], Some("third-Pa55"), "second-Pa55"),
    ];
    for (run, args, env, old) in runs {
        let p = Process::start(&dir, run, args, env);
        let new = env.unwrap_or_else(|| args[1]);
        let said = p.stderr();
        assert!(
            shown_password(&said).is_none() && !said.contains(new),
            "{run}: the password is shown: {said}"
        );
        assert_eq!(
            p.create_album(&basic("admin", new)),
            201,
            "{run}: the new one"
        );
        if !old.is_empty() {
            assert_eq!(
                p.create_album(&basic("admin", old)),
                401,
                "{run}: the old one"
            );
        }
        p.stop();
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_photoblog"))
        .args(["--admin-password", ""])
        .env_remove("PHOTOBLOG_ADMIN_PASSWORD")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the password is empty"),
        "{out:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
