#!/usr/bin/env bash
# The shipped schemas accept the rendered golden reports (which the unit tests keep identical
# to what the writers produce) and reject reports that break them.
set -euo pipefail

source_dir=${SOURCE_DIR:?SOURCE_DIR is not set}
golden=$source_dir/tests/unit/golden
python=/usr/bin/python3
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# --- JSON reports against reports/report.schema.json -----------------------------------------
"$python" - "$source_dir/reports/report.schema.json" "$golden/report.json" "$golden/report-passing.json" <<'PY' || fail "JSON schema checks"
import copy, json, sys
import jsonschema

schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
ok = True

for path in sys.argv[2:]:
    report = json.load(open(path))
    errors = list(validator.iter_errors(report))
    for e in errors:
        print(f"{path}: {'/'.join(map(str, e.absolute_path))}: {e.message}", file=sys.stderr)
    ok &= not errors

# Each of these breaks the contract; the schema must say so.
base = json.load(open(sys.argv[2]))
def broken(description, edit):
    global ok
    report = copy.deepcopy(base)
    edit(report)
    if validator.is_valid(report):
        print(f"schema accepts a report with {description}", file=sys.stderr)
        ok = False

def set_(path, value):
    def edit(report):
        node = report
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return edit

def delete(path):
    def edit(report):
        node = report
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return edit

broken("an unknown class", set_(["origins", 0, "class"], "trusted"))
broken("a negative attempts count", set_(["origins", 0, "attempts"], -1))
broken("a fractional retries setting", set_(["settings", "retries"], 1.5))
broken("an unknown mode", set_(["origins", 0, "allowed_mode"], "full-strict"))
broken("an unknown reason", set_(["origins", 2, "reasons"], ["too-old"]))
broken("an unknown violation", set_(["origins", 2, "verdict", "violations"], ["late"]))
broken("an unknown change", set_(["origins", 2, "verdict", "change"], "worse"))
broken("an unknown top-level key", set_(["extra"], 1))
broken("an unknown origin key", set_(["origins", 0, "extra"], 1))
broken("an unknown leaf key", set_(["origins", 0, "tls", "leaf", "extra"], 1))
broken("days_left in a chain entry", set_(["origins", 0, "tls", "chain", 0, "days_left"], 1))
broken("no days_left on the leaf", delete(["origins", 0, "tls", "leaf", "days_left"]))
broken("no class", delete(["origins", 0, "class"]))
broken("a missing summary class", delete(["summary", "by_class", "plaintext"]))
broken("another schema_version", set_(["schema_version"], 2))
broken("another tool", set_(["tool", "name"], "sslyze"))
broken("a time without zone", set_(["judged_at"], "2024-05-01T12:00:00"))
broken("a pin without prefix", set_(["origins", 0, "tls", "leaf", "spki_pin"], "AAAA"))
broken("a port out of range", set_(["origins", 0, "port"], 70000))
sys.exit(0 if ok else 1)
PY

# --- JUnit XML against reports/junit.xsd ------------------------------------------------------
xsd=$source_dir/reports/junit.xsd
for file in "$golden"/junit*.xml; do
    xmllint --noout --schema "$xsd" "$file" 2>/dev/null || {
        xmllint --noout --schema "$xsd" "$file" || true
        fail "$file does not validate against $xsd"
    }
done

# The nasty golden really is nasty: hostile names made it in, escaped.
grep -q 'name="evil&lt;&amp;&quot;&apos;&gt;\\x01\\x1b\[31m.example.com"' "$golden/junit.xml" ||
    fail "junit.xml lacks the escaped hostile origin name"

# And the schema rejects what CI reporters would choke on.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
reject() {
    local description=$1 file=$tmp/broken.xml
    cat >"$file"
    if xmllint --noout --schema "$xsd" "$file" 2>/dev/null; then fail "junit.xsd accepts $description"; fi
}
reject "a testcase without name" <<'XML'
<testsuites><testsuite name="s" tests="1"><testcase classname="c"/></testsuite></testsuites>
XML
reject "a negative count" <<'XML'
<testsuites><testsuite name="s" tests="-1"/></testsuites>
XML
reject "failure before skipped" <<'XML'
<testsuites><testsuite name="s"><testcase name="t"><failure message="m"/><skipped/></testcase></testsuite></testsuites>
XML
reject "two failures in one testcase (readers keep the first or count two tests)" <<'XML'
<testsuites><testsuite name="s"><testcase name="t"><failure type="a"/><failure type="b"/></testcase></testsuite></testsuites>
XML
reject "the facts twice (a failure and a system-out)" <<'XML'
<testsuites><testsuite name="s"><testcase name="t"><failure type="a">facts</failure><system-out>facts</system-out></testcase></testsuite></testsuites>
XML
reject "two testcases of one name" <<'XML'
<testsuites><testsuite name="s"><testcase name="t"/><testcase name="t"/></testsuite></testsuites>
XML
reject "two testcases of one name in a lone testsuite" <<'XML'
<testsuite name="s"><testcase name="t"/><testcase name="t"/></testsuite>
XML
reject "a testcase as the root" <<'XML'
<testcase name="t"/>
XML
reject "a control byte (not well-formed)" < <(printf '<testsuites><testsuite name="\001"/></testsuites>\n')

if ((failures > 0)); then
    echo "$failures schema check(s) failed" >&2
    exit 1
fi
echo "schemas: all checks passed"
