#!/usr/bin/env bash
# Issue 9 end to end, through the built binary, against loopback servers only:
#   - the edge is never judged as the origin: --edge-ranges 127.0.0.64/30 while a listener on
#     127.0.0.65 counts its connections: exit 1, the violation's message in the summary, the
#     JSON and the JUnit, reason edge-address, and no connection at all; a malformed ranges
#     file is exit 2 with FILE:LINE;
#   - the Cloudflare Origin CA: a leaf of a CA with the Origin CA's name (tests/fixtures/
#     make-certs origin-ca) is self-signed with origin-ca-not-loaded and a note saying how to
#     fix it; with that CA given as --ca-file, ca-trusted;
#   - `originscan pin`: the pins it prints are the ones openssl computes from the fixture's
#     certificates, and the rules snippet it prints makes `scan --rules` pin-matching;
#   - ci/originscan-ci CLOUDFLARE_ORIGIN_CA=1 against a loopback http.server: a wrong file is
#     refused (exit 3), so is a 404; the right one (fingerprints overridden by the test-only
#     variable) is passed as --ca-file; the script's real fingerprints are rules/'s.
# Env: ORIGINSCAN (the binary), SOURCE_DIR (the source tree).
source "$SOURCE_DIR/tests/e2e/lib/common.sh"
python=/usr/bin/python3

e2e_begin cloudflare
pids=()
e2e_on_exit 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done'
start_origins

common=(--ca-file "$CA_FILE" --no-system-trust --http-port 0 --timeout 3)

# Checks a JSON report against reports/report.schema.json.
valid_json() {
    "$python" - "$SOURCE_DIR/reports/report.schema.json" "$1" <<'PY'
import json, sys
import jsonschema
validator = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
errors = list(validator.iter_errors(json.load(open(sys.argv[2]))))
for e in errors[:5]:
    print(f"/{'/'.join(map(str, e.absolute_path))}: {e.message}", file=sys.stderr)
sys.exit(1 if errors else 0)
PY
}

