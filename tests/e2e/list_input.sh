#!/usr/bin/env bash
# Issue 10, item 9 through the binary: small things a new user meets first.
#   - a list starting with a UTF-8 byte order mark (Windows editors write one) is read as if
#     it had none, whether a spec or a comment comes first, from a file or from stdin;
#   - a list without origins (empty, or only comments and blank lines) is exit 2 naming the
#     file, also next to other origins (they would otherwise just go missing), before any
#     connection and without a report;
#   - --json and --junit on one file, also through a hard or symbolic link: exit 2;
#   - --help names what each option takes (SPEC, FILE, N, SECONDS, TIME), never "arg".
# Env: ORIGINSCAN (the binary), SOURCE_DIR (the source tree). Only 127.0.0.1 is contacted.
source "$SOURCE_DIR/tests/e2e/lib/common.sh"
python=/usr/bin/python3

e2e_begin list_input

# A port on 127.0.0.1 where nothing listens: the origins here are refused at once.
closed_port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
origin="bom.test@127.0.0.1:$closed_port"
other="other.test@127.0.0.1:$closed_port"
bom=$'\xEF\xBB\xBF'

# --- byte order mark ----------------------------------------------------------------------------
printf '%s%s\n%s\n' "$bom" "$origin" "$other" >"$tmp/bom-first-spec.txt"
printf '%s# origins, saved by Notepad\r\n%s\r\n' "$bom" "$origin" >"$tmp/bom-first-comment.txt"
# bom_run NAME [ARGS...]: a scan whose JSON must list $origin first, as written (no BOM).
bom_run() {
    local name=$1 rc=0
    shift
    "$ORIGINSCAN" scan --timeout 2 --http-port 0 --json "$tmp/$name.json" "$@" >/dev/null 2>"$tmp/$name.err" || rc=$?
    if [[ $rc -eq 0 ]] && "$python" - "$tmp/$name.json" "$origin" "bom.test:$closed_port@127.0.0.1" <<'EOF'; then
import json, sys
first = json.load(open(sys.argv[1]))["origins"][0]
if (first["input"], first["id"]) != (sys.argv[2], sys.argv[3]):
    sys.exit(f"  first origin: {first['input']!r}, id {first['id']!r}")
EOF
        ok "$name: a leading byte order mark is not part of the first line"
    else
        fail "$name: exit $rc; stderr: $(head -c 300 "$tmp/$name.err")"
    fi
}
bom_run bom-first-spec "$tmp/bom-first-spec.txt"
bom_run bom-first-comment "$tmp/bom-first-comment.txt"
bom_run bom-stdin - <"$tmp/bom-first-spec.txt"

# Only at the very start: further on, the same bytes are a bad line.
printf '%s\n%s%s\n' "$origin" "$bom" "$other" >"$tmp/bom-later.txt"
rc=0
"$ORIGINSCAN" scan --timeout 2 "$tmp/bom-later.txt" >/dev/null 2>"$tmp/bom-later.err" || rc=$?
if [[ $rc -eq 2 ]] && grep -qF "$tmp/bom-later.txt:2: non-ASCII byte 0xef" "$tmp/bom-later.err"; then
    ok "a byte order mark on line 2 is a located error"
else
    fail "a byte order mark on line 2: exit $rc; stderr: $(head -c 300 "$tmp/bom-later.err")"
fi

# --- lists without origins ----------------------------------------------------------------------
: >"$tmp/empty.txt"
printf '# nothing here yet\n\n   \n\t# still nothing\n' >"$tmp/comments.txt"
printf '%s' "$bom" >"$tmp/only-bom.txt"
# no_origins NAME LIST ARGS...: exit 2, "LIST: no origins" on stderr, no report, no connection.
no_origins() {
    local name=$1 list=$2 rc=0
    shift 2
    "$ORIGINSCAN" scan --json "$tmp/$name.json" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
    if [[ $rc -eq 2 && ! -e $tmp/$name.json && ! -s $tmp/$name.out ]] &&
        grep -qxF "originscan: $list: no origins (the list is empty, or holds only comments and blank lines)" "$tmp/$name.err"; then
        ok "$name: exit 2, $(head -n1 "$tmp/$name.err")"
    else
        fail "$name: exit $rc; stderr: $(head -c 300 "$tmp/$name.err")"
    fi
}
no_origins empty "$tmp/empty.txt" "$tmp/empty.txt"
no_origins comments "$tmp/comments.txt" "$tmp/comments.txt"
no_origins only-bom "$tmp/only-bom.txt" "$tmp/only-bom.txt"
no_origins stdin-empty "<stdin>" - </dev/null
no_origins empty-next-to-origins "$tmp/empty.txt" --origin "$origin" "$tmp/bom-first-spec.txt" "$tmp/empty.txt"

# --- one file for two reports ---------------------------------------------------------------------
: >"$tmp/report.out"
ln "$tmp/report.out" "$tmp/report-hard.out"
ln -s "$tmp/report.out" "$tmp/report-sym.out"
for pair in "$tmp/new.out $tmp/new.out" "$tmp/report.out $tmp/report-hard.out" "$tmp/report-sym.out $tmp/report.out"; do
    read -r json junit <<<"$pair"
    rc=0
    "$ORIGINSCAN" scan --origin "$origin" --json "$json" --junit "$junit" >/dev/null 2>"$tmp/clash.err" || rc=$?
    if [[ $rc -eq 2 && ! -s $tmp/report.out && ! -e $tmp/new.out ]] && grep -qF "are the same file" "$tmp/clash.err"; then
        ok "--json ${json##*/} --junit ${junit##*/}: exit 2, nothing written"
    else
        fail "--json ${json##*/} --junit ${junit##*/}: exit $rc; stderr: $(head -c 300 "$tmp/clash.err")"
    fi
done

# --- one list twice ------------------------------------------------------------------------------
ln -s "$tmp/bom-first-spec.txt" "$tmp/again.txt"
rc=0
"$ORIGINSCAN" scan --json "$tmp/twice.json" "$tmp/bom-first-spec.txt" "$tmp/again.txt" >/dev/null 2>"$tmp/twice.err" || rc=$?
if [[ $rc -eq 2 && ! -e $tmp/twice.json ]] && grep -qF "is given twice" "$tmp/twice.err"; then
    ok "one list given twice (through a symlink): exit 2, $(head -n1 "$tmp/twice.err")"
else
    fail "one list given twice: exit $rc; stderr: $(head -c 300 "$tmp/twice.err")"
fi

# --- --help ---------------------------------------------------------------------------------------
"$ORIGINSCAN" --help >"$tmp/help.txt"
problems=()
grep -qw "arg" "$tmp/help.txt" && problems+=("says 'arg': $(grep -w arg "$tmp/help.txt" | head -n1)")
for want in "--origin SPEC" "--ca-file PEM" "--rules FILE" "--baseline FILE" "--json FILE" "--junit FILE" \
    "--ndjson FILE" "--concurrency N" "--timeout SECONDS" "--http-port N" "--now TIME" "--fail-on WHAT" \
    "--expiry-days N" "--retries N" "--sarif FILE" "--prometheus FILE" "--client-cert PEM" "--edge-ranges FILE"; do
    grep -qF -- "$want" "$tmp/help.txt" || problems+=("lacks '$want'")
done
if ((${#problems[@]} == 0)); then ok "--help names each option's value"; else fail "--help: ${problems[*]}"; fi

e2e_end
