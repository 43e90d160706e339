#!/bin/sh
# RUSTC_WORKSPACE_WRAPPER that lints while it builds: cargo calls it for the workspace's own
# crates, and clippy-driver compiles them exactly as rustc would while reporting clippy's lints
# (set CLIPPY_ARGS as `cargo clippy` does, e.g. -D warnings:
# CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__). A build or `cargo test --no-run`
# under it is then also `cargo clippy` over the same targets, without a second compilation of
# every crate in check mode. .ci/run uses it:
#   RUSTC_WORKSPACE_WRAPPER="$PWD/scripts/lint-rustc.sh" cargo test --workspace --all-targets --no-run
# The cases trybuild compiles (the macros' compile-fail tests, in target/tests/trybuild) go to
# rustc alone: their expected messages are rustc's, and a test binary hands its environment,
# this wrapper included, to the cargo that trybuild runs.
rustc="$1"
shift
case "${CARGO_TARGET_DIR:-}" in
    */tests/trybuild)
        exec "$rustc" "$@"
        ;;
esac
exec "${CLIPPY_DRIVER:-clippy-driver}" "$rustc" "$@"
