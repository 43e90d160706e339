# Sourced by setup.sh, runner.sh and finish.sh: the Wine prefix they share and Wine's debug
# output off. The default prefix is worked out from where the scripts are, not from the
# current directory (cargo runs each package's tests in that package's own directory).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export WINEPREFIX="${WINEPREFIX:-$(dirname "$(dirname "$here")")/target/wine-prefix}"
export WINEDEBUG=-all
# Written by setup.sh when it is done; older than bcryptprimitives.c means "set up again".
stamp="$WINEPREFIX/.drupe-setup-done"
