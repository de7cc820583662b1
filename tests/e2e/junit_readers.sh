#!/usr/bin/env bash
# The JUnit report as real readers read it (issue 10, item 3), from a real scan of the loopback
# fixture origins (tests/fixtures/origins) under a rules file that wants strict and
# --fail-on unreachable: self-signed and plaintext origins fail once (below-required),
# unreachable ones twice (below-required + unreachable), and two lines and one --origin repeat
# an origin. Each reader, installed from packages by ci/install-deps, must show:
#   - as many testcases as origins listed, each name once (a repeated line named with its
#     FILE:LINE or --origin N), and as many failures as failing origins (not violations);
#   - for a failing origin, one failure whose text names every violation, with its type the
#     first; for a passing origin, none.
# Readers: junitparser (Debian python3-junitparser; its recount too), junit2json,
# xunit-viewer (its console rendering), junit-report-merger (two scans merged into one
# report, then read back). The expectations come from the JSON report of the same scan.
# Env: ORIGINSCAN (the binary), SOURCE_DIR (the source tree). Everything stays on loopback.
source "$SOURCE_DIR/tests/e2e/lib/common.sh"
python=/usr/bin/python3

e2e_begin junit_readers
junit2json=$(npm_tool junit2json) && xunit_viewer=$(npm_tool xunit-viewer) && jrm=$(npm_tool jrm) ||
    { fail "the npm JUnit readers are not installed (ci/install-deps)"; e2e_end; }
"$python" -c 'import junitparser' 2>/dev/null ||
    { fail "python3-junitparser is not installed (ci/install-deps)"; e2e_end; }
start_origins

# Lists without comments, so that a spec's line is its position: the fixture's origins, then
# its first two again. a.txt and b.txt split them for the merge. The scans run in $tmp, so a
# repeated line is named "origins.txt:N" (the path as given).
cd "$tmp"
grep -v '^#' "$fixture/origins.txt" | grep . >base.txt
{ cat base.txt; head -n 2 base.txt; } >origins.txt
half=$(($(wc -l <base.txt) / 2))
{ head -n "$half" base.txt; head -n 2 base.txt; } >a.txt
tail -n +"$((half + 1))" base.txt >b.txt
grep -q silent b.txt && grep -q refused b.txt || { fail "the fixture's list changed: no unreachable origin in b.txt"; e2e_end; }
printf '{"rules": [{"match": "*.demo.test", "min_mode": "strict"}, {"match": "*.bench.test", "min_mode": "strict"}]}\n' >rules.json
good="good.demo.test@127.0.0.1:$PORT_GOOD"

# scan NAME [ARGS...]: NAME.json and NAME.xml; a policy failure (exit 1) expected.
scan() {
    local name=$1 rc=0
    shift
    "$ORIGINSCAN" scan --ca-file "$CA_FILE" --no-system-trust --http-port "$HTTP_PORT" --timeout 2 \
        --rules rules.json --fail-on unreachable --json "$name.json" --junit "$name.xml" "$@" \
        >"$name.out" 2>"$name.err" || rc=$?
    [[ $rc -eq 1 && -s $name.xml ]] || { fail "scan $name: exit $rc, expected 1: $(head -c 500 "$name.err")"; e2e_end; }
}
scan all --origin "$good" origins.txt
scan a a.txt
scan b b.txt

# check.py READER VIEW REPORT.json:OPTIONS:LIST...: compares what a reader showed (VIEW, JSON:
# {"tests", "failures", "cases": [{"name", "failures": [{"type", "text"}]}]}, "type" null
# where the reader does not show it; "stated": [tests, failures] the counts the file says, when
# the reader counts again) with what the JSON reports say. OPTIONS is the number of
# --origin specs before the LIST's lines.
cat >check.py <<'EOF'
import collections, json, sys

reader, view_path, *reports = sys.argv[1:]
view = json.load(open(view_path))
problems = []
def check(ok, message):
    if not ok:
        problems.append(message)

def shown(kind, origin):  # the words a violation's message starts with (reports/format.cpp)
    v = origin["verdict"]
    if kind == "below-required":
        return f'below-required: allowed mode {origin["allowed_mode"]} is below the required {v["required_mode"]}'
    if kind == "unreachable":
        return "unreachable: no edge mode can reach the origin"
    return f"{kind}: "

expected = {}  # testcase name -> its origin
for spec in reports:
    path, options, listed = spec.split(":")
    origins = json.load(open(path))["origins"]
    repeats = collections.Counter(o["input"] for o in origins)
    for o in origins:
        i = o["index"]
        where = f"--origin {i + 1}" if i < int(options) else f"{listed}:{i - int(options) + 1}"
        expected[o["input"] + (f" ({where})" if repeats[o["input"]] > 1 else "")] = o
failing = sum(1 for o in expected.values() if o["verdict"]["violations"])
multiple = sum(1 for o in expected.values() if len(o["verdict"]["violations"]) > 1)
check(failing >= 5 and multiple >= 2 and len(expected) > failing,
      f"the scan proves little: {failing} failing origins, {multiple} with several violations")

names = [c["name"] for c in view["cases"]]
check(view["tests"] == len(expected), f'tests {view["tests"]}, expected {len(expected)}')
check(view["failures"] == failing, f'failures {view["failures"]}, expected {failing} (the failing origins)')
check(view.get("stated", [len(expected), failing]) == [len(expected), failing],
      f'the file says tests, failures = {view.get("stated")}; expected {[len(expected), failing]}')
