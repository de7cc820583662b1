#!/usr/bin/env bash
# Terminal manners (issue 10, item 4), through a real pty (`script` from bsdutils) and a pipe,
# against the loopback fixture origins (one ca-trusted, one self-signed, one silent for a
# second, so that the progress line is drawn):
#   - on a pty the summary is coloured (SGR) and the progress line redraws in place;
#   - no SGR with NO_COLOR=1 (but NO_COLOR= empty keeps colour, as no-color.org says), with
#     --no-color, or on a pipe; TERM=dumb: no escape sequence at all, the progress line
#     redrawn with carriage returns and spaces;
#   - --quiet: the violations and one counts line, nothing else (no table, no progress);
#   - --progress on a pipe: whole lines, no carriage return or escape, the last one 3/3.
# Env: ORIGINSCAN (the binary), SOURCE_DIR (the source tree). Everything stays on loopback.
source "$SOURCE_DIR/tests/e2e/lib/common.sh"

e2e_begin terminal
command -v script >/dev/null || { fail "script (bsdutils) is not installed: run ci/install-deps"; e2e_end; }
start_origins

good="good.demo.test@127.0.0.1:$PORT_GOOD"
self_signed="self-signed.demo.test@127.0.0.1:$PORT_SELF_SIGNED"
silent="silent.demo.test@127.0.0.1:$PORT_SILENT"
printf '{"rules": [{"match": "*.demo.test", "min_mode": "strict"}]}\n' >"$tmp/rules.json"
# Long enough for the progress line to be drawn (every 0.5 s) while the silent origin waits, and
# for the handshakes under ASan's slowness.
timeout_s=1.2
asan_build && timeout_s=3
scan=("$ORIGINSCAN" scan --ca-file "$CA_FILE" --no-system-trust --http-port 0 --timeout "$timeout_s"
      --rules "$tmp/rules.json" --origin "$good" --origin "$self_signed" --origin "$silent")

# on_pty NAME [VAR=VALUE...] -- [OPTIONS...]: the scan on a pty (stdout and stderr both), its
# output in $tmp/NAME (the pty's CR LF made LF), the exit status in $tmp/NAME.rc.
on_pty() {
    local name=$1 command
    shift
    local env=()
    while [[ $1 != -- ]]; do env+=("$1"); shift; done
    shift
    printf -v command '%q ' "${scan[@]}" "$@"
    env TERM=xterm-256color "${env[@]}" script -qec "$command; echo \"rc=\$?\" >$tmp/$name.rc" /dev/null \
        </dev/null >"$tmp/$name.raw" 2>&1 || true
    sed 's/\r$//' "$tmp/$name.raw" >"$tmp/$name"
}
sgr() { grep -qP '\x1b\[[0-9;]*m' "$1"; }
any_escape() { grep -qP '\x1b' "$1"; }
shown() { cat -v "$1" | head -c 1500; }

on_pty default --
if [[ $(cat "$tmp/default.rc") == rc=1 ]] && grep -q "3 origins, judged at" "$tmp/default"; then
    ok "on a pty: the scan ran (exit 1, the summary shown)"
else
    fail "on a pty: $(cat "$tmp/default.rc" 2>/dev/null), output: $(shown "$tmp/default")"
fi
if grep -qP '\x1b\[32mstrict\x1b\[0m' "$tmp/default" && grep -qP '\x1b\[1;31m2 VIOLATIONS:\x1b\[0m' "$tmp/default"; then
    ok "on a pty: modes and violations coloured"
else
    fail "on a pty: no colour: $(shown "$tmp/default")"
fi
grep -qP '\r\x1b\[K[0-9]+/3 \(' "$tmp/default.raw" && ok "on a pty: the progress line redraws in place" ||
    fail "on a pty: no progress line redrawn: $(shown "$tmp/default.raw")"

on_pty no_color NO_COLOR=1 --
sgr "$tmp/no_color" && fail "NO_COLOR=1: colour: $(shown "$tmp/no_color")" || ok "NO_COLOR=1: no colour"
grep -q "3 origins, judged at" "$tmp/no_color" || fail "NO_COLOR=1: no summary: $(shown "$tmp/no_color")"

on_pty empty_no_color NO_COLOR= --
sgr "$tmp/empty_no_color" && ok "NO_COLOR empty: colour still (no-color.org: set and not empty)" ||
    fail "NO_COLOR empty: no colour: $(shown "$tmp/empty_no_color")"

