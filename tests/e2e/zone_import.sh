#!/usr/bin/env bash
# Origins from a Cloudflare zone (issue 9, item 1): `scan --cloudflare-dns FILE` with the BIND
# export and with the API's record list (two pages, JSON Lines) of one zone, bench.test. Inside a
# sealed network namespace (tests/fixtures/dns-netns: only lo, a loopback dnsmasq as the
# resolver) nginx listens on port 443, the port zone origins get, with certificates from
# tests/fixtures/make-certs:
#
#   127.0.0.10, 127.0.0.11, 127.0.0.12, ::1   the *.bench.test chain (trusted)
#   127.0.0.66                                a self-signed leaf
#
# The zone: www (A .10, proxied), two (A .10, A .66, AAAA ::1, proxied: ONE origin, its three
# addresses probed, the self-signed one deciding), alias (CNAME origin.bench.test, proxied;
# dnsmasq answers origin.bench.test with 127.0.0.11), dnsonly (A .12, DNS-only), *.wild (A,
# proxied: a wildcard), SOA, NS, MX, TXT. Checked: both exports give the same origins, ids,
# classes, modes and per-address results; the summary counts what was skipped; --all-records
# adds the DNS-only name; a zone combines with a list and --origin (a name in both is one
# identity); a two-address --origin probes both; stdin '-'; a malformed export is exit 2 with
# FILE:LINE (BIND) or FILE: JSON path (API), before any connection.
#
# Env: ORIGINSCAN, SOURCE_DIR. Needs root (ip netns), dnsmasq and nginx; SKIPs without them.
# shellcheck source=tests/e2e/lib/common.sh
source "$SOURCE_DIR/tests/e2e/lib/common.sh"
# shellcheck source=tests/e2e/lib/netns_nginx.sh
source "$SOURCE_DIR/tests/e2e/lib/netns_nginx.sh"
ORIGINSCAN=$(realpath "$ORIGINSCAN")
netns_begin zone_import
echo "127.0.0.11 origin.bench.test" >"$tmp/hosts"
netns_up

# ---- servers: port 443, the one zone origins get -------------------------------------------
tls_port=443
{
    for a in 127.0.0.10 127.0.0.11 127.0.0.12; do tls "$a" wildcard-chain.pem wildcard-leaf.key; done
    ((v6)) && tls "[::1]" wildcard-chain.pem wildcard-leaf.key
    tls 127.0.0.66 self-signed-leaf.pem self-signed-leaf.key
} | nginx_conf
nginx_start 127.0.0.10 443

# ---- the zone, both exports -----------------------------------------------------------------
# As the dashboard writes it, plus $ORIGIN with relative names, '@', a blank owner, a record
# without TTL or class, and a multi-line SOA.
cat >"$tmp/zone.txt" <<'EOF'
;;
;; Domain:     bench.test.
;; Exported:   2026-12-01 10:00:00
;;
$ORIGIN bench.test.
$TTL 3600
;; SOA Record
@	3600	IN	SOA	ns1.bench.test. dns.bench.test. (
		2046213961 10000 2400 604800 3600 )
;; NS Records
bench.test.	86400	IN	NS	ns1.bench.test.
;; A Records
www.bench.test.	1	IN	A	127.0.0.10 ; cf_tags=cf-proxied:true
two	1	IN	A	127.0.0.66 ; cf_tags=cf-proxied:true
	1	IN	A	127.0.0.10 ; cf_tags=cf-proxied:true
dnsonly	300	IN	A	127.0.0.12 ; cf_tags=cf-proxied:false
*.wild	1	IN	A	127.0.0.10 ; cf_tags=cf-proxied:true
;; AAAA Records
two	AAAA	::1 ; cf_tags=cf-proxied:true
;; CNAME Records
alias.bench.test.	1	IN	CNAME	origin ; cf_tags=cf-proxied:true
;; MX Records
@	1	IN	MX	10 mail.bench.test.
;; TXT Records
@	1	IN	TXT	"v=spf1 -all; not a comment"
EOF
# The API's pages, one a line (GET /zones/{id}/dns_records?page=N, concatenated).
cat >"$tmp/zone.jsonl" <<'EOF'
{"result":[{"id":"a1","zone_name":"bench.test","name":"bench.test","type":"SOA","content":"ns1.bench.test dns.bench.test 2046213961 10000 2400 604800 3600","proxiable":false,"proxied":false,"ttl":3600},{"id":"a2","name":"bench.test","type":"NS","content":"ns1.bench.test","proxiable":false,"proxied":false,"ttl":86400},{"id":"a3","name":"www.bench.test","type":"A","content":"127.0.0.10","proxiable":true,"proxied":true,"ttl":1},{"id":"a4","name":"two.bench.test","type":"A","content":"127.0.0.66","proxiable":true,"proxied":true,"ttl":1},{"id":"a5","name":"two.bench.test","type":"A","content":"127.0.0.10","proxiable":true,"proxied":true,"ttl":1}],"result_info":{"page":1,"per_page":5,"count":5,"total_count":10,"total_pages":2},"success":true,"errors":[],"messages":[]}
{"result":[{"id":"b1","name":"dnsonly.bench.test","type":"A","content":"127.0.0.12","proxiable":true,"proxied":false,"ttl":300},{"id":"b2","name":"*.wild.bench.test","type":"A","content":"127.0.0.10","proxiable":true,"proxied":true,"ttl":1},{"id":"b3","name":"two.bench.test","type":"AAAA","content":"::1","proxiable":true,"proxied":true,"ttl":1},{"id":"b4","name":"alias.bench.test","type":"CNAME","content":"origin.bench.test","proxiable":true,"proxied":true,"ttl":1},{"id":"b5","name":"bench.test","type":"MX","content":"mail.bench.test","priority":10,"proxiable":false,"proxied":false,"ttl":1},{"id":"b6","name":"bench.test","type":"TXT","content":"v=spf1 -all","proxiable":false,"proxied":false,"ttl":1}],"result_info":{"page":2,"per_page":5,"count":6,"total_count":10,"total_pages":2},"success":true,"errors":[],"messages":[]}
EOF
echo "www.bench.test@127.0.0.10" >"$tmp/list.txt"