# json_get FILE EXPRESSION: prints a Python expression over the parsed report `r`.
json_get() { "$python" -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# --- the edge is never connected to ---------------------------------------------------------
# A TCP listener on 127.0.0.65 that counts what it accepts (one line per connection).
"$python" - "$tmp/edge" <<'PY' &
import os, socket, sys
prefix = sys.argv[1]
s = socket.socket()
s.bind(("127.0.0.65", 0))
s.listen(16)
with open(prefix + ".port.tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(prefix + ".port.tmp", prefix + ".port")
open(prefix + ".accepted", "w").close()
while True:
    c, _ = s.accept()
    with open(prefix + ".accepted", "a") as f:
        f.write("accepted\n")
    c.close()
PY
pids+=($!)
wait_for_file "$tmp/edge.port" || { fail "the edge listener did not start"; e2e_end; }
edge_port=$(<"$tmp/edge.port")
printf '# loopback stand-in for the edge\n127.0.0.64/30   # four addresses\n' >"$tmp/ranges.txt"
printf 'www.edge.test@127.0.0.65:%s\n' "$edge_port" >"$tmp/edge-origins.txt"
message="www.edge.test resolves to Cloudflare's edge (127.0.0.65): list the origin as www.edge.test@ORIGIN-ADDRESS"

status=0
"$ORIGINSCAN" scan "${common[@]}" --edge-ranges "$tmp/ranges.txt" --json "$tmp/edge.json" --junit "$tmp/edge.xml" \
    "$tmp/edge-origins.txt" >"$tmp/edge.out" 2>"$tmp/edge.err" || status=$?
check "an origin at an edge address fails the run (exit 1, got $status)" test "$status" -eq 1
check "the summary says what to list instead" grep -qF "$message" "$tmp/edge.out"
check "the JUnit failure says it too" grep -qF "www.edge.test resolves to Cloudflare&apos;s edge (127.0.0.65)" "$tmp/edge.xml"
check "the JSON: reason edge-address, violation edge-address, mode none" test \
    "$(json_get "$tmp/edge.json" '(r["origins"][0]["reasons"], r["origins"][0]["verdict"]["violations"], r["origins"][0]["allowed_mode"])')" \
    = "(['edge-address'], ['edge-address'], 'none')"
check "the JSON report is valid against the schema" valid_json "$tmp/edge.json"
check "the edge listener was never connected to" test ! -s "$tmp/edge.accepted"
# Control: without the range the same origin is connected to (the count can tell).
"$ORIGINSCAN" scan "${common[@]}" --retries 0 --edge-ranges <(echo 10.0.0.0/8) "$tmp/edge-origins.txt" >/dev/null 2>&1 || true
check "control: without the range the listener is reached" test -s "$tmp/edge.accepted"

printf '127.0.0.64/30\n\n10.0.0.1/8\n' >"$tmp/ranges-bad.txt"
status=0
"$ORIGINSCAN" scan "${common[@]}" --edge-ranges "$tmp/ranges-bad.txt" "$tmp/edge-origins.txt" >/dev/null 2>"$tmp/bad.err" || status=$?
check "a malformed ranges file: exit 2 (got $status)" test "$status" -eq 2
check "... naming FILE:LINE" grep -qF "$tmp/ranges-bad.txt:3: \"10.0.0.1/8\"" "$tmp/bad.err"
status=0
"$ORIGINSCAN" scan "${common[@]}" --edge-ranges "$tmp/missing.txt" "$tmp/edge-origins.txt" >/dev/null 2>"$tmp/missing.err" || status=$?
check "a missing ranges file: exit 2 (got $status)" test "$status" -eq 2
check "... naming the option and the file" grep -qF -- "--edge-ranges $tmp/missing.txt: No such file" "$tmp/missing.err"

# --- the Cloudflare Origin CA -----------------------------------------------------------------
origin_ca="origin-ca.demo.test@127.0.0.1:$PORT_ORIGIN_CA"
status=0
"$ORIGINSCAN" scan "${common[@]}" --origin "$origin_ca" --json "$tmp/oca.json" >"$tmp/oca.out" 2>&1 || status=$?
check "Origin CA root not given: exit 0 (no policy; got $status)" test "$status" -eq 0
check "... self-signed, origin-ca-not-loaded" test \
    "$(json_get "$tmp/oca.json" '(r["origins"][0]["class"], r["origins"][0]["reasons"])')" = "('self-signed', ['origin-ca-not-loaded'])"
check "... the summary says how to fix it" grep -qF "pass each with --ca-file" "$tmp/oca.out"
check "... valid against the schema" valid_json "$tmp/oca.json"
"$ORIGINSCAN" scan "${common[@]}" --ca-file "$FIXTURE_DIR/origin-ca.pem" --origin "$origin_ca" --json "$tmp/oca2.json" \
    >/dev/null 2>&1 || true
check "Origin CA root given with --ca-file: ca-trusted, no reason" test \
    "$(json_get "$tmp/oca2.json" '(r["origins"][0]["class"], r["origins"][0]["reasons"])')" = "('ca-trusted', [])"

# --- originscan pin ---------------------------------------------------------------------------
openssl_pin() {
    echo "sha256/$(openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der |
        openssl dgst -sha256 -binary | base64)"
}
openssl_sha256() { openssl x509 -in "$1" -outform der | sha256sum | cut -d' ' -f1; }
good="good.demo.test@127.0.0.1:$PORT_GOOD"
self_signed="self-signed.demo.test@127.0.0.1:$PORT_SELF_SIGNED"
leaf_pin=$(openssl_pin "$FIXTURE_DIR/good-leaf.pem")
intermediate_pin=$(openssl_pin "$FIXTURE_DIR/intermediate-ca.pem")
self_pin=$(openssl_pin "$FIXTURE_DIR/self-signed-leaf.pem")

status=0
"$ORIGINSCAN" pin --ca-file "$CA_FILE" --no-system-trust --timeout 3 "$good" >"$tmp/pin.txt" 2>&1 || status=$?
check "pin: exit 0 (got $status)" test "$status" -eq 0
check "pin: the leaf's pin is openssl's" grep -qF "pin       $leaf_pin" "$tmp/pin.txt"
check "pin: the intermediate's pin is openssl's" grep -qF "pin       $intermediate_pin" "$tmp/pin.txt"
check "pin: the leaf's SHA-256 is openssl's" grep -qF "sha256    $(openssl_sha256 "$FIXTURE_DIR/good-leaf.pem")" "$tmp/pin.txt"
check "pin: subject and issuer" grep -qE "subject +CN=good.demo.test" "$tmp/pin.txt"
check "pin: a snippet with both pins" grep -qF "{\"match\":\"good.demo.test\",\"pins\":[\"$leaf_pin\",\"$intermediate_pin\"]}" "$tmp/pin.txt"

# Round trip: the JSON's rule, pasted into a rules file, authenticates the origin by pin.
round_trip() {  # round_trip NAME SPEC EXPECTED_PINS...
    local name=$1 spec=$2
    shift 2
    local want
    want=$(printf '%s\n' "$@" | "$python" -c 'import json, sys; print(json.dumps(sys.stdin.read().split()))')
    "$ORIGINSCAN" pin --json --ca-file "$CA_FILE" --no-system-trust --timeout 3 "$spec" >"$tmp/$name.pin.json" 2>&1 ||
        { fail "$name: pin --json failed: $(head -c 300 "$tmp/$name.pin.json")"; return; }
    "$python" - "$tmp/$name.pin.json" "$tmp/$name.rules.json" "$want" <<'PY' || { fail "$name: pin --json: $(cat "$tmp/$name.check")"; return; }
import json, sys
out, rules_path, want = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
origin = json.load(open(out))["origins"][0]
rule = origin["rule"]
leaf = origin["probes"][0]["certificates"][0]
assert rule["pins"] == want, (rule, want)
assert leaf["role"] == "leaf" and leaf["spki_pin"] == want[0], leaf
json.dump({"rules": [rule]}, open(rules_path, "w"))
PY
    local status=0
    "$ORIGINSCAN" scan "${common[@]}" --rules "$tmp/$name.rules.json" --origin "$spec" --json "$tmp/$name.scan.json" \
        >/dev/null 2>&1 || status=$?
    check "$name: the snippet's pins make the scan pin-matching, exit 0 (got $status)" test \
        "$status:$(json_get "$tmp/$name.scan.json" 'r["origins"][0]["class"]')" = "0:pin-matching"
}
round_trip good "$good" "$leaf_pin" "$intermediate_pin"
round_trip self-signed "$self_signed" "$self_pin"
# Control: a pin of another key does not match (the round trip can fail).
printf '{"rules": [{"match": "self-signed.demo.test", "pins": ["%s"]}]}\n' "$leaf_pin" >"$tmp/wrong.rules.json"
status=0
"$ORIGINSCAN" scan "${common[@]}" --rules "$tmp/wrong.rules.json" --origin "$self_signed" >/dev/null 2>&1 || status=$?
check "control: another origin's pin is a pin-mismatch, exit 1 (got $status)" test "$status" -eq 1

status=0
"$ORIGINSCAN" pin --timeout 3 --no-system-trust --ca-file "$CA_FILE" "refused.demo.test@127.0.0.2:$PORT_REFUSED" \
    >"$tmp/pin-refused.txt" 2>&1 || status=$?
check "pin: an origin with no certificate is exit 1 (got $status)" test "$status" -eq 1
check "... and says why" grep -q "no certificate: refused" "$tmp/pin-refused.txt"
status=0
"$ORIGINSCAN" pin --timeout 3 --no-system-trust --ca-file "$CA_FILE" --edge-ranges "$tmp/ranges.txt" \
    "www.edge.test@127.0.0.65:$edge_port" >"$tmp/pin-edge.txt" 2>&1 || status=$?
check "pin: an edge address is exit 1 (got $status), with the message" \
    test "$status" -eq 1 -a "$(grep -cF "$message" "$tmp/pin-edge.txt")" -eq 1
check "... and was not connected to" test "$(wc -l <"$tmp/edge.accepted")" -eq 1  # the control's one
status=0
"$ORIGINSCAN" pin >/dev/null 2>"$tmp/pin-none.err" || status=$?
check "pin without an origin: exit 2 (got $status)" test "$status" -eq 2
status=0
"$ORIGINSCAN" pin "bad name!" >/dev/null 2>"$tmp/pin-bad.err" || status=$?
check "pin with a malformed origin: exit 2 (got $status)" test "$status" -eq 2

# --- ci/originscan-ci CLOUDFLARE_ORIGIN_CA=1 -------------------------------------------------
mkdir -p "$tmp/www"
cp "$FIXTURE_DIR/origin-ca.pem" "$tmp/www/right.pem"
cp "$CA_FILE" "$tmp/www/wrong.pem"
"$python" -u -m http.server --bind 127.0.0.1 --directory "$tmp/www" 0 >"$tmp/http.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 50; i++)); do
    http_port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$tmp/http.log" | head -1)
    [[ -n $http_port ]] && break
    sleep 0.1
done
[[ -n ${http_port:-} ]] || { fail "http.server did not start: $(cat "$tmp/http.log")"; e2e_end; }
base="http://127.0.0.1:$http_port"
right_sha=$(openssl_sha256 "$FIXTURE_DIR/origin-ca.pem")
echo "$origin_ca" >"$tmp/ci-origins.txt"

ci() {  # ci TEST_ROOTS: runs the CI script in $tmp/ci with the Origin CA on; prints the status
    rm -rf "$tmp/ci" && mkdir -p "$tmp/ci"
    local status=0
    (cd "$tmp/ci" && CLOUDFLARE_ORIGIN_CA=1 ORIGINSCAN_TEST_ORIGIN_CA="$1" ORIGINS="$tmp/ci-origins.txt" \
        ORIGINSCAN_ARGS="--no-system-trust --timeout 3 --http-port 0" \
        "$SOURCE_DIR/ci/originscan-ci" >"$tmp/ci.out" 2>&1) || status=$?
    echo "$status"
}
status=$(ci "$base/wrong.pem=$right_sha")
check "CI: a file whose fingerprint is not the root's is refused, exit 3 (got $status)" test "$status" -eq 3
check "... saying so" grep -q "refused (not the Origin CA root)" "$tmp/ci.out"
check "... and nothing was scanned" test ! -e "$tmp/ci/originscan.json"
status=$(ci "$base/missing.pem=$right_sha")
check "CI: a root that cannot be fetched (404) is exit 3 (got $status)" test "$status" -eq 3
status=$(ci "$base/right.pem=$right_sha")
check "CI: the right root is passed as --ca-file: exit 0 (got $status)" test "$status" -eq 0
check "... and the Origin CA origin is ca-trusted" test \
    "$(json_get "$tmp/ci/originscan.json" 'r["origins"][0]["class"]' 2>/dev/null)" = ca-trusted
check "CI: the script's real roots are rules/'s" "$python" - "$SOURCE_DIR" <<'PY'
import re, sys
src = sys.argv[1]
script = set(re.findall(r'(https://\S+\.pem)=([0-9A-F]{64})', open(f"{src}/ci/originscan-ci").read()))
rules = open(f"{src}/rules/origin_ca.cpp").read()
known = set(zip(re.findall(r'"(https://\S+\.pem)"', rules), re.findall(r'"([0-9A-F]{64})"', rules)))
sys.exit(0 if script == known and len(known) == 2 else 1)
PY

e2e_end
