#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for SECONDS each (default 30; the bar before a release is
# 600) from its checked-in corpus (fuzz/corpus/<target>/, which grows with what each run finds).
# Stops at the first crash, with the reproducer's path.
#
#   bash scripts/fuzz.sh              # 30 s per target
#
# The targets' bodies are the library of fuzz/ (drupe-fuzz, a workspace member); the workspace's
# tests replay every corpus input through them (fuzz/tests/replay.rs, in .ci/run). Fuzzing for
# new inputs needs the instrumented build below: its own target directory
# (target/<host triple>/), every dependency instrumented.
#   SECONDS_PER_TARGET=600 bash scripts/fuzz.sh
#   bash scripts/fuzz.sh accept       # one target
#
# On the stable toolchain, with cargo-fuzz's own instrumentation flags and no sanitizer: drupe
# forbids unsafe code outside its OS module, which no target reaches, so AddressSanitizer
# (the one thing that needs nightly) would find nothing safe Rust can do, and doubles the build
# and the run. `cargo +nightly fuzz run <target>` still works for a sanitizer run.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${SECONDS_PER_TARGET:=30}"
# Every target (the [[bin]]s of fuzz/Cargo.toml), in the order the summary lists them.
all=(accept dispatch form multipart settings cache_key cache_control)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

# cargo-fuzz's flags for `--sanitizer none` (its project.rs): libFuzzer's coverage counters,
# comparisons traced, `cfg(fuzzing)`, debug assertions and overflow checks on. `--target`
# keeps them off build scripts and proc-macros (and the instrumented build apart from the
# workspace's). Release, with the default codegen units
# (cargo-fuzz forces one, which triples the build on two cores for a faster fuzzer);
# FUZZ_PROFILE=dev builds unoptimised: a shorter build for short runs (CI's).
triple=$(rustc -vV | sed -n 's/^host: //p')
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cllvm-args=-simplifycfg-branch-fold-threshold=0 \
--cfg fuzzing -Cdebug-assertions -Coverflow-checks"
[[ $triple == *-linux-* ]] && RUSTFLAGS+=" -Cllvm-args=-sanitizer-coverage-stack-depth"
: "${FUZZ_PROFILE:=release}"
cargo build --quiet --profile "$FUZZ_PROFILE" -p drupe-fuzz --features libfuzzer --target "$triple" \
  --bins
unset RUSTFLAGS
bins="target/$triple/$([ "$FUZZ_PROFILE" = dev ] && echo debug || echo "$FUZZ_PROFILE")"
mkdir -p target/fuzz
declare -A what=(
  [accept]="Accept parsing and selection"
  [dispatch]="path, dispatch and argument binding on the tour"
  [form]="query and form binding (urlencoded, multipart, JSON, XML bodies)"
  [multipart]="multipart bodies, whole, cut and damaged, within and past the limits"
  [settings]="the per-path settings lookup against the plain rule"
  [cache_key]="variant keys, entries read back from Redis, cached requests"
  [cache_control]="Cache-Control, Pragma, If-None-Match, If-Modified-Since, Expires"
)
# One record per target (target/fuzz/<target>.json), kept across runs: running one target
# again replaces its record and leaves the others'; summary.json gathers them all.
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  echo "== $t: ${SECONDS_PER_TARGET}s" >&2
  log="target/fuzz/$t.log"
  rm -f "target/fuzz/$t.json"
  if ! "$bins/$t" -artifact_prefix="fuzz/artifacts/$t/" "fuzz/corpus/$t" \
      -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=4096 -timeout=10 \
      -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz target $t failed: reproducer under fuzz/artifacts/$t/" >&2
    exit 1
  fi
  runs=$(awk -F: '/^stat::number_of_executed_units/ {gsub(/ /, "", $NF); print $NF}' "$log")
  corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
  echo "$t: ${runs:-?} runs, corpus $corpus" >&2
  printf '{"target":"%s","what":"%s","seconds":%s,"runs":%s,"corpus":%s}\n' \
    "$t" "${what[$t]:-}" "$SECONDS_PER_TARGET" "${runs:-0}" "$corpus" >"target/fuzz/$t.json"
done
records=()
for t in "${all[@]}"; do
  [ -f "target/fuzz/$t.json" ] && records+=("$(cat "target/fuzz/$t.json")")
done
(IFS=,; echo "[${records[*]}]") >target/fuzz/summary.json
echo "== all targets ran without a crash" >&2
