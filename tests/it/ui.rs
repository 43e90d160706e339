//! Compile-pass and compile-fail tests of the macros (trybuild).

#[test]
fn macros_accept_every_form_and_reject_every_misuse() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
