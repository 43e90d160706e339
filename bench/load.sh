#!/usr/bin/env bash
# The load benchmark: builds in release, starts each server in turn on loopback with the same
# worker count, drives it with wrk, and writes requests/s, latency, peak RSS and the ratios
# to bench/RESULTS.md. Every ratio compares servers measured in this one run.
#
#   bash bench/load.sh                 # about 20 minutes on 2 cores
#   ROUNDS=1 DURATION=3 SCALE_DURATION=2 CALLGRIND=0 bash bench/load.sh   # a quick, noisy pass
#
# Servers (examples/load_servers.rs, examples/photoblog, bench/cherrypy_album.py):
#   A raw actix-web JSON handler      B the same through drupe's default dispatcher
#   C a negotiated #[resource]        D C answered from the output cache    E raw static bytes
#   F photoblog album, uncached (SQLite)   G cached   H cached with the coverage recorder on
#   I raw actix-web answering G's body as static bytes on G's route (/services/rest/album/{id})
#   P CherryPy 18, MethodDispatcher album resource from memory, default thread pool
#   S drupe's tools.staticdir, a 64 KiB file   T actix-files' Files, same   N nginx, same
#   U V O: S T N answering a 1 MiB range of a 4 MiB file (206)
#   K a 4 KiB HTML page from the output cache (identity)   Z the same hit, gzip-encoded
# and, for memory, the photoblog after a million requests, the cache under distinct URIs, and
# 20 uploads of 20 MiB at once (bench/upload_memory.sh, which also runs alone).
#
# A to I run ROUNDS times, interleaved (the order reversed every other round), and the table
# keeps each one's median; each ratio is the median of the ratios within a round, where the
# two servers ran a few seconds apart: loopback throughput on a shared machine drifts by 10 to
# 15% from one minute to the next, and pairing cancels the drift. Then each server
# runs under callgrind for a fixed number of requests: instructions per request, exact and
# repeatable, are the evidence of where the time goes.
#
# On two or more cores the server runs on CPU 0 and wrk on CPU 1 (taskset), so the load
# generator does not take the server's core; PIN=0 turns that off.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source bench/lib.sh

: "${DURATION:=6}"         # seconds measured per server and round
: "${ROUNDS:=5}"           # interleaved rounds of A to H
: "${CALLGRIND:=1}"        # 0 skips the instruction counts
: "${CALLGRIND_REQUESTS:=2000}"
: "${WARMUP:=1}"           # seconds of load before each measurement
: "${CONNS:=64}"           # connections for the main table
: "${WORKERS:=1}"          # server workers for the main table
: "${SCALE_DURATION:=5}"   # seconds per point of the scaling runs
: "${PIN:=1}"
PORT=8097
out_file=bench/RESULTS.md
raw_dir=target/bench-load
rm -rf "$raw_dir"
mkdir -p "$raw_dir"
export WRK_RAW_DIR=$raw_dir

server_cpu=() wrk_cpu=()
if [ "$PIN" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  server_cpu=(taskset -c 0) wrk_cpu=(taskset -c 1)
fi

echo "== tools" >&2
ensure_command wrk
ensure_command nginx
ensure_command redis-server
ensure_cherrypy_venv bench/venv
cherrypy_version=$(bench/venv/bin/python -c 'import cherrypy; print(cherrypy.__version__)')

echo "== release build" >&2
cargo build --release --quiet --example load_servers --example photoblog
bin=$root/target/release/examples

data=$(mktemp -d)
redis_pid=""
trap 'stop_server; [ -z "$redis_pid" ] || kill "$redis_pid" 2>/dev/null; rm -rf "$data"' EXIT
# The sessions of X live in a Redis of their own, on the server's CPU's neighbour (unpinned).
REDIS_PORT=$((PORT + 1))
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
  --dir "$data" >"$raw_dir/redis.log" 2>&1 &
redis_pid=$!
wait_port 127.0.0.1 "$REDIS_PORT" 30

# The static files S, T, N (and U, V, O) serve: the same directory for all three.
mkdir -p "$data/site/static"
head -c 65536 /dev/urandom >"$data/site/static/f64k.bin"
head -c 4194304 /dev/urandom >"$data/site/static/big.bin"
cat >"$data/nginx.conf" <<NGINX
# One process answering (no master), as the other servers run one worker.
master_process off;
daemon off;
worker_processes 1;
pid $data/nginx.pid;
error_log $data/nginx.error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  client_body_temp_path $data/nginx-body;
  proxy_temp_path $data/nginx-proxy;
  fastcgi_temp_path $data/nginx-fastcgi;
  uwsgi_temp_path $data/nginx-uwsgi;
  scgi_temp_path $data/nginx-scgi;
  types { application/octet-stream bin; }
  server { listen 127.0.0.1:$PORT; root $data/site; }
}
NGINX

