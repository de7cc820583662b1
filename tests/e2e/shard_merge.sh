#!/usr/bin/env bash
# Issue 12 item 2 end to end: `scan --shard I/N` and `merge`, against the loopback fixture world
# (tests/fixtures/origins), its list with two origins repeated in other spellings:
#   - the world scanned once whole, and as 4 shards run as 4 concurrent processes, merged:
#     JSON, JUnit, SARIF and Prometheus byte-identical to the single scan's, and the same exit
#     status, once these fields are normalised (they are the only ones that differ): the run's
#     times (JSON started_at/finished_at, JUnit testsuite timestamp/time and the
#     originscan.started_at/finished_at properties, SARIF startTimeUtc/endTimeUtc, Prometheus
#     originscan_last_run_timestamp_seconds/originscan_run_duration_seconds) and each probe's
#     timings (JSON timings objects, JUnit testcase time);
#   - each shard's report: its shard object (index, count, origins here and left, digests), only
#     its own origins, counted alone; together they hold each origin once;
#   - merge refuses (exit 2, naming it) a missing shard, a shard given twice, a shard of another
#     list, of other options, of another count, a report that is no shard;
#   - merge --baseline --rules shows the same downgrade and below-required verdicts (exit 1) as
#     a single scan with --baseline --rules, identical reports;
#   - the stable hash: the list reversed, with other origins added, puts every origin in the
#     same shard;
#   - the flags: I >= N, N = 0, --shard with --shards, --shards without JOB_COMPLETION_INDEX,
#     malformed values exit 2; --shards N takes I from JOB_COMPLETION_INDEX.
# Env: ORIGINSCAN (the binary), SOURCE_DIR (the source tree). Everything stays on loopback.
source "$SOURCE_DIR/tests/e2e/lib/common.sh"
set +e  # every step is checked and counted
python=/usr/bin/python3

e2e_begin shard_merge
start_origins

list=$tmp/origins.txt
{
    cat "$fixture/origins.txt"
    echo "# the same origins again, spelled otherwise"
    echo "GOOD.demo.test.:$PORT_GOOD@127.0.0.1"
    echo "Self-Signed.demo.test:$PORT_SELF_SIGNED@127.0.0.1"
} >"$list"
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)  # one judgement time for every run compared
common=(--ca-file "$CA_FILE" --no-system-trust --http-port "$HTTP_PORT" --timeout 2 --now "$now")
outputs() { printf '%s\n' --json "$tmp/$1.json" --junit "$tmp/$1.xml" --sarif "$tmp/$1.sarif" --prometheus "$tmp/$1.prom"; }
mapfile -t single_out < <(outputs single)
"$ORIGINSCAN" scan "${common[@]}" "${single_out[@]}" "$list" >"$tmp/single.out" 2>"$tmp/single.err"
single_rc=$?
[[ -s $tmp/single.json ]] || { fail "the unsharded scan wrote no report (exit $single_rc): $(head -c 600 "$tmp/single.err")"; e2e_end; }

# Four shards at once, as four machines would run them.
pids=()
for i in 0 1 2 3; do
    "$ORIGINSCAN" scan "${common[@]}" --shard "$i/4" --json "$tmp/shard$i.json" "$list" \
        >"$tmp/shard$i.out" 2>"$tmp/shard$i.err" &
    pids+=($!)
done
for i in 0 1 2 3; do
    wait "${pids[$i]}"
    rc=$?
    if ((rc == 0 || rc == 1)); then ok "shard $i/4: exit status $rc"; else fail "shard $i/4: exit $rc: $(head -c 600 "$tmp/shard$i.err")"; fi
done
shards=("$tmp"/shard{0,1,2,3}.json)

"$python" - "$list" "${shards[@]}" >"$tmp/shards.check" 2>&1 <<'PY'
import json, sys
lines = [l.strip() for l in open(sys.argv[1]) if l.strip() and not l.strip().startswith("#")]
problems, seen = [], {}
for i, path in enumerate(sys.argv[2:]):
    r = json.load(open(path))
    s = r.get("shard")
    if not s:
        problems.append(f"{path}: no shard object"); continue
    if (s["index"], s["count"]) != (i, 4): problems.append(f"{path}: shard {s['index']}/{s['count']}")
    if s["origins_total"] != len(lines): problems.append(f"{path}: origins_total {s['origins_total']}, list has {len(lines)}")
    if s["origins_here"] != len(r["origins"]): problems.append(f"{path}: origins_here {s['origins_here']}, holds {len(r['origins'])}")
    if s["origins_left"] != len(lines) - len(r["origins"]): problems.append(f"{path}: origins_left {s['origins_left']}")
    if r["summary"]["total"] != len(r["origins"]): problems.append(f"{path}: summary.total counts others' origins")
    if r["summary"]["not_scanned"] != 0: problems.append(f"{path}: origins left to others counted not-scanned")
    for o in r["origins"]:
        if o["index"] in seen: problems.append(f"origin {o['index']} in {seen[o['index']]} and {path}")
        seen[o["index"]] = path
        if lines[o["index"]] != o["input"]: problems.append(f"{path}: origin {o['index']} is not the list's line")
    # The repeated identities (listed twice) come with their shard.
    ids = {}
    for o in r["origins"]: ids.setdefault(o["id"], []).append(o["index"])
    repeated = sorted(i for v in ids.values() if len(v) > 1 for i in v)
    if repeated != sorted(s["listed_more_than_once"]): problems.append(f"{path}: listed_more_than_once {s['listed_more_than_once']}, expected {repeated}")
