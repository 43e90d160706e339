#!/usr/bin/env bash
# Prepares this machine to cross-build drupe for Windows and run its tests under Wine.
# Idempotent and safe to run concurrently (flock). Debian 12 / Wine 8.0.
# Usage: bash scripts/windows/setup.sh [-q]      (-q: no progress output; runner.sh uses it)
# Prefix: $WINEPREFIX, default <project root>/target/wine-prefix.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
QUIET=0; [ "${1:-}" = -q ] && QUIET=1
say() { [ "$QUIET" = 1 ] || echo "windows/setup: $*" >&2; }

# Serialise concurrent callers (parallel test binaries, two CI steps): one sets up, the rest wait.
# Every Wine command below gets 9>&- so that no long-lived Wine process inherits (and holds) the lock.
mkdir -p "$(dirname "$WINEPREFIX")"
exec 9>"$WINEPREFIX.lock"
flock 9
# Done already? (Redone if bcryptprimitives.c changed since.)
[ "$stamp" -nt "$here/bcryptprimitives.c" ] && exit 0

# 1. Packages: the mingw cross linker and Wine (no recommends: otherwise ~100 extra packages).
if ! command -v x86_64-w64-mingw32-gcc >/dev/null || ! command -v wine >/dev/null \
    || ! command -v wineserver >/dev/null; then
    say "installing gcc-mingw-w64-x86-64 wine wine64 with apt"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq >/dev/null
    $SUDO env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends gcc-mingw-w64-x86-64 wine wine64 >/dev/null
fi

# 2. The Rust standard library for the target.
if ! rustup target list --installed | grep -x x86_64-pc-windows-gnu >/dev/null; then
    say "rustup target add x86_64-pc-windows-gnu"
    rustup target add x86_64-pc-windows-gnu >/dev/null 2>&1
fi

# 3. The Wine prefix (~5 s, ~700 MB). Every fd on /dev/null: Wine's background processes
#    (wineserver, services.exe, ...) inherit them and would keep the caller's pipes open.
#    `wineserver -k` then stops them; it exits cleanly on SIGINT, writing the registry files.
if [ ! -f "$WINEPREFIX/system.reg" ]; then
    say "creating Wine prefix $WINEPREFIX"
    wineboot --init </dev/null >/dev/null 2>&1 9>&-
    wineserver -k </dev/null >/dev/null 2>&1 9>&- || true
fi

# 4. The ProcessPrng stand-in (see bcryptprimitives.c): without it every Rust .exe exits 53.
say "building and installing the bcryptprimitives.dll stand-in"
dll="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
x86_64-w64-mingw32-gcc -shared -O2 -s -Wall -o "$dll.tmp" "$here/bcryptprimitives.c" -ladvapi32
mv "$dll.tmp" "$dll"

touch "$stamp"
say "ready (WINEPREFIX=$WINEPREFIX)"
