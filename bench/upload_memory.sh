#!/usr/bin/env bash
# Memory under large uploads: starts `load_servers --variant upload` (bodies up to 32 MiB,
# files past 256 KiB spooled to disk as they arrive), sends COUNT uploads of SIZE_MB MiB at
# once (curl, one process each), and prints one line:
#   ANSWERED PEAK_RSS_KB LEFT_IN_SPOOL
# how many uploads got their length back, the server's peak resident set (VmHWM, its whole
# life) and how many spooled files remained once every response was in (0 expected).
#
#   bash bench/upload_memory.sh                     # builds the release example first
#   BUILD=0 PORT=8097 bash bench/upload_memory.sh   # as bench/load.sh runs it
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

: "${COUNT:=20}"      # uploads at once
: "${SIZE_MB:=20}"    # MiB each
: "${PORT:=8098}"
: "${WORKERS:=1}"
: "${BUILD:=1}"
: "${BIN:=target/release/examples/load_servers}"

ensure_command curl
if [ "$BUILD" = 1 ]; then
  cargo build --release --quiet --example load_servers
fi

work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir "$work/spool"
head -c $((SIZE_MB << 20)) /dev/urandom >"$work/file.bin"
"$BIN" --variant upload --bind "127.0.0.1:$PORT" --workers "$WORKERS" \
  --spool-dir "$work/spool" >"$work/server.log" 2>&1 &
pid=$!
wait_port 127.0.0.1 "$PORT" 60

echo "upload memory: $COUNT uploads of $SIZE_MB MiB at once" >&2
curls=()
for i in $(seq 1 "$COUNT"); do
  curl -s -o "$work/answer.$i" --max-time 120 \
    -F "file=@$work/file.bin;type=application/octet-stream" \
    "http://127.0.0.1:$PORT/upload" &
  curls+=($!)
done
wait "${curls[@]}" || true

answered=0
for i in $(seq 1 "$COUNT"); do
  if [ "$(cat "$work/answer.$i" 2>/dev/null)" = "$((SIZE_MB << 20))" ]; then
    answered=$((answered + 1))
  fi
done
left=$(find "$work/spool" -type f | wc -l)
echo "$answered $(peak_rss_kb "$pid") $left"
