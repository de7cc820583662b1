#!/usr/bin/env bash
# Every address of a name is probed (issue 8): the edge may pick any address of the DNS record,
# so one bad address among good ones fails one request in N, and the origin is as weak as its
# weakest address. Inside a sealed network namespace (tests/fixtures/dns-netns: only lo, a
# loopback dnsmasq as the resolver), nginx listens on several 127.0.0.x addresses (and ::1),
# port 8443 for TLS and 8080 for HTTP, with certificates from tests/fixtures/make-certs:
#
#   127.0.0.10-12, ::1   the *.bench.test chain (trusted)      127.0.0.66  a self-signed leaf
#   127.0.0.67           an expired leaf (for expired.demo.test)
#   127.0.0.68           plain HTTP on the TLS port            127.0.0.69  8443 refused, HTTP on 8080
#   127.0.0.70           *.bench.test only for SNI sni-ok.bench.test, the self-signed leaf else
#   127.0.1.1-20         the *.bench.test chain (20 addresses of one name: more than the 16 probed)
#   127.0.0.80-83        a peer that accepts and never answers, counting connections held at once
#
# Checked: the weakest address decides class and mode, each address has its own result (class,
# mode, reasons, facts), the summary and the JUnit failure name the weak address, CNAMEs are
# followed, NAME@IP stays one probe, NAME@HOSTNAME probes every address of HOSTNAME, an address
# shared by two names is probed once per name (with that name as SNI), the cap of 16 is
# reported, a small --concurrency still probes every address under the deadline (timings), an
# origin's addresses are connected to at once but never more than --concurrency connections,
# and a baseline round trip compares origins, not addresses. Last, with IPv6 disabled in the
# namespace (a host without IPv6, such as a GitHub-hosted runner), the AAAA address is not
# probed from here and says so, and decides nothing while the A address was probed.
#
# Env: ORIGINSCAN, SOURCE_DIR. Needs root (ip netns), dnsmasq and nginx; SKIPs without them.
# shellcheck source=tests/e2e/lib/common.sh
source "$SOURCE_DIR/tests/e2e/lib/common.sh"
# shellcheck source=tests/e2e/lib/netns_nginx.sh
source "$SOURCE_DIR/tests/e2e/lib/netns_nginx.sh"
ORIGINSCAN=$(realpath "$ORIGINSCAN")
netns_begin multi_address

# ---- DNS records --------------------------------------------------------------------------------
{
    for a in 10 11 12; do echo "127.0.0.$a good3.bench.test"; done
    for a in 10 11 12; do echo "127.0.0.$a same3.bench.test"; done
    for a in 10 11 66; do echo "127.0.0.$a onebad.bench.test"; done
    for a in 10 67 12; do echo "127.0.0.$a oneexpired.bench.test"; done
    for a in 10 68; do echo "127.0.0.$a mixed.bench.test"; done
    for a in 69 11; do echo "127.0.0.$a plainport.bench.test"; done
    for a in 10 70; do echo "127.0.0.$a sni-ok.bench.test"; done
    for a in 10 70; do echo "127.0.0.$a sni-other.bench.test"; done
    echo "127.0.0.10 dual.bench.test"
    echo "::1 dual.bench.test"
    echo "::1 v6only.bench.test"
    for a in $(seq 1 20); do echo "127.0.1.$a many.bench.test"; done
    for a in 80 81 82 83; do echo "127.0.0.$a hold4.bench.test"; done
    echo "127.0.0.10 h1.dns.test"
} >"$tmp/hosts"
echo "alias.bench.test good3.bench.test" >"$tmp/cnames"
netns_up

