//! Compile-pass and compile-fail tests of the macros (trybuild).

// Compile tests run cargo on the host: not a platform test, so not under Wine.
#[cfg(not(windows))]
#[test]
fn macros_accept_every_form_and_reject_every_misuse() {
    let _heavy = crate::heavy_blocking();
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
