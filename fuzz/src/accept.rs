//! `Accept` parsing and selection: any header value, against the produce lists drupe's
//! representations make. Selection never panics, picks an index in range, and the bare-type
//! shortcut agrees with the general parse.

use std::sync::LazyLock;

use drupe::negotiate::MediaRange;

static SETS: LazyLock<Vec<Vec<MediaRange>>> = LazyLock::new(|| {
    [
        &[
            "application/json",
            "text/json",
            "text/x-json",
            "application/xml",
            "text/xml",
        ][..],
        &[
            "text/html; charset=utf-8",
            "application/atom+xml",
            "application/json",
        ],
        &["image/png", "image/jpeg", "image/webp"],
        &["application/problem+json", "text/plain; charset=utf-8"],
    ]
    .iter()
    .map(|set| set.iter().map(|m| MediaRange::parse(m).unwrap()).collect())
    .collect()
});

/// One input, as the fuzzer runs it.
pub fn run(data: &[u8]) {
    let accept = String::from_utf8_lossy(data);
    for set in SETS.iter() {
        drupe::fuzzing::accept(&accept, set);
    }
}
