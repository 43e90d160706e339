//! Every input of every target's corpus, run through the target's body: what the fuzzers have
//! found so far keeps passing (no panic, and each target's own checks: no 5xx, selections in
//! range...). A failing input is named; `scripts/fuzz.sh <target>` goes on from the corpus.

use std::path::Path;

#[test]
fn every_corpus_input_passes() {
    // A thread a target: the request-level targets each keep a runtime and a client per thread.
    std::thread::scope(|s| {
        for (target, run) in drupe_fuzz::TARGETS {
            s.spawn(move || replay(target, run));
        }
    });
}

fn replay(target: &str, run: drupe_fuzz::Body) {
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
