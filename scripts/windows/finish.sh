#!/usr/bin/env bash
# Stops Wine for drupe's prefix (wineserver and its background processes): run at the end of CI,
# after `cargo test --target x86_64-pc-windows-gnu`. Harmless when nothing is running.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

if command -v wineserver >/dev/null && [ -d "$WINEPREFIX" ]; then
    # SIGINT (clean exit, registry saved), then SIGKILL if needed; exit 2 = no server running.
    wineserver -k </dev/null >/dev/null 2>&1 || true
fi