# ---- servers ------------------------------------------------------------------------------------
{
    for a in 127.0.0.10 127.0.0.11 127.0.0.12; do tls "$a" wildcard-chain.pem wildcard-leaf.key; done
    ((v6)) && tls "[::1]" wildcard-chain.pem wildcard-leaf.key
    for a in $(seq 1 20); do tls "127.0.1.$a" wildcard-chain.pem wildcard-leaf.key; done
    tls 127.0.0.66 self-signed-leaf.pem self-signed-leaf.key
    tls 127.0.0.67 expired-chain.pem expired-leaf.key
    echo '  server { listen 127.0.0.68:8443; return 200 "plain\n"; }'
    echo '  server { listen 127.0.0.69:8080; return 200 "plain\n"; }'
    tls 127.0.0.70 self-signed-leaf.pem self-signed-leaf.key _ default_server
    tls 127.0.0.70 wildcard-chain.pem wildcard-leaf.key sni-ok.bench.test
} | nginx_conf
nginx_start 127.0.0.10 8443

# scan NAME ARGS...: the list $tmp/NAME.txt inside the namespace; JSON, JUnit and summary kept.
scan() {
    local name=$1
    shift
    rc=0
    timeout -k 2 60 ip netns exec "$ns" "$ORIGINSCAN" scan "$tmp/$name.txt" --ca-file "$pki/root-ca.pem" \
        --no-system-trust --http-port 8080 --json "$tmp/$name.json" --junit "$tmp/$name.xml" "$@" \
        >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
    if grep -q 'Sanitizer' "$tmp/$name.err"; then fail "$name: sanitizer report: $(head -c 600 "$tmp/$name.err")"; fi
}

# expect NAME PYTHON: runs the python checks over the report (r: the report, o: origins by
# input); each check(ok, what) prints one ok/FAIL line, counted here.
expect() {
    local name=$1
    python3 - "$tmp/$name.json" "$tmp/$name.xml" "$tmp/$name.out" >"$tmp/$name.check" 2>&1 <<EOF || echo "FAIL: $name: the check crashed" >>"$tmp/$name.check"
import json, sys, xml.etree.ElementTree as ET
r = json.load(open(sys.argv[1]))
junit = ET.parse(sys.argv[2]).getroot() if open(sys.argv[2]).read().strip() else None
summary = open(sys.argv[3]).read()
o = {x["input"]: x for x in r["origins"]}
schema_path = "$SOURCE_DIR/reports/report.schema.json"
def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + "$name: " + what)
def addresses(x):
    return [p["address"] for p in x.get("probes", [])]
def per_address(x):
    return {p["address"]: (p["class"], p["allowed_mode"], sorted(p["reasons"])) for p in x.get("probes", [])}
def failures(spec):
    case = next(c for c in junit.iter("testcase") if c.get("name") == spec)
    return [f.get("message") + "\n" + (f.text or "") for f in case.iter("failure")]
$2
EOF
    count_check_lines "$tmp/$name.check"
}

# ---- the weakest address decides; one result per address ------------------------------------
cat >"$tmp/main.txt" <<EOF
good3.bench.test:8443
onebad.bench.test:8443
oneexpired.bench.test:8443
mixed.bench.test:8443
plainport.bench.test:8443
alias.bench.test:8443
x.bench.test@good3.bench.test:8443
good3.bench.test@127.0.0.66:8443
same3.bench.test:8443
sni-ok.bench.test:8443
sni-other.bench.test:8443
many.bench.test:8443
EOF
((v6)) && echo "dual.bench.test:8443" >>"$tmp/main.txt"
echo '{"rules": [{"match": "*.bench.test", "min_mode": "strict"}]}' >"$tmp/strict.json"
scan main --rules "$tmp/strict.json" --timeout 10
check "main: exit status 1 (weak addresses below the required strict), got $rc" test "$rc" -eq 1
expect main '
tr = ("ca-trusted", "strict", [])
ss = ("self-signed", "full", ["hostname-mismatch", "self-signed"])
check(list(o) == [l.strip() for l in open(sys.argv[1].replace(".json", ".txt"))], "every origin once, in input order")
import jsonschema
errors = ["/".join(map(str, e.absolute_path)) + ": " + e.message
          for e in jsonschema.Draft202012Validator(json.load(open(schema_path))).iter_errors(r)]
