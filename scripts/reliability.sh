#!/usr/bin/env bash
# The reliability checks at full length, then RELIABILITY.md from what they recorded:
# the bad-input catalogue, the faults, the soak and SIGTERM checks, the security checks,
# the tests that prove each hole a review found closed (every test of tests/it but the
# compiler's and the browser's, and the photoblog's own), and every fuzz target.
#
#   bash scripts/reliability.sh                          # soak 60 s, fuzz 10 min per target
#   SOAK_SECS=10 FUZZ_SECONDS=30 bash scripts/reliability.sh   # a short run
#
# Needs what .ci/run installs: Redis, PostgreSQL (DRUPE_TEST_POSTGRES), a C++ compiler (libFuzzer).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${SOAK_SECS:=60}"
: "${FUZZ_SECONDS:=600}"
: "${DRUPE_TEST_POSTGRES:=postgres://postgres:postgres@127.0.0.1:5432}"
export DRUPE_TEST_POSTGRES

records=target/tmp/reliability
rm -rf "$records"
echo "== checks (soak ${SOAK_SECS}s)" >&2
mkdir -p target/tmp
# The whole log kept (a failure's story is rarely in the last lines of a parallel run).
DRUPE_SOAK_SECS=$SOAK_SECS cargo test --test it -- --skip ui:: --skip browser:: 2>&1 |
  tee target/tmp/reliability-tests.log | tail -25 >&2
# The photoblog's tests (examples/photoblog/tests/) record their holes in the same folder.
cargo test -p photoblog --test photoblog 2>&1 |
  tee target/tmp/reliability-photoblog.log | tail -5 >&2
echo "== fuzzing (${FUZZ_SECONDS}s per target)" >&2
SECONDS_PER_TARGET=$FUZZ_SECONDS bash scripts/fuzz.sh
SOAK_SECS=$SOAK_SECS FUZZ_SECONDS=$FUZZ_SECONDS \
  python3 scripts/reliability_report.py "$records" target/fuzz >RELIABILITY.md
echo "== wrote RELIABILITY.md" >&2
