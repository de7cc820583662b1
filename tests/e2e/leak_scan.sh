#!/usr/bin/env bash
# No leak under LeakSanitizer across a 10,000-origin scan (issue 4, "Continuous proof"), nor
# across an interrupted one (in-flight work abandoned on SIGINT must be freed too).
#
# Runs only when ORIGINSCAN is an AddressSanitizer build (libasan linked, or __asan_init in
# its symbols, or ORIGINSCAN_ASAN=1); otherwise prints SKIP and passes.
#
# The origins are the loopback fixtures (tests/fixtures/origins): each list line has its own
# name, so none is deduplicated away, and the mix covers every path an origin takes: full TLS
# handshakes (trusted, name mismatch, self-signed), HTTP on the TLS port, refused TLS with the
# HTTP port answering, refused everything, a TLS alert, and silence until the timeout.
#
# Env: ORIGINSCAN, SOURCE_DIR; LEAK_SCAN_ORIGINS (default 10000) to try other sizes.
source "$SOURCE_DIR/tests/e2e/lib/common.sh"
set +e  # every step is checked and counted; one failing must not end the run

if ! asan_build; then
    echo "SKIP: $ORIGINSCAN is not an AddressSanitizer build (configure with -DORIGINSCAN_SANITIZE=ON, or set ORIGINSCAN_ASAN=1)"
    exit 0
fi

e2e_begin leak_scan
start_origins 600

# Leaks make the run exit 97 and print "ERROR: LeakSanitizer"; anything else ASan or UBSan
# finds fails the run too. These options override whatever the caller's environment says.
export ASAN_OPTIONS=detect_leaks=1:exitcode=97:abort_on_error=0:halt_on_error=1:leak_check_at_exit=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=max_leaks=10

total=${LEAK_SCAN_ORIGINS:-10000}
list="$tmp/origins.txt"
l=127.0.0.1
{
    echo "good.demo.test@$l:$PORT_GOOD"
    for ((i = 1; i < total; i++)); do
        case $((i % 10)) in
        0 | 1 | 2) echo "t$i.demo.test@$l:$PORT_GOOD" ;;          # TLS, name mismatch
        3) echo "u$i.demo.test@$l:$PORT_SELF_SIGNED" ;;            # TLS, self-signed
        4) echo "h$i.demo.test@$l:$PORT_HTTP_ON_TLS" ;;            # HTTP on the TLS port
        5) echo "p$i.demo.test@$l:$PORT_CLOSED" ;;                 # refused, HTTP port answers
        6) echo "r$i.demo.test@127.0.0.2:$PORT_REFUSED" ;;         # refused everywhere
        7) echo "a$i.demo.test@$l:$PORT_REJECT" ;;                 # TLS alert
        8) echo "s$i.demo.test@$l:$PORT_SILENT" ;;                 # silent: timeout
        9) echo "t$i.demo.test@$l:$PORT_GOOD" ;;
        esac
    done
} >"$list"

scan_args=(scan "$list" --ca-file "$CA_FILE" --no-system-trust --http-port "$HTTP_PORT"
    --concurrency 200)

# A leak report, or LSan unable to run (it is then silent about leaks): both fail.
check_sanitizers() {
    local what=$1 err=$2
    if grep -q 'ERROR: LeakSanitizer: detected memory leaks' "$err"; then
        fail "$what: LeakSanitizer found leaks:"
        grep -E '^(Direct|Indirect) leak|^    #[0-9]+ .*(originscan|/work/)|^SUMMARY' "$err" | head -60 >&2
    fi
    if grep -qE 'LeakSanitizer has encountered a fatal error|LeakSanitizer does not work' "$err"; then
        fail "$what: LeakSanitizer could not run here (ptrace?); no leak check was made"
        head -5 "$err" >&2
    fi
    if grep -qE 'ERROR: AddressSanitizer|runtime error:' "$err"; then
        fail "$what: sanitizer error:"
        grep -E 'ERROR: AddressSanitizer|runtime error:' "$err" | head -10 >&2
    fi
}

echo "== $total origins under ASan + LSan"
start=$(date +%s)
rc=0
timeout 300 "$ORIGINSCAN" "${scan_args[@]}" --timeout 2 --json "$tmp/full.json" >/dev/null 2>"$tmp/full.err" || rc=$?
echo "exit $rc after $(($(date +%s) - start)) s"
check_sanitizers "full scan" "$tmp/full.err"
# 0 or 1 (no rules: 0 expected) are normal ends; 97 is a leak, 124 the timeout.
[[ $rc -eq 0 || $rc -eq 1 ]] || fail "full scan: exit $rc; stderr: $(head -c 1000 "$tmp/full.err")"
if [[ -s $tmp/full.json ]]; then
    python3 - "$tmp/full.json" "$total" <<'EOF' || fail "full scan: report check"
import collections, json, sys
report = json.load(open(sys.argv[1]))
total = int(sys.argv[2])
origins = report["origins"]
assert len(origins) == total, f"{len(origins)} origins in the report, {total} listed"
assert report["complete"] is True, "complete is not true"
assert all(o["scanned"] for o in origins), "an origin was not scanned"
classes = collections.Counter(o["class"] for o in origins)
reasons = collections.Counter(r for o in origins for r in o["reasons"])
# Every path was really taken (the fixture answered as expected).
for reason in ("hostname-mismatch", "self-signed", "http-on-tls-port", "refused", "tls-alert", "timeout"):
    assert reasons[reason] > 0, f"no origin with reason {reason}: {dict(reasons)}"
assert classes["ca-trusted"] >= 1, "the good origin is not ca-trusted"
print("report ok:", dict(sorted(classes.items())))
EOF
else
    fail "full scan: no report"
fi

echo "== interrupted after ~2 s under ASan + LSan"
"$ORIGINSCAN" "${scan_args[@]}" --timeout 30 --json "$tmp/interrupted.json" >/dev/null 2>"$tmp/int.err" &
pid=$!
sleep 2
kill -INT "$pid" 2>/dev/null
for ((i = 0; i < 300; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
    fail "interrupted scan: still running 30 s after SIGINT"
fi
rc=0
wait "$pid" || rc=$?
echo "exit $rc"
check_sanitizers "interrupted scan" "$tmp/int.err"
[[ $rc -eq 130 ]] || fail "interrupted scan: exit $rc, expected 130; stderr: $(head -c 1000 "$tmp/int.err")"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["complete"] is False' "$tmp/interrupted.json" ||
    fail "interrupted scan: report missing, invalid, or not marked incomplete"

((failed)) || ok "no leak and no sanitizer report, full and interrupted scan"
e2e_end
