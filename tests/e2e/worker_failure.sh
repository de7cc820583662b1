#!/usr/bin/env bash
# No silent worker death (issue 13). Something throwing on a scanner thread must end the run
# at once, not hang it or drop that thread's origins from a "complete" report:
#   - the failure injected by the test build's hook (ORIGINSCAN_TEST_THROW_AT=INDEX, read only
#     when the binary is built with the tests) while silent origins hold other workers;
#   - the NDJSON sink failing to write (--ndjson /dev/full).
# Each run must exit 3 within seconds (the silent origins' deadline is 30 s), say
# "originscan: internal error: ..." on stderr, and still write the JSON and JUnit reports:
# valid, "complete": false, every listed origin exactly once in input order, the origins
# without a result "scanned": false with reason not-scanned.
#
# Env: ORIGINSCAN (the binary), SOURCE_DIR (the source tree). Everything stays on loopback.
source "$SOURCE_DIR/tests/e2e/lib/common.sh"
set +e

e2e_begin worker_failure
start_origins 300

good="good.demo.test@127.0.0.1:$PORT_GOOD"
self_signed="self-signed.demo.test@127.0.0.1:$PORT_SELF_SIGNED"
list=$tmp/origins.txt
{
    echo "$good"
    echo "$self_signed"
    for i in {0..39}; do echo "silent$i.demo.test@127.0.0.1:$PORT_SILENT"; done
    echo "throws.demo.test@127.0.0.1:$PORT_GOOD"  # index 42
    for i in {0..99}; do echo "later$i.demo.test@127.0.0.2:$PORT_REFUSED"; done
    echo "$good"  # a duplicate, reported on its own line
} >"$list"

# check_report NAME JSON JUNIT: the report contract above.
# shellcheck disable=SC2317  # called through check
check_report() {
    python3 - "$2" "$3" "$list" "$SOURCE_DIR/reports/report.schema.json" <<'EOF'
import json, sys
import xml.etree.ElementTree as ET
import jsonschema
json_path, junit_path, list_path, schema_path = sys.argv[1:]
listed = [l.strip() for l in open(list_path) if l.strip()]
report = json.load(open(json_path))
problems = [f"schema: {e.message}" for e in jsonschema.Draft202012Validator(json.load(open(schema_path))).iter_errors(report)]
if report["complete"] is not False:
    problems.append(f'complete is {report["complete"]!r}')
origins = report["origins"]
if [o["input"] for o in origins] != listed:
    problems.append("origins are not the listed ones, each once, in input order")
if [o["index"] for o in origins] != list(range(len(listed))):
    problems.append("indexes are not 0..n-1")
if report["summary"]["total"] != len(listed):
    problems.append("summary.total")
for o in origins:
    if not o["scanned"] and o["reasons"] != ["not-scanned"]:
        problems.append(f'{o["input"]}: unscanned with reasons {o["reasons"]}')
    if o["scanned"] and o["input"].startswith("silent"):
        problems.append(f'{o["input"]}: a silent origin scanned before its 30 s deadline')
unscanned = sum(1 for o in origins if not o["scanned"])
if unscanned < 40:
    problems.append(f"only {unscanned} not scanned: the silent ones at least")
cases = ET.parse(junit_path).getroot().findall(".//testcase")
if len(cases) != len(listed):
    problems.append(f"JUnit: {len(cases)} testcases for {len(listed)} origins")
for p in problems[:10]:
    print("  " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
}

# run_failing NAME EXPECTED_MESSAGE ARGS...: runs the scan (in the background, killed after
# 20 s should it hang) and checks status, message and reports.
run_failing() {
    local name=$1 message=$2
    shift 2
    local json=$tmp/$name.json junit=$tmp/$name.xml
    local start rc=0
    start=$(date +%s%N)
    timeout -s KILL 20 "$ORIGINSCAN" scan "$list" --timeout 30 --concurrency 64 --ca-file "$CA_FILE" \
        --no-system-trust --http-port "$HTTP_PORT" --json "$json" --junit "$junit" "$@" \
        >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
    local ms=$((($(date +%s%N) - start) / 1000000))
    echo "$name: exit $rc after $ms ms"
    if [[ $rc -eq 137 ]]; then
        fail "$name: still running after 20 s (the silent origins' deadline is 30 s): a hang"
        return
    fi
    check "$name: exit 3" test "$rc" -eq 3
    if grep -qF "originscan: $message" "$tmp/$name.err"; then
        ok "$name: stderr says: $(grep -F "$message" "$tmp/$name.err")"
    else
        fail "$name: stderr lacks 'originscan: $message': $(head -c 400 "$tmp/$name.err")"
    fi
    check "$name: summary says INCOMPLETE" grep -q INCOMPLETE "$tmp/$name.out"
    if [[ -s $json && -s $junit ]]; then
        check "$name: reports valid, complete false, every origin once in order" check_report "$name" "$json" "$junit"
    else
        fail "$name: a report is missing"
    fi
}

echo "== a scanner thread throws (test hook) with silent origins in flight"
ORIGINSCAN_TEST_THROW_AT=42 run_failing hook "internal error: test hook: injected failure before origin 42"

# The collector records a failed write (it never throws into the scanner) and stops the scan:
# the same incomplete reports and exit 3, with the output's own message.
echo "== the NDJSON sink cannot write (--ndjson /dev/full)"
run_failing ndjson-full "--ndjson /dev/full: No space left on device" --ndjson /dev/full

e2e_end