if sorted(seen) != list(range(len(lines))): problems.append(f"the shards hold {len(seen)} of {len(lines)} origins")
if sum(1 for p in sys.argv[2:] if json.load(open(p))["origins"]) < 3: problems.append("the hash put (almost) everything in one shard")
print("\n".join(problems), end="")
sys.exit(1 if problems else 0)
PY
check "each shard holds its own origins, counted alone, all of them once together ($(tr '\n' ' ' <"$tmp/shards.check"))" test ! -s "$tmp/shards.check"

# valid SCHEMA-CHECKED REPORT...: every report valid against reports/report.schema.json.
valid() {
    "$python" - "$SOURCE_DIR/reports/report.schema.json" "$@" >"$tmp/schema.err" 2>&1 <<'PY'
import json, sys
import jsonschema
validator = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
for path in sys.argv[2:]:
    for e in list(validator.iter_errors(json.load(open(path))))[:5]:
        print(f"{path}: /{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}")
PY
    check "valid against the schema: ${*##*/} ($(head -c 600 "$tmp/schema.err"))" test ! -s "$tmp/schema.err"
}
valid "${shards[@]}"

# The only fields two runs of one list may differ in: the run's times and the timings.
cat >"$tmp/normalise.py" <<'PY'
import json, re, sys
prefix, kind = sys.argv[1], sys.argv[2]
text = open(f"{prefix}.{kind}").read()
def zero_timings(v):
    if isinstance(v, dict):
        return {k: (None if k == "timings" and x is not None else zero_timings(x)) for k, x in v.items()}
    if isinstance(v, list):
        return [zero_timings(x) for x in v]
    return v
if kind == "json":
    r = json.loads(text)
    r["started_at"] = r["finished_at"] = None
    text = json.dumps(zero_timings(r), indent=1, ensure_ascii=False)
elif kind == "xml":
    text = re.sub(r'(<testsuites?\b[^>]*?) timestamp="[^"]*"', r'\1 timestamp="T"', text)
    text = re.sub(r'(<(?:testsuites?|testcase)\b[^>]*?) time="[^"]*"', r'\1 time="T"', text)
    text = re.sub(r'(name="originscan\.(?:started|finished)_at" value=)"[^"]*"', r'\1"T"', text)
elif kind == "sarif":
    text = re.sub(r'"(startTimeUtc|endTimeUtc)": "[^"]*"', r'"\1": "T"', text)
elif kind == "prom":
    text = re.sub(r'^(originscan_(?:last_run_timestamp|run_duration)_seconds) .*$', r'\1 T', text, flags=re.M)
sys.stdout.write(text)
PY
# same_reports A B WHAT: the four reports of runs A and B are identical once normalised.
same_reports() {
    local kind
    for kind in json xml sarif prom; do
        "$python" "$tmp/normalise.py" "$tmp/$1" "$kind" >"$tmp/$1.$kind.norm" 2>&1
        "$python" "$tmp/normalise.py" "$tmp/$2" "$kind" >"$tmp/$2.$kind.norm" 2>&1
        if cmp -s "$tmp/$1.$kind.norm" "$tmp/$2.$kind.norm" && [[ -s $tmp/$1.$kind.norm ]]; then
            ok "$3: the $kind reports are identical (run times and timings normalised)"
        else
            fail "$3: the $kind reports differ: $(diff "$tmp/$1.$kind.norm" "$tmp/$2.$kind.norm" | head -20)"
        fi
    done
}

