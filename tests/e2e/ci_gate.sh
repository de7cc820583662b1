#!/usr/bin/env bash
# Issue 3 end to end: the CI gate, through the built binary, against real loopback servers
# (tests/fixtures/origins: nginx on 127.0.0.1, a refused address on 127.0.0.2).
#   - scan -> baseline.json; the same scan with --baseline baseline.json: every change "same",
#     exit 0 (a report round-trips as a baseline);
#   - one origin dropped and one added against the baseline: "new" and "removed", exit 0;
#   - good.demo.test's CA-trusted certificate really replaced by a self-signed one (its nginx
#     server block edited, nginx reloaded) -> --baseline scan: exit 1, the downgrade named in
#     the JSON (change "downgrade", violations ["downgrade"]), in the JUnit (<failure
#     type="downgrade">) and in the summary (VIOLATION); ci/originscan-ci does the same with the
#     baseline as a file, fetched from a URL (404: none; 401: exit 3) or ignored (REBASELINE);
#   - the certificate restored -> against the downgraded report: "upgrade", exit 0;
#   - a pinned self-signed origin: pin-matching, strict, exit 0; a wrong pin: pin-mismatch,
#     exit 1; min_mode strict on a self-signed origin: below-required, exit 1;
#   - --fail-on unreachable with a refused origin: exit 1; --fail-on expiring: exit 1 with a
#     horizon past the certificate's end, or at --now a week before it; time control with --now
#     (expired after not_after, not yet valid in 2000);
#   - every run: the JSON valid against reports/report.schema.json, the JUnit against
#     reports/junit.xsd.
# Env: ORIGINSCAN (the binary), SOURCE_DIR (the source tree). Everything stays on loopback.
source "$SOURCE_DIR/tests/e2e/lib/common.sh"
python=/usr/bin/python3
nginx=$(command -v nginx || echo /usr/sbin/nginx)

e2e_begin ci_gate
http_pid=""
e2e_on_exit '[[ -n $http_pid ]] && kill "$http_pid" 2>/dev/null'
start_origins