check(not errors, "the report matches reports/report.schema.json" + (f": {errors[:3]}" if errors else ""))
g = o["good3.bench.test:8443"]
check((g["class"], g["allowed_mode"]) == ("ca-trusted", "strict") and per_address(g) == {
    "127.0.0.10": tr, "127.0.0.11": tr, "127.0.0.12": tr}, f"all good: ca-trusted, one result per address: {per_address(g)}")
check(all(p["tls"]["leaf"]["subject"] and p["timings"]["total_ms"] > 0 for p in g["probes"]),
      "each address keeps its own facts (certificate, timings)")
check(g["addresses_total"] == 3 and g["addresses_capped"] is False, "addresses_total 3, not capped")
b = o["onebad.bench.test:8443"]
check((b["class"], b["allowed_mode"], b["address"]) == ("self-signed", "full", "127.0.0.66"),
      "one self-signed address among good ones: self-signed/full, the weak address shown: %s %s" % (b["class"], b["address"]))
check(per_address(b) == {"127.0.0.10": tr, "127.0.0.11": tr, "127.0.0.66": ss}, f"per address: {per_address(b)}")
row = next((l for l in summary.splitlines() if l.startswith("onebad.bench.test:8443 ")), "")
check("weakest of 3 addresses: 1 self-signed (127.0.0.66)" in row, f"the summary row names the weak address: {row!r}")
f = failures("onebad.bench.test:8443")
check(len(f) == 1 and "weakest of 3 addresses: 1 self-signed (127.0.0.66)" in f[0].split("\n")[0]
      and "127.0.0.66: self-signed: self-signed, hostname-mismatch" in f[0], f"the JUnit failure names the weak address: {f[:1]}")
e = o["oneexpired.bench.test:8443"]
check((e["class"], e["address"]) == ("self-signed", "127.0.0.67") and "expired" in e["reasons"]
      and per_address(e)["127.0.0.10"] == tr and per_address(e)["127.0.0.12"] == tr,
      "one expired address: self-signed, expired, at 127.0.0.67: %s %s" % (e["class"], e["reasons"]))
check(any("(127.0.0.67)" in m for m in failures("oneexpired.bench.test:8443")), "its JUnit failure names 127.0.0.67")
m = o["mixed.bench.test:8443"]
check((m["class"], m["allowed_mode"]) == ("plaintext", "flexible") and per_address(m) == {
    "127.0.0.10": tr, "127.0.0.68": ("plaintext", "flexible", ["http-on-tls-port"])},
      f"TLS and plain HTTP on the TLS port: plaintext ({per_address(m)})")
p = o["plainport.bench.test:8443"]
check(p["class"] == "plaintext" and per_address(p) == {
    "127.0.0.69": ("plaintext", "flexible", ["refused"]), "127.0.0.11": tr},
      f"TLS port refused at one address, its HTTP port answers: plaintext ({per_address(p)})")
check(next(x for x in p["probes"] if x["address"] == "127.0.0.69")["http"]["port"] == 8080,
      "the HTTP probe went to that same address")
a = o["alias.bench.test:8443"]
check(a["class"] == "ca-trusted" and sorted(addresses(a)) == ["127.0.0.10", "127.0.0.11", "127.0.0.12"],
      f"a CNAME is followed to all the target addresses ({addresses(a)})")
x = o["x.bench.test@good3.bench.test:8443"]
check(x["class"] == "ca-trusted" and len(addresses(x)) == 3, "NAME@HOSTNAME: every address of HOSTNAME probed")
one = o["good3.bench.test@127.0.0.66:8443"]
check("probes" not in one and one["address"] == "127.0.0.66" and one["class"] == "self-signed",
      "NAME@IP stays one probe")
s = o["same3.bench.test:8443"]
check(len(addresses(s)) == 3 and s["class"] == "ca-trusted", "addresses shared with another name are probed for this name too")
ok_, other = o["sni-ok.bench.test:8443"], o["sni-other.bench.test:8443"]
check(ok_["class"] == "ca-trusted" and per_address(other).get("127.0.0.70") == ss and other["address"] == "127.0.0.70",
      f"the same address probed per name, with that name as SNI ({per_address(ok_)}, {per_address(other)})")