mapfile -t merged_out < <(outputs merged)
"$ORIGINSCAN" merge "${merged_out[@]}" "${shards[@]}" >"$tmp/merged.out" 2>"$tmp/merged.err"
rc=$?
check "merge: the exit status of the unsharded scan ($single_rc; got $rc: $(head -c 300 "$tmp/merged.err"))" test "$rc" -eq "$single_rc"
same_reports single merged "4 shards merged vs one scan"
valid "$tmp/merged.json"
check "merge: the same terminal summary as the scan" cmp -s "$tmp/single.out" "$tmp/merged.out"
# The shards given in another order change nothing.
mapfile -t reordered_out < <(outputs reordered)
"$ORIGINSCAN" merge "${reordered_out[@]}" "$tmp/shard2.json" "$tmp/shard0.json" "$tmp/shard3.json" "$tmp/shard1.json" \
    >/dev/null 2>"$tmp/reordered.err"
same_reports single reordered "shards given out of order"

# refused WHAT PATTERN MERGE-ARGS...: merge exits 2, says PATTERN on stderr, writes nothing.
refused() {
    local what=$1 pattern=$2 rc=0
    shift 2
    "$ORIGINSCAN" merge --json "$tmp/refused.json" "$@" >/dev/null 2>"$tmp/refused.err" || rc=$?
    if ((rc == 2)) && grep -qF -- "$pattern" "$tmp/refused.err" && [[ ! -e $tmp/refused.json ]]; then
        ok "merge refuses $what (exit 2: $(head -c 200 "$tmp/refused.err"))"
    else
        fail "merge with $what: exit $rc, expected 2 naming \"$pattern\"; stderr: $(head -c 300 "$tmp/refused.err")"
    fi
}
refused "a missing shard" "shard 3/4 missing" "$tmp/shard0.json" "$tmp/shard1.json" "$tmp/shard2.json"
cp "$tmp/shard1.json" "$tmp/shard1-again.json"
refused "a shard given twice" "shard 1/4 is given twice: $tmp/shard1.json and $tmp/shard1-again.json" \
    "${shards[@]}" "$tmp/shard1-again.json"
refused "an unsharded report" "$tmp/single.json: not a shard report" "$tmp/single.json"
# Shard 3 of a list with one more origin.
{ cat "$list"; echo "other.demo.test@127.0.0.2:$PORT_REFUSED"; } >"$tmp/other-list.txt"
"$ORIGINSCAN" scan "${common[@]}" --shard 3/4 --json "$tmp/other3.json" "$tmp/other-list.txt" >/dev/null 2>&1
refused "a shard of another list" "shard $tmp/other3.json (3/4) is of another list" \
    "$tmp/shard0.json" "$tmp/shard1.json" "$tmp/shard2.json" "$tmp/other3.json"
"$ORIGINSCAN" scan "${common[@]}" --expiry-days 30 --shard 3/4 --json "$tmp/options3.json" "$list" >/dev/null 2>&1
refused "a shard of other options" "shard $tmp/options3.json (3/4) is of other options" \
    "$tmp/shard0.json" "$tmp/shard1.json" "$tmp/shard2.json" "$tmp/options3.json"
"$ORIGINSCAN" scan "${common[@]}" --shard 1/3 --json "$tmp/third.json" "$list" >/dev/null 2>&1
refused "a shard of another count" "shard $tmp/third.json (1/3) is of another shard count" "${shards[@]}" "$tmp/third.json"

# The baseline and the rules at the merge: as one scan with them. The baseline is the single
# scan's report with self-signed.demo.test once strict (so now a downgrade) and the good origin
# absent (so new); the rules want strict of the self-signed origin.
"$python" - "$tmp/single.json" "$tmp/baseline.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for o in r["origins"]:
    if o["name"] == "self-signed.demo.test":
        o["allowed_mode"], o["class"], o["reasons"] = "strict", "ca-trusted", []
r["origins"] = [o for o in r["origins"] if o["name"] != "good.demo.test"]
json.dump(r, open(sys.argv[2], "w"), indent=2)
PY
printf '{"rules": [{"match": "self-signed.demo.test", "min_mode": "strict"}]}\n' >"$tmp/rules.json"
mapfile -t single_b_out < <(outputs single-b)
"$ORIGINSCAN" scan "${common[@]}" --baseline "$tmp/baseline.json" --rules "$tmp/rules.json" "${single_b_out[@]}" "$list" \
    >/dev/null 2>"$tmp/single-b.err"
single_b_rc=$?
mapfile -t merged_b_out < <(outputs merged-b)
"$ORIGINSCAN" merge --baseline "$tmp/baseline.json" --rules "$tmp/rules.json" "${merged_b_out[@]}" "${shards[@]}" \
    >/dev/null 2>"$tmp/merged-b.err"
merged_b_rc=$?
check "merge --baseline --rules: exit 1 as the scan with them (scan $single_b_rc, merge $merged_b_rc)" \
    test "$single_b_rc" -eq 1 -a "$merged_b_rc" -eq 1
