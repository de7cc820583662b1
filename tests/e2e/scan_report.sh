#!/usr/bin/env bash
# Issue 2 end to end: the built binary scans the loopback fixture origins of every class
# (tests/fixtures/origins: nginx on 127.0.0.1 and ::1, a refused address, a silent peer) and
# writes the JSON, JUnit and NDJSON reports in one run. Checks:
#   - exit status 0 (no rules, no baseline, no --fail-on: nothing can fail);
#   - the JSON report is valid against reports/report.schema.json, lists every origin exactly
#     once in input order with index 0..n-1, and each origin's class and reasons are the ones
#     the fixture's expected.tsv gives; allowed_mode follows from the class; summary counts
#     agree with the origins;
#   - the NDJSON stream has one object per origin (any order), same input and class per index;
#   - the JUnit report is valid against reports/junit.xsd, one testcase per origin, in order;
#   - the human summary on stdout names every origin with its class;
#   - `--json -` puts the JSON report, and nothing else, on stdout.
#
# Env: ORIGINSCAN (the binary), SOURCE_DIR (the source tree). Everything stays on loopback.
source "$SOURCE_DIR/tests/e2e/lib/common.sh"
python=/usr/bin/python3

e2e_begin scan_report
start_origins

json=$tmp/report.json junit=$tmp/report.xml ndjson=$tmp/report.ndjson
out=$tmp/stdout err=$tmp/stderr
rc=0
"$ORIGINSCAN" scan --ca-file "$CA_FILE" --no-system-trust --http-port "$HTTP_PORT" --timeout 3 \
    --json "$json" --junit "$junit" --ndjson "$ndjson" "$fixture/origins.txt" >"$out" 2>"$err" || rc=$?
if [[ $rc -eq 0 ]]; then ok "scan exit status 0"; else fail "scan exit status $rc, expected 0; stderr: $(head -c 500 "$err")"; fi
for f in "$json" "$junit" "$ndjson"; do
    [[ -s $f ]] || { fail "no report written at $f"; e2e_end; }
done

# --- JSON: schema, order, class and reasons per origin, summary ---------------------------
check "JSON report: schema, every origin once in input order, classes and reasons as expected, summary" \
    "$python" - "$SOURCE_DIR/reports/report.schema.json" "$json" "$fixture/origins.txt" "$fixture/expected.tsv" <<'EOF'
import collections, json, sys
import jsonschema

