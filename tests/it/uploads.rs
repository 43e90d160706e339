//! Uploads spooled to disk, over a real socket: a file above `request.body.spool_above` is
//! written to a temporary file in `request.body.spool_dir` as it arrives and reads back
//! whole, a smaller one stays in memory, and the temporary file is gone after the response,
//! when the client goes away half-way, when the body stalls and when it passes
//! `request.body.max_size`. A handler keeps an upload by moving its file, not copying it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use actix_web::web;
use drupe::testing::{Part, TestServer, multipart_body};
use drupe::{App, HttpError, Upload, controller};
use serde_json::{Value, json};
use xxhash_rust::xxh3::xxh3_64;

struct Root;

#[controller]
impl Root {
    /// What the handler sees of `file`: where it is, whether it is there, what it holds.
    #[expose]
    fn upload(&self, file: Upload) -> Result<web::Json<Value>, HttpError> {
        let mut content = Vec::new();
        file.reader()
            .and_then(|mut r| r.read_to_end(&mut content))
            .map_err(HttpError::internal)?;
        let whole = file.read_all().map_err(HttpError::internal)?;
        Ok(web::Json(json!({
            "len": file.len(),
            "path": file.path(),
            "exists": file.path().is_some_and(Path::exists),
            "hash": xxh3_64(&content),
            "read_all_agrees": whole == content,
        })))
    }

    /// Moves `file` to `dest`; answers the spooled file's inode (Unix) from before the move.
    #[expose]
    fn keep(&self, file: Upload, dest: String) -> Result<web::Json<Value>, HttpError> {
        let spooled = file.path().and_then(inode);
        file.persist(&dest).map_err(HttpError::internal)?;
        Ok(web::Json(json!({ "inode": spooled })))
    }
}

#[cfg(unix)]
fn inode(p: &Path) -> Option<u64> {
    std::fs::metadata(p)
        .ok()
        .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
}

#[cfg(not(unix))]
fn inode(_: &Path) -> Option<u64> {
    None
}