"$python" - "$tmp/merged-b.json" >"$tmp/merged-b.check" 2>&1 <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
problems = []
for o in r["origins"]:
    v = o["verdict"]
    if o["name"] == "self-signed.demo.test":
        if v["change"] != "downgrade" or "downgrade" not in v["violations"] or "below-required" not in v["violations"]:
            problems.append(f"{o['input']}: {v}")
    if o["name"] == "good.demo.test" and v["change"] != "new":
        problems.append(f"{o['input']}: change {v['change']}, expected new")
if r["summary"]["downgrades"] != 2: problems.append(f"summary.downgrades {r['summary']['downgrades']}, expected 2 (two lines)")
print("\n".join(problems), end="")
sys.exit(1 if problems else 0)
PY
check "merge --baseline: the downgrade, below-required and new verdicts ($(tr '\n' ' ' <"$tmp/merged-b.check"))" test ! -s "$tmp/merged-b.check"
same_reports single-b merged-b "merge --baseline --rules vs scan --baseline --rules"

# The stable hash: the list reversed, other origins added; each origin in the same shard.
{ grep -v '^#' "$list" | grep . | tac; for n in 1 2 3 4 5 6 7 8; do echo "added-$n.demo.test@127.0.0.2:$PORT_REFUSED"; done; } \
    >"$tmp/reversed.txt"
pids=()
for i in 0 1 2 3; do
    "$ORIGINSCAN" scan --timeout 0.5 --retries 0 --http-port 0 --no-system-trust --ca-file "$CA_FILE" --shard "$i/4" \
        --json "$tmp/reversed$i.json" "$tmp/reversed.txt" >/dev/null 2>&1 &
    pids+=($!)
done
wait "${pids[@]}"
"$python" - "$tmp" >"$tmp/stable.check" 2>&1 <<'PY'
import json, sys
tmp = sys.argv[1]
problems = []
for i in range(4):
    before = {o["id"] for o in json.load(open(f"{tmp}/shard{i}.json"))["origins"]}
    after = {o["id"] for o in json.load(open(f"{tmp}/reversed{i}.json"))["origins"]}
    if not before <= after:
        problems.append(f"shard {i}: {sorted(before - after)} moved away")
print("\n".join(problems), end="")
sys.exit(1 if problems else 0)
PY
check "an origin stays in its shard when the list is reversed and grows ($(tr '\n' ' ' <"$tmp/stable.check"))" test ! -s "$tmp/stable.check"

# The flags.
one="refused.demo.test@127.0.0.2:$PORT_REFUSED"
flag_refused() {
    local what=$1 pattern=$2 rc=0
    shift 2
    "$ORIGINSCAN" scan --timeout 0.5 --json "$tmp/flag.json" --origin "$one" "$@" >/dev/null 2>"$tmp/flag.err" || rc=$?
    if ((rc == 2)) && grep -qF -- "$pattern" "$tmp/flag.err"; then
        ok "$what: exit 2 ($(head -c 160 "$tmp/flag.err"))"
    else
        fail "$what: exit $rc, expected 2 saying \"$pattern\": $(head -c 300 "$tmp/flag.err")"
    fi
}
flag_refused "--shard 4/4" "I must be below N" --shard 4/4
flag_refused "--shard 0/0" "N must be 1 to" --shard 0/0
flag_refused "--shard 1" "expected I/N" --shard 1
flag_refused "--shard a/4" "whole numbers" --shard a/4
flag_refused "--shard with --shards" "--shard and --shards" --shard 1/4 --shards 4
saved_index=${JOB_COMPLETION_INDEX-}
unset JOB_COMPLETION_INDEX
flag_refused "--shards without JOB_COMPLETION_INDEX" "JOB_COMPLETION_INDEX" --shards 4
export JOB_COMPLETION_INDEX=4
flag_refused "--shards 4 with JOB_COMPLETION_INDEX=4" "I must be below N" --shards 4
JOB_COMPLETION_INDEX=2 "$ORIGINSCAN" scan --timeout 0.5 --retries 0 --json "$tmp/job.json" --origin "$one" --shards 4 \
    >/dev/null 2>&1
check "--shards 4 with JOB_COMPLETION_INDEX=2 is shard 2/4" "$python" -c \
    'import json,sys; s=json.load(open(sys.argv[1]))["shard"]; sys.exit(0 if (s["index"], s["count"]) == (2, 4) else 1)' \
    "$tmp/job.json"
if [[ -n $saved_index ]]; then JOB_COMPLETION_INDEX=$saved_index; else unset JOB_COMPLETION_INDEX; fi

e2e_end
