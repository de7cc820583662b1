#!/usr/bin/env bash
# Issue 13: the machine's limits are the machine's, not the origin's. Under `ulimit -n 64`,
# 1,000 origins (the fixture's wildcard, self-signed and plain-HTTP origins under many distinct
# names) are scanned at --concurrency 256. Checks:
#   - the binary says on stderr that it lowered --concurrency to fit the open-file limit;
#   - exit status 0 with --baseline set to an unlimited run's report: no (false) downgrade;
#   - every origin appears exactly once in the JSON report, in input order, with the class and
#     reasons of the unlimited run, and none is unreachable (no "Too many open files" reset).
#
# Env: ORIGINSCAN (the binary), SOURCE_DIR (the source tree). Everything stays on loopback.
source "$SOURCE_DIR/tests/e2e/lib/common.sh"
python=/usr/bin/python3

e2e_begin fd_limit
start_origins

list=$tmp/origins.txt
for ((i = 0; i < 1000; i++)); do
    case $((i % 10)) in
        7 | 8) echo "s$i.bench.test@127.0.0.1:$PORT_SELF_SIGNED" ;;  # self-signed, hostname-mismatch
        9) echo "p$i.bench.test@127.0.0.1:$PORT_CLOSED" ;;           # refused, HTTP on --http-port
        *) echo "w$i.bench.test@127.0.0.1:$PORT_WILDCARD" ;;         # *.bench.test: ca-trusted
    esac
done >"$list"

scan() {  # scan REPORT [ARGS...]
    local report=$1
    shift
    "$ORIGINSCAN" scan --ca-file "$CA_FILE" --no-system-trust --http-port "$HTTP_PORT" --timeout 10 \
        --concurrency 256 --json "$report" "$@" "$list"
}

rc=0
scan "$tmp/unlimited.json" >"$tmp/unlimited.out" 2>"$tmp/unlimited.err" || rc=$?
check "unlimited scan: exit status 0 (got $rc)" test "$rc" -eq 0
check "unlimited scan: no concurrency notice" bash -c "! grep -q 'lowered to' '$tmp/unlimited.err'"

rc=0
(ulimit -n 64 && scan "$tmp/limited.json" --baseline "$tmp/unlimited.json") \
    >"$tmp/limited.out" 2>"$tmp/limited.err" || rc=$?
check "ulimit -n 64: exit status 0 with the unlimited report as baseline (got $rc; stderr: $(head -c 300 "$tmp/limited.err"))" \
    test "$rc" -eq 0
check "ulimit -n 64: the notice on stderr" \
    grep -qE '^originscan: --concurrency 256 lowered to [0-9]+ \(open-file limit 64\)$' "$tmp/limited.err"

check "ulimit -n 64: every origin once, in order, classed as in the unlimited run, none unreachable" \
    "$python" - "$SOURCE_DIR/reports/report.schema.json" "$tmp/unlimited.json" "$tmp/limited.json" "$list" <<'EOF'
import collections, json, sys
import jsonschema

schema_path, unlimited_path, limited_path, list_path = sys.argv[1:]
unlimited, limited = json.load(open(unlimited_path)), json.load(open(limited_path))
validator = jsonschema.Draft202012Validator(json.load(open(schema_path)))
problems = [f"schema: /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(limited)]
listed = [l.strip() for l in open(list_path) if l.strip()]
for name, report in (("unlimited", unlimited), ("limited", limited)):
    if [o["input"] for o in report["origins"]] != listed:
        problems.append(f"{name}: origins are not the 1,000 listed, each once, in input order")
    if not report["complete"]:
        problems.append(f"{name}: complete is not true")
want = {"w": ("ca-trusted", []), "s": ("self-signed", ["hostname-mismatch", "self-signed"]),
        "p": ("plaintext", ["refused"])}
for a, b in zip(unlimited["origins"], limited["origins"]):
    cls, reasons = want[a["input"][0]]
    for name, o in (("unlimited", a), ("limited", b)):
        if o["class"] != cls or sorted(o["reasons"]) != reasons:
            problems.append(f'{name}: {o["input"]}: {o["class"]} {o["reasons"]}, expected {cls} {reasons}')
    if b["verdict"]["change"] != "same":
        problems.append(f'limited: {b["input"]}: change {b["verdict"]["change"]}')
for p in problems[:20]:
    print("  " + p, file=sys.stderr)
if not problems:
    print("  1,000 origins: " + ", ".join(f"{c} {n}" for c, n in
          sorted(collections.Counter(o["class"] for o in limited["origins"]).items())))
sys.exit(1 if problems else 0)
EOF

e2e_end
