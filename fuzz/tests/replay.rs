//! Every input of every target's corpus, run through the target's body: what the fuzzers have
//! found so far keeps passing (no panic, and each target's own checks: no 5xx, selections in
//! range...). A failing input is named; `scripts/fuzz.sh <target>` goes on from the corpus.

use std::path::Path;

fn replay(target: &str) {
    let (_, run) = drupe_fuzz::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "{} is empty", dir.display());
    for input in inputs {
        let data = std::fs::read(&input).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{target} fails on {}", input.display());
    }
}

#[test]
fn accept() {
    replay("accept");
}

#[test]
fn dispatch() {
    replay("dispatch");
}

#[test]
fn form() {
    replay("form");
}

#[test]
fn multipart() {
    replay("multipart");
}

#[test]
fn settings() {
    replay("settings");
}

#[test]
fn cache_key() {
    replay("cache_key");
}

#[test]
fn cache_control() {
    replay("cache_control");
}

/// Each target has a test above and a corpus folder.
#[test]
fn every_target_is_replayed() {
    let source = include_str!("replay.rs");
    for (name, _) in drupe_fuzz::TARGETS {
        assert!(source.contains(&format!("replay(\"{name}\")")), "{name}");
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("corpus")
                .join(name)
                .is_dir()
        );
    }
}