many = o["many.bench.test:8443"]
check(many["addresses_capped"] is True and many["addresses_total"] == 20 and len(many["probes"]) == 16
      and many["class"] == "ca-trusted", f"20 addresses: capped, 16 probed, 20 counted")
check("only 16 of 20 addresses probed" in next((l for l in summary.splitlines() if l.startswith("many.bench.test")), ""),
      "the summary says the addresses were capped")
if "dual.bench.test:8443" in o:
    d = o["dual.bench.test:8443"]
    check(d["class"] == "ca-trusted" and sorted(addresses(d)) == ["127.0.0.10", "::1"], f"A and AAAA both probed ({addresses(d)})")
'

# ---- --concurrency counts connections; every address still probed under the deadline ---------
printf '%s\n' many.bench.test:8443 onebad.bench.test:8443 good3.bench.test:8443 >"$tmp/narrow.txt"
scan narrow --concurrency 2 --timeout 5
check "narrow: exit status 0, got $rc" test "$rc" -eq 0
expect narrow '
check([x["class"] for x in r["origins"]] == ["ca-trusted", "self-signed", "ca-trusted"]
      and [len(x["probes"]) for x in r["origins"]] == [16, 3, 3], "--concurrency 2: every address probed, same classes")
over = max(p["timings"]["total_ms"] for x in r["origins"] for p in x["probes"]) - 5000
check(over < 0, f"no address ran past the deadline (latest ends {-over:.0f} ms before it)")
'

# ---- connections in flight: an origin's addresses at once, never more than --concurrency -----
# A peer on 127.0.0.80-83:8443 that accepts and never answers, and records the most
# connections it held open at once.
cat >"$tmp/holder.py" <<'EOF'
import selectors, socket, sys
out, sel, open_now, most = sys.argv[1], selectors.DefaultSelector(), 0, 0
for a in range(80, 84):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((f"127.0.0.{a}", 8443))
    s.listen(64)
    sel.register(s, selectors.EVENT_READ, None)
open(out + ".ready", "w").close()
while True:
    for key, _ in sel.select():
        if key.data is None:
            conn, _ = key.fileobj.accept()
            sel.register(conn, selectors.EVENT_READ, "conn")
            open_now += 1
            most = max(most, open_now)
            open(out, "w").write(str(most))
        elif not key.fileobj.recv(4096):
            sel.unregister(key.fileobj)
            key.fileobj.close()
            open_now -= 1
EOF
# held TIMEOUT CONCURRENCY SPEC...: scans the SPECs (names of the four silent addresses);
# prints the most connections held at once.
held() {
    rm -f "$tmp/held" "$tmp/held.ready"
    # `ip netns exec` execs python3 itself, so $! is the holder; its output is not ours to wait for.
    ip netns exec "$ns" python3 "$tmp/holder.py" "$tmp/held" >/dev/null 2>&1 &
    local holder=$!
    for ((i = 0; i < 50; i++)); do [[ -f $tmp/held.ready ]] && break; sleep 0.1; done
    printf '%s\n' "${@:3}" >"$tmp/held-$2.txt"
    scan "held-$2" --timeout "$1" --concurrency "$2"
    kill "$holder" 2>/dev/null
    wait "$holder" 2>/dev/null || true
    cat "$tmp/held" 2>/dev/null || { echo 0; cat "$tmp/held-$2.err" >&2; }
}
most=$(held 2 8 hold4.bench.test:8443)
check "--concurrency 8: the 4 addresses of one origin probed at once (at most $most connections held)" test "$most" -eq 4
expect held-8 '
x = r["origins"][0]
# --retries 1 (the default): each address waits out two deadlines of 2 s and a pause of 100 to
# 250 ms between them, on its one slot (the holder above saw at most 4 connections at once).
over = [p["timings"]["total_ms"] - (2 * 2000 + 250) for p in x["probes"]]
check(len(over) == 4 and all(p["failure"]["reason"] == "timeout" and p["attempts"] == 2 for p in x["probes"])
      and x["class"] == "unreachable", "4 silent addresses: each a timeout after two attempts, the origin unreachable")
