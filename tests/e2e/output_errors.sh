#!/usr/bin/env bash
# Issue 13, outputs that fail: a write error on one output never hangs or crashes the scan and
# never costs another report. Through the binary, on the loopback fixture origins plus many
# refused ones (enough bytes to overflow a pipe and a small spool):
#   - --ndjson /dev/full, and --ndjson - into `head -c 10` (EPIPE): exit 3 naming the output
#     and the errno text; the scan stops; the JSON and JUnit are still written, marked
#     incomplete, with every origin exactly once in input order;
#   - --json - into `head -c 10` with --junit FILE: exit 3 naming stdout; the JUnit is still
#     written, valid, with every origin once; the NDJSON too;
#   - a full spool ($TMPDIR on a 256 KiB tmpfs, or RLIMIT_FSIZE when we cannot mount): exit 3
#     naming the spool file in $TMPDIR and the errno text; the NDJSON still holds every origin
#     once; no half report is left at the --json/--junit paths; a $TMPDIR that does not exist
#     is exit 3 naming it;
#   - NDJSON is on disk line by line: origins that answer are there, whole, while the scan
#     still waits on silent ones, and after it is killed with SIGKILL.
#
# Env: ORIGINSCAN (the binary), SOURCE_DIR (the source tree). Everything stays on loopback.
source "$SOURCE_DIR/tests/e2e/lib/common.sh"
set +e  # every step is checked and counted
python=/usr/bin/python3

e2e_begin output_errors
start_origins 300

good="good.demo.test@127.0.0.1:$PORT_GOOD"
self_signed="self-signed.demo.test@127.0.0.1:$PORT_SELF_SIGNED"
refused_count=3000
list=$tmp/origins.txt
{
    echo "$good"
    echo "$self_signed"
    for ((i = 0; i < refused_count; i++)); do echo "r$i.demo.test@127.0.0.2:$PORT_REFUSED"; done
    echo "$good"  # a duplicate: reported once per listed line
} >"$list"
scan_args=(scan "$list" --ca-file "$CA_FILE" --no-system-trust --http-port 0 --timeout 10 --concurrency 64)

