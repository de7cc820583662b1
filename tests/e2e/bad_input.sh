#!/usr/bin/env bash
# Bad input through the real binary (issue 4, "Bad input"). Every bad invocation must:
#   exit 2, print nothing on stdout, print one line on stderr ("originscan: ...") that contains
#   the expected text (FILE:LINE where there is a line), and leave no report file behind.
# Also: an unwritable output path fails with 3 before any scanning (a silent origin in the
# list must not delay it), and duplicated origins are scanned once and reported as listed.
#
# Env: ORIGINSCAN (the binary), SOURCE_DIR (unused here). Only 127.0.0.1 is ever contacted.
set -uo pipefail
: "${ORIGINSCAN:?set ORIGINSCAN to the originscan binary}"

tmp=$(mktemp -d /tmp/originscan-bad-input.XXXXXX)
listener_pids=()
cleanup() {
    local pid
    for pid in "${listener_pids[@]}"; do kill "$pid" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT

passed=0 failed=0 xfailed=0
fail() {
    echo "FAIL: $*" >&2
    failed=$((failed + 1))
}

# A port on 127.0.0.1 where nothing listens (bound, then closed): any origin the tests give as
# "valid" points there, so a bad-input check that wrongly lets the scan start stays on loopback
# and ends at once.
closed_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ok_origin="ok.test@127.0.0.1:$closed_port"

# Python listener on 127.0.0.1: MODE silent (accepts, never sends) or http (reads, answers one
# HTTP response, closes). Counts accepted connections in DIR/NAME.count. Prints nothing; writes
# DIR/NAME.port when listening.
start_listener() {
    local name=$1 mode=$2
    python3 - "$tmp/$name" "$mode" </dev/null >/dev/null 2>&1 <<'EOF' &
import os, socket, sys, threading
prefix, mode = sys.argv[1], sys.argv[2]
signal_alarm = __import__("signal").alarm(120)  # never outlive a killed test for long
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(256)
count, held, lock = 0, [], threading.Lock()
with open(prefix + ".port.tmp", "w") as f:
    f.write(str(listener.getsockname()[1]))
os.rename(prefix + ".port.tmp", prefix + ".port")

def answer(conn):
    try:
        conn.settimeout(5)
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    except OSError:
        pass
    conn.close()

while True:
    conn, _ = listener.accept()
    with lock:
        count += 1
        with open(prefix + ".count.tmp", "w") as f:
            f.write(str(count))
        os.rename(prefix + ".count.tmp", prefix + ".count")
    if mode == "silent":
        held.append(conn)
    else:
        threading.Thread(target=answer, args=(conn,), daemon=True).start()
EOF
    listener_pids+=($!)
    local i
    for ((i = 0; i < 50; i++)); do
        [[ -f $tmp/$name.port ]] && return 0
        sleep 0.1
    done
    echo "FAIL: listener $name did not start" >&2
    exit 1
}

# expect_usage NAME EXPECTED [LINES] -- ARGS...
# Runs the binary with ARGS (plus --json REPORT when ARGS start with "scan") and checks the
# contract above. EXPECTED is a fixed substring of stderr (or several, joined by %%); LINES the number of stderr lines
# (default 1). With KNOWN_BUG set, a failure is counted as an expected failure (XFAIL) and a
# pass is reported so the mark can be removed.
expect_usage() {
    local name=$1 expected=$2 lines=1
    shift 2
    if [[ $1 != -- ]]; then
        lines=$1
        shift
    fi
    shift  # --
    local report="$tmp/report-$((passed + failed + xfailed)).json"
    local args=("$@")
    # The report option goes first, so that a value-less option at the end stays value-less.
    [[ ${args[0]:-} == scan ]] && args=(scan --json "$report" "${args[@]:1}")
    local rc=0
    timeout 20 "$ORIGINSCAN" "${args[@]}" <"${STDIN_FILE:-/dev/null}" >"$tmp/out" 2>"$tmp/err" || rc=$?

    local problems=()
    [[ $rc -eq 2 ]] || problems+=("exit $rc, expected 2")
    [[ -s $tmp/out ]] && problems+=("stdout not empty: $(head -c 120 "$tmp/out" | tr "\n" " ")...")
    local got_lines
    got_lines=$(wc -l <"$tmp/err")
    [[ $got_lines -eq $lines ]] || problems+=("$got_lines stderr lines, expected $lines")
    head -n1 "$tmp/err" | grep -q '^originscan: ' || problems+=("stderr does not start with 'originscan: '")
    local part rest=$expected
    while [[ -n $rest ]]; do  # EXPECTED may be several substrings joined by %%
        part=${rest%%"%%"*}
        [[ $part == "$rest" ]] && rest="" || rest=${rest#*"%%"}
        grep -qF -- "$part" "$tmp/err" || problems+=("stderr lacks: $part")
    done
    [[ -e $report ]] && problems+=("a report was written")
    compgen -G "$tmp/.${report##*/}.tmp-*" >/dev/null && problems+=("a temporary report was left behind")

    if ((${#problems[@]} == 0)); then
        if [[ -n ${KNOWN_BUG:-} ]]; then
            echo "XPASS: $name (known bug fixed? remove the KNOWN_BUG mark: $KNOWN_BUG)"
        else
            echo "ok: $name: $(head -n1 "$tmp/err")"
        fi
        passed=$((passed + 1))
    elif [[ -n ${KNOWN_BUG:-} ]]; then
        echo "XFAIL: $name: ${problems[*]} (known bug: $KNOWN_BUG)"
        xfailed=$((xfailed + 1))
    else
        fail "$name: ${problems[*]}"
        echo "  command: ${args[*]}" >&2
        sed 's/^/  stderr: /' "$tmp/err" >&2
    fi
}

# bad_line NAME LINE_BYTES EXPECTED_WHY [ALSO_AS_ORIGIN]
# LINE_BYTES goes through printf %b (so \x00, \xff work). The line is put on line 4 of a list,
# after a comment, a blank line and a valid origin, and must be reported as LIST:4: WHY.
# With ALSO_AS_ORIGIN=yes the same spec is given as --origin and must be reported as
# --origin "SPEC": WHY.
list_no=0
bad_line() {
    local name=$1 line=$2 why=$3 also=${4:-yes}
    local list="$tmp/list-$((++list_no)).txt"
    { printf '# a comment\n\n%s\n' "$ok_origin"; printf %b "$line"; printf '\n%s\n' "$ok_origin"; } >"$list"
    expect_usage "list: $name" "$list:4: %%$why" -- scan "$list"
    if [[ $also == yes ]]; then
        local spec
        spec=$(printf %b "$line")
        expect_usage "--origin: $name" "--origin \"$spec\": %%$why" -- scan --origin "$spec"
    fi
}

echo "== malformed origin lines"
long_label=$(printf 'a%.0s' {1..64})
long_name=$(for i in {1..63}; do printf 'abc.'; done)test  # 256 characters
bad_line "empty name before port" ':443' 'missing name in ":443"'
bad_line "empty name before @" '@127.0.0.1' 'missing name in "@127.0.0.1"'
bad_line "empty address after @" 'a.test@' "missing address after '@'"
bad_line "two @" 'a.test@b.test@c.test' "more than one '@'"
bad_line "port not a number" 'a.test:http' 'invalid port "http"'
bad_line "port empty" 'a.test:' "missing port after ':'"
bad_line "port negative" 'a.test:-1' 'invalid port "-1"'
bad_line "port 0" 'a.test:0' 'port 0 out of range 1-65535'
bad_line "port 65536" 'a.test:65536' 'port 65536 out of range 1-65535'
bad_line "port huge" 'a.test:99999999999999999999999' 'out of range 1-65535'
bad_line "port on both sides of @" 'a.test:1@127.0.0.1:2' "port given on both sides of '@'"
bad_line "IPv6 without ]" '[2001:db8::1' "missing ']'"
bad_line "IPv6 with :::" '[2001:db8:::1]:443' 'invalid IPv6 address "[2001:db8:::1]"'
bad_line "IPv6 bad digit" 'a.test@[::g]' 'invalid IPv6 address "[::g]"'
bad_line "IPv6 unbracketed" '2001:db8::1' 'must be in brackets'
bad_line "IPv6 zone id" 'a.test@[fe80::1%eth0]' 'IPv6 zone id not supported'
bad_line "IPv4 octet > 255" '256.1.1.1' 'invalid IPv4 address "256.1.1.1"'
bad_line "label longer than 63" "$long_label.test" 'longer than 63 characters'
bad_line "name longer than 253" "$long_name" 'longer than 253 characters'
bad_line "empty label" 'a..test' 'empty label'
bad_line "label starts with -" '-a.test' "starts or ends with '-'"
bad_line "space inside" 'a.test 127.0.0.1' 'unexpected space'
bad_line "tab inside" 'a.test\t127.0.0.1' 'unexpected space' no
bad_line "wildcard name" '*.a.test' 'wildcard name'
bad_line "http:// URL" 'http://a.test/' 'unsupported scheme "http://"'
bad_line "user info in URL" 'https://u@a.test/' 'user info not allowed'
bad_line "NUL byte" 'a\x00b.test' 'NUL byte in "a\x00b.test"' no
bad_line "non-UTF-8 byte" 'c\xffd.test' 'non-ASCII byte 0xff' no
bad_line "UTF-8 name (not xn--)" 'b\xc3\xbccher.test' 'non-ASCII byte 0xc3' no
bad_line "control byte" 'e\x01.test' 'control byte 0x01' no
bad_line "escape sequence" 'e\x1b[31m.test' 'control byte 0x1b' no
bad_line "spec longer than 8 KiB" "https://a.test/$(head -c 9000 /dev/zero | tr '\0' x)" 'origin spec too long' no

echo "== several bad lines: one message line each"
list="$tmp/several.txt"
printf '%s\na.test:0\n# fine\nb.test:x\n\n[::1\n' "$ok_origin" >"$list"
expect_usage "three bad lines" "$list:2: port 0" 3 -- scan "$list"
grep -qF "$list:4: invalid port" "$tmp/err" || fail "three bad lines: no message for line 4"
grep -qF "$list:6: missing ']'" "$tmp/err" || fail "three bad lines: no message for line 6"
list="$tmp/many.txt"
for i in {1..30}; do echo "bad$i.test:0"; done >"$list"
expect_usage "thirty bad lines: capped at 20 plus a count" "... and 10 more bad lines" 21 -- scan "$list"
STDIN_FILE="$tmp/list-8.txt" expect_usage "bad line on stdin" "<stdin>:4: port 0 out of range" -- scan -

echo "== list files"
expect_usage "missing list" "$tmp/nonexistent.txt: No such file or directory" -- scan "$tmp/nonexistent.txt"
expect_usage "directory as list" "$tmp: is a directory" -- scan "$tmp"
: >"$tmp/empty.txt"
expect_usage "empty list" "$tmp/empty.txt: no origins (the list is empty" -- scan "$tmp/empty.txt"
printf '# only comments\n\n   \n' >"$tmp/comments.txt"
expect_usage "list of comments only" "$tmp/comments.txt: no origins" -- scan "$tmp/comments.txt"
expect_usage "no list and no --origin" "no origins given" -- scan
printf '%s\n' "$ok_origin" >"$tmp/unreadable.txt"
chmod 000 "$tmp/unreadable.txt"
if [[ $(id -u) -ne 0 ]]; then
    expect_usage "unreadable list (chmod 000)" "$tmp/unreadable.txt: Permission denied" -- scan "$tmp/unreadable.txt"
elif command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$ORIGINSCAN"; then
    # Root reads anything: drop to nobody for this one run.
    chmod 755 "$tmp"
    report="$tmp/unreadable-report.json"
    rc=0
    setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$ORIGINSCAN" scan "$tmp/unreadable.txt" --json "$report" >"$tmp/out" 2>"$tmp/err" || rc=$?
    if [[ $rc -eq 2 && ! -s $tmp/out && ! -e $report ]] && grep -qF "$tmp/unreadable.txt: Permission denied" "$tmp/err"; then
        echo "ok: unreadable list (chmod 000, run as nobody): $(cat "$tmp/err")"
        passed=$((passed + 1))
    else
        fail "unreadable list (chmod 000, run as nobody): exit $rc, stderr: $(cat "$tmp/err")"
    fi
else
    echo "SKIP: unreadable list: running as root and cannot drop to nobody (setpriv) to run $ORIGINSCAN"
fi
# A file that stat()s as a regular file but whose read() fails (EIO): must not pass as an
# empty list, which would silently drop it next to a valid --origin.
expect_usage "list whose read fails (EIO)" "/proc/self/mem" -- scan --origin "$ok_origin" /proc/self/mem

echo "== --ca-file"
echo "this is not PEM" >"$tmp/garbage.pem"
: >"$tmp/empty.pem"
printf -- '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n' >"$tmp/armoured-junk.pem"
head -c 3000 /dev/urandom >"$tmp/random.der"
for f in garbage.pem empty.pem armoured-junk.pem random.der; do
    expect_usage "--ca-file $f" "--ca-file $tmp/$f: " -- scan --origin "$ok_origin" --ca-file "$tmp/$f"
done
expect_usage "--ca-file missing" "--ca-file $tmp/nonexistent.pem: No such file or directory" -- \
    scan --origin "$ok_origin" --ca-file "$tmp/nonexistent.pem"
expect_usage "--ca-file directory" "--ca-file $tmp: is a directory" -- scan --origin "$ok_origin" --ca-file "$tmp"
expect_usage "--ca-file with --no-system-trust, one bad of two" "--ca-file $tmp/garbage.pem" -- \
    scan --origin "$ok_origin" --no-system-trust --ca-file /etc/ssl/certs/ca-certificates.crt --ca-file "$tmp/garbage.pem"

echo "== options"
now_hint="not an RFC 3339 time"
for now in yesterday 2026-13-01T00:00:00Z 2026-02-30T00:00:00Z 2026-01-01 2026-01-01T25:00:00Z \
    2026-01-01T00:00:00 2026-01-01T00:00:00+25:00 ""; do
    expect_usage "--now \"$now\"" "--now \"$now\": $now_hint" -- scan --origin "$ok_origin" --now "$now"
done
expect_usage "--now without value" "the required argument for option '--now' is missing" -- scan --origin "$ok_origin" --now
# expect_count OPTION MESSAGE OUT_OF_RANGE... -- NOT_A_COUNT...: an integer option refuses each
# value out of its range with MESSAGE, and each value that is no count as invalid.
expect_count() {
    local option=$1 message=$2 n
    shift 2
    while [[ $# -gt 0 && $1 != -- ]]; do
        expect_usage "$option $1" "$message" -- scan --origin "$ok_origin" "$option" "$1"
        shift
    done
    shift
    for n in "$@"; do
        expect_usage "$option \"$n\"" "for option '$option' is invalid" -- scan --origin "$ok_origin" "$option" "$n"
    done
}
expect_count --concurrency "--concurrency must be 1 to 100000" 0 -1 100001 -- abc 1e9 1.5 ""
expect_count --retries "--retries must be 0 to 10" 11 -1 100 -- abc 1.5 4294967296 ""
expect_count --threads "--threads must be 1 to 1024" 0 -1 1025 -- abc 1.5 ""
for t in 0 -5 nan inf 3601 1e9 0.0004 0.0009999; do
    expect_usage "--timeout $t" "--timeout must be 0.001 to 3600 seconds (1 ms at least)" -- \
        scan --origin "$ok_origin" --timeout "$t"
done
expect_usage "--timeout abc" "for option '--timeout' is invalid" -- scan --origin "$ok_origin" --timeout abc
for p in abc 8.5; do
    expect_usage "--http-port $p" "for option '--http-port' is invalid" -- scan --origin "$ok_origin" --http-port "$p"
done
for p in 70000 65536; do
    expect_usage "--http-port $p" "--http-port must be 0 to 65535" -- scan --origin "$ok_origin" --http-port "$p"
done
expect_usage "--http-port -1" "--http-port must be 0 to 65535" -- scan --origin "$ok_origin" --http-port -1
expect_usage "--expiry-days -1" "--expiry-days must be 0 to 36500" -- scan --origin "$ok_origin" --expiry-days -1
expect_usage "--expiry-days x" "for option '--expiry-days' is invalid" -- scan --origin "$ok_origin" --expiry-days x
for f in bogus unreachable,bogus pin-mismatch "," "unreachable,,expiring"; do
    expect_usage "--fail-on \"$f\"" "expected unreachable or expiring" -- scan --origin "$ok_origin" --fail-on "$f"
done
expect_usage "unknown option" "unrecognised option '--bogus'" -- scan --origin "$ok_origin" --bogus
expect_usage "unknown short option" "-x" -- scan --origin "$ok_origin" -x
expect_usage "unknown command" 'unknown command "frobnicate"' -- frobnicate
expect_usage "option before the command" 'unknown command "--origin"' -- --origin "$ok_origin"
# No command at all: the usage on stderr (a script's log shows why it failed), nothing on stdout.
rc=0
"$ORIGINSCAN" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
if [[ $rc -eq 2 && ! -s $tmp/out ]] && grep -q '^Usage: originscan scan' "$tmp/err"; then
    echo "ok: no command: exit 2, usage on stderr"
    passed=$((passed + 1))
else
    fail "no command: exit $rc, stdout $(wc -c <"$tmp/out") bytes, stderr: $(head -c 200 "$tmp/err")"
fi
expect_usage "--json without value" "the required argument for option '--json' is missing" -- scan --origin "$ok_origin" --json

echo "== --rules"
printf '{"rules": [{"match": "a.test", "min_mode": "bogus"}]}\n' >"$tmp/rules-mode.json"
printf '{"rules": [{"match": "a.test", "mode": "full"}]}\n' >"$tmp/rules-key.json"
printf '{"rules": [\n  {"match": "a.test",,}\n]}\n' >"$tmp/rules-syntax.json"
printf '[]\n' >"$tmp/rules-array.json"
printf '{"rules": [{"match": "a.test", "pins": ["sha256/nope"]}]}\n' >"$tmp/rules-pin.json"
printf '{"rules": [{"match": "a.test", "min_mode": "full"}\n' >"$tmp/rules-truncated.json"
: >"$tmp/rules-empty.json"
expect_usage "--rules unknown mode" "$tmp/rules-mode.json: rules[0].min_mode: unknown mode \"bogus\"" -- \
    scan --origin "$ok_origin" --rules "$tmp/rules-mode.json"
expect_usage "--rules unknown key" "$tmp/rules-key.json: rules[0]: unknown key \"mode\"" -- \
    scan --origin "$ok_origin" --rules "$tmp/rules-key.json"
expect_usage "--rules syntax error (FILE:LINE:COLUMN)" "$tmp/rules-syntax.json:2:" -- \
    scan --origin "$ok_origin" --rules "$tmp/rules-syntax.json"
expect_usage "--rules top level array" "$tmp/rules-array.json: " -- scan --origin "$ok_origin" --rules "$tmp/rules-array.json"
expect_usage "--rules bad pin" "$tmp/rules-pin.json: rules[0].pins" -- scan --origin "$ok_origin" --rules "$tmp/rules-pin.json"
expect_usage "--rules truncated" "$tmp/rules-truncated.json:" -- scan --origin "$ok_origin" --rules "$tmp/rules-truncated.json"
expect_usage "--rules empty file" "$tmp/rules-empty.json:1:1:" -- scan --origin "$ok_origin" --rules "$tmp/rules-empty.json"
printf '{"rules": [], "version": 1e999}\n' >"$tmp/rules-overflow.json"
expect_usage "--rules number overflow" "$tmp/rules-overflow.json" -- scan --origin "$ok_origin" --rules "$tmp/rules-overflow.json"
expect_usage "--rules missing" "$tmp/nonexistent-rules.json: No such file or directory" -- \
    scan --origin "$ok_origin" --rules "$tmp/nonexistent-rules.json"
expect_usage "--rules directory" "$tmp: is a directory" -- scan --origin "$ok_origin" --rules "$tmp"

echo "== --baseline"
printf '{}\n' >"$tmp/baseline-object.json"
printf 'nope\n' >"$tmp/baseline-text.json"
printf '{"schema_version": 99, "tool": {"name": "originscan"}}\n' >"$tmp/baseline-version.json"
: >"$tmp/baseline-empty.json"
expect_usage "--baseline not a report" "--baseline $tmp/baseline-object.json: not an originscan report" -- \
    scan --origin "$ok_origin" --baseline "$tmp/baseline-object.json"
expect_usage "--baseline not JSON" "--baseline $tmp/baseline-text.json: not JSON" -- \
    scan --origin "$ok_origin" --baseline "$tmp/baseline-text.json"
expect_usage "--baseline other schema version" "--baseline $tmp/baseline-version.json:" -- \
    scan --origin "$ok_origin" --baseline "$tmp/baseline-version.json"
expect_usage "--baseline empty file" "--baseline $tmp/baseline-empty.json: not JSON" -- \
    scan --origin "$ok_origin" --baseline "$tmp/baseline-empty.json"
expect_usage "--baseline missing" "$tmp/nonexistent-baseline.json: No such file or directory" -- \
    scan --origin "$ok_origin" --baseline "$tmp/nonexistent-baseline.json"

# A real report, one origin damaged: the reader names the path inside it.
if "$ORIGINSCAN" scan --origin "$ok_origin" --http-port 0 --timeout 2 --json "$tmp/good-report.json" >/dev/null 2>&1 ||
    [[ -s $tmp/good-report.json ]]; then
    python3 - "$tmp/good-report.json" "$tmp/baseline-damaged.json" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
report["origins"][0]["class"] = "bogus"
json.dump(report, open(sys.argv[2], "w"))
EOF
    sed 's/"concurrency": [0-9]*/"concurrency": 1e999/' "$tmp/good-report.json" >"$tmp/baseline-overflow.json"
    expect_usage "--baseline number overflow" "--baseline $tmp/baseline-overflow.json" -- \
        scan --origin "$ok_origin" --baseline "$tmp/baseline-overflow.json"
    expect_usage "--baseline with a bad class" "--baseline $tmp/baseline-damaged.json: origins[0].class" -- \
        scan --origin "$ok_origin" --baseline "$tmp/baseline-damaged.json"
else
    fail "could not produce a report to damage"
fi

echo "== unwritable output: exit 3 before the scan starts"
start_listener silent silent
silent_origin="silent.test@127.0.0.1:$(<"$tmp/silent.port")"
for out in "--json /nonexistent-dir/x.json" "--junit /nonexistent-dir/x.xml" "--json $tmp"; do
    start=$(date +%s%N)
    rc=0
    # shellcheck disable=SC2086  # $out is two words on purpose
    timeout 20 "$ORIGINSCAN" scan --origin "$silent_origin" --timeout 15 $out >"$tmp/out" 2>"$tmp/err" || rc=$?
    ms=$((($(date +%s%N) - start) / 1000000))
    if [[ $rc -eq 3 && $ms -lt 3000 && ! -s $tmp/out && $(wc -l <"$tmp/err") -eq 1 ]]; then
        echo "ok: unwritable $out: exit 3 in ${ms} ms: $(cat "$tmp/err")"
        passed=$((passed + 1))
    else
        fail "unwritable $out: exit $rc after ${ms} ms (want 3, well under the 15 s timeout); stderr: $(cat "$tmp/err")"
    fi
done
if [[ -f $tmp/silent.count ]]; then
    fail "unwritable output: the silent origin was contacted $(<"$tmp/silent.count") times before the path was checked"
fi

echo "== duplicated origins: scanned once, reported as listed"
# Two listeners that answer HTTP; group A is listed four times (one via --origin, one in other
# case), group B once. Whatever the number of connections one scan of an origin takes, both
# listeners must see the same number.
start_listener dup_a http
start_listener dup_b http
port_a=$(<"$tmp/dup_a.port") port_b=$(<"$tmp/dup_b.port")
list="$tmp/duplicates.txt"
{
    echo "dup.test@127.0.0.1:$port_a"
    echo "other.test@127.0.0.1:$port_b"
    echo "DUP.test@127.0.0.1:$port_a"
    echo "# the exact same line again"
    echo "dup.test@127.0.0.1:$port_a"
} >"$list"
rc=0
timeout 60 "$ORIGINSCAN" scan --origin "dup.test:$port_a@127.0.0.1" "$list" --http-port 0 --timeout 5 \
    --json "$tmp/dup-report.json" >"$tmp/out" 2>"$tmp/err" || rc=$?
if [[ $rc -ne 0 || ! -s $tmp/dup-report.json ]]; then
    fail "duplicates: exit $rc, stderr: $(cat "$tmp/err")"
else
    count_a=$(cat "$tmp/dup_a.count" 2>/dev/null || echo 0)
    count_b=$(cat "$tmp/dup_b.count" 2>/dev/null || echo 0)
    if [[ $count_b -ge 1 && $count_a -eq $count_b ]]; then
        echo "ok: duplicates: $count_a connection(s) to the origin listed 4 times, $count_b to the one listed once"
        passed=$((passed + 1))
    else
        fail "duplicates: $count_a connections for the origin listed 4 times, $count_b for the one listed once"
    fi
    if python3 - "$tmp/dup-report.json" "dup.test:$port_a@127.0.0.1" "$list" <<'EOF'; then
import json, sys
report = json.load(open(sys.argv[1]))
expected = [sys.argv[2]] + [l.strip() for l in open(sys.argv[3]) if l.strip() and not l.startswith("#")]
inputs = [o["input"] for o in report["origins"]]
assert inputs == expected, f"inputs {inputs} != listed {expected}"
assert [o["index"] for o in report["origins"]] == list(range(len(expected))), "indexes not 0..n-1"
assert report["summary"]["total"] == len(expected), "summary total"
dups = [o for o in report["origins"] if o["name"] == "dup.test"]
assert len(dups) == 4, f"{len(dups)} dup.test entries"
facts = {json.dumps({k: o[k] for k in ("class", "allowed_mode", "reasons", "scanned", "http", "failure", "tls")},
                    sort_keys=True) for o in dups}
assert len(facts) == 1, f"the duplicates differ: {facts}"
assert dups[0]["scanned"] and dups[0]["class"] == "plaintext", f"class {dups[0]['class']}"
print("ok: duplicates: every listed line in the report, in order, same class (%s, %s)"
      % (dups[0]["class"], ",".join(dups[0]["reasons"])))
EOF
        passed=$((passed + 1))
    else
        fail "duplicates: report check"
    fi
fi

echo
echo "bad_input: $passed passed, $failed failed, $xfailed known bugs (XFAIL)"
[[ $failed -eq 0 ]]