check(all(-170 <= o < 1000 for o in over),
      "all four end at their second deadline: overruns past 2 x 2000 ms + the longest pause "
      + ", ".join(f"{o:.0f}" for o in over) + " ms")
'
most=$(held 1 4 hold4.bench.test:8443 x.bench.test@hold4.bench.test:8443 y.bench.test@hold4.bench.test:8443)
check "--concurrency 4, 3 origins of 4 addresses: at most 4 connections in flight ($most)" \
    test "$most" -ge 2 -a "$most" -le 4

# ---- a baseline round trip compares origins, not addresses ------------------------------------
printf '%s\n' good3.bench.test:8443 onebad.bench.test:8443 mixed.bench.test:8443 many.bench.test:8443 >"$tmp/base.txt"
scan base --timeout 10
cp "$tmp/base.json" "$tmp/baseline.json"
cp "$tmp/base.txt" "$tmp/again.txt"
scan again --timeout 10 --baseline "$tmp/baseline.json"
check "again: exit status 0 against its own baseline, got $rc" test "$rc" -eq 0
expect again '
s = r["summary"]
check((s["downgrades"], s["upgrades"], s["new"], r["removed"]) == (0, 0, 0, []),
      f"no spurious downgrade, upgrade, new or removed: {s}")
check(all(x["verdict"]["change"] == "same" for x in r["origins"]), "every origin the same as in the baseline")
check("since the baseline: 0 downgraded, 0 upgraded, 0 new, 0 removed" in summary, "the summary agrees")
'

# ---- a host without IPv6: the AAAA address not probed from here, and said so ------------------
if ((v6)); then
    in_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.lo.disable_ipv6=1
    if in_ns ip -6 addr show dev lo | grep -q '::1'; then
        fail "no-v6: ::1 still on lo after disable_ipv6=1"
    else
        printf '%s\n' dual.bench.test:8443 v6only.bench.test:8443 >"$tmp/no-v6.txt"
        scan no-v6 --rules "$tmp/strict.json" --timeout 10
        check "no-v6: exit status 1 (only the origin with no probed address is below strict), got $rc" test "$rc" -eq 1
        expect no-v6 '
import jsonschema
errors = [e.message for e in jsonschema.Draft202012Validator(json.load(open(schema_path))).iter_errors(r)]
check(not errors, f"the report matches the schema {errors[:3]}")
d = o["dual.bench.test:8443"]
by = {p["address"]: p for p in d["probes"]}
check((d["class"], d["allowed_mode"], d["address"]) == ("ca-trusted", "strict", "127.0.0.10"),
      "A probed, AAAA not: ca-trusted/strict from the A address (%s %s)" % (d["class"], d["address"]))
f6 = by["::1"]["failure"]
check(by["::1"]["class"] == "unreachable" and f6["reason"] == "no-route" and f6.get("not_probed_here") is True
      and f6["detail"] == "no IPv6 route from this host; the edge may still use this address",
      f"::1 itself: no-route, not_probed_here, the detail says why ({f6})")
check("not_probed_here" not in (by["127.0.0.10"]["failure"] or {}), "the A address is an ordinary probe")
row = next((l for l in summary.splitlines() if l.startswith("dual.bench.test:8443 ")), "")
check("1 of 2 addresses not probed: no IPv6 route from this host" in row, f"the summary says so: {row!r}")
case = next(c for c in junit.iter("testcase") if c.get("name") == "dual.bench.test:8443")
out = case.find("system-out").text or ""
check(not list(case.iter("failure")) and "1 of 2 addresses not probed: no IPv6 route from this host" in out
      and "::1: not probed: no IPv6 route from this host" in out, f"the JUnit facts say so: {out!r}")
v = o["v6only.bench.test:8443"]
check((v["class"], v["reasons"]) == ("unreachable", ["no-route"]) and v["failure"].get("not_probed_here") is True,
      "no address probed at all: unreachable, no-route, not probed here (%s %s)" % (v["class"], v["reasons"]))
'
    fi
else
    echo "SKIP: no-v6: the namespace has no ::1 to take away"
fi

e2e_end
