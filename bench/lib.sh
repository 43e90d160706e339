#!/usr/bin/env bash
# Helpers for the drupe-vs-CherryPy load benchmark. Source this file:
#   source bench/lib.sh
# Every function prints to stdout only what the caller may capture;
# progress and raw tool output go to stderr.
set -euo pipefail

# Pinned CherryPy (latest 18.x on PyPI when written); override with CHERRYPY_SPEC.
: "${CHERRYPY_SPEC:=cherrypy==18.10.0}"

# ensure_command COMMAND [PACKAGE]: installs Debian's PACKAGE (default: COMMAND) when COMMAND
# is not on PATH (sudo only when not root).
ensure_command() {
  local cmd=$1 pkg=${2:-$1}
  command -v "$cmd" >/dev/null 2>&1 && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$pkg" >&2
  command -v "$cmd" >/dev/null
}

# Create (or reuse) a venv at DIR with CherryPy 18 installed.
# Falls back to any 18.x if the pinned version does not install.
ensure_cherrypy_venv() {
  local dir=$1
  if [ -x "$dir/bin/python" ] &&
     "$dir/bin/python" -c 'import cherrypy,sys; sys.exit(cherrypy.__version__.split(".")[0] != "18")' 2>/dev/null; then
    return 0
  fi
  python3 -m venv "$dir" >&2
  "$dir/bin/pip" install -q --disable-pip-version-check "$CHERRYPY_SPEC" >&2 ||
    "$dir/bin/pip" install -q --disable-pip-version-check 'cherrypy>=18,<19' >&2
}

# Wait until HOST:PORT accepts TCP connections; fail after TIMEOUT_S seconds.
wait_port() {
  local host=$1 port=$2 timeout=$3
  local deadline=$(( $(date +%s) + timeout ))
  until (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "wait_port: $host:$port not open after ${timeout}s" >&2
      return 1
    fi
    sleep 0.1
  done
}

# Convert a wrk duration (e.g. 812.00us, 1.53ms, 2.01s, 1.00m) to ms.
_wrk_to_ms() {
  awk -v t="$1" 'BEGIN {
    n = t + 0; u = t; sub(/^[0-9.]+/, "", u)
    split("us 0.001 ms 1 s 1000 m 60000 h 3600000", a, " ")
    for (i = 1; i < 10; i += 2) if (a[i] == u) f = a[i + 1]
    if (f == "") { print "run_wrk: unknown unit in " t > "/dev/stderr"; exit 1 }
    printf "%.3f\n", n * f }'
}

# run_wrk NAME URL DURATION CONNECTIONS THREADS [extra wrk args...]
# Runs wrk --latency (raw output to stderr, and to $WRK_RAW_DIR/NAME.txt if set), under
# $WRK_PREFIX if set (e.g. "taskset -c 1"), and prints one line: NAME req_per_s p50_ms p99_ms errors
# errors = non-2xx/3xx responses + socket errors (connect+read+write+timeout).
run_wrk() {
  local name=$1 url=$2 duration=$3 conns=$4 threads=$5
  shift 5
  local out
  # shellcheck disable=SC2086 # WRK_PREFIX is a command line: split on purpose
  out=$(${WRK_PREFIX:-} wrk --latency -d "$duration" -c "$conns" -t "$threads" "$@" "$url")
  printf '%s\n' "$out" >&2
  if [ -n "${WRK_RAW_DIR:-}" ]; then
    mkdir -p "$WRK_RAW_DIR"
    printf '%s\n' "$out" >"$WRK_RAW_DIR/$name.txt"
  fi
  local rps p50 p99 non2xx sock
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
  # "Socket errors: connect 0, read 0, write 0, timeout 0"
  sock=$(awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' <<<"$out")
  if [ -z "$rps" ] || [ -z "$p50" ] || [ -z "$p99" ]; then
    echo "run_wrk: could not parse wrk output for $name" >&2
    return 1
  fi
  p50=$(_wrk_to_ms "$p50") || return 1
  p99=$(_wrk_to_ms "$p99") || return 1
  printf '%s %s %s %s %d\n' "$name" "$rps" "$p50" "$p99" \
    $(( ${non2xx:-0} + ${sock:-0} ))
}

# Peak resident set size (VmHWM, kB) of a live process.
peak_rss_kb() {
  awk '/^VmHWM:/ {print $2}' "/proc/$1/status"
}

# Markdown bullet lines describing this machine.
machine_description() {
  local cpu mem_kb
  cpu=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
  mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
  echo "- CPU: ${cpu:-unknown}"
  echo "- Cores: $(nproc)"
  echo "- Memory: $(awk -v k="$mem_kb" 'BEGIN {printf "%.1f", k / 1048576}') GiB"
  echo "- Kernel: $(uname -sr)"
  echo "- rustc: $(rustc --version 2>/dev/null || echo 'not installed')"
}