/// `n` bytes that are not all alike.
fn content(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

/// The files in `dir`.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

/// Whether `f` holds within `secs` seconds.
fn within(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// The application with its uploads spooled to `spool`, bodies up to 4 MiB.
fn app(spool: &Path) -> drupe::AppBuilder {
    App::builder(Root)
        .set("/", "request.body.max_size", "4 MiB")
        .set("/", "request.body.spool_dir", spool.display().to_string())
}

fn file(data: Vec<u8>) -> Part {
    Part::file("file", "data.bin", "application/octet-stream", data)
}

/// Posts `data` as the file of `/upload`; what the handler saw.
async fn upload(s: &TestServer, data: &[u8]) -> Value {
    s.client()
        .post("/upload")
        .multipart(&[file(data.to_vec())])
        .send()
        .await
        .assert_status(200)
        .json()
}

#[actix_web::test]
async fn a_file_above_the_threshold_is_spooled_and_gone_after_the_response() {
    let spool = tempfile::tempdir().unwrap();
    let s = TestServer::start(app(spool.path()).build().unwrap()).await;
    let big = content(600_000);
    let seen = upload(&s, &big).await;
    let path = seen["path"].as_str().expect("a spooled file has a path");
    assert!(Path::new(path).starts_with(spool.path()), "{path}");
    assert_eq!(seen["exists"], true, "the file is there during the handler");
    assert_eq!(seen["len"], 600_000);
    assert_eq!(seen["hash"], xxh3_64(&big), "the content read back whole");
    assert_eq!(seen["read_all_agrees"], true);
    assert_eq!(files_in(spool.path()), Vec::<PathBuf>::new());
    // The default threshold is 256 KiB: a file of that size stays in memory.
    let small = content(256 << 10);
    let seen = upload(&s, &small).await;
    assert_eq!(seen["path"], Value::Null);
    assert_eq!(seen["hash"], xxh3_64(&small));
    s.stop().await;
}

#[actix_web::test]
async fn the_threshold_is_a_setting_of_the_path() {
    let spool = tempfile::tempdir().unwrap();
    let app = app(spool.path())
        .set("/upload", "request.body.spool_above", 1000)
        .build()
        .unwrap();
    let s = TestServer::start(app).await;
    for (n, spooled) in [(0, false), (1000, false), (1001, true)] {
        let data = content(n);
        let seen = upload(&s, &data).await;
        assert_eq!(seen["path"].is_string(), spooled, "{n} bytes: {seen}");
        assert_eq!(seen["hash"], xxh3_64(&data), "{n} bytes");
    }
    assert_eq!(files_in(spool.path()), Vec::<PathBuf>::new());
    s.stop().await;
}

#[actix_web::test]
async fn a_spool_dir_that_is_not_a_folder_is_refused_at_build() {
    let spool = tempfile::tempdir().unwrap();
    let missing = spool.path().join("missing");
    let e = app(&missing).build().unwrap_err().to_string();
    assert!(
        e.contains("request.body.spool_dir") && e.contains("is not a folder"),
        "{e}"
    );
}

#[actix_web::test]
async fn a_handler_keeps_an_upload_by_moving_its_file() {
    let spool = tempfile::tempdir().unwrap();
    let kept = tempfile::tempdir().unwrap();
    let s = TestServer::start(app(spool.path()).build().unwrap()).await;
    for (n, name) in [(600_000, "big"), (1000, "small")] {
        let data = content(n);
        let dest = kept.path().join(name);
        let seen: Value = s
            .client()
            .post("/keep")
            .multipart(&[
                file(data.clone()),
                Part::text("dest", &dest.display().to_string()),
            ])
            .send()
            .await
            .assert_status(200)
            .json();
        assert_eq!(std::fs::read(&dest).unwrap(), data, "{name}");
        if cfg!(unix) && name == "big" {
            assert_eq!(
                seen["inode"].as_u64(),
                inode(&dest),
                "the spooled file itself, not a copy"
            );
        }
        assert_eq!(files_in(spool.path()), Vec::<PathBuf>::new(), "{name}");
    }
    s.stop().await;
}

/// Sends `head` and the first `sent` bytes of `body`, waits for the spooled file to appear in
/// `spool`, then ends as `end` says; returns whether the file appeared and what the server
/// answered.
fn cut_off(addr: SocketAddr, head: &str, body: &[u8], spool: &Path, close: bool) -> (bool, String) {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    c.write_all(head.as_bytes()).unwrap();
    c.write_all(body).unwrap();
    let appeared = within(10, || !files_in(spool).is_empty());
    if close {
        drop(c);
        return (appeared, String::new());
    }
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    (appeared, String::from_utf8_lossy(&out).into_owned())
}

#[actix_web::test]
async fn an_upload_cut_off_midway_leaves_no_file() {
    let spool = tempfile::tempdir().unwrap();
    let app = app(spool.path())
        .set_global("server.body_timeout", 0.5)
        .build()
        .unwrap();
    let s = TestServer::start(app).await;
    let (body, content_type) = multipart_body(&[file(content(2 << 20))]);
    let head = format!(
        "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    // The client goes away after half of the body; then one that stalls after half of it.
    for close in [true, false] {
        let (addr, head, half, dir) = (
            s.addr(),
            head.clone(),
            body.slice(..1 << 20),
            spool.path().to_owned(),
        );
        let (appeared, answer) =
            tokio::task::spawn_blocking(move || cut_off(addr, &head, &half, &dir, close))
                .await
                .unwrap();
        assert!(appeared, "half of a 2 MiB file is spooled as it arrives");
        if !close {
            assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        }
        let dir = spool.path().to_owned();
        let gone = tokio::task::spawn_blocking(move || within(5, || files_in(&dir).is_empty()))
            .await
            .unwrap();
        assert!(
            gone,
            "close = {close}: the partial file stayed: {:?}",
            files_in(spool.path())
        );
    }
    s.client()
        .post("/upload")
        .multipart(&[file(content(600_000))])
        .send()
        .await
        .assert_status(200);
    s.stop().await;
}

/// A chunked body (no length to refuse it by) passing `request.body.max_size` while its file
/// is being spooled: 413, and the file goes.
#[actix_web::test]
async fn the_body_limit_still_bounds_a_spooled_upload() {
    let spool = tempfile::tempdir().unwrap();
    let app = app(spool.path())
        .set("/", "request.body.max_size", "1 MiB")
        .set("/", "request.body.spool_above", 1000)
        .build()
        .unwrap();
    let s = TestServer::start(app).await;
    let (body, content_type) = multipart_body(&[file(content(1_100_000))]);
    let mut request = format!(
        "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for chunk in body.chunks(64 << 10) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let addr = s.addr();
    let answer = tokio::task::spawn_blocking(move || {
        let mut c = TcpStream::connect(addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        // The server may answer and close before it has read everything.
        let _ = c.write_all(&request);
        let mut out = Vec::new();
        let _ = c.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains(
            "The request body is larger than the limit of 1048576 bytes (request.body.max_size)."
        ),
        "{answer}"
    );
    assert_eq!(files_in(spool.path()), Vec::<PathBuf>::new());
    s.stop().await;
}