server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}

# start_server NAME CMD...: starts it (pinned when PIN), waits for the port.
start_server() {
  local name=$1
  shift
  "${server_cpu[@]}" "$@" >"$raw_dir/$name.server.log" 2>&1 &
  server_pid=$!
  wait_port 127.0.0.1 "$PORT" 60
}

# The photoblog's database and photos, seeded once and shared by F, G and H. The load only
# reads (reads are public); the owner's password is given so that a first run does not make
# one up and print it into the server's log under $raw_dir.
photoblog() {
  echo "$bin/photoblog --bind 127.0.0.1:$PORT --database sqlite:$data/pb.db --data-dir $data/photos --workers $1 --no-access-log --admin-password bench-owner $2"
}

# CPU time (user + system, in clock ticks) the server process has used, all threads.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# measure NAME URL CONNS DURATION [WRK ARGS...] -> "NAME rps p50 p99 errors rss_kb cpu_percent"
# cpu_percent is the server's CPU time over the measured seconds: near 100 per worker means
# the server was the bottleneck; well under it, the load generator or the network was.
measure() {
  local name=$1 url=$2 conns=$3 duration=$4
  shift 4
  "${wrk_cpu[@]}" wrk -d "$WARMUP" -c "$conns" -t 1 -s bench/wrk.lua "$@" "$url" >/dev/null 2>&1
  local line before after
  before=$(cpu_ticks "$server_pid")
  line=$(run_wrk_pinned "$name" "$url" "${duration}s" "$conns" 1 -s bench/wrk.lua "$@" 2>/dev/null) || {
    echo "measure: wrk failed for $name (output in $raw_dir/$name.txt)" >&2
    return 1
  }
  after=$(cpu_ticks "$server_pid")
  echo "$line $(peak_rss_kb "$server_pid") $(awk -v a="$before" -v b="$after" -v d="$duration" \
    -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", 100 * (b - a) / hz / d }')"
}

run_wrk_pinned() { WRK_PREFIX="${wrk_cpu[*]}" run_wrk "$@"; }

item=http://127.0.0.1:$PORT/item/7/3
items=http://127.0.0.1:$PORT/items/7/3
album=http://127.0.0.1:$PORT/services/rest/album/1

