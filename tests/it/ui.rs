//! The macros' accepted forms, compiled with this suite and run. Their misuses are refused in
//! `macros/tests/ui.rs`, beside the macros.

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
