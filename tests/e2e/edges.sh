#!/usr/bin/env bash
# Issue 11 end to end, through the built binary, against the demo's loopback origins
# (tests/fixtures/origins, as ci/demo starts them):
#   - `scan --edge all` prints one column per edge after MODE, every origin a setting in it;
#   - the JSON report has settings.edges and, per origin, an edges object with every edge,
#     valid against reports/report.schema.json; the incomplete chain is Cloudflare full,
#     CloudFront none (incomplete-chain), Fastly tls-unverified;
#   - without --edge the report has no edges member (the Cloudflare-only format as before), and
#     a report with edges reads back as a baseline;
#   - Azure Front Door is none at the TLS 1.0 and the client-certificate origins;
#   - a rule's akamai_origin_sni false judges Akamai from a handshake without SNI (sni-b gets
#     sni-a's certificate), made only with akamai selected;
#   - an unknown edge is exit 2.
# Env: ORIGINSCAN (the binary), SOURCE_DIR (the source tree).
source "$SOURCE_DIR/tests/e2e/lib/common.sh"
python=/usr/bin/python3

e2e_begin edges
start_origins

common=(--ca-file "$CA_FILE" --no-system-trust --http-port "$HTTP_PORT" --timeout 3 --no-color)
list=$fixture/origins.txt

status=0
"$ORIGINSCAN" scan "${common[@]}" --edge all "$list" >"$tmp/summary.txt" 2>"$tmp/stderr.txt" || status=$?
check "--edge all: the scan runs (exit 0 or 1, not $status)" test "$status" -le 1
header=$(grep -m1 '^ORIGIN' "$tmp/summary.txt" || true)
check "the summary's header has a column per edge after MODE: $header" \
    grep -Eq '^ORIGIN +CLASS +MODE +CLOUDFRONT +FASTLY +AKAMAI +AZURE +TLS ' <<<"$header"
incomplete=$(grep -m1 '^incomplete\.' "$tmp/summary.txt" || true)
check "the incomplete chain's row: full, CloudFront none, Fastly tls-unverified: $incomplete" \
    grep -Eq '^incomplete\.[^ ]+ +self-signed +full +none +tls-unverified +none +none ' <<<"$incomplete"

status=0
"$ORIGINSCAN" scan "${common[@]}" --edge cloudfront,fastly,akamai,azure --json "$tmp/edges.json" "$list" \
    >/dev/null 2>&1 || status=$?
check "--json with edges: exit 0 or 1" test "$status" -le 1
check "the report with edges is valid against the schema" "$python" - "$SOURCE_DIR/reports/report.schema.json" \
    "$tmp/edges.json" <<'PY'
import json, sys
import jsonschema
validator = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
errors = list(validator.iter_errors(json.load(open(sys.argv[2]))))
for e in errors[:5]:
    print(f"/{'/'.join(map(str, e.absolute_path))}: {e.message}", file=sys.stderr)
sys.exit(1 if errors else 0)
PY
check "settings.edges and an edges object per origin, every edge in it" "$python" - "$tmp/edges.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
edges = ["cloudflare", "cloudfront", "fastly", "akamai", "azure"]
assert r["settings"]["edges"] == edges, r["settings"]
for o in r["origins"]:
    assert list(o["edges"]) == edges, o["input"]
    assert o["edges"]["cloudflare"]["setting"] == o["allowed_mode"], o["input"]
inc = next(o for o in r["origins"] if o["name"].startswith("incomplete."))
assert inc["edges"]["cloudfront"] == {"setting": "none", "rank": 0, "reasons": ["incomplete-chain"]}, inc["edges"]
assert inc["edges"]["fastly"]["setting"] == "tls-unverified", inc["edges"]
good = next(o for o in r["origins"] if o["name"].startswith("good."))
assert good["edges"]["cloudfront"]["setting"] == "https-only", good["edges"]
# Azure Front Door: TLS 1.2+ towards origins, no client certificate of its own.
legacy = next(o for o in r["origins"] if o["name"].startswith("legacy."))
assert legacy["edges"]["azure"]["setting"] == "none", legacy["edges"]
assert "legacy-protocol" in legacy["edges"]["azure"]["reasons"], legacy["edges"]
mtls = next(o for o in r["origins"] if o["name"].startswith("client-cert."))
assert mtls["edges"]["azure"] == {"setting": "none", "rank": 0, "reasons": ["client-cert-required"]}, mtls["edges"]
assert mtls["edges"]["fastly"]["setting"] == "tls-verified", mtls["edges"]
assert "client-cert-required" in mtls["edges"]["fastly"]["reasons"], mtls["edges"]
PY

# Akamai with originSni off for sni-b (nginx's second name on a port whose default is sni-a):
# judged from a handshake without SNI, which gets sni-a's certificate.
sni_b=$(grep -m1 -o '^sni-b\.[^@]*' "$list")
printf '{"version": 1, "rules": [{"match": "%s", "akamai_origin_sni": false}]}\n' "$sni_b" >"$tmp/sni-rules.json"
status=0
"$ORIGINSCAN" scan "${common[@]}" --edge akamai,fastly --rules "$tmp/sni-rules.json" --json "$tmp/sni.json" "$list" \
    >/dev/null 2>&1 || status=$?
check "akamai_origin_sni false: exit 0 or 1 ($status)" test "$status" -le 1
check "sni-b: Akamai none (sni-a's certificate without SNI), Fastly (SNI) tls-verified; sni-a as before" \
    "$python" - "$tmp/sni.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
by = {o["name"].split(".")[0]: o for o in r["origins"]}
b, a = by["sni-b"], by["sni-a"]
assert b["edges"]["akamai"] == {"setting": "none", "rank": 0, "reasons": ["hostname-mismatch"]}, b["edges"]
assert b["edges"]["fastly"]["setting"] == "tls-verified", b["edges"]
# One address: the probe's fields (its "offers" too) are the origin's own.
offers = lambda o: [o.get("offers", {})] + [p.get("offers", {}) for p in o.get("probes", [])]
assert b["offers"]["akamai"]["tls"] is not None, b
assert a["edges"]["akamai"]["setting"] == "platform-settings", a["edges"]
assert all("akamai" not in x for o in r["origins"] if o is not b for x in offers(o)), "a handshake without SNI too many"
PY
status=0
"$ORIGINSCAN" scan "${common[@]}" --edge fastly --rules "$tmp/sni-rules.json" --json "$tmp/sni-off.json" "$list" \
    >/dev/null 2>&1 || status=$?
check "akamai not selected: no handshake without SNI" "$python" -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert not any("akamai" in o.get("offers", {}) or any("akamai" in p.get("offers", {}) for p in o.get("probes", []))
               for o in r["origins"])' "$tmp/sni-off.json"

status=0
"$ORIGINSCAN" scan "${common[@]}" --json "$tmp/plain.json" "$list" >/dev/null 2>&1 || status=$?
check "without --edge: no edges member anywhere" "$python" -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert "edges" not in r["settings"]
assert all("edges" not in o for o in r["origins"])' "$tmp/plain.json"

status=0
"$ORIGINSCAN" scan "${common[@]}" --edge all --baseline "$tmp/edges.json" "$list" >/dev/null 2>"$tmp/baseline.err" ||
    status=$?
check "a report with edges reads back as a baseline (exit $status)" test "$status" -le 1

status=0
"$ORIGINSCAN" scan "${common[@]}" --edge cloudfront,keycdn "$list" >/dev/null 2>"$tmp/bad.err" || status=$?
check "an unknown edge: exit 2" test "$status" -eq 2
check "it is named" grep -q 'keycdn' "$tmp/bad.err"

e2e_end
