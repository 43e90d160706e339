//! The Autoreloader: a change under what it watches runs the build and restarts the bus; a
//! build that fails leaves the program serving. (The re-execution itself, keeping the socket,
//! is `restart`'s SIGHUP test: the same restart.)

#![cfg(unix)]

use std::time::{Duration, Instant};

use drupe::engine::{Autoreloader, Engine, State};

/// Waits (at most 20 s) until `f` holds.
fn wait_until(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "{what}: not within 20 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn watched(build: &str) -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("main.rs"), "fn main() {}").unwrap();
    let engine = Engine::new();
    Autoreloader::new()
        .files([src])
        .frequency(Duration::from_millis(20))
        .build(["sh", "-c", build])
        .attach(&engine);
    (dir, engine)
}

#[test]
fn a_change_rebuilds_then_restarts_the_bus() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("built");
    let (src_dir, engine) = watched(&format!("echo built > {}", marker.display()));
    engine.start().unwrap();
    // Nothing changed: the bus stays started (the first looks only record what is there).
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(engine.state(), State::Started);
    assert!(!marker.exists());
    std::fs::write(src_dir.path().join("src").join("lib.rs"), "// new").unwrap();
    assert!(
        engine.wait(State::Exiting, Duration::from_secs(20)),
        "the bus restarts after a change"
    );
    assert!(marker.exists(), "the build ran before the restart");
}

#[test]
fn a_failed_build_keeps_the_program_serving() {
    let dir = tempfile::tempdir().unwrap();
    let tried = dir.path().join("tried");
    let (src_dir, engine) = watched(&format!("echo tried > {}; exit 3", tried.display()));
    engine.start().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    std::fs::write(
        src_dir.path().join("src").join("main.rs"),
        "fn main() { oops }",
    )
    .unwrap();
    wait_until("the build is tried", || tried.exists());
    // Many periods later the bus is still started: the failed build restarted nothing.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(engine.state(), State::Started);
    // The next change is built again.
    std::fs::remove_file(&tried).unwrap();
    std::fs::write(src_dir.path().join("src").join("main.rs"), "fn main() {}").unwrap();
    wait_until("the build is tried again", || tried.exists());
    engine.exit();
}
