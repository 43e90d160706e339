#!/usr/bin/env bash
# The TLS benchmark: load_servers' variant b (the default dispatcher's small JSON answer) over
# plain TCP and over HTTPS (rustls, TLS 1.3, ECDSA P-256, HTTP/1.1), measured in this one run,
# interleaved; writes bench/TLS.md.
#
#   bash bench/tls.sh                  # about 4 minutes on 2 cores
#   ROUNDS=1 DURATION=3 bash bench/tls.sh   # a quick, noisy pass
#
# What it measures, each as a ratio against plain TCP measured in the same round:
#   keep-alive   wrk, 64 connections kept open: requests/s
#   per-request  wrk with `Connection: close`: one connection per request (wrk resumes TLS
#                sessions where the server offers it, so this is not all full handshakes)
#   handshakes   `openssl s_time -new`: full TLS handshakes/s, each followed by `GET /item/7/3`
#                (the client is single-threaded: its own handshake work bounds the number)
#   h2           h2load (nghttp2), 64 connections of 10 concurrent streams: HTTP/2 requests/s
#                over TLS, against the keep-alive HTTP/1.1 of the same round
# On two or more cores the server runs on CPU 0 and the clients on CPU 1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source bench/lib.sh

: "${DURATION:=6}"
: "${ROUNDS:=3}"
: "${CONNS:=64}"
PORT=8099
out_file=bench/TLS.md
raw_dir=target/bench-tls
rm -rf "$raw_dir"
mkdir -p "$raw_dir"
export WRK_RAW_DIR=$raw_dir

server_cpu=() client_cpu=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  server_cpu=(taskset -c 0) client_cpu=(taskset -c 1)
fi

ensure_command wrk
ensure_command openssl
ensure_command h2load nghttp2-client

echo "== build" >&2
cargo build --release --example load_servers >&2
bin=$root/target/release/examples/load_servers

# A certificate made for this run (ECDSA P-256, as a modern site would present).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$raw_dir/key.pem" -out "$raw_dir/cert.pem" -days 1 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null

server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap stop_server EXIT

# start MODE: variant b, plain or tls, one worker.
start() {
  local extra=()
  [ "$1" = tls ] && extra=(--tls-cert "$raw_dir/cert.pem" --tls-key "$raw_dir/key.pem")
  "${server_cpu[@]}" "$bin" --variant b --bind "127.0.0.1:$PORT" --workers 1 "${extra[@]}" \
    2>"$raw_dir/server-$1.log" &
  server_pid=$!
  wait_port 127.0.0.1 "$PORT" 30
}

url() { if [ "$1" = tls ]; then echo "https://127.0.0.1:$PORT/item/7/3"; else echo "http://127.0.0.1:$PORT/item/7/3"; fi; }

# measure NAME MODE [wrk args]: prints requests/s.
measure() {
  local name=$1 mode=$2
  shift 2
  "${client_cpu[@]}" wrk -d 1 -c "$CONNS" -t 1 "$@" "$(url "$mode")" >/dev/null 2>&1
  WRK_PREFIX="${client_cpu[*]}" run_wrk "$name" "$(url "$mode")" "${DURATION}s" "$CONNS" 1 "$@" \
    2>/dev/null | awk '{print $2, $5}'
}

# h2: HTTP/2 requests/s from h2load (prints nothing if a request failed).
h2() {
  local out
  out=$("${client_cpu[@]}" h2load -D "$DURATION" -c "$CONNS" -m 10 -t 1 "$(url tls)" 2>&1 || true)
  printf '%s
' "$out" >"$raw_dir/h2load-$1.txt"
  awk '/^requests:/ {if ($0 !~ / 0 failed/) bad = 1} /^finished in/ {gsub(/,/, ""); r = $4} END {if (!bad) print r}' <<<"$out"
}

# handshakes: full handshakes/s from openssl s_time (new session each time).
handshakes() {
  local out
  out=$("${client_cpu[@]}" openssl s_time -connect "127.0.0.1:$PORT" -new -time "$DURATION" \
    -www /item/7/3 2>&1 || true)
  printf '%s\n' "$out" >"$raw_dir/s_time-$1.txt"
  awk '/connections in [0-9.]+s;/ {for (i = 1; i <= NF; i++) if ($i ~ /connections\/user/) print $(i - 1)}' <<<"$out" |
    tail -1
}

