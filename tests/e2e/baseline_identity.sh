#!/usr/bin/env bash
# Issue 10, item 1 end to end: the baseline matches origins by identity, never by the line's
# text. Against real loopback servers (tests/fixtures/origins, plus one TLS server here whose
# certificate the test can make worse):
#   - a baseline of the list as the fixtures spell it;
#   - the same origins respelled (upper case, trailing dot, NAME:PORT@ADDRESS vs
#     NAME@ADDRESS:PORT, IPv6 zero runs written out), in another order, one line twice, and one
#     origin really made worse (its server now presents a self-signed certificate): exit 1,
#     "1 downgraded, 0 upgraded, 0 new, 0 removed", the downgrade on that origin, every other
#     origin "same", and each origin's id the one it had in the baseline;
#   - the same against the baseline with every id stripped (a report written before ids):
#     the ids derived from the inputs, the same verdicts;
#   - the NDJSON line of each origin carries the same id as the JSON report.
# Env: ORIGINSCAN (the binary), SOURCE_DIR (the source tree). Everything stays on loopback.
source "$SOURCE_DIR/tests/e2e/lib/common.sh"
python=/usr/bin/python3

e2e_begin baseline_identity
server_pid=""
e2e_on_exit '[[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null'
start_origins

# A TLS server on 127.0.0.1 presenting good.demo.test's CA-signed chain, or, once the file
# $tmp/worse exists, the fixtures' self-signed certificate (another name): strict -> full.
"$python" - "$FIXTURE_DIR" "$tmp/worse" "$tmp/server.port" <<'EOF' >/dev/null 2>"$tmp/server.err" &
import os, signal, socket, ssl, sys, threading
fixture, worse, port_file = sys.argv[1:]
signal.alarm(600)  # never outlive a killed test for long
def context(chain, key):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    c.load_cert_chain(os.path.join(fixture, chain), os.path.join(fixture, key))
    return c
