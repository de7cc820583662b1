#!/usr/bin/env bash
# Issue 11's per-edge reports end to end, through the built binary, against the demo's loopback
# origins (tests/fixtures/origins), scanned with --edge all under a rules file with edge
# minimums (strict, CloudFront https-only and Fastly tls-verified for good.demo.test; Fastly
# tls-unverified for the rest), --fail-on unreachable, and a baseline where CloudFront reached
# incomplete.demo.test over https-only (it cannot now: a downgrade for CloudFront alone):
#   - JUnit: a testcase per origin per edge (origins x 5), classname originscan.origins.EDGE,
#     name "INPUT [EDGE]"; each fails exactly when a violation concerns its edge, re-derived
#     here from the JSON report (below-required and downgrade per edge, the rest origin-wide);
#     valid against reports/junit.xsd; junitparser, junit2json, xunit-viewer and
#     junit-report-merger all count and read it so;
#   - Prometheus: promtool accepts it; a setting sample per scanned origin per edge;
#   - SARIF: sarif-multitool finds no error; the downgrade names CloudFront in properties.edges;
#   - merge of the run's two shards (--rules, --baseline): the same testcases and edge samples.
# Env: ORIGINSCAN (the binary), SOURCE_DIR (the source tree). Everything stays on loopback.
source "$SOURCE_DIR/tests/e2e/lib/common.sh"
python=/usr/bin/python3

for tool in promtool sarif-multitool xmllint; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (ci/install-deps)" >&2; exit 1; }
done
e2e_begin edge_reports
junit2json=$(npm_tool junit2json) && xunit_viewer=$(npm_tool xunit-viewer) && jrm=$(npm_tool jrm) ||
    { fail "the npm JUnit readers are not installed (ci/install-deps)"; e2e_end; }
"$python" -c 'import junitparser' 2>/dev/null || { fail "python3-junitparser is not installed (ci/install-deps)"; e2e_end; }
start_origins

cd "$tmp"
grep -v '^#' "$fixture/origins.txt" | grep . >origins.txt
grep -q '^incomplete\.' origins.txt || { fail "the fixture's list changed: no incomplete.demo.test"; e2e_end; }
cat >rules.json <<'EOF'
{"rules": [
  {"match": "good.demo.test", "min_mode": "strict", "edge_min_mode": {"cloudfront": "https-only", "fastly": "tls-verified"}},
  {"match": "*.demo.test", "edge_min_mode": {"fastly": "tls-unverified"}}
]}
EOF
# scan NAME [ARGS...]: NAME.{json,xml,prom,sarif}; a policy failure (exit 1) expected.
scan() {
    local name=$1 rc=0
    shift
    "$ORIGINSCAN" scan --ca-file "$CA_FILE" --no-system-trust --http-port "$HTTP_PORT" --timeout 2 --edge all \
        --rules rules.json --fail-on unreachable --json "$name.json" --junit "$name.xml" --prometheus "$name.prom" \
        --sarif "$name.sarif" "$@" >"$name.out" 2>"$name.err" || rc=$?
    [[ $rc -eq 1 && -s $name.xml ]] || { fail "scan $name: exit $rc, expected 1: $(head -c 500 "$name.err")"; e2e_end; }
}
scan before origins.txt
# The baseline: as scanned, except that CloudFront reached incomplete.demo.test over https-only.
"$python" - before.json >baseline.json <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
o = next(o for o in r["origins"] if o["name"].startswith("incomplete."))
assert o["edges"]["cloudfront"]["rank"] == 0, o["edges"]
o["edges"]["cloudfront"] = {"setting": "https-only", "rank": 3, "reasons": []}
json.dump(r, sys.stdout)
EOF
scan now --baseline baseline.json origins.txt
half=$(($(wc -l <origins.txt) / 2))
head -n "$half" origins.txt >a.txt
tail -n +"$((half + 1))" origins.txt >b.txt
scan a --baseline baseline.json a.txt
scan b --baseline baseline.json b.txt