declare -a ka_ratio=() close_ratio=() ka_tls=() ka_plain=() close_tls=() close_plain=() hs=() h2s=() h2_ratio=()
for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round" >&2
  order=(plain tls)
  [ $((round % 2)) -eq 0 ] && order=(tls plain)
  declare -A ka=() cl=()
  for mode in "${order[@]}"; do
    start "$mode"
    read -r rps errors < <(measure "ka-$mode-$round" "$mode")
    [ "$errors" = 0 ] || { echo "keep-alive $mode: $errors errors" >&2; exit 1; }
    ka[$mode]=$rps
    read -r rps errors < <(measure "close-$mode-$round" "$mode" -H "Connection: close")
    cl[$mode]=$rps
    if [ "$mode" = tls ]; then
      hs+=("$(handshakes "$round")")
      h2rps=$(h2 "$round")
      [ -n "$h2rps" ] || { echo "h2load: failed requests (see $raw_dir/h2load-$round.txt)" >&2; exit 1; }
      h2s+=("$h2rps")
    fi
    stop_server
  done
  ka_plain+=("${ka[plain]}") ka_tls+=("${ka[tls]}")
  close_plain+=("${cl[plain]}") close_tls+=("${cl[tls]}")
  ka_ratio+=("$(awk -v a="${ka[tls]}" -v b="${ka[plain]}" 'BEGIN {printf "%.3f", a / b}')")
  close_ratio+=("$(awk -v a="${cl[tls]}" -v b="${cl[plain]}" 'BEGIN {printf "%.3f", a / b}')")
  h2_ratio+=("$(awk -v a="${h2s[-1]}" -v b="${ka[plain]}" 'BEGIN {printf "%.3f", a / b}')")
done

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

commit=$(git rev-parse --short=8 HEAD)
dirty=""
# The results files themselves do not count (bench/load.sh may have just written its own).
git diff --quiet HEAD -- src examples bench ':!bench/*.md' || dirty=" (with uncommitted changes)"
{
  echo "# TLS: HTTPS against plain HTTP"
  echo
  echo "Measured at $commit$dirty with \`bash bench/tls.sh\` (ROUNDS=$ROUNDS, DURATION=${DURATION}s, $CONNS connections, one server worker), $(date -u +%Y-%m-%d)."
  echo "Server: \`load_servers --variant b\` (\`GET /item/7/3\`, a small JSON object through the default dispatcher), plain and with \`--tls-cert/--tls-key\` (rustls with ring, TLS 1.3, ECDSA P-256; HTTP/1.1 by ALPN as wrk offers no h2). Medians over the rounds; each ratio is the median of the ratios within a round, the two servers measured a few seconds apart."
  echo
  echo "| measure | plain | TLS | TLS / plain |"
  echo "|---|---:|---:|---:|"
  echo "| keep-alive requests/s (wrk) | $(median "${ka_plain[@]}") | $(median "${ka_tls[@]}") | $(median "${ka_ratio[@]}") |"
  echo "| a connection per request, requests/s (wrk, \`Connection: close\`) | $(median "${close_plain[@]}") | $(median "${close_tls[@]}") | $(median "${close_ratio[@]}") |"
  echo "| HTTP/2 over TLS, requests/s (h2load, 10 streams per connection), against plain HTTP/1.1 keep-alive | $(median "${ka_plain[@]}") | $(median "${h2s[@]}") | $(median "${h2_ratio[@]}") |"
  echo "| full handshakes/s, each with one request (\`openssl s_time -new\`) | | $(median "${hs[@]}") | |"
  echo
  echo "Machine:"
  echo
  machine_description
  echo "- wrk: $(wrk --version 2>&1 | head -1 | awk '{print $1, $2}'), $(h2load --version 2>&1 | head -1), $(openssl version)"
  [ ${#server_cpu[@]} -gt 0 ] && echo "- The server ran on CPU 0 and the clients on CPU 1."
  echo
  echo "Raw outputs: \`$raw_dir/\`."
} >"$out_file"
cat "$out_file"
