#!/usr/bin/env bash
# Runs a cargo command with the application's own crates instrumented for line coverage, in a
# target directory of its own (the normal build is left untouched), e.g.
#   bash scripts/line-coverage/run.sh run --example photoblog
# The coverage report (/_coverage/) then lists the source files with their lines.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
export RUSTC_WORKSPACE_WRAPPER="$root/scripts/line-coverage/rustc-wrapper.sh"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/line-coverage}"
cmd="$1"
shift
exec cargo "$cmd" --features line-coverage "$@"
