#!/usr/bin/env bash
# Cargo runner for x86_64-pc-windows-gnu (see .cargo/config.toml): runs a test or binary .exe
# under Wine. Cargo and rustdoc (doctests) call it as: runner.sh <path/to/file.exe> [args...]
# The exit code is the .exe's own (101 when a test fails), so cargo sees failures.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
exe="$1"; shift

# First use (or bcryptprimitives.c changed): set up. setup.sh is idempotent and flock-guarded.
[ "$stamp" -nt "$here/bcryptprimitives.c" ] || bash "$here/setup.sh" -q

# Warm-up, once per wineserver lifetime. The first Wine process of a server starts its
# background processes (services.exe, explorer.exe, ...), which inherit that process's stderr
# and hold it until the server exits: a caller capturing output (nextest, rustdoc, `| tee`)
# would wait ~3 s or more for EOF. So, under the lock: if `wineserver -p30` starts a server (exit 0;
# exit 2 = one is running already), make the first client a throwaway one on /dev/null.
# -p30: the server lingers 30 s after the last .exe (bridges gaps between test binaries);
# finish.sh stops it at once.
exec 9>"$WINEPREFIX.lock"
flock 9
if wineserver -p30 </dev/null >/dev/null 2>&1 9>&-; then
    wine cmd /c exit </dev/null >/dev/null 2>&1 9>&- || true
fi
exec 9>&-

# exec: the exit status is exactly the .exe's. stdin from /dev/null: no Wine console input.
exec wine "$exe" "$@" </dev/null