echo "== main table: $WORKERS worker(s), $CONNS connections, ${DURATION}s each, $ROUNDS round(s)" >&2
declare -A runs   # name -> "rps p50 p99 errors rss cpu" lines, one per round
run_one() {
  local name=$1 url=$2
  shift 2
  start_server "$name" "$@"
  # Y's credentials (bench:bench) go through bench/wrk.lua: a header value with a space
  # cannot travel in the word-split arguments.
  if [ "$name" = Y ]; then export WRK_AUTHORIZATION="Basic YmVuY2g6YmVuY2g="; else unset WRK_AUTHORIZATION; fi
  local line extra=()
  read -r -a extra <<<"$(server_wrk_args "$name")"
  line=$(measure "$name" "$url" "$CONNS" "$DURATION" "${extra[@]}")
  stop_server
  printf '%s\n' "$line" | awk '{printf "%-2s %10s req/s  p50 %8s ms  p99 %8s ms  errors %s  peak RSS %s kB  CPU %s%%\n", $1, $2, $3, $4, $5, $6, $7}' >&2
  runs[$name]+="${line#* }"$'\n'
  local rate
  read -r _ rate _ <<<"$line"
  by_round[$name,$round]=$rate
}
declare -A by_round   # "NAME,ROUND" -> requests/s
server_cmd() {
  case $1 in
    A | B | C | D | E) echo "$bin/load_servers --variant ${1,,} --bind 127.0.0.1:$PORT --workers $WORKERS" ;;
    I) echo "$bin/load_servers --variant album --body-file $data/album.json --bind 127.0.0.1:$PORT --workers $WORKERS" ;;
    # The first photoblog start seeds the database; the others find it seeded.
    F) photoblog "$WORKERS" "--cache off --no-coverage" ;;
    G) photoblog "$WORKERS" "--no-coverage" ;;
    H) photoblog "$WORKERS" "" ;;
    P) echo "bench/venv/bin/python bench/cherrypy_album.py 127.0.0.1 $PORT" ;;
    S | U) echo "$bin/load_servers --variant files --dir $data/site/static --bind 127.0.0.1:$PORT --workers $WORKERS" ;;
    T | V) echo "$bin/load_servers --variant actix-files --dir $data/site/static --bind 127.0.0.1:$PORT --workers $WORKERS" ;;
    N | O) echo "nginx -p $data -c $data/nginx.conf" ;;
    K | Z) echo "$bin/load_servers --variant page --bind 127.0.0.1:$PORT --workers $WORKERS" ;;
    W) echo "$bin/load_servers --variant session --bind 127.0.0.1:$PORT --workers $WORKERS" ;;
    X) echo "$bin/load_servers --variant session-redis --redis-url redis://127.0.0.1:$REDIS_PORT --bind 127.0.0.1:$PORT --workers $WORKERS" ;;
    Y) echo "$bin/load_servers --variant basic --bind 127.0.0.1:$PORT --workers $WORKERS" ;;
  esac
}
# The session cookie W and X send: one session, opened on the server just started.
session_cookie() {
  curl -s -D - -o /dev/null "http://127.0.0.1:$PORT/begin" |
    awk -F'[ ;]' 'tolower($1) == "set-cookie:" { print $2; exit }'
}
# The extra request headers of a server's load (word-split on purpose: no spaces inside).
server_wrk_args() {
  case $1 in
    U | V | O) echo "-H Range:bytes=1048576-2097151" ;;
    Z) echo "-H Accept-Encoding:gzip" ;;
    W | X) echo "-H Cookie:$(session_cookie)" ;;
  esac
}
# The extra request headers of a server's requests under callgrind, one NAME:VALUE a line.
server_request_headers() {
  case $1 in
    W | X) echo "Cookie:$(session_cookie)" ;;
    Y) echo "Authorization:Basic YmVuY2g6YmVuY2g=" ;;
  esac
}
server_url() {
  case $1 in
    A | B) echo "$item" ;;
    C | D | E) echo "$items" ;;
    S | T | N) echo "http://127.0.0.1:$PORT/static/f64k.bin" ;;
    U | V | O) echo "http://127.0.0.1:$PORT/static/big.bin" ;;
    K | Z) echo "http://127.0.0.1:$PORT/page" ;;
    W | X) echo "http://127.0.0.1:$PORT/visit/7/3" ;;
    Y) echo "$item" ;;
    *) echo "$album" ;;
  esac
}
# I answers the photoblog's album as G serves it: its bytes, fetched once (the start seeds).
# shellcheck disable=SC2046
start_server seed $(server_cmd G)
curl -sf "$album" -o "$data/album.json"
stop_server
for round in $(seq 1 "$ROUNDS"); do
  echo "-- round $round" >&2
  order="A B C E D G I H F S T N U V O K Z W X Y"
  [ $((round % 2)) = 1 ] || order="C B A D E H I G F N T S O V U Z K Y X W"
  for n in $order; do
    # shellcheck disable=SC2046
    run_one "$n" "$(server_url "$n")" $(server_cmd "$n")
  done
done
# CherryPy once: it is two orders of magnitude away, and its p99 is its own story.
round=1
# shellcheck disable=SC2046
run_one P "$album" $(server_cmd P)

# median [FORMAT]: the median of the numbers on stdin, one a line (printf FORMAT if given).
median() {
  sort -g | awk -v f="${1:-}" '{ v[NR] = $1 } END {
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    if (f == "") print m; else printf f, m }'
}
# The median of each column over the rounds.
declare -A rps p50 p99 errs rss cpu
median_of() { printf '%s' "${runs[$1]}" | awk -v c="$2" 'NF { print $c }' | median; }
for n in A B C D E F G H I P S T N U V O K Z W X Y; do
  rps[$n]=$(median_of "$n" 1) p50[$n]=$(median_of "$n" 2) p99[$n]=$(median_of "$n" 3)
  errs[$n]=$(printf '%s' "${runs[$n]}" | awk 'NF { s += $4 } END { print s + 0 }')
  rss[$n]=$(median_of "$n" 5) cpu[$n]=$(median_of "$n" 6)