# expect.py REPORT.json BASELINE.json...: the testcases the JUnit of REPORT must have, as
# {"NAME [EDGE]": {"classname", "failing", "violations"}}; the baselines give the ranks
# the edges fell from.
cat >expect.py <<'EOF'
import json, sys
mode_rank = {"none": 0, "flexible": 1, "full": 2, "strict": 3}
setting_rank = {("cloudfront", "https-only"): 3, ("fastly", "tls-verified"): 3, ("fastly", "tls-unverified"): 2}
def expected(report_path, baseline_path):
    report = json.load(open(report_path))
    before = {o["input"]: o for o in json.load(open(baseline_path))["origins"]}
    cases = {}
    for o in report["origins"]:
        v = o["verdict"]
        for edge in report["settings"]["edges"]:
            e = o["edges"][edge]
            if edge == "cloudflare":
                below = v["required_mode"] is not None and mode_rank[o["allowed_mode"]] < mode_rank[v["required_mode"]]
                fell = v["change"] == "downgrade"
            else:
                below = "required_setting" in e and e["rank"] < setting_rank[(edge, e["required_setting"])]
                fell = "baseline_setting" in e and e["rank"] < before[o["input"]]["edges"][edge]["rank"]
            mine = [k for k in v["violations"]
                    if (k == "below-required" and below) or (k == "downgrade" and fell)
                    or k not in ("below-required", "downgrade")]
            cases[f'{o["input"]} [{edge}]'] = {"classname": f"originscan.origins.{edge}", "violations": mine,
                                               "skipped": not o["scanned"]}
    return cases
EOF

# check.py READER VIEW REPORT.json:BASELINE.json...: what a reader showed (VIEW: {"tests",
# "failures", "stated"?, "cases": [{"name", "classname"?, "failure": TYPE or true or null}]})
# against the testcases expected.
cat >check.py <<'EOF'
import json, sys
sys.path.insert(0, ".")
from expect import expected
reader, view_path, *reports = sys.argv[1:]
view = json.load(open(view_path))
want = {}
for spec in reports:
    want.update(expected(*spec.split(":")))
failing = sum(1 for c in want.values() if c["violations"])
problems = []
def check(ok, message):
    if not ok:
        problems.append(message)
check(failing >= 10 and any(not c["violations"] for c in want.values()), f"the scan proves little: {failing} failing")
check(view["tests"] == len(want), f'tests {view["tests"]}, expected {len(want)}')
check(view["failures"] == failing, f'failures {view["failures"]}, expected {failing}')
check(view.get("stated", [len(want), failing]) == [len(want), failing], f'the file says {view.get("stated")}')
names = [c["name"] for c in view["cases"]]
check(len(names) == len(set(names)) and set(names) == set(want), f"testcases differ: {sorted(set(names) ^ set(want))[:6]}")
for case in view["cases"]:
    w = want.get(case["name"])
    if w is None:
        continue
    check(case.get("classname", w["classname"]) == w["classname"], f'{case["name"]}: classname {case.get("classname")}')
    shown = case["failure"]
    if not w["violations"]:
        check(shown is None, f'{case["name"]}: passes, yet a failure is shown')
    else:
        check(shown in (True, w["violations"][0]), f'{case["name"]}: failure {shown}, expected {w["violations"]}')
if problems:
    sys.exit("\n".join(f"  {reader}: {p}" for p in problems[:20]))
print(f"  {reader}: {len(names)} testcases, {failing} failing")
EOF
reports="now.json:baseline.json"

check "JUnit valid against reports/junit.xsd" xmllint --noout --schema "$SOURCE_DIR/reports/junit.xsd" now.xml
check "the incomplete chain: CloudFront's testcase fails on its downgrade alone, Cloudflare's passes" "$python" - now.xml <<'EOF'
import sys
import xml.etree.ElementTree as ET
cases = {c.get("name"): c for c in ET.parse(sys.argv[1]).getroot().iter("testcase")}
name = next(n for n in cases if n.startswith("incomplete.") and n.endswith(" [cloudfront]"))
failure = cases[name].find("failure")
assert failure is not None and failure.get("type") == "downgrade", name
assert failure.get("message").startswith("downgrade: cloudfront fell from https-only to none (none: incomplete-chain"), failure.get("message")
assert failure.text.split("\n\n")[1].startswith("edge: cloudfront\nsetting: none\nreasons: incomplete-chain\n"), failure.text
assert cases[name.replace("[cloudfront]", "[cloudflare]")].find("failure") is None
EOF

