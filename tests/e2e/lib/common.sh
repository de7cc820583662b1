# Sourced by the end-to-end tests (tests/e2e/*.sh): the environment they need, a private temp
# dir removed on exit, the loopback fixture origins, and PASS/FAIL counting with the closing
# "NAME: N passed, N failed" line.
#
#   source "$SOURCE_DIR/tests/e2e/lib/common.sh"
#   e2e_begin NAME            # $tmp, $fixture; cleanup on EXIT (plus e2e_on_exit hooks)
#   start_origins [SECONDS]   # tests/fixtures/origins up $fixture, then its env (ports, CA_FILE)
#   ok WHAT / fail WHAT / check WHAT COMMAND...
#   wait_for_file PATH [SECONDS]  # true once PATH exists, false after SECONDS (default 5)
#   e2e_end                   # prints the counts, exits 1 on any failure
#   npm_tool NAME             # the path of an npm tool ci/install-deps installed, or a FAIL
set -euo pipefail
: "${ORIGINSCAN:?set ORIGINSCAN to the originscan binary}"
: "${SOURCE_DIR:?set SOURCE_DIR to the source tree}"

passed=0
failed=0
e2e_name=e2e
e2e_exit_hooks=()

ok() {
    echo "ok: $*"
    passed=$((passed + 1))
}
fail() {
    echo "FAIL: $*" >&2
    failed=$((failed + 1))
}
# check DESCRIPTION COMMAND...: runs the command, counts a pass or a failure.
check() {
    local what=$1
    shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}

wait_for_file() {
    local i
    for ((i = 0; i < ${2:-5} * 10; i++)); do
        [[ -e $1 ]] && return 0
        sleep 0.1
    done
    return 1
}

# e2e_on_exit COMMAND: run COMMAND (a string) at exit, before the temp dir goes.
e2e_on_exit() { e2e_exit_hooks+=("$1"); }

# shellcheck disable=SC2317  # called by the EXIT trap
e2e_cleanup() {
    local hook
    for hook in "${e2e_exit_hooks[@]}"; do eval "$hook" || true; done
    [[ -n ${fixture:-} ]] && "$SOURCE_DIR/tests/fixtures/origins" down "$fixture" >/dev/null 2>&1
    [[ -n ${tmp:-} ]] && rm -rf "$tmp"
    return 0
}

e2e_begin() {
    e2e_name=$1
    tmp=$(mktemp -d "/tmp/originscan-$e2e_name.XXXXXX")
    fixture=$tmp/fixture
    trap e2e_cleanup EXIT
}

start_origins() {
    ORIGINS_LIFETIME_S=${1:-300} "$SOURCE_DIR/tests/fixtures/origins" up "$fixture" >/dev/null ||
        { echo "FAIL: could not start the fixture origins" >&2; exit 1; }
    # shellcheck source=/dev/null
    source "$fixture/env"
}

e2e_end() {
    echo
    echo "$e2e_name: $passed passed, $failed failed"
    ((failed == 0)) || exit 1
    exit 0
}

# asan_build: is $ORIGINSCAN an AddressSanitizer build (libasan linked, __asan_init in its
# symbols, or ORIGINSCAN_ASAN=1)? Tests that give real work a deadline scale it by this: ASan
# makes each handshake several times slower, and that is not the scanner's overrun.
asan_build() {
    local libs symbols  # captured first: grep -q closing a pipe early fails under pipefail
    libs=$(ldd "$ORIGINSCAN" 2>/dev/null) symbols=$(nm "$ORIGINSCAN" 2>/dev/null)
    [[ ${ORIGINSCAN_ASAN:-} == 1 || $libs == *libasan* || $symbols == *" __asan_init"* ]]
}

# npm_tool NAME: prints the path of the command NAME from the npm tools ci/install-deps puts
# in $ORIGINSCAN_NPM_TOOLS (default /var/cache/originscan/npm); says what is missing otherwise.
npm_tool() {
    local path=${ORIGINSCAN_NPM_TOOLS:-/var/cache/originscan/npm}/node_modules/.bin/$1
    [[ -x $path ]] || { echo "FAIL: $1 is not installed at $path: run ci/install-deps" >&2; return 1; }
    printf '%s\n' "$path"
}
