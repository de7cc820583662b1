#!/usr/bin/env bash
# Nothing lost on interruption (issue 4, "Nothing lost"). A scan of many silent origins (which
# would each take the whole 30 s timeout) and a few answering ones gets SIGINT, or SIGTERM,
# after about a second. The binary must:
#   - end within a couple of seconds of the signal, with exit 130 (SIGINT) or 143 (SIGTERM);
#   - still write the JSON and JUnit reports, the JSON valid and marked "complete": false;
#   - list every input origin exactly once, in input order: the ones scanned with their class,
#     the others "scanned": false, class unreachable, mode none, reason not-scanned;
#   - say INCOMPLETE in its terminal summary.
#
# Env: ORIGINSCAN (the binary), SOURCE_DIR (the source tree, for tests/fixtures/origins).
# Everything listens on loopback (the nginx fixture origins and their silent peer).
source "$SOURCE_DIR/tests/e2e/lib/common.sh"
set +e  # every step is checked and counted; one failing must not end the run

e2e_begin interrupt
start_origins 300

# Answering origins before, between and after the silent ones. The ones listed first are done
# long before the signal; the later ones may or may not have been reached.
expected_class() { awk -F'\t' -v spec="$1" '$1 == spec { print $2 }' "$fixture/expected.tsv"; }
good="good.demo.test@127.0.0.1:$PORT_GOOD"
self_signed="self-signed.demo.test@127.0.0.1:$PORT_SELF_SIGNED"
http_on_tls="http-on-tls.demo.test@127.0.0.1:$PORT_HTTP_ON_TLS"
refused="refused.demo.test@127.0.0.2:$PORT_REFUSED"
silent_count=300
list="$tmp/origins.txt"
{
    echo "# answering origins first"
    echo "$good"
    echo "$self_signed"
    echo "$refused"
    for ((i = 0; i < silent_count; i++)); do
        echo "silent$i.demo.test@127.0.0.1:$PORT_SILENT"
        ((i == silent_count / 2)) && echo "$http_on_tls"
    done
    echo "$good"
    echo "$self_signed"
} >"$list"
printf '%s\t%s\n' "$good" "$(expected_class "$good")" "$self_signed" "$(expected_class "$self_signed")" \
    "$http_on_tls" "$(expected_class "$http_on_tls")" "$refused" "$(expected_class "$refused")" >"$tmp/classes.tsv"
if [[ $(cut -f2 "$tmp/classes.tsv" | grep -c .) -ne 4 ]]; then
    fail "the fixture's expected.tsv lacks one of the answering origins"
    exit 1
fi

# interrupt SIGNAL EXPECTED_STATUS
interrupt() {
    local sig=$1 want=$2
    local json="$tmp/$sig.json" junit="$tmp/$sig.xml" out="$tmp/$sig.out" err="$tmp/$sig.err"
    echo "== $sig after ~1 s"
    "$ORIGINSCAN" scan "$list" --timeout 30 --concurrency 64 --ca-file "$CA_FILE" --no-system-trust \
        --http-port "$HTTP_PORT" --json "$json" --junit "$junit" >"$out" 2>"$err" &
    local pid=$!
    sleep 1
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid"
        fail "$sig: the scan ended by itself within 1 s (exit $?), nothing to interrupt; stderr: $(cat "$err")"
        return
    fi
    local sent
    sent=$(date +%s%N)
    kill -s "$sig" "$pid"
    # Wait up to 10 s, then kill it for good: a hang must fail the test, not the ctest timeout.
    local i
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        fail "$sig: still running 10 s after the signal"
        return
    fi
    local rc=0
    wait "$pid" || rc=$?
    local ms=$((($(date +%s%N) - sent) / 1000000))
    echo "exit $rc, $ms ms after the signal"
    [[ $rc -eq $want ]] || fail "$sig: exit $rc, expected $want; stderr: $(head -c 500 "$err")"
    ((ms <= 2500)) || fail "$sig: took $ms ms after the signal to end (want <= 2500)"
    grep -q 'INCOMPLETE' "$out" || fail "$sig: the terminal summary does not say INCOMPLETE"
    [[ -s $json ]] || { fail "$sig: no JSON report written"; return; }
    [[ -s $junit ]] || fail "$sig: no JUnit report written"
    compgen -G "$tmp/.*.tmp-*" >/dev/null && fail "$sig: a temporary report file was left behind"

    python3 - "$json" "$junit" "$list" "$tmp/classes.tsv" <<'EOF' || fail "$sig: report check"
import json, sys
import xml.etree.ElementTree as ET

json_path, junit_path, list_path, classes_path = sys.argv[1:]
listed = [l.strip() for l in open(list_path) if l.strip() and not l.startswith("#")]
classes = dict(l.rstrip("\n").split("\t") for l in open(classes_path))
report = json.load(open(json_path))  # raises on invalid JSON
problems = []
def check(ok, message):
    if not ok:
        problems.append(message)

check(report["complete"] is False, f'"complete" is {report["complete"]!r}, expected false')
origins = report["origins"]
check([o["input"] for o in origins] == listed, "origins are not the listed ones, each once, in input order")
check([o["index"] for o in origins] == list(range(len(listed))), "indexes are not 0..n-1")
check(report["summary"]["total"] == len(listed), "summary.total")
not_scanned = [o for o in origins if not o["scanned"]]
check(report["summary"]["not_scanned"] == len(not_scanned), "summary.not_scanned does not count the unscanned")
for o in origins:
    where = f'origins[{o["index"]}] {o["input"]}'
    if o["scanned"]:
        want = classes.get(o["input"])
        check(want is not None, f"{where}: a silent origin was reported as scanned before its 30 s timeout")
        check(want is None or o["class"] == want, f'{where}: class {o["class"]}, expected {want}')
    else:
        check(o["class"] == "unreachable" and o["allowed_mode"] == "none" and o["reasons"] == ["not-scanned"],
              f'{where}: unscanned but class {o["class"]}, mode {o["allowed_mode"]}, reasons {o["reasons"]}')
        check(o["verdict"]["violations"] == [], f"{where}: unscanned but with violations")
        check(o["tls"] is None and o["http"] is None and o["failure"] is None,
              f"{where}: unscanned but with probe facts")
# The three answering origins listed first end in milliseconds: they must have been scanned.
for o in origins[:3]:
    check(o["scanned"], f'origins[{o["index"]}] {o["input"]}: listed first, answers at once, yet not scanned')
check(sum(1 for o in origins if not o["scanned"]) >= 300, "fewer unscanned origins than silent ones")

junit = ET.parse(junit_path).getroot()
cases = junit.findall(".//testcase")
check(len(cases) == len(listed), f"JUnit: {len(cases)} testcases for {len(listed)} origins")
skipped = sum(1 for c in cases if c.find("skipped") is not None)
check(skipped == len(not_scanned), f"JUnit: {skipped} skipped, {len(not_scanned)} not scanned")

for p in problems[:20]:
    print("  " + p, file=sys.stderr)
if problems:
    sys.exit(1)
scanned = len(origins) - len(not_scanned)
print(f"report ok: {len(origins)} origins in input order, {scanned} scanned, {len(not_scanned)} not scanned")
EOF
}

interrupt INT 130
interrupt TERM 143

((failed)) || ok "SIGINT and SIGTERM: status, report and timing as required"
e2e_end
