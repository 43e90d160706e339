#!/bin/sh
# RUSTC_WORKSPACE_WRAPPER for source-line coverage: cargo calls it for the workspace's own
# crates only (dependencies stay uninstrumented, so the profile stays small and fast to read).
# It adds `-C instrument-coverage` and the cfg that makes drupe read the profiler runtime in
# process. Proc-macro crates and build scripts run at compile time and are left alone.
rustc="$1"
shift
case " $* " in
    *" --crate-type proc-macro "* | *" --crate-name build_script_"*)
        exec "$rustc" "$@"
        ;;
esac
exec "$rustc" "$@" -C instrument-coverage --cfg drupe_line_coverage