good="good.demo.test@127.0.0.1:$PORT_GOOD"
sni_a="sni-a.demo.test@127.0.0.1:$PORT_SNI"
self_signed="self-signed.demo.test@127.0.0.1:$PORT_SELF_SIGNED"
plain="plain.demo.test@127.0.0.1:$PORT_CLOSED"
refused="refused.demo.test@127.0.0.2:$PORT_REFUSED"
wrong_name="wrong-name.demo.test@127.0.0.1:$PORT_WRONG_NAME"
printf '%s\n' "# the CI gate's origins" "$good" "$sni_a" "$self_signed" "$plain" "$refused" >"$tmp/origins.txt"
# The same minus sni-a, plus wrong-name: one removed, one new.
printf '%s\n' "$good" "$self_signed" "$plain" "$refused" "$wrong_name" >"$tmp/origins-changed.txt"
leaf_pin() { awk -F'\t' -v f="$1" '$1 == f { print $3 }' "$fixture/leaf-facts.tsv"; }
self_signed_pin=$(leaf_pin self-signed-leaf.pem)
other_pin=$(leaf_pin good-leaf.pem)  # well-formed, but another key's
[[ $self_signed_pin == sha256/* && $other_pin == sha256/* ]] ||
    { fail "no pins in $fixture/leaf-facts.tsv"; e2e_end; }

common=(--ca-file "$CA_FILE" --no-system-trust --http-port "$HTTP_PORT" --timeout 3)

# Validates one run's JSON against the schema and JUnit against the XSD.
valid_reports() {  # valid_reports JSON JUNIT WHAT
    local problems=""
    "$python" - "$SOURCE_DIR/reports/report.schema.json" "$1" 2>"$tmp/schema.err" <<'EOF' || problems="JSON: $(head -c 600 "$tmp/schema.err")"
import json, sys
import jsonschema
validator = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
errors = list(validator.iter_errors(json.load(open(sys.argv[2]))))
for e in errors[:10]:
    print(f"/{'/'.join(map(str, e.absolute_path))}: {e.message}", file=sys.stderr)
sys.exit(1 if errors else 0)
EOF
    xmllint --noout --schema "$SOURCE_DIR/reports/junit.xsd" "$2" 2>"$tmp/xsd.err" >/dev/null ||
        problems+=" JUnit: $(grep -v ' validates$' "$tmp/xsd.err" | head -c 600)"
    if [[ -z $problems ]]; then ok "$3: JSON valid against the schema, JUnit against the XSD"; else fail "$3: $problems"; fi
}

# scan NAME WANT_STATUS ARGS...: one run with both reports, $tmp/NAME.{json,xml,out,err}.
scan() {
    local name=$1 want=$2
    shift 2
    local rc=0
    "$ORIGINSCAN" scan "${common[@]}" --json "$tmp/$name.json" --junit "$tmp/$name.xml" "$@" \
        >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
    if [[ $rc -eq $want ]]; then
        ok "$name: exit status $rc"
    else
        fail "$name: exit status $rc, expected $want; stderr: $(head -c 600 "$tmp/$name.err")"
    fi
    if [[ -s $tmp/$name.json && -s $tmp/$name.xml ]]; then
        valid_reports "$tmp/$name.json" "$tmp/$name.xml" "$name"
    else
        fail "$name: a report is missing"
    fi
}

# The helpers the per-run checks below are written with.
cat >"$tmp/checks.py" <<'EOF'
import json, sys
import xml.etree.ElementTree as ET
prefix = sys.argv[1]
report = json.load(open(prefix + ".json"))
junit = ET.parse(prefix + ".xml").getroot()
summary = open(prefix + ".out").read()
problems = []
def check(ok, message):
    if not ok:
        problems.append(message)
def origin(spec):
    found = [o for o in report["origins"] if o["input"] == spec]
    if len(found) != 1:
        raise SystemExit(f"  {len(found)} origins {spec!r} in the report")
    return found[0]
def failures(spec):
    cases = [c for c in junit.iter("testcase") if c.get("name") == spec]
    if len(cases) != 1:
        raise SystemExit(f"  {len(cases)} JUnit testcases {spec!r}")
    return cases[0].findall("failure")
def expect(spec, cls=None, mode=None, reasons=None, change=None, violations=(), baseline_mode=...):
    o = origin(spec)
    v = o["verdict"]
    where = spec
    if cls is not None:
        check(o["class"] == cls, f'{where}: class {o["class"]}, expected {cls}')
    if mode is not None:
        check(o["allowed_mode"] == mode, f'{where}: mode {o["allowed_mode"]}, expected {mode}')
    if reasons is not None:
        check(sorted(o["reasons"]) == sorted(reasons), f'{where}: reasons {o["reasons"]}, expected {reasons}')
    if change is not None:
        check(v["change"] == change, f'{where}: change {v["change"]}, expected {change}')
    if baseline_mode is not ...:
        check(v["baseline_mode"] == baseline_mode, f'{where}: baseline_mode {v["baseline_mode"]}, expected {baseline_mode}')
    check(sorted(v["violations"]) == sorted(violations), f'{where}: violations {v["violations"]}, expected {list(violations)}')
    # The JUnit says the same: one <failure> when there are violations, typed by the first,
    # its message naming each.
    f = failures(spec)
    if violations:
        check(len(f) == 1 and f[0].get("type") == v["violations"][0]
              and all(f"{kind}: " in f[0].get("message") for kind in violations),
              f'{where}: JUnit failures {[(x.get("type"), x.get("message")) for x in f]}, expected one naming {list(violations)}')
    else:
        check(f == [], f'{where}: JUnit failures {[x.get("type") for x in f]}, expected none')
    return o
def totals():
    n = sum(len(o["verdict"]["violations"]) for o in report["origins"])
    check(report["summary"]["violations"] == n, f'summary.violations {report["summary"]["violations"]}, counted {n}')
    failing = sum(1 for o in report["origins"] if o["verdict"]["violations"])
    elements = len(list(junit.iter("failure")))
    suite = junit if junit.tag == "testsuite" else junit.find("testsuite")
    check(int(suite.get("failures")) == elements == failing,
          f'JUnit failures="{suite.get("failures")}", {elements} <failure> elements, {failing} failing origins')
    check(int(suite.get("tests")) == len(report["origins"]) == len(list(junit.iter("testcase"))),
          "JUnit: not one testcase per origin")
    if n:
        check(f"{n} VIOLATION" in summary, f"the summary does not start with {n} VIOLATION(S)")
    else:
        check("VIOLATION" not in summary, "the summary names a violation where there is none")
exec(sys.stdin.read())
totals()
for p in problems[:20]:
    print("  " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
# verify NAME DESCRIPTION <<< python checks over report/junit/summary of run NAME
verify() {
    if "$python" "$tmp/checks.py" "$tmp/$1" "${@:3}"; then ok "$1: $2"; else fail "$1: $2"; fi
}

# Loads the spec variables into the python checks.
specs=$(printf 'good, sni_a, self_signed, plain, refused, wrong_name = %s, %s, %s, %s, %s, %s\n' \
    "'$good'" "'$sni_a'" "'$self_signed'" "'$plain'" "'$refused'" "'$wrong_name'")

# --- 1. baseline, and the report round-tripping as a baseline ---------------------------------
echo "== baseline"
scan baseline 0 "$tmp/origins.txt"
verify baseline "classes as expected, no verdicts without rules or baseline" <<EOF
$specs
for spec, cls, mode in ((good, "ca-trusted", "strict"), (sni_a, "ca-trusted", "strict"),
                        (self_signed, "self-signed", "full"), (plain, "plaintext", "flexible"),
                        (refused, "unreachable", "none")):
    expect(spec, cls, mode, change="none", baseline_mode=None)
check([o["input"] for o in report["origins"]] == [good, sni_a, self_signed, plain, refused], "input order")
EOF

scan same 0 --baseline "$tmp/baseline.json" "$tmp/origins.txt"
verify same "round trip: every origin 'same' against its own report, no downgrade" <<EOF
$specs
for o in report["origins"]:
    expect(o["input"], change="same", baseline_mode=o["allowed_mode"])
check(report["summary"]["downgrades"] == 0 and report["removed"] == [], "downgrades or removed")
check(report["settings"]["baseline_file"] == "$tmp/baseline.json", "settings.baseline_file")
EOF

scan changed 0 --baseline "$tmp/baseline.json" "$tmp/origins-changed.txt"
verify changed "a new origin and a removed one are reported, not failed" <<EOF
$specs
expect(wrong_name, "self-signed", "full", change="new", baseline_mode=None)
expect(good, change="same", baseline_mode="strict")
check(report["removed"] == [{"id": "sni-a.demo.test:$PORT_SNI@127.0.0.1", "input": sni_a, "baseline_mode": "strict"}], f'removed {report["removed"]}')
check(f"removed since the baseline: {sni_a} (strict)" in summary, "the summary does not name the removed origin")
EOF

# --- 2. good.demo.test's certificate replaced by a self-signed one ----------------------------
echo "== downgrade: good.demo.test now serves a self-signed certificate"
# class_of SPEC: the class the binary sees now (one quick scan).
class_of() {
    "$ORIGINSCAN" scan "${common[@]}" --origin "$1" --json - 2>/dev/null |
        "$python" -c 'import json, sys; print(json.load(sys.stdin)["origins"][0]["class"])' 2>/dev/null || true
}
# children_of PID: the pids whose parent is PID, from /proc (procps may not be installed).
children_of() {
    local stat rest
    for stat in /proc/[0-9]*/stat; do
        rest=$(<"$stat") 2>/dev/null || continue
        rest=${rest##*) }  # past "pid (comm) ": "state ppid ..."
        rest=${rest#* }
        [[ ${rest%% *} == "$1" ]] && { stat=${stat#/proc/}; printf '%s ' "${stat%/stat}"; }
    done
    return 0
}
# reload_nginx WANT_CLASS: reloads the edited nginx.conf and waits until good.demo.test shows it.
reload_nginx() {
    if ! "$nginx" -p "$FIXTURE_DIR" -c "$FIXTURE_DIR/nginx.conf" -e "$FIXTURE_DIR/error.log" -t \
        >"$tmp/nginx.out" 2>&1; then
        fail "the edited nginx.conf does not load: $(cat "$tmp/nginx.out")"
        e2e_end
    fi
    # Until the master has told them to quit, the old workers still accept on the shared listen
    # sockets: one scan that sees the new certificate proves nothing about the next connection
    # (CI once saw the new one, then the old one). So wait for every old worker to be gone.
    local master old_workers i seen=""
    master=$(<"$FIXTURE_DIR/nginx.pid")
    old_workers=$(children_of "$master")
    "$nginx" -p "$FIXTURE_DIR" -c "$FIXTURE_DIR/nginx.conf" -e "$FIXTURE_DIR/error.log" -s reload
    for ((i = 0; i < 150; i++)); do
        local alive="" pid
        for pid in $old_workers; do
            kill -0 "$pid" 2>/dev/null && alive+=" $pid"
        done
        if [[ -z $alive ]]; then
            seen=$(class_of "$good")
            [[ $seen == "$1" ]] && return 0
        fi
        sleep 0.2
    done
    fail "after the reload good.demo.test is still ${seen:-served by the old workers$alive}, not $1"
    e2e_end
}

# A fresh self-signed certificate for the same name, so the only change is who signed it.
cat >"$tmp/swap.tmpl" <<'EOF'
cn = "good.demo.test"
dns_name = "good.demo.test"
expiration_days = 30
tls_www_server
signing_key
EOF
certtool --generate-privkey --key-type ecdsa --curve secp256r1 --outfile "$tmp/swap.key" 2>/dev/null
certtool --generate-self-signed --load-privkey "$tmp/swap.key" --template "$tmp/swap.tmpl" \
    --outfile "$tmp/swap.pem" 2>/dev/null
cp "$FIXTURE_DIR/nginx.conf" "$tmp/nginx.conf.orig"
"$python" - "$FIXTURE_DIR/nginx.conf" "$PORT_GOOD" "$tmp/swap.pem" "$tmp/swap.key" <<'EOF'
import re, sys
path, port, cert, key = sys.argv[1:]
conf = open(path).read()
block = re.compile(r'(listen 127\.0\.0\.1:%s ssl;\s*server_name good\.demo\.test;\s*)'
                   r'ssl_certificate "[^"]*";(\s*)ssl_certificate_key "[^"]*";' % port)
conf, n = block.subn(lambda m: f'{m.group(1)}ssl_certificate "{cert}";{m.group(2)}ssl_certificate_key "{key}";', conf)
if n != 1:
    sys.exit(f"found {n} server blocks for good.demo.test on port {port} in {path}")
open(path, "w").write(conf)
EOF
reload_nginx self-signed
ok "nginx reloaded: good.demo.test serves the self-signed certificate"

scan downgrade 1 --baseline "$tmp/baseline.json" "$tmp/origins.txt"
verify downgrade "the downgrade named in the JSON, the JUnit and the summary; nothing else fails" <<EOF
$specs
expect(good, "self-signed", "full", reasons=["self-signed"], change="downgrade",
       violations=["downgrade"], baseline_mode="strict")
for spec in (sni_a, self_signed, plain, refused):
    expect(spec, change="same")
check(report["summary"]["downgrades"] == 1, f'summary.downgrades {report["summary"]["downgrades"]}')
lines = summary.splitlines()
check(lines[0] == "1 VIOLATION:", f"the summary starts with {lines[0]!r}")
check(any(l.strip().startswith(good) and "downgrade" in l and "strict" in l and "full" in l for l in lines[1:3]),
      "no summary line names the downgrade of good.demo.test from strict to full")
failure = next(c for c in junit.iter("testcase") if c.get("name") == good).find("failure")
check("strict" in failure.get("message") and "full" in failure.get("message"),
      f'the JUnit failure message does not say strict -> full: {failure.get("message")!r}')
EOF
# What a person sees in CI (the README quotes this).
echo "-- summary of the downgrade run:"
sed 's/^/   | /' "$tmp/downgrade.out"
echo "-- its JUnit failure:"
"$python" - "$tmp/downgrade.xml" "$good" <<'EOF' | sed 's/^/   | /'
import sys
text = open(sys.argv[1]).read()
start = text.index(f'<testcase classname="originscan.origins" name="{sys.argv[2]}"')
end = text.index("</testcase>", start) + len("</testcase>")
print(text[start:end])
EOF

# --- 3. ci/originscan-ci, the script the CI jobs call, in the downgraded state ------------------
echo "== ci/originscan-ci"
# A loopback stand-in for the CI's artifact API: /baseline.json needs the header
# "JOB-TOKEN: t0ken" (401 without), anything else is 404.
"$python" - "$tmp/baseline.json" "$tmp/http.port" <<'EOF' >/dev/null 2>&1 &
import http.server, os, sys
body = open(sys.argv[1], "rb").read()
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.split("?")[0] != "/baseline.json":
            self.send_error(404)
        elif self.headers.get("JOB-TOKEN") != "t0ken":
            self.send_error(401)
        else:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
server.serve_forever()
EOF
http_pid=$!
for ((i = 0; i < 50; i++)); do [[ -s $tmp/http.port ]] && break; sleep 0.1; done
http_url="http://127.0.0.1:$(cat "$tmp/http.port" 2>/dev/null || echo 1)"

# ci_run NAME WANT_STATUS [VAR=VALUE...]: ci/originscan-ci in $tmp/ci-NAME/ with the gate's list.
ci_run() {
    local name=$1 want=$2
    shift 2
    local dir=$tmp/ci-$name rc=0
    mkdir -p "$dir"
    (cd "$dir" && env ORIGINSCAN="$ORIGINSCAN" ORIGINS="$tmp/origins.txt" CA_FILE="$CA_FILE" \
        HTTP_PORT="$HTTP_PORT" TIMEOUT=3 ORIGINSCAN_ARGS="--no-system-trust" \
        GITHUB_STEP_SUMMARY="$dir/step-summary.md" "$@" \
        "$SOURCE_DIR/ci/originscan-ci" >"$dir/out" 2>"$dir/err") || rc=$?
    if [[ $rc -eq $want ]]; then
        ok "originscan-ci $name: exit status $rc"
    else
        fail "originscan-ci $name: exit status $rc, expected $want; stderr: $(head -c 800 "$dir/err")"
    fi
}
ci_run file 1 BASELINE="$tmp/baseline.json"
if [[ -s $tmp/ci-file/originscan.json && -s $tmp/ci-file/originscan-junit.xml ]]; then
    valid_reports "$tmp/ci-file/originscan.json" "$tmp/ci-file/originscan-junit.xml" "originscan-ci file"
    if grep -q "<failure type=\"downgrade\"" "$tmp/ci-file/originscan-junit.xml" &&
        grep -q "^1 VIOLATION:" "$tmp/ci-file/out" &&
        grep -q "FAILED: policy violation" "$tmp/ci-file/step-summary.md" &&
        grep -q "$good .*downgrade" "$tmp/ci-file/step-summary.md"; then
        ok "originscan-ci file: the downgrade in the JUnit, on stdout and in the GitHub job summary"
    else
        fail "originscan-ci file: the downgrade is missing from the JUnit, stdout or job summary"
    fi
else
    fail "originscan-ci file: originscan.json or originscan-junit.xml not written in the current directory"
fi
ci_run url 1 BASELINE_URL="$http_url/baseline.json?job=originscan" BASELINE_HEADER="JOB-TOKEN: t0ken"
if grep -q '"downgrade"' "$tmp/ci-url/originscan.json" 2>/dev/null &&
    cmp -s "$tmp/ci-url/originscan-baseline.json" "$tmp/baseline.json"; then
    ok "originscan-ci url: the fetched baseline is the one served, the downgrade is found"
else
    fail "originscan-ci url: baseline not fetched intact or no downgrade"
fi
ci_run url-missing 0 BASELINE_URL="$http_url/nothing-yet.json"
if grep -q "no baseline" "$tmp/ci-url-missing/err"; then
    ok "originscan-ci url-missing: 404 is 'no baseline', said on stderr"
else
    fail "originscan-ci url-missing: no 'no baseline' notice"
fi
ci_run url-unauthorized 3 BASELINE_URL="$http_url/baseline.json"
if [[ ! -e $tmp/ci-url-unauthorized/originscan.json ]]; then
    ok "originscan-ci url-unauthorized: no scan without the baseline"
else
    fail "originscan-ci url-unauthorized: scanned although the baseline could not be fetched"
fi
ci_run no-file 0 BASELINE="$tmp/ci-no-file/none.json"
ci_run rebaseline 0 BASELINE="$tmp/baseline.json" REBASELINE=true

# The ready-made jobs cannot run here; what can be checked is that they parse and agree with
# themselves: the report they keep is the one they read back as the baseline.
if "$python" -c 'import yaml' 2>/dev/null; then
    if "$python" - "$SOURCE_DIR/ci/github-actions.yml" "$SOURCE_DIR/ci/gitlab-ci.yml" <<'EOF'; then
import sys, yaml
github, gitlab = (yaml.safe_load(open(p)) for p in sys.argv[1:])
problems = []
def check(ok, message):
    if not ok:
        problems.append(message)

steps = github["jobs"]["scan"]["steps"]
scan = next(s for s in steps if s.get("run", "").endswith("ci/originscan-ci"))
download = next(s for s in steps if s.get("uses", "").startswith("actions/download-artifact@"))
upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
junit = next(s for s in steps if "junit" in s.get("uses", ""))
env = scan["env"]
check(upload["with"]["path"] == env["REPORT"], "GitHub: uploads another file than REPORT")
check(upload["with"]["name"] == download["with"]["name"], "GitHub: downloads another artifact than it uploads")
check(env["BASELINE"] == f'{download["with"]["path"]}/{env["REPORT"]}', "GitHub: BASELINE is not where the report is downloaded")
check(junit["with"]["report_paths"] == env["JUNIT"], "GitHub: publishes another JUnit file than JUNIT")
check("run-id" in download["with"] and "needs.baseline.outputs.run-id" in download["with"]["run-id"], "GitHub: no run-id")
check(upload.get("if") and junit.get("if"), "GitHub: publishing steps do not run after a failed scan")

(name, job), = gitlab.items()
v = job["variables"]
check(job["script"][-1].endswith("ci/originscan-ci"), "GitLab: the script does not end with ci/originscan-ci")
check(job["artifacts"]["when"] == "always", "GitLab: artifacts not kept when the job fails")
check(job["artifacts"]["paths"] == [v["REPORT"]], "GitLab: keeps another file than REPORT")
check(job["artifacts"]["reports"]["junit"] == v["JUNIT"], "GitLab: reports another JUnit file than JUNIT")
check(v["BASELINE_URL"].endswith(f'/raw/{v["REPORT"]}?job={name}'), "GitLab: BASELINE_URL asks for another file or job")
for p in problems:
    print("  " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
        ok "CI files: the YAML parses; each keeps the report it reads back as the baseline"
    else
        fail "CI files: ci/github-actions.yml or ci/gitlab-ci.yml"
    fi
else
    echo "skip: python3-yaml not installed, the CI YAML files are not checked"
fi

# --- 4. the certificate restored: an upgrade against the downgraded report ---------------------
echo "== upgrade: the CA-trusted certificate is back"
cp "$tmp/nginx.conf.orig" "$FIXTURE_DIR/nginx.conf"
reload_nginx ca-trusted
scan upgrade 0 --baseline "$tmp/downgrade.json" "$tmp/origins.txt"
verify upgrade "an upgrade is reported, not failed" <<EOF
$specs
expect(good, "ca-trusted", "strict", change="upgrade", baseline_mode="full")
check(report["summary"]["downgrades"] == 0, "downgrades")
EOF

# --- 5. rules: pins and minimum modes ----------------------------------------------------------
echo "== rules"
cat >"$tmp/pinned.rules.json" <<EOF
// the self-signed origin, authenticated by its key
{"rules": [{"match": "self-signed.demo.test", "min_mode": "strict", "pins": ["$self_signed_pin"]}]}
EOF
scan pinned 0 --rules "$tmp/pinned.rules.json" --origin "$self_signed" --origin "$good"
verify pinned "a pinned self-signed origin is pin-matching, strict, meets min_mode strict" <<EOF
$specs
o = expect(self_signed, "pin-matching", "strict")
check(o["verdict"]["required_mode"] == "strict", "required_mode")
check(o["verdict"]["pins"] == ["$self_signed_pin"], f'pins {o["verdict"]["pins"]}')
expect(good, "ca-trusted", "strict")
EOF

cat >"$tmp/wrong-pin.rules.json" <<EOF
{"rules": [{"match": "self-signed.demo.test", "pins": ["$other_pin"]}]}
EOF
scan wrong-pin 1 --rules "$tmp/wrong-pin.rules.json" --origin "$self_signed" --origin "$good"
verify wrong-pin "a wrong (well-formed) pin is a pin-mismatch violation" <<EOF
$specs
o = expect(self_signed, violations=["pin-mismatch"])
check(o["class"] != "pin-matching", "pin-matching with a wrong pin")
expect(good, "ca-trusted", "strict")
EOF

cat >"$tmp/min-mode.rules.json" <<'EOF'
{"rules": [{"match": "*.demo.test", "min_mode": "strict"}]}
EOF
scan below-required 1 --rules "$tmp/min-mode.rules.json" --origin "$self_signed" --origin "$good"
verify below-required "min_mode strict (by wildcard) on a self-signed origin is below-required" <<EOF
$specs
o = expect(self_signed, "self-signed", "full", violations=["below-required"])
check(o["verdict"]["required_mode"] == "strict", "required_mode")
expect(good, "ca-trusted", "strict")
EOF

# --- 6. --fail-on and time control --------------------------------------------------------------
echo "== --fail-on, --expiry-days, --now"
scan fail-unreachable 1 --fail-on unreachable --origin "$refused" --origin "$good"
verify fail-unreachable "--fail-on unreachable fails the refused origin only" <<EOF
$specs
expect(refused, "unreachable", "none", violations=["unreachable"])
expect(good, "ca-trusted")
EOF

scan fail-expiring-ok 0 --fail-on expiring --origin "$good"
verify fail-expiring-ok "--fail-on expiring, default 14 days: a certificate with months left passes" <<EOF
$specs
check(origin(good)["tls"]["leaf"]["days_left"] > 14, "fewer than 15 days left on the fixture certificate")
expect(good, "ca-trusted")
EOF
scan fail-expiring 1 --fail-on expiring --expiry-days 36500 --origin "$good"
verify fail-expiring "--expiry-days 36500: expiring" <<EOF
$specs
expect(good, "ca-trusted", violations=["expiring"])
EOF

# The good leaf's not_after, from the baseline report, moves --now around it.
not_after=$("$python" -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(next(o for o in r["origins"] if o["input"] == sys.argv[2])["tls"]["leaf"]["not_after"])' \
    "$tmp/baseline.json" "$good")
at() {  # at DAYS: not_after moved by DAYS, RFC 3339
    "$python" -c 'import datetime, sys
t = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%SZ") + datetime.timedelta(days=int(sys.argv[2]))
print(t.strftime("%Y-%m-%dT%H:%M:%SZ"))' "$not_after" "$1"
}
scan now-week-left 1 --fail-on expiring --now "$(at -7)" --origin "$good"
verify now-week-left "--now a week before not_after: 7 days left, expiring (default 14)" <<EOF
$specs
o = expect(good, "ca-trusted", "strict", violations=["expiring"])
check(o["tls"]["leaf"]["days_left"] == 7, f'days_left {o["tls"]["leaf"]["days_left"]}')
check(report["judged_at"] == "$(at -7)", f'judged_at {report["judged_at"]}')
EOF
scan now-expired 0 --now "$(at 1)" --origin "$good"
verify now-expired "--now a day after not_after: self-signed, expired" <<EOF
$specs
expect(good, "self-signed", "full", reasons=["expired"])
EOF
scan now-past 0 --now 2000-01-01T00:00:00Z --origin "$good"
verify now-past "--now in 2000: self-signed, not-yet-valid" <<EOF
$specs
expect(good, "self-signed", "full", reasons=["not-yet-valid"])
EOF

e2e_end
