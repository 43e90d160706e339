//! The macros' accepted forms, compiled with this suite and run, and their misuses, each
//! refused with the message its `.stderr` holds (trybuild: with no compile-pass case it only
//! checks, which spares it building every dependency a second time).

// Each reads as a program of its own: `pub` items, an `extern crate` where it names no prelude.
#[path = "../ui/pass/full.rs"]
#[allow(unreachable_pub)]
mod full;
#[path = "../ui/pass/generic.rs"]
#[allow(unreachable_pub)]
mod generic;
#[path = "../ui/pass/no_implicit_prelude.rs"]
#[allow(unreachable_pub, unused_extern_crates)]
mod no_implicit_prelude;

#[test]
fn macros_accept_every_form() {
    full::main();
    generic::main();
    no_implicit_prelude::main();
}

// Compile tests run cargo on the host: not a platform test, so not under Wine.
#[cfg(not(windows))]
#[test]
fn macros_reject_every_misuse() {
    let _heavy = crate::heavy_blocking();
    trybuild::TestCases::new().compile_fail("tests/ui/fail/*.rs");
}
