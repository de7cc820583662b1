#!/usr/bin/env bash
# Authenticated Origin Pulls through the CLI, against the nginx fixture's client-cert origin
# (ssl_verify_client on, the fixture's client CA):
#   - --client-cert/--client-key of the client CA's leaf: accepted, no reason, strict, exit 0;
#   - another CA's certificate: client-cert-rejected, mode none (exit 1 with --rules min_mode);
#   - none: client-cert-required, as before;
#   - rules client_auth required: the good origin (which never asks) is client-auth-missing,
#     exit 1; the client-cert origin passes;
#   - one of the two files alone, or a key that is not the certificate's: exit 2, said plainly.
# Env: ORIGINSCAN (the binary), SOURCE_DIR (the source tree).
source "$SOURCE_DIR/tests/e2e/lib/common.sh"
python=/usr/bin/python3

e2e_begin client_cert
start_origins
tmp=$(mktemp -d)
e2e_on_exit 'rm -rf "$tmp"'

common=(--ca-file "$CA_FILE" --no-system-trust --http-port 0 --timeout 3 --retries 0)
aop="client-cert.demo.test@127.0.0.1:$PORT_CLIENT_CERT"
good="good.demo.test@127.0.0.1:$PORT_GOOD"
right=(--client-cert "$FIXTURE_DIR/client-leaf.pem" --client-key "$FIXTURE_DIR/client-leaf.key")
wrong=(--client-cert "$FIXTURE_DIR/good-leaf.pem" --client-key "$FIXTURE_DIR/good-leaf.key")

# field FILE EXPRESSION: a Python expression over the first origin `o` of a JSON report.
field() { "$python" -c 'import json, sys; o = json.load(open(sys.argv[1]))["origins"][0]; print(eval(sys.argv[2]))' "$1" "$2"; }
scan() {  # scan NAME ARGS...: the status in $status, the report in $tmp/NAME.json
    local name=$1
    shift
    status=0
    "$ORIGINSCAN" scan "${common[@]}" --json "$tmp/$name.json" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || status=$?
}

scan right "${right[@]}" --origin "$aop"
check "the client CA's certificate: exit 0 (got $status)" test "$status" -eq 0
check "... presented, accepted: ca-trusted, strict, no reason" test \
    "$(field "$tmp/right.json" '(o["class"], o["allowed_mode"], o["reasons"], o["tls"]["client_cert_presented"], o["tls"]["client_cert_rejected"])')" \
    = "('ca-trusted', 'strict', [], True, False)"

printf '{"rules": [{"match": "client-cert.demo.test", "min_mode": "full"}]}\n' >"$tmp/min-full.json"
scan wrong "${wrong[@]}" --rules "$tmp/min-full.json" --origin "$aop"
check "another CA's certificate under min_mode full: exit 1 (got $status)" test "$status" -eq 1
check "... client-cert-rejected, unreachable, none" test \
    "$(field "$tmp/wrong.json" '(o["class"], o["allowed_mode"], o["reasons"])')" \
    = "('unreachable', 'none', ['client-cert-rejected'])"
check "... and the summary says the origin refused it" grep -q "refused the client certificate" "$tmp/wrong.out"

scan none --origin "$aop"
check "no client certificate: client-cert-required, strict (got $status)" test \
    "$status:$(field "$tmp/none.json" '(o["allowed_mode"], o["reasons"])')" = "0:('strict', ['client-cert-required'])"

printf '{"rules": [{"match": "*.demo.test", "client_auth": "required"}]}\n' >"$tmp/auth.json"
scan open --rules "$tmp/auth.json" --origin "$good"
check "client_auth required, an origin that never asks: exit 1 (got $status)" test "$status" -eq 1
check "... violation client-auth-missing" test \
    "$(field "$tmp/open.json" 'o["verdict"]["violations"]')" = "['client-auth-missing']"
scan closed --rules "$tmp/auth.json" --origin "$aop"
check "client_auth required, the origin that asks: exit 0 (got $status)" test "$status" -eq 0

# Per-hostname AOP: the rule's pair (relative, beside the rules file) for client-cert.demo.test,
# --client-cert (another CA's, refused there) for the rest.
mkdir -p "$tmp/ci/aop"
cp "$FIXTURE_DIR/client-leaf.pem" "$FIXTURE_DIR/client-leaf.key" "$tmp/ci/aop/"
printf '{"rules": [{"match": "client-cert.demo.test", "client_cert": "aop/client-leaf.pem", "client_key": "aop/client-leaf.key"}]}\n' \
    >"$tmp/ci/rules.json"
scan per-rule "${wrong[@]}" --rules "$tmp/ci/rules.json" --origin "$aop" --origin "$good"
check "rules client_cert: the rule's certificate is presented and accepted: exit 0 (got $status)" test "$status" -eq 0
check "... client-cert.demo.test ca-trusted, strict, presented, not rejected" test \
    "$(field "$tmp/per-rule.json" '(o["class"], o["allowed_mode"], o["reasons"], o["tls"]["client_cert_presented"], o["tls"]["client_cert_rejected"])')" \
    = "('ca-trusted', 'strict', [], True, False)"
printf '{"rules": [{"match": "client-cert.demo.test", "client_cert": "aop/client-leaf.pem"}]}\n' >"$tmp/ci/half.json"
scan rule-half --rules "$tmp/ci/half.json" --origin "$aop"
check "a rule's client_cert without client_key: exit 2 (got $status)" test "$status" -eq 2
check "... said with the rule's place" grep -q "rules\[0\]: client_cert needs client_key" "$tmp/rule-half.err"
printf '{"rules": [{"match": "client-cert.demo.test", "client_cert": "aop/none.pem", "client_key": "aop/client-leaf.key"}]}\n' \
    >"$tmp/ci/missing.json"
scan rule-missing --rules "$tmp/ci/missing.json" --origin "$aop"
check "a rule's unreadable client_cert: exit 2, named (got $status)" \
    grep -q "rules client_cert $tmp/ci/aop/none.pem" "$tmp/rule-missing.err"

scan half --client-cert "$FIXTURE_DIR/client-leaf.pem" --origin "$aop"
check "--client-cert without --client-key: exit 2 (got $status)" test "$status" -eq 2
check "... said" grep -q -- "--client-cert needs --client-key" "$tmp/half.err"
scan mismatched --client-cert "$FIXTURE_DIR/client-leaf.pem" --client-key "$FIXTURE_DIR/good-leaf.key" --origin "$aop"
check "a key that is not the certificate's: exit 2 (got $status)" test "$status" -eq 2
check "... said" grep -q "not the key of the --client-cert certificate" "$tmp/mismatched.err"
scan missing --client-cert "$tmp/nope.pem" --client-key "$FIXTURE_DIR/client-leaf.key" --origin "$aop"
check "an unreadable --client-cert: exit 2 (got $status)" test "$status" -eq 2

e2e_end
