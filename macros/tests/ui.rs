//! Every misuse of the macros is refused with the message its `.stderr` holds.
//!
//! Here beside the macros rather than with drupe's integration tests: trybuild compiles the
//! cases against the crate's dependencies and dev-dependencies, and this crate's are drupe
//! alone, not the photoblog's database and image stack. With no compile-pass case it only
//! checks (the accepted forms are compiled and run in drupe's `tests/it/ui.rs`).

// Compile tests run cargo on the host: not a platform test, so not under Wine.
#[cfg(not(windows))]
#[test]
fn macros_reject_every_misuse() {
    trybuild::TestCases::new().compile_fail("tests/ui/fail/*.rs");
}