on_pty option -- --no-color
sgr "$tmp/option" && fail "--no-color: colour: $(shown "$tmp/option")" || ok "--no-color: no colour"
grep -q "3 origins, judged at" "$tmp/option" || fail "--no-color: no summary: $(shown "$tmp/option")"

on_pty dumb TERM=dumb --
if any_escape "$tmp/dumb.raw"; then
    fail "TERM=dumb: an escape sequence: $(shown "$tmp/dumb.raw")"
else
    ok "TERM=dumb: no escape sequence (no colour, no erase-line)"
fi
grep -qP '\r[0-9]+/3 \(' "$tmp/dumb.raw" && ok "TERM=dumb: the progress line redrawn with carriage returns" ||
    fail "TERM=dumb: no progress line: $(shown "$tmp/dumb.raw")"
grep -q "3 origins, judged at" "$tmp/dumb" || fail "TERM=dumb: no summary: $(shown "$tmp/dumb")"

# A pipe: no colour, no progress unless asked, and then whole lines.
rc=0
"${scan[@]}" >"$tmp/pipe.out" 2>"$tmp/pipe.err" || rc=$?
if [[ $rc -eq 1 ]] && grep -q "3 origins, judged at" "$tmp/pipe.out" && ! any_escape "$tmp/pipe.out" &&
    [[ ! -s $tmp/pipe.err ]]; then
    ok "on a pipe: the summary without colour, no progress"
else
    fail "on a pipe: exit $rc, stdout $(shown "$tmp/pipe.out"), stderr $(shown "$tmp/pipe.err")"
fi

rc=0
"${scan[@]}" --progress >/dev/null 2>"$tmp/progress.err" || rc=$?
last=$(tail -n 1 "$tmp/progress.err")
if [[ $rc -eq 1 ]] && ! grep -qP '[\r\x1b]' "$tmp/progress.err" &&
    [[ $last =~ ^3/3\ \(100%\)\ [0-9]+/s\ in\ [0-9.]+\ s\ \|\ pin-matching\ 0\ ca-trusted\ 1\ self-signed\ 1\ plaintext\ 0\ unreachable\ 1$ ]]; then
    ok "--progress on a pipe: whole lines, the last one the final count ($last)"
else
    fail "--progress on a pipe: exit $rc, stderr: $(shown "$tmp/progress.err")"
fi

# --quiet: exactly the violations and the counts line, on a pty (no progress either) and a pipe.
width=$((${#self_signed} > ${#silent} ? ${#self_signed} : ${#silent}))
expected=$(printf '%s\n' "2 VIOLATIONS:" \
    "$(printf '  %-*s  %s' "$width" "$self_signed" "below-required: allowed mode full is below the required strict (self-signed: self-signed)")" \
    "$(printf '  %-*s  %s' "$width" "$silent" "below-required: allowed mode none is below the required strict (unreachable: timeout)")" \
    "" \
    "3 origins: strict 1, full 1, flexible 0, none 1; 2 violations in 2 origins")
on_pty quiet NO_COLOR=1 -- --quiet
if [[ $(cat "$tmp/quiet.raw" | tr -d '\r') == "$expected" ]]; then
    ok "--quiet on a pty: only the violations and the counts line"
else
    fail "--quiet on a pty: $(shown "$tmp/quiet.raw")"
    diff <(echo "$expected") "$tmp/quiet" >&2 || true
fi
rc=0
"${scan[@]}" --quiet >"$tmp/quiet.out" 2>"$tmp/quiet.err" || rc=$?
if [[ $rc -eq 1 && $(cat "$tmp/quiet.out") == "$expected" && ! -s $tmp/quiet.err ]]; then
    ok "--quiet on a pipe: the same lines, exit 1"
else
    fail "--quiet on a pipe: exit $rc, $(shown "$tmp/quiet.out") / $(shown "$tmp/quiet.err")"
fi
on_pty quiet_color -- --quiet
grep -qP '^\x1b\[1;31m2 VIOLATIONS:\x1b\[0m$' "$tmp/quiet_color" &&
    grep -qP '^3 origins: \x1b\[32mstrict\x1b\[0m 1, ' "$tmp/quiet_color" &&
    ok "--quiet on a pty: coloured like the summary" || fail "--quiet in colour: $(shown "$tmp/quiet_color")"

e2e_end