schema_path, report_path, list_path, expected_path = sys.argv[1:]
report = json.load(open(report_path))
validator = jsonschema.Draft202012Validator(json.load(open(schema_path)))
problems = [f"schema: /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(report)]
def check(ok, message):
    if not ok:
        problems.append(message)

listed = [l.strip() for l in open(list_path) if l.strip() and not l.lstrip().startswith("#")]
expected = {}
for line in open(expected_path):
    spec, cls, reasons = line.rstrip("\n").split("\t")
    expected[spec] = (cls, sorted(filter(None, reasons.split(","))))
check(len(listed) >= 20, f"only {len(listed)} origins listed: the fixture shrank?")
check(set(listed) == set(expected) and len(listed) == len(expected), "origins.txt and expected.tsv disagree")

origins = report["origins"]
check([o["input"] for o in origins] == listed, "origins are not the listed ones, each once, in input order")
check([o["index"] for o in origins] == list(range(len(listed))), "indexes are not 0..n-1")
check(report["complete"] is True, "complete is not true")
mode_of = {"pin-matching": "strict", "ca-trusted": "strict", "self-signed": "full",
           "plaintext": "flexible", "unreachable": "none"}
for o in origins:
    where = f'origins[{o["index"]}] {o["input"]}'
    want_class, want_reasons = expected.get(o["input"], (None, None))
    check(o["scanned"] is True, f"{where}: not scanned")
    check(o["class"] == want_class, f'{where}: class {o["class"]}, expected {want_class}')
    check(sorted(o["reasons"]) == want_reasons, f'{where}: reasons {o["reasons"]}, expected {want_reasons}')
    check(o["allowed_mode"] == mode_of.get(o["class"]), f'{where}: mode {o["allowed_mode"]} for class {o["class"]}')
    check(o["verdict"]["violations"] == [] and o["verdict"]["change"] == "none",
          f'{where}: verdict {o["verdict"]} without rules or baseline')
    if o["class"] in ("ca-trusted", "self-signed"):
        leaf = o["tls"]["leaf"]
        check(leaf["spki_pin"].startswith("sha256/") and len(leaf["sha256_fingerprint"]) == 64,
              f"{where}: leaf facts missing")

s = report["summary"]
check(s["total"] == len(origins), f'summary.total {s["total"]} for {len(origins)} origins')
by_class = collections.Counter(o["class"] for o in origins)
by_mode = collections.Counter(o["allowed_mode"] for o in origins)
for c in mode_of:
    check(s["by_class"][c] == by_class[c], f'summary.by_class[{c}] {s["by_class"][c]}, counted {by_class[c]}')
for m in ("strict", "full", "flexible", "none"):
    check(s["by_mode"][m] == by_mode[m], f'summary.by_mode[{m}] {s["by_mode"][m]}, counted {by_mode[m]}')
check(sum(s["by_class"].values()) == s["total"] == sum(s["by_mode"].values()), "summary counts do not add up")
check(s["violations"] == 0 and s["downgrades"] == 0 and s["not_scanned"] == 0, f"summary: {s}")
check(report["removed"] == [], "removed is not empty without a baseline")
# --retries 1 (the default): each address the network failed before any TLS answer was tried
# twice (a refused TLS port too, before its HTTP port was asked); every answer once.
check(report["settings"]["retries"] == 1, f'settings.retries {report["settings"].get("retries")}, expected 1')
for o in origins:
    for p in o.get("probes") or [o]:
        f, http = p["failure"], p["http"]
        network = f is not None and f["reason"] in ("timeout", "reset", "refused", "no-route") and not f.get("not_probed_here")
        want = 2 if network or (http is not None and not http["on_tls_port"]) else 1
        check(p["attempts"] == want, f'{o["input"]} {p["address"]}: attempts {p["attempts"]}, expected {want}')
check(any(p["attempts"] == 2 for o in origins for p in o.get("probes") or [o]), "no origin was retried")
# Every class but pin-matching (that needs rules) must be present, or the test proves little.
for c in ("ca-trusted", "self-signed", "plaintext", "unreachable"):
    check(by_class[c] > 0, f"no {c} origin in the scan")

for p in problems[:30]:
    print("  " + p, file=sys.stderr)
if not problems:
    print(f"  {len(origins)} origins: " + ", ".join(f"{c} {n}" for c, n in sorted(by_class.items())))
sys.exit(1 if problems else 0)
EOF

# --- NDJSON: one line per origin, same class per index --------------------------------------
check "NDJSON: one object per origin, same input and class per index as the JSON report" \
    "$python" - "$ndjson" "$json" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
report = json.load(open(sys.argv[2]))
origins = report["origins"]
problems = []
records = [json.loads(l) for l in lines]  # raises on a bad line
if len(records) != len(origins):
    problems.append(f"{len(records)} lines for {len(origins)} origins")
indexes = sorted(r["index"] for r in records)
if indexes != list(range(len(origins))):
    problems.append(f"indexes {indexes} are not 0..{len(origins) - 1}, each once")
for r in records:
    if 0 <= r["index"] < len(origins):
        o = origins[r["index"]]
        for key in ("input", "class", "allowed_mode", "reasons"):
            if r[key] != o[key]:
                problems.append(f'index {r["index"]}: {key} {r[key]!r} in NDJSON, {o[key]!r} in JSON')
for p in problems[:20]:
    print("  " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF

# --- JUnit: XSD, one testcase per origin ---------------------------------------------------
if xmllint --noout --schema "$SOURCE_DIR/reports/junit.xsd" "$junit" 2>"$tmp/xmllint.err"; then
    ok "JUnit valid against reports/junit.xsd"
else
    fail "JUnit not valid against reports/junit.xsd: $(head -c 800 "$tmp/xmllint.err")"
fi
check "JUnit: one testcase per origin, in input order, no failures" "$python" - "$junit" "$json" <<'EOF'
import json, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
inputs = [o["input"] for o in json.load(open(sys.argv[2]))["origins"]]
cases = root.findall(".//testcase")
problems = []
if [c.get("name") for c in cases] != inputs:
    problems.append(f"testcase names {[c.get('name') for c in cases]} are not the inputs in order")
suite = root if root.tag == "testsuite" else root.find("testsuite")
if int(suite.get("tests")) != len(inputs):
    problems.append(f'tests="{suite.get("tests")}" for {len(inputs)} origins')
if int(suite.get("failures")) != 0 or root.findall(".//failure"):
    problems.append("failures without rules or baseline")
for p in problems:
    print("  " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF

# --- human summary on stdout ----------------------------------------------------------------
missing=()
while IFS=$'\t' read -r spec class _; do
    # The table row starts with the origin as given, and its class follows.
    grep -qE "^$(printf '%s' "$spec" | sed 's/[][\.*^$]/\\&/g')[[:space:]]+${class}[[:space:]]" "$out" ||
        missing+=("$spec ($class)")
done <"$fixture/expected.tsv"
if [[ ${#missing[@]} -eq 0 ]]; then
    ok "summary on stdout: a row per origin with its class"
else
    fail "summary on stdout lacks a row for: ${missing[*]}"
    sed 's/^/  | /' "$out" >&2
fi
if grep -q "^$(grep -c . "$fixture/expected.tsv") origins, judged at " "$out"; then
    ok "summary: origin count line"
else
    fail "summary: no '<n> origins, judged at' line"
fi

# --- --json -: only JSON on stdout ------------------------------------------------------------
good="good.demo.test@127.0.0.1:$PORT_GOOD"
self_signed="self-signed.demo.test@127.0.0.1:$PORT_SELF_SIGNED"
refused="refused.demo.test@127.0.0.2:$PORT_REFUSED"
rc=0
"$ORIGINSCAN" scan --ca-file "$CA_FILE" --no-system-trust --http-port "$HTTP_PORT" --timeout 3 \
    --origin "$good" --origin "$self_signed" --origin "$refused" --json - >"$tmp/stdout.json" 2>"$err" || rc=$?
[[ $rc -eq 0 ]] || fail "--json -: exit status $rc; stderr: $(head -c 500 "$err")"
check "--json -: stdout is one JSON report and nothing else" \
    "$python" - "$tmp/stdout.json" "$SOURCE_DIR/reports/report.schema.json" "$good" "$self_signed" "$refused" <<'EOF'
import json, sys
import jsonschema
text = open(sys.argv[1]).read()
report = json.loads(text)  # raises on anything but exactly one JSON document
jsonschema.Draft202012Validator(json.load(open(sys.argv[2]))).validate(report)
got = [(o["input"], o["class"]) for o in report["origins"]]
want = list(zip(sys.argv[3:], ["ca-trusted", "self-signed", "unreachable"]))
if got != want:
    print(f"  origins {got}, expected {want}", file=sys.stderr)
    sys.exit(1)
EOF

e2e_end
