#!/usr/bin/env bash
# Issue 13, text from outside is inert in every output. Through the binary:
#   - a loopback TLS origin whose certificate (made here with openssl) has newlines, a CR and
#     terminal escapes in its subject ("class: ca-trusted" / "allowed mode: strict" on lines
#     of their own, a window title, a screen clear) and an escape in a SAN, and a loopback HTTP
#     origin whose status line holds escapes: the JUnit parses (python3 xml), no testcase has
#     a forged line or an attribute with a line break, and neither the JUnit, the summary,
#     the JSON nor the NDJSON holds a raw control byte, while the JSON keeps the real text;
#   - a baseline and a rules file whose strings hold terminal escapes: exit 2 and a message
#     that shows them as \xNN, never raw.
#
# Env: ORIGINSCAN (the binary), SOURCE_DIR (the source tree). Everything stays on 127.0.0.1.
source "$SOURCE_DIR/tests/e2e/lib/common.sh"
set +e  # every step is checked and counted
python=/usr/bin/python3

e2e_begin hostile_output

# A self-signed certificate, not trusted (the only anchor is an unrelated CA): the origin is
# self-signed (mode full), so any line saying ca-trusted or strict comes from the subject.
# openssl writes the subject's strings with the bytes as given.
esc=$'\e' bel=$'\a' nl=$'\n' cr=$'\r'
subject="/CN=hostile.demo.test/O=x${nl}class: ca-trusted${esc}]0;pwned${bel}/OU=y${cr}${nl}allowed mode: strict${esc}[2J"
if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -keyout "$tmp/hostile.key" -out "$tmp/hostile.pem" -subj "$subject" \
    -addext "subjectAltName=DNS:hostile.demo.test,DNS:${esc}[31mevil.demo.test" >"$tmp/openssl.log" 2>&1 ||
    ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -keyout "$tmp/ca.key" \
        -out "$tmp/unrelated-ca.pem" -subj "/CN=unrelated test CA" >>"$tmp/openssl.log" 2>&1; then
    fail "openssl could not make the hostile certificate: $(cat "$tmp/openssl.log")"
    e2e_end
fi

# The origins: TLS with that certificate, and HTTP answering on a TLS port with a hostile status
# line. Both on 127.0.0.1, ports chosen by the kernel and written to $tmp/ports.
"$python" - "$tmp/hostile.pem" "$tmp/hostile.key" "$tmp/ports" <<'EOF' &
import socket, ssl, sys, threading, time
cert, key, ports_path = sys.argv[1:]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)

def listener():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    return s

def serve(sock, handle):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()

def tls(conn):
    try:
        with context.wrap_socket(conn, server_side=True) as t:
            t.settimeout(5)
            t.recv(1)
    except Exception:
        pass