# scan NAME ARGS...: inside the namespace; JSON report, summary and stderr kept. rc: its status.
scan() {
    local name=$1
    shift
    rc=0
    timeout -k 2 60 ip netns exec "$ns" "$ORIGINSCAN" scan --ca-file "$pki/root-ca.pem" --no-system-trust \
        --http-port 0 --json "$tmp/$name.json" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
    if grep -q 'Sanitizer' "$tmp/$name.err"; then fail "$name: sanitizer report: $(head -c 600 "$tmp/$name.err")"; fi
}

# expect NAME PYTHON: python checks over the report (o: origins by input, summary: stdout);
# each check(ok, what) prints one ok/FAIL line, counted here.
expect() {
    local name=$1
    python3 - "$tmp/$name.json" "$tmp/$name.out" "$tmp" >"$tmp/$name.check" 2>&1 <<EOF || echo "FAIL: $name: the check crashed" >>"$tmp/$name.check"
import json, sys
r = json.load(open(sys.argv[1]))
summary = open(sys.argv[2]).read()
tmp = sys.argv[3]
o = {x["input"]: x for x in r["origins"]}
v6 = $v6
def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + "$name: " + what)
def per_address(x):  # an origin of one address has no "probes": its own fields are that one's
    return {p["address"]: (p["class"], p["allowed_mode"]) for p in x.get("probes", [x] if x.get("address") else [])}
def view(x):  # what both exports must agree on
    return (x["id"], x["name"], x["port"], x["class"], x["allowed_mode"], sorted(x["reasons"]), per_address(x))
tr, ss = ("ca-trusted", "strict"), ("self-signed", "full")
$2
EOF
    count_check_lines "$tmp/$name.check"
}

zone_checks='
zone = ["www.bench.test@127.0.0.10", "two.bench.test@127.0.0.10,127.0.0.66,[::1]", "alias.bench.test@origin.bench.test"]
check([i for i in o if i in zone] == zone, f"the zone origins, in record order: {list(o)}")
w, t, a = (o.get(i, {}) for i in zone)
check(view(w)[:5] == ("www.bench.test:443@127.0.0.10", "www.bench.test", 443, "ca-trusted", "strict"), f"www: {view(w)}")
check(t.get("id") == "two.bench.test:443@127.0.0.10,127.0.0.66,[::1]", "two: one origin, its sorted address set as id: " + str(t.get("id")))
check((t.get("class"), t.get("allowed_mode"), t.get("address")) == ("self-signed", "full", "127.0.0.66"),
      "two: the self-signed address decides: %s at %s" % (t.get("class"), t.get("address")))
pa = per_address(t)
check(pa.get("127.0.0.10") == tr and pa.get("127.0.0.66") == ss and (pa.get("::1") == tr or not v6) and len(pa) == 3,
      f"two: each of its three addresses probed: {pa}")
check(view(a)[:5] == ("alias.bench.test:443@origin.bench.test", "alias.bench.test", 443, "ca-trusted", "strict")
      and per_address(a) == {"127.0.0.11": tr}, f"alias: the CNAME target resolved and probed: {view(a)}")
check(not any(x["name"] in ("dnsonly.bench.test", "bench.test") or "wild" in x["name"] for x in r["origins"]),
      "no DNS-only, wildcard, or other-type origin")
check("from the zone: 3 origins; skipped 1 wildcard, 4 other-type, 1 DNS-only records" in summary,
      "the summary counts what the zone gave and skipped: " + next((l for l in summary.splitlines() if "from the zone" in l), "(none)"))
'

# ---- BIND, with a list and --origin -------------------------------------------------------------
scan bind --cloudflare-dns "$tmp/zone.txt" "$tmp/list.txt" --origin "pair.bench.test@127.0.0.66,127.0.0.10"
check "bind: exit status 0, got $rc ($(head -c 300 "$tmp/bind.err"))" test "$rc" -eq 0
expect bind "$zone_checks"'
check(list(o)[:2] == ["pair.bench.test@127.0.0.66,127.0.0.10", "www.bench.test@127.0.0.10"] and len(r["origins"]) == 5,
      f"--origin, then the list, then the zone: {list(o)}")