# Each reader's view as check.py takes it, by a converter view-NAME.py of what the reader wrote
# (not NAME.py: junitparser.py would shadow the module).
cat >view-junitparser.py <<'EOF'
import json, sys
from junitparser import JUnitXml, Failure
xml = JUnitXml.fromfile(sys.argv[1])
stated = [xml.tests, xml.failures]
xml.update_statistics()  # counts each result again, as reports built from it do
cases = [{"name": c.name, "classname": c.classname,
          "failure": next((r.type for r in c.result if isinstance(r, Failure)), None)} for s in xml for c in s]
print(json.dumps({"tests": xml.tests, "failures": xml.failures, "stated": stated, "cases": cases}))
EOF
cat >view-junit2json.py <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
cases = [{"name": c["name"], "classname": c.get("classname"),
          "failure": c["failure"][0].get("type") if c.get("failure") else None}
         for s in doc.get("testsuite", [doc]) for c in s.get("testcase", [])]
print(json.dumps({"tests": doc["tests"], "failures": doc["failures"], "cases": cases}))
EOF
# xunit-viewer's console: "✗ NAME time=..." or "✓ ..." per testcase, then "N passed, M failure".
cat >view-xunit-viewer.py <<'EOF'
import json, re, sys
cases, counts = [], {}
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"^\s+([✗✓]) (.+) time=[0-9.]+$", line.rstrip("\n"))
    if m:
        cases.append({"name": m.group(2), "failure": True if m.group(1) == "✗" else None})
    elif re.fullmatch(r"\d+ \w+(, \d+ \w+)*", line.strip()):
        counts = {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", line)}
print(json.dumps({"tests": counts.get("passed", 0) + counts.get("failure", 0), "failures": counts.get("failure", 0),
                  "cases": cases}))
EOF
cat >view-junit-report-merger.py <<'EOF'
import json, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = root.findall("testsuite") if root.tag == "testsuites" else [root]
cases = [{"name": c.get("name"), "classname": c.get("classname"),
          "failure": c.find("failure").get("type") if c.find("failure") is not None else None} for c in root.iter("testcase")]
print(json.dumps({"tests": int(root.get("tests")), "failures": int(root.get("failures")),
                  "stated": [sum(int(s.get(k)) for s in suites) for k in ("tests", "failures")], "cases": cases}))
EOF
# read_with NAME FILE "REPORT:BASELINE..." COMMAND...: runs the reader (its stdout to NAME.raw),
# converts FILE with view-NAME.py, and checks the view against the expectations.
read_with() {
    local name=$1 file=$2 expectations=$3
    shift 3
    if "$@" >"$name.raw" 2>"$name.err" && "$python" "view-$name.py" "$file" >"$name.json" 2>>"$name.err"; then
        # shellcheck disable=SC2086  # the expectations are words
        check "$name: origins x edges testcases, each failing on its edge's violations" \
            "$python" check.py "$name" "$name.json" $expectations
    else
        fail "$name: $(head -c 500 "$name.err")"
    fi
}
read_with junitparser now.xml "$reports" true
read_with junit2json junit2json.raw "$reports" "$junit2json" now.xml
read_with xunit-viewer xunit-viewer.raw "$reports" \
    "$xunit_viewer" --results now.xml --console --no-color --clear false --output xunit-viewer.html
# Two halves merged into one report, read back.
read_with junit-report-merger merged.xml "a.json:baseline.json b.json:baseline.json" "$jrm" merged.xml a.xml b.xml

# --- merge: two shards of the same run joined (app/merge.cpp, through the same Collector) ----------
for i in 0 1; do
    rc=0
    "$ORIGINSCAN" scan --ca-file "$CA_FILE" --no-system-trust --http-port "$HTTP_PORT" --timeout 2 --edge all \
        --rules rules.json --fail-on unreachable --shard "$i/2" --json "shard$i.json" origins.txt >/dev/null 2>"shard$i.err" ||
        rc=$?
    ((rc <= 1)) || fail "shard $i/2: exit $rc: $(head -c 300 "shard$i.err")"
done
rc=0
"$ORIGINSCAN" merge --rules rules.json --baseline baseline.json --json merged.json --junit merged.xml \
    --prometheus merged.prom shard0.json shard1.json >/dev/null 2>merge.err || rc=$?
check "merge: exit 1 (policy failures; got $rc: $(head -c 300 merge.err))" test "$rc" -eq 1
check "merge: the same testcases, failures and edge samples as the whole scan" "$python" - now.xml merged.xml now.prom \
    merged.prom <<'EOF'
import sys
import xml.etree.ElementTree as ET
def cases(path):
    root = ET.parse(path).getroot()
    out = [(c.get("classname"), c.get("name"), *(((f.get("type"), f.get("message")) if (f := c.find("failure")) is not None
                                                   else (None, None)))) for c in root.iter("testcase")]
    return [root.get(k) for k in ("tests", "failures", "skipped")], out
def edge_samples(path):
    return [line for line in open(path) if line.startswith("originscan_origin_edge_setting")]
scanned, merged = cases(sys.argv[1]), cases(sys.argv[2])
assert scanned == merged, [a for a, b in zip(scanned[1], merged[1]) if a != b][:4] or (scanned[0], merged[0])
assert edge_samples(sys.argv[3]) == edge_samples(sys.argv[4]) != []
EOF

# --- Prometheus ---------------------------------------------------------------------------------------
check "promtool check metrics accepts the per-edge metrics" promtool check metrics <now.prom
check "a setting sample per scanned origin per edge, its value the rank in the JSON report" \
    "$python" - now.prom now.json <<'EOF'
import json, re, sys
samples = {}
for line in open(sys.argv[1]):
    m = re.match(r'^originscan_origin_edge_setting\{origin="([^"]+)",edge="([^"]+)",setting="([^"]+)"\} (\d+)$', line)
    if m:
        samples[(m.group(1), m.group(2))] = (m.group(3), int(m.group(4)))
report = json.load(open(sys.argv[2]))
want = {(o["id"], edge): (e["setting"], e["rank"]) for o in report["origins"] if o["scanned"]
        for edge, e in o["edges"].items()}
assert len(want) == len(report["origins"]) * 5, len(want)
assert samples == want, sorted(set(samples.items()) ^ set(want.items()))[:6]
EOF

# --- SARIF ----------------------------------------------------------------------------------------------
if sarif-multitool validate --rule-kind '"Sarif;Gh"' --log ForceOverwrite -o sarif.validation now.sarif \
    >sarif.out 2>&1; then
    check "sarif-multitool: no error, no warning but SARIF2005" "$python" - sarif.validation <<'EOF'
import json, sys
bad = [r for run in json.load(open(sys.argv[1]))["runs"] for r in run.get("results", [])
       if r.get("level", "warning") == "error" or (r.get("level", "warning") == "warning" and r["ruleId"] != "SARIF2005")]
for r in bad:
    print(f'  {r["ruleId"]}: {r["message"].get("text", r["message"])}'[:400], file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
else
    fail "sarif-multitool validate: $(head -c 500 sarif.out)"
fi
check "SARIF: the downgrade of the incomplete chain names CloudFront alone in properties.edges" \
    "$python" - now.sarif <<'EOF'
import json, sys
results = json.load(open(sys.argv[1]))["runs"][0]["results"]
down = [r for r in results if r["ruleId"] == "downgrade" and r["properties"]["origin"].startswith("incomplete.")]
assert len(down) == 1, down
assert down[0]["properties"]["edges"] == [{"edge": "cloudfront", "setting": "none", "baseline_setting": "https-only"}], down
below = [r for r in results if r["ruleId"] == "below-required"]
assert below and all(r["properties"]["edges"] for r in below), below
assert all("edges" not in r["properties"] for r in results if r["ruleId"] not in ("below-required", "downgrade"))
EOF

e2e_end