done

instructions_row=""
declare -A ir
if [ "$CALLGRIND" = 1 ]; then
  echo "== instructions per request under callgrind ($CALLGRIND_REQUESTS requests each)" >&2
  ensure_command valgrind

  # W and Y too: their requests/s ratios move by ±10% between rounds on a shared machine,
  # their instructions do not.
  for n in A B C D E F G H I W Y; do
    out="$raw_dir/$n.callgrind"
    # shellcheck disable=SC2046
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
      $(server_cmd "$n") >"$raw_dir/$n.callgrind.log" 2>&1 &
    server_pid=$!
    wait_port 127.0.0.1 "$PORT" 120
    url=$(server_url "$n")
    mapfile -t headers < <(server_request_headers "$n")
    python3 bench/requests.py "$url" 200 "${headers[@]}"
    callgrind_control -i on "$server_pid" >/dev/null 2>&1
    python3 bench/requests.py "$url" "$CALLGRIND_REQUESTS" "${headers[@]}"
    callgrind_control -i off "$server_pid" >/dev/null 2>&1
    stop_server
    # Instrumentation was on for exactly the measured requests: what callgrind collected.
    total=$(awk '/Collected/ { gsub(",", "", $NF); print $NF }' "$raw_dir/$n.callgrind.log")
    ir[$n]=$(awk -v t="$total" -v r="$CALLGRIND_REQUESTS" 'BEGIN { printf "%.0f", t / r }')
    echo "$n ${ir[$n]} instructions/request" >&2
  done
  instructions_row=yes
fi

echo "== photoblog memory after a million requests (G)" >&2
# shellcheck disable=SC2046
start_server G1M $(photoblog "$WORKERS" "--no-coverage")
secs=$(awk -v r="${rps[G]}" 'BEGIN { s = int(1050000 / r) + 2; print (s < 5 ? 5 : s) }')
run_wrk_pinned G1M "$album" "${secs}s" "$CONNS" 1 -s bench/wrk.lua >/dev/null 2>&1
million_requests=$(awk '/requests in/ {print $1}' "$raw_dir/G1M.txt")
million_rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status")
million_hwm=$(peak_rss_kb "$server_pid")
stop_server
echo "$million_requests requests: RSS $million_rss kB, peak $million_hwm kB" >&2

echo "== cache bound under distinct URIs" >&2
bound_mb=1
# shellcheck disable=SC2046
start_server bound $(photoblog "$WORKERS" "--no-coverage --cache-mb $bound_mb")
"${wrk_cpu[@]}" wrk -d "${DURATION}s" -c "$CONNS" -t 1 -s bench/distinct.lua "$album" \
  >"$raw_dir/bound.txt" 2>&1
