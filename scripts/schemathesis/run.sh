#!/usr/bin/env bash
# Reads the OpenAPI documents of the tour and the photoblog and fuzzes both servers with
# Schemathesis (https://schemathesis.readthedocs.io): every status answered must be documented
# for its operation, every body must match its schema (text/json and text/x-json too, see
# hooks.py), valid requests must be accepted, and nothing may answer 5xx.
#
#   bash scripts/schemathesis/run.sh            # both, 30 examples per operation
#   EXAMPLES=200 bash scripts/schemathesis/run.sh tour
#   bash scripts/schemathesis/run.sh --install  # only installs Schemathesis (.ci/run, early)
#
# The photoblog's writes need its owner: it starts with a password of the run's own
# (--admin-password) and Schemathesis sends it with every request (--auth), so that the
# writes reach the handlers; what an anonymous write gets is the photoblog's tests' business.
# Its check of invalid credentials sends hundreds of wrong ones from this one address, which
# the rate limiter rightly answers with 429 after the tenth: the run's configuration file
# (--config) gives the failures a budget the run does not exhaust, and the photoblog's tests
# check the real one.
#
# The tour's `/slow/{ms}` is left out: past its one-second deadline it answers 503 by design
# (tools.timeout), which the check that nothing answers 5xx cannot tell from a failure; the
# tour's tests check it.
#
# Two checks are left out, each for a reason that is the protocol's, not a bug's:
# - unsupported_method: the default dispatcher answers an exposed handler for any method, as
#   CherryPy's does (a resource, with the method dispatcher, answers 405 with `Allow`);
# - negative_data_rejection: a request body may be XML, where `<name>null</name>` is the
#   string "null", which Schemathesis counts as a JSON null the schema forbids.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${EXAMPLES:=30}"
apps=("$@")
[ ${#apps[@]} -gt 0 ] || apps=(tour photoblog)

target=${CARGO_TARGET_DIR:-target}
venv=$target/schemathesis-venv
if [ ! -x "$venv/bin/st" ]; then
    python3 -m venv "$venv" >/dev/null
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'schemathesis==4.32.5'
fi
[ "${apps[0]}" != --install ] || exit 0
cargo build --quiet --examples

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

status=0
for app in "${apps[@]}"; do
    port=$(free_port)
    case $app in
        tour) args=() auth=(--exclude-path '/slow/{ms}') ;;
        photoblog)
            password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
            printf '[ "/" ]\ntools.rate_limit.failures = { rate = 100000, per = "minute" }\n' \
                >"$work/photoblog.toml"
            args=(--database "sqlite:$work/photoblog.db" --data-dir "$work/photos" --no-access-log
                --admin-password "$password" --config "$work/photoblog.toml")
            auth=(--auth "admin:$password") ;;
        *) echo "unknown application: $app" >&2; exit 2 ;;
    esac
    "$target/debug/examples/$app" --bind "127.0.0.1:$port" "${args[@]}" >"$work/$app.log" 2>&1 &
    pids+=($!)
    echo "== $app on port $port: $EXAMPLES examples per operation"
    if ! SCHEMATHESIS_HOOKS=hooks PYTHONPATH=scripts/schemathesis "$venv/bin/st" run \
        "http://127.0.0.1:$port/openapi.json" --url "http://127.0.0.1:$port" \
        --wait-for-schema 60 --checks all "${auth[@]}" \
        --exclude-checks unsupported_method,negative_data_rejection \
        --max-examples "$EXAMPLES" --seed 1 --no-color; then
        status=1
        echo "== $app's log:"; tail -20 "$work/$app.log"
    fi
done
exit $status
