#!/usr/bin/env bash
# The line-coverage check: drupe's per-line counts must equal llvm-cov's on the same profile.
# Builds the tour with the application's crates instrumented, serves a few requests, takes the
# profile from /_coverage/profile.profraw, and compares what drupe makes of it with
# `llvm-cov-19 export` (Debian's llvm-19, which reads rustc's profiles).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
work="$(mktemp -d)"
# No server yet, no kill: `kill 0` would signal this whole process group. The server writes
# its profile as it exits, into $work: it is waited for before $work goes, or the removal can
# meet a file being written ("Directory not empty") and fail the script.
trap 'if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi; rm -rf "$work"' EXIT

# The shared target directory: only the workspace's own crates differ, dependencies are reused.
CARGO_TARGET_DIR="$root/target" bash scripts/line-coverage/run.sh build --example tour
cargo build --quiet --features line-coverage --example line_check
bin="$root/target/debug/examples/tour"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DRUPE_PROFRAW="$work/exit.profraw" "$bin" --bind "127.0.0.1:$port" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
done
for path in / "/?name=bob" /a/b /users /users/1 /users/1 /users/99 /feed /blog/post/2024/x /archive/2024/05/; do
    curl -s -o /dev/null "http://127.0.0.1:$port$path"
done
curl -s -o /dev/null -X POST -H 'content-type: application/json' -d '{"name":"linus"}' "http://127.0.0.1:$port/users"
curl -sf -o "$work/run.profraw" "http://127.0.0.1:$port/_coverage/profile.profraw"
# The report lists the tour's own files. (To a file first: `grep -q` stops reading at the first
# match, and under pipefail the writer's broken pipe would fail the check.)
curl -sf -o "$work/data.json" "http://127.0.0.1:$port/_coverage/data.json"
grep -q '"examples/tour/tree.rs"\|/examples/tour/tree.rs' "$work/data.json"

llvm-profdata-19 merge -sparse "$work/run.profraw" -o "$work/run.profdata"
llvm-cov-19 export --format=lcov --instr-profile "$work/run.profdata" "$bin" >"$work/run.lcov"
"$root/target/debug/examples/line_check" --profile "$work/run.profraw" --binary "$bin" \
    --lcov "$work/run.lcov" --only "$root/"