# reports_ok WHAT [--incomplete] [--json F] [--junit F] [--ndjson F]: every listed origin
# exactly once (input order for JSON and JUnit; by index for NDJSON), files parse.
reports_ok() {
    local what=$1
    shift
    if "$python" - "$list" "$@" <<'EOF'; then ok "$what"; else fail "$what"; fi
import collections, json, sys
import xml.etree.ElementTree as ET

listed = [l.strip() for l in open(sys.argv[1]) if l.strip()]
args = sys.argv[2:]
incomplete = "--incomplete" in args
args = [a for a in args if a != "--incomplete"]
problems = []
for kind, path in zip(args[::2], args[1::2]):
    try:
        if kind == "--json":
            report = json.load(open(path))
            if [o["input"] for o in report["origins"]] != listed:
                problems.append(f"{path}: origins are not the listed ones, each once, in order")
            if report["complete"] is incomplete:
                problems.append(f'{path}: "complete" is {report["complete"]}')
        elif kind == "--junit":
            root = ET.parse(path).getroot()
            names = [c.get("name") for c in root.iter("testcase")]
            # A repeated line is named with its FILE:LINE (the list has no comment or blank line).
            repeats = collections.Counter(listed)
            if names != [s + (f" ({sys.argv[1]}:{i + 1})" if repeats[s] > 1 else "") for i, s in enumerate(listed)]:
                problems.append(f"{path}: {len(names)} testcases, not the {len(listed)} listed origins in order")
            complete = [p.get("value") for p in root.iter("property") if p.get("name") == "originscan.complete"]
            if complete != ["false" if incomplete else "true"]:
                problems.append(f"{path}: originscan.complete is {complete}")
        elif kind == "--ndjson":
            data = open(path, "rb").read()
            if not data.endswith(b"\n"):
                problems.append(f"{path}: does not end with a whole line")
            rows = [json.loads(line) for line in data.decode().splitlines()]
            by_index = sorted((r["index"], r["input"]) for r in rows)
            if by_index != list(enumerate(listed)):
                problems.append(f"{path}: {len(rows)} lines, not each listed origin once")
    except Exception as e:  # unreadable, not JSON, not XML
        problems.append(f"{path}: {e!r}")
for p in problems:
    print("  " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
}

# expect_failure WHAT RC STDERR MESSAGE: exit 3 and the message on stderr.
expect_failure() {
    local what=$1 rc=$2 err=$3 message=$4
    if [[ $rc -eq 3 ]] && grep -qF -- "$message" "$err"; then
        ok "$what: exit 3, \"$message\""
    else
        fail "$what: exit $rc, expected 3 with \"$message\"; stderr: $(grep -v '^ ' "$err" | tail -n 3)"
    fi
}

echo "== --ndjson /dev/full"
rc=0
timeout -k 5 120 "$ORIGINSCAN" "${scan_args[@]}" --ndjson /dev/full --json "$tmp/full.json" --junit "$tmp/full.xml" \
    >/dev/null 2>"$tmp/full.err" || rc=$?
expect_failure "--ndjson /dev/full" "$rc" "$tmp/full.err" "originscan: --ndjson /dev/full: No space left on device"
reports_ok "--ndjson /dev/full: JSON and JUnit written, incomplete, every origin once" \
    --incomplete --json "$tmp/full.json" --junit "$tmp/full.xml"

# scan_into_head NAME OPTION...: the scan, its stdout read by `head -c 10`, which then exits
# (EPIPE for the rest); sets rc, stderr in $tmp/NAME.err.
scan_into_head() {
    local name=$1
    shift
    timeout -k 5 120 "$ORIGINSCAN" "${scan_args[@]}" "$@" 2>"$tmp/$name.err" | head -c 10 >/dev/null
    rc=${PIPESTATUS[0]}
}

echo "== --ndjson - | head -c 10"
scan_into_head pipe --ndjson - --json "$tmp/pipe.json" --junit "$tmp/pipe.xml"
expect_failure "--ndjson - | head -c 10" "$rc" "$tmp/pipe.err" "originscan: --ndjson stdout: Broken pipe"
reports_ok "--ndjson - | head -c 10: JSON and JUnit written, incomplete, every origin once" \
    --incomplete --json "$tmp/pipe.json" --junit "$tmp/pipe.xml"

echo "== --json - | head -c 10, --junit FILE"
scan_into_head json-pipe --json - --junit "$tmp/json-pipe.xml" --ndjson "$tmp/json-pipe.ndjson"
expect_failure "--json - | head -c 10" "$rc" "$tmp/json-pipe.err" "originscan: --json stdout: Broken pipe"
reports_ok "--json - | head -c 10: the JUnit and NDJSON still written, every origin once" \
    --junit "$tmp/json-pipe.xml" --ndjson "$tmp/json-pipe.ndjson"

echo "== a full spool"
small=$tmp/small
mkdir -p "$small"
rc=0
# OUTPUT_ERRORS_RLIMIT=1 takes the RLIMIT_FSIZE way even where mounting works.
if [[ -z ${OUTPUT_ERRORS_RLIMIT:-} ]] && mount -t tmpfs -o size=256k tmpfs "$small" 2>/dev/null; then
    e2e_on_exit "umount '$small'"
    errno_text="No space left on device"
    TMPDIR=$small timeout -k 5 120 "$ORIGINSCAN" "${scan_args[@]}" --json "$tmp/spool.json" --junit "$tmp/spool.xml" \
        --ndjson "$tmp/spool.ndjson" >/dev/null 2>"$tmp/spool.err" || rc=$?
else
    # Not allowed to mount: a file size limit of 256 KiB hits the spool the same way (the
    # NDJSON goes through a pipe, which the limit does not apply to).
    echo "(no tmpfs: RLIMIT_FSIZE instead)"
    errno_text="File too large"
    (
        trap '' XFSZ
        ulimit -f 512
        TMPDIR=$small exec timeout -k 5 120 "$ORIGINSCAN" "${scan_args[@]}" --json "$tmp/spool.json" \
            --junit "$tmp/spool.xml" --ndjson - 2>"$tmp/spool.err"
    ) | cat >"$tmp/spool.ndjson"
    rc=${PIPESTATUS[0]}
fi
expect_failure "full spool" "$rc" "$tmp/spool.err" "spool $small/originscan-spool-"
grep -qF "$errno_text" "$tmp/spool.err" && ok "full spool: says \"$errno_text\"" ||
    fail "full spool: stderr lacks \"$errno_text\": $(tail -n 2 "$tmp/spool.err")"
reports_ok "full spool: the NDJSON holds every origin once" --ndjson "$tmp/spool.ndjson"
[[ ! -e $tmp/spool.json && ! -e $tmp/spool.xml ]] && ok "full spool: no report lacking origins was written" ||
    fail "full spool: a report was written although its spool failed"
compgen -G "$tmp/.*.tmp-*" >/dev/null && fail "a temporary report file was left behind"

echo "== \$TMPDIR missing"
rc=0
TMPDIR=$tmp/missing timeout -k 5 120 "$ORIGINSCAN" "${scan_args[@]}" --json "$tmp/missing.json" \
    >/dev/null 2>"$tmp/missing.err" || rc=$?
expect_failure "\$TMPDIR missing" "$rc" "$tmp/missing.err" \
    "originscan: --json spool in $tmp/missing: No such file or directory"

echo "== NDJSON line by line"
live_list=$tmp/live.txt
{
    echo "$good"
    echo "$self_signed"
    echo "refused.demo.test@127.0.0.2:$PORT_REFUSED"
    for ((i = 0; i < 20; i++)); do echo "silent$i.demo.test@127.0.0.1:$PORT_SILENT"; done
} >"$live_list"
live=$tmp/live.ndjson
"$ORIGINSCAN" scan "$live_list" --ca-file "$CA_FILE" --no-system-trust --http-port 0 --timeout 60 \
    --ndjson "$live" >/dev/null 2>"$tmp/live.err" &
pid=$!
for ((i = 0; i < 150; i++)); do
    [[ -f $live && $(wc -l <"$live") -ge 3 ]] && break
    sleep 0.1
done
kill -0 "$pid" 2>/dev/null && running=yes || running=no
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null  # bash reports "Killed" here: that is the point
[[ $running == yes ]] || fail "NDJSON line by line: the scan ended before it was killed (stderr: $(head -c 300 "$tmp/live.err"))"
check "NDJSON line by line: the three answering origins are on disk, whole, while the silent ones wait, and after SIGKILL" \
    "$python" - "$live" "$good" "$self_signed" <<'EOF'
import json, sys
path, *answering = sys.argv[1:]
data = open(path, "rb").read()
rows = [json.loads(line) for line in data.decode().splitlines()]
inputs = sorted(r["input"] for r in rows)
ok = data.endswith(b"\n") and len(rows) == 3 and set(answering) <= set(inputs) \
     and not any(i.startswith("silent") for i in inputs)
if not ok:
    print(f"  {len(rows)} lines: {inputs}", file=sys.stderr)
sys.exit(0 if ok else 1)
EOF

e2e_end