bound_requests=$(awk '/requests in/ {print $1}' "$raw_dir/bound.txt")
stats=$(curl -s "http://127.0.0.1:$PORT/_cache/stats")
stop_server
backend=$(python3 -c 'import json,sys; b = json.loads(sys.argv[1])["backend"]
print(b["bytes"], b["max_bytes"], b["entries"], b["evictions"])' "$stats")
read -r cache_bytes cache_max cache_entries cache_evictions <<<"$backend"
echo "$bound_requests distinct URIs: $cache_entries entries, $cache_bytes of $cache_max bytes" >&2

echo "== memory under 20 uploads of 20 MiB at once" >&2
read -r upload_answered upload_hwm upload_left < <(BUILD=0 PORT=$PORT WORKERS=$WORKERS \
  BIN="$bin/load_servers" bash bench/upload_memory.sh)
echo "$upload_answered of 20 answered, server peak RSS $upload_hwm kB, $upload_left files left" >&2

echo "== scaling: B and G, 1 and 2 workers, 16/64/256 connections" >&2
scale_rows=""
saved_server_cpu=("${server_cpu[@]}") saved_wrk_cpu=("${wrk_cpu[@]}")
server_cpu=() wrk_cpu=()   # two workers need both cores: nothing pinned here
for w in 1 2; do
  for which in B G; do
    if [ "$which" = B ]; then
      start_server "B$w" "$bin/load_servers" --variant b --bind "127.0.0.1:$PORT" --workers "$w"
      url=$item
    else
      # shellcheck disable=SC2046
      start_server "G$w" $(photoblog "$w" "--no-coverage")
      url=$album
    fi
    for c in 16 64 256; do
      read -r _ r a b e _ u <<<"$(measure "$which-w$w-c$c" "$url" "$c" "$SCALE_DURATION")"
      printf '%s w%s c%-3s %10s req/s  p50 %8s ms  p99 %8s ms  errors %s  CPU %s%%\n' \
        "$which" "$w" "$c" "$r" "$a" "$b" "$e" "$u" >&2
      scale_rows+="| $which | $w | $c | $(printf '%.0f' "$r") | $a | $b | $e | $u% |"$'\n'
    done
    stop_server
  done
done
server_cpu=("${saved_server_cpu[@]}") wrk_cpu=("${saved_wrk_cpu[@]}")

# The median over the rounds of X/Y within each round (P ran once: its round is 1).
ratio() {
  local r
  for r in $(seq 1 "$ROUNDS"); do
    local x=${by_round[$1,$r]:-} y=${by_round[$2,$r]:-}
    [ -n "$x" ] || x=${by_round[$1,1]}
    [ -n "$y" ] || y=${by_round[$2,1]}
    awk -v a="$x" -v b="$y" 'BEGIN { print a / b }'
  done | median %.3f
}
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t ? "holds" : "misses") }'; }
# The instruction ratio reads the other way round: the baseline's count over the server's,
# so that, like the throughput ratio, 1.0 means "costs the same" and less means "costs more".
ir_ratio() {
  if [ -n "$instructions_row" ] && [ -n "${ir[$1]:-}" ] && [ -n "${ir[$2]:-}" ]; then
    awk -v a="${ir[$1]}" -v b="${ir[$2]}" 'BEGIN { printf "%.2f", b / a }'
  else
    echo "–"
  fi
}
ratio_row() {
  local r
  r=$(ratio "$1" "$2")
  echo "| $1/$2 | $3 | ≥ $4 | $r | $(verdict "$r" "$4") | $(ir_ratio "$1" "$2") |"
}