def http(conn):
    with conn:
        conn.settimeout(5)
        try:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\x1b]0;pwned\x07\x1b[2J\xc2\x9b31m\xe2\x80\xa8class: ca-trusted\r\n\r\n")
        except Exception:
            pass

tls_sock, http_sock = listener(), listener()
for sock, handle in ((tls_sock, tls), (http_sock, http)):
    threading.Thread(target=serve, args=(sock, handle), daemon=True).start()
with open(ports_path + ".tmp", "w") as f:
    f.write(f"{tls_sock.getsockname()[1]} {http_sock.getsockname()[1]}\n")
import os
os.rename(ports_path + ".tmp", ports_path)
time.sleep(300)
EOF
server=$!
e2e_on_exit "kill $server"
for ((i = 0; i < 100; i++)); do
    [[ -s $tmp/ports ]] && break
    sleep 0.1
done
read -r tls_port http_port <"$tmp/ports" || { fail "the loopback origins did not start"; e2e_end; }

list=$tmp/origins.txt
printf '%s\n' "hostile.demo.test@127.0.0.1:$tls_port" "status.demo.test@127.0.0.1:$http_port" >"$list"
printf '{"rules": [{"match": "*.demo.test", "min_mode": "strict"}]}\n' >"$tmp/rules.json"
json=$tmp/report.json junit=$tmp/report.xml ndjson=$tmp/report.ndjson
rc=0
"$ORIGINSCAN" scan "$list" --no-system-trust --ca-file "$tmp/unrelated-ca.pem" --http-port 0 --timeout 5 \
    --rules "$tmp/rules.json" --json "$json" --junit "$junit" --ndjson "$ndjson" \
    >"$tmp/summary.txt" 2>"$tmp/stderr.txt" || rc=$?
# Judged below strict: a policy failure, 1.
[[ $rc -eq 1 ]] && ok "scan: exit 1 (both origins below the required strict)" ||
    fail "scan: exit $rc, expected 1; stderr: $(head -c 300 "$tmp/stderr.txt" | cat -v)"

check "JUnit, JSON, NDJSON, summary: no raw control bytes, no forged line, the JSON keeps the real text" \
    "$python" - "$junit" "$json" "$ndjson" "$tmp/summary.txt" "$tmp/stderr.txt" <<'EOF'
import json, re, sys
import xml.etree.ElementTree as ET

junit_path, json_path, ndjson_path, summary_path, stderr_path = sys.argv[1:]
problems = []
def check(ok, message):
    if not ok:
        problems.append(message)

# C0 but the writer's own newlines, DEL, C1, U+2028/9, bidi controls, invalid UTF-8.
unsafe = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
def raw_check(path, newlines=True):
    data = open(path, "rb").read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append(f"{path}: not UTF-8: {e}")
        return ""
    found = unsafe.search(text)
    if found:
        problems.append(f"{path}: raw {found.group()!r} at {found.start()}")
    check(newlines or "\n" not in text.rstrip("\n"), f"{path}: a line break inside")
    return text

for path in (junit_path, json_path, summary_path, stderr_path):
    raw_check(path)

# JUnit: parses; per testcase, the facts say the real class once, and nothing claims better.
root = ET.parse(junit_path).getroot()
cases = root.findall(".//testcase")
check(len(cases) == 2, f"{len(cases)} testcases, expected 2")
# The facts are in the one failure (both origins fail), never in a system-out as well.
def facts(case):
    failures = case.findall("failure")
    check(len(failures) == 1 and case.find("system-out") is None,
          f"{case.get('name')}: {len(failures)} failures, system-out {case.find('system-out') is not None}")
    return failures[0].text if failures else ""
for case in cases:
    name = case.get("name")
    lines = facts(case).split("\n")
    classes = [l for l in lines if l.startswith("class: ")]
    modes = [l for l in lines if l.startswith("allowed mode: ")]
    check(classes in (["class: self-signed"], ["class: plaintext"]), f"{name}: class lines {classes}")
    check(modes in (["allowed mode: full"], ["allowed mode: flexible"]), f"{name}: mode lines {modes}")
    for failure in case.findall("failure"):
        message = failure.get("message")
        check("\n" not in message and "\r" not in message, f"{name}: a line break in a failure message")
    for element in case.iter():
        for key, value in element.attrib.items():
            check(unsafe.search(value) is None and "\n" not in value, f"{name}: attribute {key}={value!r}")
tls_case = next((c for c in cases if c.get("name").startswith("hostile.")), None)
check(tls_case is not None and "subject: OU=y\\x0d\\x0aallowed mode: strict\\x1b[2J,O=x\\x0aclass: ca-trusted"
      "\\x1b]0\\\\;pwned\\x07,CN=hostile.demo.test" in facts(tls_case),
      "the subject is not shown with its escapes as \\xNN")
check(tls_case is not None and "\\x1b[31mevil.demo.test" in facts(tls_case),
      "the SAN is not shown with its escape as \\x1b")

# JSON: the real text is data, escaped by JSON, read back exactly.
report = json.load(open(json_path))
leaf = report["origins"][0]["tls"]["leaf"]
check("\nclass: ca-trusted\x1b]0\\;pwned\x07" in leaf["subject"], f"JSON subject {leaf['subject']!r}")
check("\x1b[31mevil.demo.test" in leaf["dns_names"], f"JSON dns_names {leaf['dns_names']!r}")
# (The scanner already shows a status line's unprintable bytes as \xNN; the writers then
# show its backslashes doubled, which keeps the escapes unambiguous.)
status = report["origins"][1]["http"]["status_line"]
check("pwned" in status and "class: ca-trusted" in status, f"JSON status line {status!r}")

# NDJSON: one whole line per origin (no raw U+2028 or NEL to split it).
text = raw_check(ndjson_path)
rows = [json.loads(l) for l in text.splitlines()]  # splitlines breaks at U+2028 and NEL too
check(sorted(r["index"] for r in rows) == [0, 1], f"NDJSON: {len(rows)} lines for 2 origins")

summary = open(summary_path).read()
check("pwned" in summary, "summary: the status line is not shown")

for p in problems:
    print("  " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF

# A baseline whose strings hold terminal escapes (JSON-escaped in the file, as a report writes
# them), and one whose raw bytes do: the message shows them, never sends them.
"$python" - "$json" "$tmp/baseline-escaped.json" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
report["origins"][0]["class"] = "\x1b]0;pwned\x07\x1b[2J"
json.dump(report, open(sys.argv[2], "w"))
EOF
printf '{"schema_version": \e]0;pwned\a\e[2J}\n' >"$tmp/baseline-raw.json"
printf '{"rules": [{"match": "*.demo.test", "min_mode": "\\u001b]0;pwned\\u0007\\u009b"}]}\n' >"$tmp/rules-escaped.json"
printf '{"rules": \e]0;pwned\a}\n' >"$tmp/rules-raw.json"

# refused WHAT OPTION FILE SHOWN: exit 2, SHOWN on stderr, no raw C0 (but newlines), DEL, C1, U+2028/9.
refused() {
    local what=$1 option=$2 file=$3 shown=$4 rc=0
    "$ORIGINSCAN" scan "$list" --no-system-trust --ca-file "$tmp/unrelated-ca.pem" "$option" "$file" \
        >/dev/null 2>"$tmp/refused.err" || rc=$?
    if [[ $rc -ne 2 ]]; then
        fail "$what: exit $rc, expected 2"
    elif LC_ALL=C grep -qP '[\x01-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xa8\xa9]' "$tmp/refused.err"; then
        fail "$what: raw control bytes in the message: $(cat -v "$tmp/refused.err")"
    elif ! grep -qF -- "$shown" "$tmp/refused.err"; then
        fail "$what: message lacks $shown: $(cat -v "$tmp/refused.err")"
    else
        ok "$what: exit 2, $(cat "$tmp/refused.err")"
    fi
}
refused "baseline with escaped escapes" --baseline "$tmp/baseline-escaped.json" \
    'origins[0].class: unknown class "\x1b]0;pwned\x07\x1b[2J"'
refused "baseline with raw escapes" --baseline "$tmp/baseline-raw.json" "baseline-raw.json: not JSON"
refused "rules with escaped escapes" --rules "$tmp/rules-escaped.json" 'unknown mode "\x1b]0;pwned\x07\u009b"'
refused "rules with raw escapes" --rules "$tmp/rules-raw.json" "rules-raw.json:1:"

e2e_end
