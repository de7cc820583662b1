#!/usr/bin/env bash
# Issue 10 items 5 and 6 end to end: --prometheus and --sarif from the built binary against the
# loopback fixture origins (tests/fixtures/origins), run from a "repository" directory with the
# list in lists/origins.txt, which repeats two origins in other spellings. Checks:
#   - promtool check metrics accepts the metrics; HELP/TYPE once per family, no duplicate series,
#     one series per origin identity; mode numbers, class, probe_success, violations and the
#     earliest expiry on the path agree with the JSON report of the same run; the good origin's
#     expiry is its leaf's notAfter as openssl reads it from the fixture; run-level counts are
#     the JSON summary's;
#   - sarif-multitool validate (SARIF and GitHub rules) finds no error and no warning but the
#     missing informationUri; one result per violation, in input order, at lists/origins.txt
#     and the line of the origin (duplicated lines at their own lines), relative to %SRCROOT%,
#     which is the working directory;
#   - interrupted (SIGINT) and output-failure (--ndjson /dev/full) runs still write both, marked
#     incomplete, and both still validate;
#   - --prometheus/--sarif take part in the clobber check and in the one-stdout rule;
#   - the golden files of the unit tests pass the same tools;
#   - the example alert rules pass promtool check rules and promtool test rules.
#
# Env: ORIGINSCAN (the binary), SOURCE_DIR (the source tree). Everything stays on loopback.
source "$SOURCE_DIR/tests/e2e/lib/common.sh"
set +e  # every step is checked and counted
python=/usr/bin/python3

for tool in promtool sarif-multitool openssl; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (ci/install-deps)" >&2; exit 1; }
done

e2e_begin monitoring_outputs
start_origins

repo=$tmp/repo
mkdir -p "$repo/lists"
list=$repo/lists/origins.txt
{
    cat "$fixture/origins.txt"
    echo "# the same origins again, spelled otherwise"
    echo "GOOD.demo.test.:$PORT_GOOD@127.0.0.1"
    echo "Self-Signed.demo.test:$PORT_SELF_SIGNED@127.0.0.1"
} >"$list"
echo '{"rules": [{"match": "*.demo.test", "min_mode": "strict"}]}' >"$repo/rules.json"
scan() { (cd "$repo" && "$ORIGINSCAN" scan --ca-file "$CA_FILE" --no-system-trust --http-port "$HTTP_PORT" "$@"); }