{
  echo "# Load benchmark results"
  echo
  echo "Written by \`bash bench/load.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') at commit" \
    "\`$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\`."
  echo
  machine_description
  echo "- wrk: $(wrk --version 2>&1 | head -1 | awk '{print $1, $2}'), CherryPy $cherrypy_version, $(python3 --version)"
  if [ ${#server_cpu[@]} -gt 0 ]; then
    echo "- The server ran on CPU 0 and wrk (1 thread) on CPU 1."
  else
    echo "- Nothing pinned: the server and wrk shared the CPUs."
  fi
  echo
  echo "## Servers: $WORKERS worker(s), $CONNS connections, ${DURATION} s each after ${WARMUP} s of warm-up"
  echo
  echo "Medians over $ROUNDS interleaved round(s) (CherryPy: one round). Server CPU near 100% per"
  echo "worker means the server was the bottleneck. Instructions: user-space instructions per"
  echo "request under callgrind ($CALLGRIND_REQUESTS requests on one keep-alive connection)."
  echo
  echo "| | server | requests/s | p50 ms | p99 ms | errors | peak RSS MB | server CPU | CPU µs/request | instructions/request |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for n in A B C D E F G H I P S T N U V O K Z W X Y; do
    case $n in
      A) what="raw actix-web, JSON from 2 typed path args" ;;
      B) what="drupe default dispatcher, same handler" ;;
      C) what="drupe #[resource], same JSON, negotiated" ;;
      D) what="C from the output cache (hit)" ;;
      E) what="raw actix-web, D's body as static bytes" ;;
      F) what="photoblog album, SQLite, no cache" ;;
      G) what="photoblog album, cached" ;;
      H) what="G with the coverage recorder on" ;;
      I) what="raw actix-web, G's body as static bytes on G's route" ;;
      P) what="CherryPy $cherrypy_version MethodDispatcher album" ;;
      S) what="drupe tools.staticdir, a 64 KiB file" ;;
      T) what="actix-files, the same file" ;;
      N) what="nginx $(nginx -v 2>&1 | sed 's|.*nginx/||'), the same file (sendfile)" ;;
      U) what="drupe tools.staticdir, a 1 MiB range of a 4 MiB file" ;;
      V) what="actix-files, the same range" ;;
      O) what="nginx, the same range (sendfile)" ;;
      K) what="a 4 KiB HTML page from the output cache" ;;
      Z) what="K's hit for a gzip client (the stored gzip variant)" ;;
      W) what="B's answer from a handler that reads its session (in memory)" ;;
      X) what="W with the sessions in Redis" ;;
      Y) what="B behind tools.auth_basic (argon2id, the verification remembered)" ;;
    esac
    awk -v n="$n" -v w="$what" -v r="${rps[$n]}" -v a="${p50[$n]}" -v b="${p99[$n]}" \
      -v e="${errs[$n]}" -v m="${rss[$n]}" -v c="${cpu[$n]}" -v i="${ir[$n]:-–}" \
      'BEGIN { printf "| %s | %s | %.0f | %s | %s | %s | %.1f | %s%% | %.1f | %s |\n", n, w, r, a, b, e, m / 1024, c, c * 10000 / r, i }'
  done
  echo
  echo "## Ratios"
  echo
  echo "Requests/s ratios: the median over the rounds of the ratio within each round."
  echo
  echo "| ratio | meaning | target | requests/s ratio | | instructions ratio |"
  echo "|---|---|---|---:|---|---:|"
  ratio_row B A "the default dispatcher against raw actix-web" 0.90
  ratio_row C A "a negotiated resource against raw actix-web" 0.85
  ratio_row D E "a cache hit against static bytes" 0.95
  ratio_row G I "the photoblog's cache hit against static bytes on its route" 0.91
  ratio_row H G "the coverage recorder's cost" 0.97
  ratio_row G P "the cached photoblog against CherryPy" 30
  ratio_row F P "the photoblog's uncached read (SQLite) against CherryPy" 20
  ratio_row S T "a static file against actix-files" 0.90
  ratio_row U V "a 1 MiB range against actix-files" 0.90
  ratio_row S N "a static file against nginx (no target: for scale)" 0
  ratio_row U O "a 1 MiB range against nginx (no target: for scale)" 0
  ratio_row Z K "an encoded cache hit against the identity hit" 0.90
  ratio_row W B "a request reading its session (memory) against none" 0.85
  ratio_row X B "a request reading its session (Redis) against none (no target: for scale)" 0
  ratio_row Y B "Basic authentication, verification remembered, against none" 0.90
  echo
  echo "## Memory and the cache bound"
  echo
  awk -v n="$million_requests" -v r="$million_rss" -v h="$million_hwm" 'BEGIN {
    printf "- The photoblog (G) after %d requests: RSS %.1f MB, peak %.1f MB (target: at most 40 MB, %s).\n",
      n, r / 1024, h / 1024, (h <= 40 * 1024 ? "holds" : "misses") }'
  awk -v n="$bound_requests" -v e="$cache_entries" -v b="$cache_bytes" -v m="$cache_max" -v x="$cache_evictions" 'BEGIN {
    printf "- %d requests for distinct URIs with a %d-byte cache: %d entries, %d bytes stored, %d evictions (%s).\n",
      n, m, e, b, x, (b <= m ? "within the bound" : "OVER the bound") }'
  awk -v a="$upload_answered" -v h="$upload_hwm" -v l="$upload_left" 'BEGIN {
    printf "- 20 uploads of 20 MiB at once (load_servers --variant upload, bodies up to 32 MiB, files past 256 KiB spooled to disk): %d of 20 answered, %d files left in the spool, server peak RSS %.1f MB (target: under 60 MB, %s).\n",
      a, l, h / 1024, (h < 60 * 1024 && a == 20 ? "holds" : "misses") }'
  echo
  echo "## Scaling (nothing pinned; ${SCALE_DURATION} s per point)"
  echo
  echo "| server | workers | connections | requests/s | p50 ms | p99 ms | errors | server CPU |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s' "$scale_rows"
} >"$out_file"

echo "== wrote $out_file" >&2
cat "$out_file"