p = o["pair.bench.test@127.0.0.66,127.0.0.10"]
check(p["id"] == "pair.bench.test:443@127.0.0.10,127.0.0.66" and (p["class"], p["address"]) == ("self-signed", "127.0.0.66")
      and per_address(p) == {"127.0.0.10": tr, "127.0.0.66": ss}, f"a two-address --origin probes both, the weaker decides: {view(p)}")
listed = [x for x in r["origins"] if x["input"] == "www.bench.test@127.0.0.10"]
check(len(listed) == 2 and listed[0]["id"] == listed[1]["id"] and view(listed[0]) == view(listed[1]),
      "a name in the list and in the zone: one identity, reported per line with one result")
zones = r["settings"].get("cloudflare_dns")
check(zones == [tmp + "/zone.txt"] and r["settings"].get("all_records") is False, f"the settings name the zone export read: {zones}")
import jsonschema
errors = ["/".join(map(str, e.absolute_path)) + ": " + e.message for e in
          jsonschema.Draft202012Validator(json.load(open(__import__("os").environ["SOURCE_DIR"] + "/reports/report.schema.json"))).iter_errors(r)]
check(not errors, "the report (ids of several addresses) matches reports/report.schema.json" + (f": {errors[:3]}" if errors else ""))
json.dump([view(x) for x in r["origins"][2:]], open(tmp + "/bind.views", "w"))
'

# ---- the API export, from stdin -----------------------------------------------------------------
rc=0
timeout -k 2 60 ip netns exec "$ns" "$ORIGINSCAN" scan --ca-file "$pki/root-ca.pem" --no-system-trust --http-port 0 \
    --json "$tmp/api.json" --cloudflare-dns - <"$tmp/zone.jsonl" >"$tmp/api.out" 2>"$tmp/api.err" || rc=$?
check "api: exit status 0, got $rc ($(head -c 300 "$tmp/api.err"))" test "$rc" -eq 0
expect api "$zone_checks"'
api = json.loads(json.dumps([view(x) for x in r["origins"]]))  # tuples as lists, like the BIND ones read back
check(api == json.load(open(tmp + "/bind.views")), "the API export gives the same origins, ids, classes, modes and addresses as BIND")
'

# ---- --all-records --------------------------------------------------------------------------------
scan all --cloudflare-dns "$tmp/zone.txt" --all-records
check "all: exit status 0, got $rc ($(head -c 300 "$tmp/all.err"))" test "$rc" -eq 0
expect all '
check(list(o) == ["www.bench.test@127.0.0.10", "two.bench.test@127.0.0.10,127.0.0.66,[::1]", "dnsonly.bench.test@127.0.0.12",
                  "alias.bench.test@origin.bench.test"], f"--all-records adds the DNS-only name in record order: {list(o)}")
d = o.get("dnsonly.bench.test@127.0.0.12", {})
check((d.get("class"), per_address(d)) == ("ca-trusted", {"127.0.0.12": tr}), "dnsonly scanned: " + str(d.get("class")))
check("from the zone: 4 origins; skipped 1 wildcard, 4 other-type, 0 DNS-only records" in summary, "its summary counts")
'

# ---- malformed exports: exit 2, located, nothing scanned ------------------------------------------
sed 's/^dnsonly\t300\tIN\tA\t127.0.0.12/dnsonly\t300\tIN\tA\t127.0.0.300/' "$tmp/zone.txt" >"$tmp/bad.txt"
sed 's/"content":"origin.bench.test"/"content":7/' "$tmp/zone.jsonl" >"$tmp/bad.jsonl"
sed -n 1p "$tmp/zone.jsonl" | sed 's/"content":"127.0.0.66"/"content":"::1"/' >"$tmp/bad.json"
for c in "bad.txt|bad.txt:16: A record content \"127.0.0.300\" is not an IPv4 address" \
    "bad.jsonl|bad.jsonl:2: result[3].content: expected a string" \
    "bad.json|bad.json: result[3].content: A record content \"::1\" is not an IPv4 address"; do
    file=${c%%|*} message=${c#*|}
    scan "bad-$file" --cloudflare-dns "$tmp/$file" --origin www.bench.test@127.0.0.10
    check "$file: exit status 2, got $rc" test "$rc" -eq 2
    check "$file: says where: $message ($(head -c 300 "$tmp/bad-$file.err"))" grep -qF -- "$tmp/$message" "$tmp/bad-$file.err"
    check "$file: no report written (nothing scanned)" test ! -s "$tmp/bad-$file.json"
done
scan empty --cloudflare-dns /dev/null
check "an empty export: exit status 2, got $rc" test "$rc" -eq 2
scan usage --all-records --origin www.bench.test@127.0.0.10
check "--all-records without --cloudflare-dns: exit status 2, got $rc" test "$rc" -eq 2

e2e_end