# sarif_valid FILE: the multitool's SARIF and GitHub (Gh) rules report no error and no warning
# except SARIF2005 (no informationUri: the project has no public home page to name yet).
sarif_valid() {
    local log=$1.validation
    # The multitool's node wrapper runs a shell: a ';' list must be quoted for it.
    sarif-multitool validate --rule-kind '"Sarif;Gh"' --log ForceOverwrite -o "$log" "$1" >"$log.out" 2>&1 ||
        { cat "$log.out" >&2; return 1; }
    "$python" - "$log" <<'EOF'
import json, sys
log = json.load(open(sys.argv[1]))
bad = [r for run in log["runs"] for r in run.get("results", [])
       if r.get("level", "warning") == "error" or (r.get("level", "warning") == "warning" and r["ruleId"] != "SARIF2005")]
for r in bad:
    print(f'  {r.get("level", "warning")} {r["ruleId"]}: {r["message"].get("text", r["message"])}'[:400], file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
}

echo "== a full run: --json, --prometheus, --sarif"
rc=0
scan --rules rules.json --fail-on expiring,unreachable --timeout 3 \
    --json report.json --prometheus metrics.prom --sarif results.sarif lists/origins.txt >"$tmp/out" 2>"$tmp/err" || rc=$?
check "exit 1 (policy failures)" test "$rc" -eq 1
for f in report.json metrics.prom results.sarif; do
    [[ -s $repo/$f ]] || { fail "no $f written; stderr: $(head -c 500 "$tmp/err")"; e2e_end; }
done
check "promtool check metrics accepts the metrics" promtool check metrics <"$repo/metrics.prom"
good_not_after=$(date -u -d "$(openssl x509 -noout -enddate -in "$fixture/good-leaf.pem" | cut -d= -f2)" +%s)

check "metrics: families once, a series per identity, values as in the JSON report" \
    "$python" - "$repo/metrics.prom" "$repo/report.json" "$good_not_after" "$PORT_GOOD" <<'EOF'
import collections, datetime, ipaddress, json, re, sys
prom_path, json_path, good_not_after, good_port = sys.argv[1:]
report = json.load(open(json_path))
problems = []
def check(ok, message):
    if not ok:
        problems.append(message)

help_, type_, samples = collections.Counter(), collections.Counter(), {}
family_order = []
sample_re = re.compile(r'^([a-z_]+)(?:\{(.*)\})? (\S+)$')
label_re = re.compile(r'([a-z_]+)="((?:[^"\\]|\\.)*)"')
for line in open(prom_path).read().splitlines():
    if line.startswith("# HELP "):
        help_[line.split()[2]] += 1
    elif line.startswith("# TYPE "):
        type_[line.split()[2]] += 1
        check(line.split()[3] == "gauge", f"not a gauge: {line}")
    else:
        m = sample_re.match(line)
        check(m is not None, f"not a sample line: {line!r}")
        if not m:
            continue
        name, labels, value = m.groups()
        key = (name, tuple(label_re.findall(labels or "")))
        check(key not in samples, f"duplicate series {line}")
        samples[key] = float(value)
        if not family_order or family_order[-1] != name:
            check(name not in family_order, f"family {name} is not grouped")
            family_order.append(name)
check(all(n == 1 for n in help_.values()) and all(n == 1 for n in type_.values()), "HELP/TYPE more than once")
check(set(help_) == set(type_) and set(family_order) <= set(type_), "a family without HELP/TYPE")

def series(name, **labels):
    return samples.get((name, tuple(labels.items())))

def identity(o):
    # model/origin identity_of: name (already lower case, no trailing dot), port, address.
    address = ""
    if "@" in o["input"]:
        address = o["input"].split("@", 1)[1]
        address = address[1:address.index("]")] if address.startswith("[") else address.split(":")[0]
        try:
            address = str(ipaddress.ip_address(address))
        except ValueError:
            address = address.lower().rstrip(".")
    bracket = lambda h: f"[{h}]" if ":" in h else h
    return f'{bracket(o["name"])}:{o["port"]}' + (f"@{bracket(address)}" if address else "")

def epoch(text):
    return int(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())

mode_number = {"none": 0, "flexible": 1, "full": 2, "strict": 3}
first = {}
for o in report["origins"]:
    first.setdefault(identity(o), o)
check(len(first) == len(report["origins"]) - 2, f"{len(first)} identities for {len(report['origins'])} lines: the list's duplicates?")
scanned = {dict(k[1])["origin"] for k in samples if k[0] == "originscan_origin_scanned"}
check(scanned == set(first), f"origin_scanned series {sorted(scanned ^ set(first))} differ from the identities")
for label, o in first.items():
    where = f'{label} ({o["input"]})'
    check(series("originscan_origin_scanned", origin=label) == 1, f"{where}: not scanned")
    check(series("originscan_origin_mode", origin=label, mode=o["allowed_mode"]) == mode_number[o["allowed_mode"]],
          f'{where}: mode series for {o["allowed_mode"]} missing or not {mode_number[o["allowed_mode"]]}')
    check(series("originscan_origin_class", origin=label, **{"class": o["class"]}) == 1, f'{where}: class {o["class"]}')
    check(series("originscan_probe_success", origin=label) == (o["class"] != "unreachable"), f"{where}: probe_success")
    check(series("originscan_origin_policy_violations", origin=label) == len(o["verdict"]["violations"]),
          f"{where}: violations")
    expiries = [epoch(p["tls"]["path"]["expires_first"]["not_after"]) for p in o.get("probes", [o])
                if p["tls"] and p["tls"]["path"]["expires_first"]]
    got = series("originscan_cert_not_after_timestamp_seconds", origin=label)
    check(got == (min(expiries) if expiries else None), f"{where}: not_after {got}, the JSON says {expiries}")
good = series("originscan_cert_not_after_timestamp_seconds", origin=f"good.demo.test:{good_port}@127.0.0.1")
check(good == int(good_not_after), f"good origin: not_after {good}, openssl says the leaf's is {good_not_after}")

s = report["summary"]
check(series("originscan_origins") == s["total"] == len(report["origins"]), "originscan_origins is not the summary's total")
for c, n in s["by_class"].items():
    check(series("originscan_origins_by_class", **{"class": c}) == n, f"by_class {c}")
for m, n in s["by_mode"].items():
    check(series("originscan_origins_by_mode", mode=m) == n, f"by_mode {m}")
check(series("originscan_policy_violations") == s["violations"] > 0, "policy_violations is not the summary's")
check(series("originscan_run_complete") == 1, "run_complete is not 1")
finished = datetime.datetime.fromisoformat(report["finished_at"].replace("Z", "+00:00")).timestamp()
check(abs(series("originscan_last_run_timestamp_seconds") - finished) < 1, "last_run_timestamp is not the JSON's finished_at")
for p in problems[:30]:
    print("  " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF

check "sarif-multitool validate: no error, no warning but SARIF2005" sarif_valid "$repo/results.sarif"
check "SARIF: a result per violation, in input order, at its list line, rules with help" \
    "$python" - "$repo/results.sarif" "$repo/report.json" "$list" "$repo" <<'EOF'
import json, sys
sarif_path, json_path, list_path, repo = sys.argv[1:]
log, report = json.load(open(sarif_path)), json.load(open(json_path))
problems = []
def check(ok, message):
    if not ok:
        problems.append(message)
# The line of each origin: the list's spec lines in order are the report's indexes.
lines = [n for n, text in enumerate(open(list_path).read().splitlines(), 1)
         if text.strip() and not text.lstrip().startswith("#")]
check(len(lines) == len(report["origins"]), "list lines and report origins differ")
run = log["runs"][0]
check(run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file://" + repo + "/", f'SRCROOT is {run["originalUriBaseIds"]}')
check(run["invocations"][0]["executionSuccessful"] is True, "executionSuccessful is not true")
rules = run["tool"]["driver"]["rules"]
check([r["id"] for r in rules] == ["below-required", "downgrade", "pin-mismatch", "unreachable", "expiring", "edge-address", "client-auth-missing"], "rule ids")
for r in rules:
    check(all(r[k]["text"] for k in ("shortDescription", "fullDescription", "help")), f'rule {r["id"]}: help text')
expected = [(o["index"], v) for o in report["origins"] for v in o["verdict"]["violations"]]
results = run["results"]
check(len(results) == len(expected) > 0, f"{len(results)} results for {len(expected)} violations")
seen_lines = set()
for (index, violation), r in zip(expected, results):
    where = f"origin {index} {violation}"
    check(r["ruleId"] == violation and rules[r["ruleIndex"]]["id"] == violation, f'{where}: rule {r["ruleId"]}')
    check(r["level"] == ("warning" if violation == "expiring" else "error"), f'{where}: level {r["level"]}')
    check(r["message"]["text"].startswith(violation + ": "), f'{where}: message {r["message"]["text"]!r}')
    physical = r["locations"][0]["physicalLocation"]
    check(physical["artifactLocation"] == {"uri": "lists/origins.txt", "uriBaseId": "%SRCROOT%"},
          f'{where}: artifact {physical["artifactLocation"]}')
    check(physical["region"]["startLine"] == lines[index], f'{where}: line {physical["region"]["startLine"]}, expected {lines[index]}')
    seen_lines.add(physical["region"]["startLine"])
# The re-spelled self-signed origin (the last line) fails at its own line, like the first.
check(lines[-1] in seen_lines, f"no result at the duplicate's line {lines[-1]}")
for p in problems[:30]:
    print("  " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF

echo "== interrupted: both written, marked incomplete, still valid"
slow=$repo/lists/slow.txt
{
    echo "good.demo.test@127.0.0.1:$PORT_GOOD"
    echo "self-signed.demo.test@127.0.0.1:$PORT_SELF_SIGNED"
    for ((i = 0; i < 100; i++)); do echo "silent$i.demo.test@127.0.0.1:$PORT_SILENT"; done
} >"$slow"
(cd "$repo" && exec "$ORIGINSCAN" scan --ca-file "$CA_FILE" --no-system-trust --http-port "$HTTP_PORT" \
    --rules rules.json --timeout 30 --ndjson int.ndjson --prometheus int.prom --sarif int.sarif lists/slow.txt) \
    >"$tmp/int.out" 2>&1 &
pid=$!
# The signal once the two answering origins are done (the silent ones take 30 s each).
for ((i = 0; i < 200; i++)); do
    [[ -f $repo/int.ndjson && $(wc -l <"$repo/int.ndjson") -ge 2 ]] && break
    sleep 0.1
done
kill -INT "$pid"
wait "$pid"
rc=$?
check "interrupted: exit 130" test "$rc" -eq 130
check "interrupted: promtool check metrics" promtool check metrics <"$repo/int.prom"
check "interrupted: run_complete 0, unscanned origins said, and only that about them" \
    "$python" - "$repo/int.prom" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
unscanned = re.findall(r'^originscan_origin_scanned\{origin="([^"]+)"\} 0$', text, re.M)
ok = ("\noriginscan_run_complete 0\n" in text and len(unscanned) > 0 and
      f"\noriginscan_origins_not_scanned {len(unscanned)}\n" in text and
      not any(f'origin="{o}"' in line for o in unscanned for line in text.splitlines()
              if not line.startswith("originscan_origin_scanned")) and
      re.search(r'^originscan_origin_mode\{origin="good.demo.test:\d+@127.0.0.1",mode="strict"\} 3$', text, re.M))
sys.exit(0 if ok else 1)
EOF
check "interrupted: SARIF valid" sarif_valid "$repo/int.sarif"
check "interrupted: SARIF executionSuccessful false, a warning notification, the self-signed violation kept" \
    "$python" -c '
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
inv = run["invocations"][0]
sys.exit(0 if inv["executionSuccessful"] is False and inv["toolExecutionNotifications"][0]["level"] == "warning"
         and any(r["ruleId"] == "below-required" and r["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
                 for r in run["results"]) else 1)' "$repo/int.sarif"

echo "== an output fails: the others still written, marked incomplete"
rc=0
scan --timeout 3 --ndjson /dev/full --prometheus full.prom --sarif full.sarif lists/origins.txt >"$tmp/full.out" 2>"$tmp/full.err" || rc=$?
check "--ndjson /dev/full: exit 3" test "$rc" -eq 3
check "--ndjson /dev/full: metrics written, valid, run_complete 0" \
    bash -c 'promtool check metrics <"$1" && grep -qx "originscan_run_complete 0" "$1"' _ "$repo/full.prom"
check "--ndjson /dev/full: SARIF written and valid" sarif_valid "$repo/full.sarif"

echo "== stdout and the clobber check"
refused() {
    local what=$1 want=$2
    shift 2
    local rc=0
    scan --origin "good.demo.test@127.0.0.1:$PORT_GOOD" "$@" >"$tmp/refused.out" 2>"$tmp/refused.err" || rc=$?
    if [[ $rc -eq 2 ]] && grep -q -- "$want" "$tmp/refused.err"; then ok "$what: refused"
    else fail "$what: exit $rc, stderr: $(cat "$tmp/refused.err")"; fi
}
refused "--prometheus X --sarif X" "are the same file" --prometheus same.out --sarif same.out
refused "--json X --sarif X" "are the same file" --json same.out --sarif ./same.out
refused "--sarif = the list" "would overwrite the list" --sarif lists/origins.txt lists/origins.txt
refused "--prometheus = --rules" "would overwrite --rules" --rules rules.json --prometheus rules.json
refused "--prometheus - --json -" "can go to stdout" --prometheus - --json -
check "--prometheus -: the metrics on stdout, promtool accepts them" \
    bash -c 'cd "$1" && "$ORIGINSCAN" scan --ca-file "$3" --no-system-trust --origin "$2" --prometheus - 2>/dev/null |
        promtool check metrics' _ "$repo" "good.demo.test@127.0.0.1:$PORT_GOOD" "$CA_FILE"

echo "== the GitHub job uploads the SARIF file its scan writes"
if "$python" -c 'import yaml' 2>/dev/null; then
    check "ci/github-actions.yml: --sarif FILE in the scan, FILE uploaded to code scanning, permission to" \
        "$python" -c '
import shlex, sys, yaml
job = yaml.safe_load(open(sys.argv[1]))
steps = job["jobs"]["scan"]["steps"]
args = shlex.split(next(s for s in steps if s.get("run", "").endswith("ci/originscan-ci"))["env"]["ORIGINSCAN_ARGS"])
upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
sys.exit(0 if upload["with"]["sarif_file"] == args[args.index("--sarif") + 1] and "cancelled()" in upload["if"]
         and job["permissions"]["security-events"] == "write" else 1)' "$SOURCE_DIR/ci/github-actions.yml"
else
    echo "skip: python3-yaml not installed, ci/github-actions.yml is not checked"
fi

echo "== the golden files (tests/unit keeps them identical to what the writers produce)"
golden=$SOURCE_DIR/tests/unit/golden
check "promtool check metrics accepts golden/metrics.prom" promtool check metrics <"$golden/metrics.prom"
cp "$golden/results.sarif" "$tmp/golden.sarif"
check "sarif-multitool accepts golden/results.sarif" sarif_valid "$tmp/golden.sarif"

echo "== the example alert rules"
examples=$SOURCE_DIR/examples/prometheus
check "promtool check rules originscan-alerts.yml" promtool check rules "$examples/originscan-alerts.yml"
check "promtool test rules originscan-alerts.test.yml" bash -c 'cd "$1" && promtool test rules originscan-alerts.test.yml' _ "$examples"

e2e_end