good = context("good-chain.pem", "good-leaf.key")
bad = context("self-signed-leaf.pem", "self-signed-leaf.key")
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(64)
with open(port_file + ".tmp", "w") as f:
    f.write(str(listener.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
def serve(conn):
    try:
        conn.settimeout(10)
        with (bad if os.path.exists(worse) else good).wrap_socket(conn, server_side=True) as tls:
            tls.recv(1)  # until the client closes
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
EOF
server_pid=$!
wait_for_file "$tmp/server.port" || { fail "the test's TLS server did not start: $(cat "$tmp/server.err")"; e2e_end; }
PORT_OURS=$(<"$tmp/server.port")

# Each origin as the fixtures write it, and respelled. The first is the one made worse.
baseline_specs=("good.demo.test@127.0.0.1:$PORT_OURS"
    "good.demo.test@127.0.0.1:$PORT_GOOD"
    "sni-a.demo.test@127.0.0.1:$PORT_SNI"
    "self-signed.demo.test@127.0.0.1:$PORT_SELF_SIGNED"
    "refused.demo.test@127.0.0.2:$PORT_REFUSED"
    "127.0.0.1:$PORT_IP_LITERAL")
respelled_specs=("Good.Demo.Test.:$PORT_OURS@127.0.0.1"
    "GOOD.demo.test:$PORT_GOOD@127.0.0.1"
    "sni-a.demo.test.@127.0.0.1:$PORT_SNI"
    "Self-Signed.DEMO.test:$PORT_SELF_SIGNED@127.0.0.1"
    "Refused.Demo.Test:$PORT_REFUSED@127.0.0.2"
    "https://127.0.0.1:$PORT_IP_LITERAL/health")
if [[ $HAVE_IPV6 == 1 ]]; then
    baseline_specs+=("ipv6.demo.test@[::1]:$PORT_IPV6" "[::1]:$PORT_IP_LITERAL")
    respelled_specs+=("IPv6.demo.test:$PORT_IPV6@[0:0:0:0:0:0:0:1]" "[0:0::0:1]:$PORT_IP_LITERAL")
else
    echo "skip: no ::1 here, the IPv6 spellings are left out"
fi
printf '%s\n' "${baseline_specs[@]}" >"$tmp/baseline.txt"
{  # reversed, with the second origin listed twice
    for ((i = ${#respelled_specs[@]} - 1; i >= 0; i--)); do echo "${respelled_specs[i]}"; done
    echo "good.demo.test:$PORT_GOOD@127.0.0.1"
} >"$tmp/respelled.txt"

common=(--ca-file "$CA_FILE" --no-system-trust --http-port "$HTTP_PORT" --timeout 5)

# scan NAME WANT_STATUS ARGS...: $tmp/NAME.{json,ndjson,out,err}
scan() {
    local name=$1 want=$2 rc=0
    shift 2
    "$ORIGINSCAN" scan "${common[@]}" --json "$tmp/$name.json" --ndjson "$tmp/$name.ndjson" "$@" \
        >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
    if [[ $rc -eq $want ]]; then
        ok "$name: exit status $rc"
    else
        fail "$name: exit status $rc, expected $want; stderr: $(head -c 600 "$tmp/$name.err")"
    fi
}

scan baseline 0 "$tmp/baseline.txt"
if "$python" - "$tmp/baseline.json" "$PORT_OURS" <<'EOF'; then
import json, sys
report, port = json.load(open(sys.argv[1])), sys.argv[2]
modes = {o["id"]: o["allowed_mode"] for o in report["origins"]}
sys.exit(0 if modes.get(f"good.demo.test:{port}@127.0.0.1") == "strict" else f"  baseline modes: {modes}")
EOF
    ok "baseline: the origin to be made worse is strict, ids as documented"
else
    fail "baseline: the origin to be made worse is not strict"
fi

# The baseline as a report written before ids: the same report without them.
"$python" - "$tmp/baseline.json" "$tmp/baseline-no-ids.json" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
for o in report["origins"] + report["removed"]:
    del o["id"]
json.dump(report, open(sys.argv[2], "w"), indent=2)
EOF

: >"$tmp/worse"  # from now on the server presents the self-signed certificate

# check_downgrade NAME: the respelled run against a baseline sees exactly the one downgrade.
check_downgrade() {
    local name=$1
    if grep -qF "since the baseline: 1 downgraded, 0 upgraded, 0 new, 0 removed" "$tmp/$name.out"; then
        ok "$name: the summary says 1 downgraded, 0 new, 0 removed"
    else
        fail "$name: summary: $(grep "since the baseline" "$tmp/$name.out" || head -c 400 "$tmp/$name.out")"
    fi
    if "$python" - "$tmp/$name.json" "$tmp/baseline.json" "$tmp/$name.ndjson" "$PORT_OURS" <<'EOF'; then
import json, sys
report, baseline = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
lines = [json.loads(l) for l in open(sys.argv[3])]
worse = f"good.demo.test:{sys.argv[4]}@127.0.0.1"
problems = []
base_ids = {o["id"] for o in baseline["origins"]}
for o in report["origins"]:
    v = o["verdict"]
    if o["id"] not in base_ids:
        problems.append(f'{o["input"]}: id {o["id"]} is not one of the baseline\'s')
    want = ("downgrade", ["downgrade"]) if o["id"] == worse else ("same", [])
    if (v["change"], v["violations"]) != want:
        problems.append(f'{o["input"]}: change {v["change"]}, violations {v["violations"]}; expected {want}')
# Only the repeated line is spelled as its id; none as in the baseline's list.
base_inputs = {o["input"] for o in baseline["origins"]}
if any(o["input"] in base_inputs for o in report["origins"]) or sum(o["input"] == o["id"] for o in report["origins"]) != 1:
    problems.append("the respelled list is not respelled")
if report["removed"]:
    problems.append(f'removed: {report["removed"]}')
if report["summary"]["downgrades"] != 1 or report["summary"]["new"] != 0:
    problems.append(f'summary: {report["summary"]}')
by_index = {l["index"]: l["id"] for l in lines}
if by_index != {o["index"]: o["id"] for o in report["origins"]}:
    problems.append(f"the NDJSON ids differ from the JSON's: {by_index}")
for p in problems:
    print("  " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
        ok "$name: the downgrade on the respelled origin, every other one same, ids and NDJSON ids as in the baseline"
    else
        fail "$name: verdicts or ids (see above)"
    fi
}

scan respelled 1 --baseline "$tmp/baseline.json" "$tmp/respelled.txt"
check_downgrade respelled
scan respelled-no-ids 1 --baseline "$tmp/baseline-no-ids.json" "$tmp/respelled.txt"
check_downgrade respelled-no-ids

e2e_end