check(len(names) == len(set(names)), f"testcase names repeat: {[n for n, k in collections.Counter(names).items() if k > 1]}")
check(set(names) == set(expected), f"testcases {sorted(set(names) ^ set(expected))[:6]} differ from the origins listed")
for case in view["cases"]:
    o = expected.get(case["name"])
    if o is None:
        continue
    kinds = o["verdict"]["violations"]
    f = case["failures"]
    if not kinds:
        check(f == [], f'{case["name"]}: passes, yet {len(f)} failures shown')
        continue
    if len(f) != 1:
        check(False, f'{case["name"]}: {len(f)} failures shown for {kinds}, expected one')
        continue
    check(f[0]["type"] in (None, kinds[0]), f'{case["name"]}: type {f[0]["type"]}, expected {kinds[0]}')
    for kind in kinds:
        check(shown(kind, o) in f[0]["text"], f'{case["name"]}: {shown(kind, o)!r} not in {f[0]["text"][:300]!r}')
for p in problems[:20]:
    print(f"  {reader}: {p}", file=sys.stderr)
if not problems:
    print(f"  {reader}: {len(names)} testcases, {failing} failing ({multiple} with several violations)")
sys.exit(1 if problems else 0)
EOF
all_reports="all.json:1:origins.txt"

# --- junitparser: the file's counts, its own recount, each case's results -------------------
"$python" - all.xml >junitparser.json <<'EOF'
import json, sys
from junitparser import JUnitXml, Failure
xml = JUnitXml.fromfile(sys.argv[1])
stated = (xml.tests, xml.failures)
xml.update_statistics()  # counts each result again, as reports built from it do
cases = []
for suite in xml:
    for case in suite:
        failures = [r for r in case.result if isinstance(r, Failure)]
        cases.append({"name": case.name,
                      "failures": [{"type": r.type, "text": (r.message or "") + "\n" + (r.text or "")} for r in failures]})
json.dump({"tests": xml.tests, "failures": xml.failures, "stated": stated, "cases": cases}, sys.stdout)
EOF
check "junitparser (Debian python3-junitparser): counts, recount, one failure naming every violation" \
    "$python" check.py junitparser junitparser.json "$all_reports"

# --- junit2json: its JSON ------------------------------------------------------------------------
if "$junit2json" all.xml >junit2json.raw 2>junit2json.err; then
    "$python" - junit2json.raw >junit2json.json <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
suites = doc.get("testsuite", [doc])
cases = [{"name": c["name"],
          "failures": [{"type": f.get("type"), "text": f.get("message", "") + "\n" + f.get("inner", "")}
                       for f in c.get("failure", [])]}
         for s in suites for c in s.get("testcase", [])]
json.dump({"tests": doc["tests"], "failures": doc["failures"], "cases": cases}, sys.stdout)
EOF
    check "junit2json: counts, one failure naming every violation" "$python" check.py junit2json junit2json.json "$all_reports"
else
    fail "junit2json: $(head -c 500 junit2json.err)"
fi

# --- xunit-viewer: what its console rendering shows ---------------------------------------------
# One block per testcase ("✗ NAME time=..." or "✓ ..."), its failure text below, and a last
# "N passed, M failure" line (in either order). It writes an HTML page too (xunit-viewer.html).
if "$xunit_viewer" --results all.xml --console --no-color --clear false --output xunit-viewer.html \
    >xunit-viewer.txt 2>xunit-viewer.err; then
    "$python" - xunit-viewer.txt >xunit-viewer.json <<'EOF'
import json, re, sys
cases, counts = [], None
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    head = re.match(r"^\s+([✗✓]) (.+) time=[0-9.]+$", line)
    # "11 passed, 15 failure" or "15 failure, 11 passed": the order varies.
    total = dict((word, int(n)) for n, word in re.findall(r"(\d+) (\w+)", line)) \
        if re.fullmatch(r"\d+ \w+(, \d+ \w+)*", line) else None
    if head:
        cases.append({"name": head.group(2), "failed": head.group(1) == "✗", "text": ""})
    elif total:
        counts = (total.get("passed", 0), total.get("failure", 0))
    elif cases:
        cases[-1]["text"] += line + "\n"
if counts is None:
    print("  xunit-viewer: no 'N passed, M failure' line; its output ends:", file=sys.stderr)
    print("".join(open(sys.argv[1], encoding="utf-8").readlines()[-8:]), file=sys.stderr)
passed, failed = counts or (-1, -1)
json.dump({"tests": passed + failed, "failures": failed,
           "cases": [{"name": c["name"], "failures": [{"type": None, "text": c["text"]}] if c["failed"] else []}
                     for c in cases]}, sys.stdout)
EOF
    check "xunit-viewer: passed/failed counts, each failing testcase shows every violation" \
        "$python" check.py xunit-viewer xunit-viewer.json "$all_reports"
else
    fail "xunit-viewer: $(head -c 500 xunit-viewer.err)"
fi

# --- junit-report-merger: two scans merged, its counts, read back -------------------------------
if "$jrm" merged.xml a.xml b.xml >jrm.out 2>jrm.err; then
    "$python" - merged.xml >jrm.json <<'EOF'
import json, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = [{"name": c.get("name"),
          "failures": [{"type": f.get("type"), "text": (f.get("message") or "") + "\n" + (f.text or "")}
                       for f in c.findall("failure")]}
         for c in root.iter("testcase")]
suites = root.findall("testsuite") if root.tag == "testsuites" else [root]
# The root's counts, and the suites' summed (jrm writes both).
json.dump({"tests": int(root.get("tests")), "failures": int(root.get("failures")),
           "stated": [sum(int(s.get("tests")) for s in suites), sum(int(s.get("failures")) for s in suites)],
           "cases": cases}, sys.stdout)
EOF
    check "junit-report-merger: the merged counts, one failure naming every violation" \
        "$python" check.py junit-report-merger jrm.json "a.json:0:a.txt" "b.json:0:b.txt"
else
    fail "junit-report-merger: $(head -c 500 jrm.err)"
fi

e2e_end
