//! The photoblog served as its README says, as a process: HTTPS with HTTP/2, a PID file that
//! keeps a second instance out, the stale-upload sweep on the engine's `Upload sweep` monitor,
//! and the engine's CherryPy-named lines in its log.

#![cfg(unix)]

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use actix_web::http::Version;

use crate::tls::Cert;

fn photoblog(dir: &Path, port: u16, extra: &[&str], log: &str) -> Command {
    let mut cmd = Command::new(crate::process::example_binary("photoblog"));
    cmd.args(["--bind", &format!("127.0.0.1:{port}"), "--database"])
        .arg(format!("sqlite:{}", dir.join("pb.db").display()))
        .arg("--data-dir")
        .arg(dir.join("photos"))
        .args(extra)
        .env("PHOTOBLOG_ADMIN_PASSWORD", crate::blog::OWNER_PASSWORD)
        .stdout(std::fs::File::create(dir.join(format!("{log}.out"))).unwrap())
        .stderr(std::fs::File::create(dir.join(format!("{log}.err"))).unwrap());
    cmd
}

fn log_of(dir: &Path, log: &str) -> String {
    std::fs::read_to_string(dir.join(format!("{log}.err"))).unwrap_or_default()
}

/// Waits (at most a minute) until `f` holds.
fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !f() {
        assert!(Instant::now() < deadline, "{what}: not within a minute");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[actix_web::test]
async fn the_photoblog_serves_https_and_h2_with_a_pid_file_and_its_sweep_monitor() {
    let dir = crate::blog::temp_dir("served-tls");
    let cert = Cert::new("served-tls");
    let pid_file = dir.join("photoblog.pid");
    let port = crate::process::free_port();
    let args = [
        "--tls-cert",
        cert.cert.to_str().unwrap(),
        "--tls-key",
        cert.key.to_str().unwrap(),
        "--pidfile",
        pid_file.to_str().unwrap(),
        "--sweep-every",
        "1",
        "--sweep-grace",
        "0",
    ];
    let mut child: Child = photoblog(&dir, port, &args, "first").spawn().unwrap();
    wait_until("the first instance serves", || {
        log_of(&dir, "first").contains("Bus STARTED")
    });
    let log = log_of(&dir, "first");
    for line in [
        "ENGINE Listening for SIGTERM.",
        &format!(
            "ENGINE PID {} written to '{}'.",
            child.id(),
            pid_file.display()
        ),
        "ENGINE Started monitor thread 'Upload sweep'.",
        &format!("ENGINE Serving on https://127.0.0.1:{port}"),
    ] {
        assert!(log.contains(line), "{line}:\n{log}");
    }
    assert_eq!(
        std::fs::read_to_string(&pid_file).unwrap().trim(),
        child.id().to_string()
    );

    // HTTPS, HTTP/2 by ALPN, and HTTP/1.1 for a client that offers only that.
    for (h1_only, version) in [(false, Version::HTTP_2), (true, Version::HTTP_11)] {
        let mut res = cert
            .awc(h1_only)
            .get(format!("https://127.0.0.1:{port}/services/rest/album/"))
            .insert_header(("accept", "application/json"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.version(), version);
        let albums: serde_json::Value = res.json().await.unwrap();
        assert!(albums.as_array().is_some_and(|a| !a.is_empty()), "{albums}");
    }

    // A second instance on the same PID file is refused before it opens anything.
    let other_port = crate::process::free_port();
    let second = photoblog(&dir, other_port, &args, "second")
        .status()
        .unwrap();
    assert_eq!(second.code(), Some(70));
    let refused = log_of(&dir, "second");
    assert!(
        refused.contains(&format!("names process {}, which is running", child.id())),
        "{refused}"
    );

    // A file a crashed upload left is swept while serving.
    let leftover = dir.join("photos").join("tmp-crashed-upload");
    std::fs::write(&leftover, b"half a photo").unwrap();
    wait_until("the sweep removes the leftover", || !leftover.exists());

    crate::process::signal(&child, 15);
    let status = crate::process::wait_exit(&mut child);
    assert_eq!(status.code(), Some(0), "{}", log_of(&dir, "first"));
    assert!(!pid_file.exists(), "the PID file is removed at exit");
    let log = log_of(&dir, "first");
    for line in [
        "ENGINE Stopped thread 'Upload sweep'.",
        &format!("ENGINE PID file removed: '{}'.", pid_file.display()),
        "ENGINE Bus EXITED",
    ] {
        assert!(log.contains(line), "{line}:\n{log}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
