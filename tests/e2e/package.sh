#!/usr/bin/env bash
# The Debian package, built and installed the way a user gets it, and the installed files used:
#   - a Release build without tests, with Debian's build flags (dpkg-buildflags, hardening=+all),
#     in $PACKAGE_BUILD_DIR (kept between runs, so a re-run only rebuilds what changed), then
#     `cpack` -> originscan_VERSION_ARCH.deb;
#   - its Depends come from dpkg-shlibdeps: GnuTLS, Boost.Program_options, the C++ runtime;
#   - `dpkg -i` into a scratch root (dpkg --root): the machine's /var/lib/dpkg/status is copied
#     in, so dpkg checks the dependencies against what this machine has installed, and the files
#     land under the scratch root only; the real /usr and dpkg database are not touched;
#   - `cmake --install --prefix` puts the same files as the package (under another prefix);
#   - the installed binary: --version (the package's version, GnuTLS and Boost), no test hooks,
#     a loopback scan of the fixture origins with the installed rules example, its JSON report
#     valid against the installed schema and its JUnit report against the installed XSD;
#   - the installed rules examples point ("$schema") at the installed schema, and validate;
#   - the man page: no warnings from `man --warnings`, lexgrog finds its NAME, it documents every
#     option `--help` lists and the files it names are installed;
#   - the bash completion, sourced and called with COMP_WORDS;
#   - lintian: no error or warning (accepted ones are overridden in packaging/lintian-overrides,
#     each with its reason).
#
# Env: SOURCE_DIR, ORIGINSCAN (only its --version: the installed binary is tested), PACKAGE_BUILD_DIR
# (optional; default a fresh directory under the test's temp dir).
source "$SOURCE_DIR/tests/e2e/lib/common.sh"
python=/usr/bin/python3

e2e_begin package
for tool in cmake cpack dpkg dpkg-deb dpkg-shlibdeps lintian help2man man lexgrog xmllint; do
    command -v "$tool" >/dev/null || { fail "$tool is not installed (ci/install-deps)"; e2e_end; }
done

# The build under test (normal or sanitizer) prints the same first line as the package will.
version_lines() {
    local nl=$'\n'
    [[ $1 =~ ^originscan\ [0-9]+\.[0-9]+\.[0-9]+${nl}GnuTLS\ [0-9.]+\ \(built\ against\ [0-9.]+\)${nl}Boost\ [0-9.]+$ ]]
}
check "the build's --version: 'originscan VERSION', GnuTLS and Boost lines" version_lines "$("$ORIGINSCAN" --version)"

# --- Build and package -------------------------------------------------------------------------
build=${PACKAGE_BUILD_DIR:-$tmp/build}
started=$SECONDS
log=$tmp/build.log
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# dpkg-buildflags maps the current directory away in -ffile-prefix-map: run it in the source.
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
cxxflags="$(cd "$SOURCE_DIR" && dpkg-buildflags --get CPPFLAGS) $(cd "$SOURCE_DIR" && dpkg-buildflags --get CXXFLAGS)"
ldflags=$(cd "$SOURCE_DIR" && dpkg-buildflags --get LDFLAGS)
if ! {
    cmake -S "$SOURCE_DIR" -B "$build" -DCMAKE_BUILD_TYPE=Release -DORIGINSCAN_TESTS=OFF "${launcher[@]}" \
        "-DCMAKE_CXX_FLAGS=$cxxflags" "-DCMAKE_EXE_LINKER_FLAGS=$ldflags" &&
        cmake --build "$build" -j2 &&
        rm -rf "$build/deb" &&
        cpack --config "$build/CPackConfig.cmake" -B "$build/deb"
} >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    fail "the Release build or cpack failed (log above)"
    e2e_end
fi
debs=("$build"/deb/originscan_*.deb)
if [[ ${#debs[@]} -ne 1 || ! -f ${debs[0]} ]]; then
    fail "cpack made ${#debs[@]} packages, expected one originscan_*.deb: ${debs[*]}"
    e2e_end
fi
deb=${debs[0]}
echo "built and packaged in $((SECONDS - started)) s"
version=$(dpkg-deb -f "$deb" Version)
project_version=$(sed -nE 's/^project\(originscan VERSION ([0-9.]+).*/\1/p' "$SOURCE_DIR/CMakeLists.txt")
check "package version $version is the project's ($project_version)" test "$version" = "$project_version"
check "named originscan_${version}_$(dpkg --print-architecture).deb" \
    test "$(basename "$deb")" = "originscan_${version}_$(dpkg --print-architecture).deb"

depends=$(dpkg-deb -f "$deb" Depends)
depends_names=$(sed -E 's/ *\([^)]*\)//g; s/, */\n/g' <<<"$depends")
for library in libgnutls30 libboost-program-options1.81.0 libstdc++6 libc6; do
    check "Depends names $library (dpkg-shlibdeps): $depends" grep -qxF "$library" <<<"$depends_names"
done

# --- dpkg -i into a scratch root -----------------------------------------------------------------
root=$tmp/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
cp /var/lib/dpkg/status "$root/var/lib/dpkg/status"
: >"$root/var/lib/dpkg/available"
if dpkg --root="$root" --log="$tmp/dpkg.log" --force-not-root -i "$deb" >"$tmp/dpkg.out" 2>&1; then
    ok "dpkg -i into a scratch root: dependencies satisfied by this machine"
else
    cat "$tmp/dpkg.out" >&2
    fail "dpkg -i into the scratch root failed"
    e2e_end
fi
check "dpkg records it installed in the scratch root" \
    test "$(dpkg-query --root="$root" -W -f='${Status} ${Version}' originscan)" = "install ok installed $version"
installed=$root/usr/bin/originscan
share=$root/usr/share
for file in "$installed" "$share/man/man1/originscan.1.gz" "$share/originscan/reports/report.schema.json" \
    "$share/originscan/reports/junit.xsd" "$share/originscan/rules/rules.schema.json" \
    "$share/doc/originscan/examples/basic.jsonc" "$share/doc/originscan/examples/pinned.jsonc" \
    "$share/bash-completion/completions/originscan" "$share/doc/originscan/copyright"; do
    check "installed: ${file#"$root"}" test -s "$file"
done
check "no rules example keeps the .json suffix" test -z "$(find "$share/doc/originscan/examples" -name '*.json')"

# cmake --install puts the same files (the package is that install under /usr).
prefix=$tmp/prefix
if cmake --install "$build" --prefix "$prefix" >"$tmp/install.out" 2>&1; then
    from_package=$(cd "$root/usr" && find bin share -path share/lintian -prune -o -type f -print | sort)
    from_install=$(cd "$prefix" && find . -path ./share/lintian -prune -o -type f -printf '%P\n' | sort)
    check "cmake --install --prefix installs the package's files" test "$from_package" = "$from_install"
else
    cat "$tmp/install.out" >&2
    fail "cmake --install --prefix $prefix failed"
fi

# --- The installed binary ------------------------------------------------------------------------
version_text=$("$installed" --version 2>&1) || fail "originscan --version exits $?"
gnutls_runtime=$(dpkg-query -W -f='${Version}' libgnutls30)
check "--version starts with 'originscan $version'" test "$(head -n 1 <<<"$version_text")" = "originscan $version"
check "--version names the GnuTLS in use (${gnutls_runtime%%-*}) and the one built against" \
    grep -qE "^GnuTLS ${gnutls_runtime%%-*} \(built against [0-9]+\.[0-9]+\.[0-9]+\)$" <<<"$version_text"
check "--version names Boost 1.81" grep -qE '^Boost 1\.81\.[0-9]+$' <<<"$version_text"

start_origins
json=$tmp/report.json junit=$tmp/report.xml
rc=0
# ORIGINSCAN_TEST_THROW_AT would fail a test build's scan (exit 3): the package has no hooks.
ORIGINSCAN_TEST_THROW_AT=0 "$installed" scan --ca-file "$CA_FILE" --no-system-trust --http-port "$HTTP_PORT" \
    --timeout 3 --rules "$share/doc/originscan/examples/basic.jsonc" --json "$json" --junit "$junit" \
    "$fixture/origins.txt" >"$tmp/scan.out" 2>"$tmp/scan.err" || rc=$?
if [[ $rc -eq 0 ]]; then
    ok "installed binary scans the fixture origins with the installed rules example: exit 0"
else
    fail "installed binary's scan exits $rc, expected 0: $(head -c 500 "$tmp/scan.err")"
fi
check "JSON report: valid against the installed schema, every origin classed as expected.tsv says" \
    "$python" - "$share/originscan/reports/report.schema.json" "$json" "$fixture/expected.tsv" <<'EOF'
import json, sys
import jsonschema

schema_path, report_path, expected_path = sys.argv[1:]
report = json.load(open(report_path))
errors = list(jsonschema.Draft202012Validator(json.load(open(schema_path))).iter_errors(report))
for e in errors:
    print(f"schema: /{'/'.join(map(str, e.absolute_path))}: {e.message}", file=sys.stderr)
expected = dict(line.split("\t")[:2] for line in open(expected_path))
got = {o["input"]: o["class"] for o in report["origins"]}
wrong = {spec: (got.get(spec), cls) for spec, cls in expected.items() if got.get(spec) != cls}
for spec, (have, want) in wrong.items():
    print(f"{spec}: class {have}, expected {want}", file=sys.stderr)
sys.exit(1 if errors or wrong or len(got) != len(expected) else 0)
EOF
check "JUnit report: valid against the installed XSD" xmllint --noout --schema "$share/originscan/reports/junit.xsd" "$junit"

# --- The rules examples point at the installed schema and follow it -------------------------------
check "each installed example's \$schema is the installed rules schema, and the example follows it" \
    "$python" - "$share/originscan/rules/rules.schema.json" "$share/doc/originscan/examples"/*.jsonc <<'EOF'
import json, os, re, sys
import jsonschema

schema_path, examples = sys.argv[1], sys.argv[2:]
validator = jsonschema.Draft202012Validator(json.load(open(schema_path)))
# JSON with // and /* */ comments (the rules file syntax): drop comments outside strings.
token = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.S)
ok = True
for path in examples:
    text = token.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", open(path).read())
    document = json.loads(text)
    target = os.path.normpath(os.path.join(os.path.dirname(path), document.get("$schema", "")))
    if not (os.path.exists(target) and os.path.samefile(target, schema_path)):
        print(f"{path}: $schema {document.get('$schema')!r} is not {schema_path}", file=sys.stderr)
        ok = False
    for e in validator.iter_errors(document):
        print(f"{path}: /{'/'.join(map(str, e.absolute_path))}: {e.message}", file=sys.stderr)
        ok = False
sys.exit(0 if ok else 1)
EOF

# --- The man page ---------------------------------------------------------------------------------
page=$share/man/man1/originscan.1.gz
man_warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
check "man --warnings: none${man_warnings:+: $man_warnings}" test -z "$man_warnings"
check "lexgrog finds the NAME line" grep -qF ': "originscan - ' <<<"$(lexgrog "$page")"
man_text=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$page" 2>/dev/null | col -b)
for section in SYNOPSIS OPTIONS ORIGINS CLASSES MODES 'EXIT STATUS' FILES EXAMPLES; do
    check "man page has a $section section" grep -qx "$section" <<<"$man_text"
done
missing=()
while read -r option; do
    grep -qE -- "(^|[^a-z-])$option([^a-z-]|$)" <<<"$man_text" || missing+=("$option")
done < <("$installed" --help | grep -oE '^  (-[a-z] \[ )?--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z0-9-]+')
check "man page documents every option of --help${missing[*]:+ (missing: ${missing[*]})}" test ${#missing[@]} -eq 0
files_missing=()
while read -r path; do
    [[ -e $root$path ]] || files_missing+=("$path")
done < <(grep -oE '^ +/usr/share/[^ ]+' <<<"$man_text" | tr -d ' ')
check "the man page's FILES are installed${files_missing[*]:+ (missing: ${files_missing[*]})}" test ${#files_missing[@]} -eq 0

# --- The bash completion -------------------------------------------------------------------------
completion=$share/bash-completion/completions/originscan
mkdir -p "$tmp/lists"
touch "$tmp/lists/origins.txt" "$tmp/lists/other.txt"
# complete WORD...: the completions bash offers for the command line WORD... (the last word is
# the one being completed), one per line.
complete_words() {
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _originscan; printf "%s\n" "${COMPREPLY[@]}"' \
        _ "$completion" "$@"
}
check "completion is registered for originscan" grep -q -- '-F _originscan originscan$' \
    <<<"$(bash -c 'source "$1"; complete -p originscan' _ "$completion")"
check "completes the command: scan, merge, pin, --help, --version" \
    test "$(complete_words originscan '' | sort | tr '\n' ' ')" = "--help --version merge pin scan "
check "completes --js to --json" test "$(complete_words originscan scan --js)" = "--json"
check "--fail-on completes its words" test "$(complete_words originscan scan --fail-on '' | sort | tr '\n' ' ')" = "expiring unreachable "
check "--fail-on completes after a comma" test "$(complete_words originscan scan --fail-on unreachable,e)" = "unreachable,expiring"
check "--rules completes file names" test "$(complete_words originscan scan --rules "$tmp/lists/or")" = "$tmp/lists/origins.txt"
check "--json=FILE completes file names" test "$(complete_words originscan scan --json = "$tmp/lists/ot")" = "$tmp/lists/other.txt"
check "a LIST completes file names" test "$(complete_words originscan scan --progress "$tmp/lists/ot")" = "$tmp/lists/other.txt"
check "--concurrency (a number) completes nothing" test -z "$(complete_words originscan scan --concurrency '')"
check "--resolver ADDR[:PORT] (a value) completes nothing" test -z "$(complete_words originscan scan --resolver '')"
check "--edge completes its words after a comma" \
    test "$(complete_words originscan scan --edge cloudfront,f)" = "cloudfront,fastly"
check "nothing after an unknown command" test -z "$(complete_words originscan frobnicate --j)"
check "merge: --bas completes to --baseline" test "$(complete_words originscan merge --bas)" = "--baseline"
check "merge: a SHARD.json completes file names" test "$(complete_words originscan merge "$tmp/lists/ot")" = "$tmp/lists/other.txt"
check "merge: scan's --edge is not offered" test -z "$(complete_words originscan merge --edg)"
check "pin: --ca completes to --ca-file" test "$(complete_words originscan pin --ca)" = "--ca-file"
check "pin: an ORIGIN completes nothing" test -z "$(complete_words originscan pin "$tmp/lists/ot")"
# Every option of each command's --help is offered after that command.
for command in scan merge pin; do
    help_args=(--help)
    [[ $command == scan ]] || help_args=("$command" --help)
    offered=$(complete_words originscan "$command" -- | sort)
    missing=()
    while read -r option; do
        grep -qx -- "$option" <<<"$offered" || missing+=("$option")
    done < <("$installed" "${help_args[@]}" | grep -oE '^  (-[a-z] \[ )?--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z0-9-]+')
    check "completion offers every option of $command --help${missing[*]:+ (missing: ${missing[*]})}" test ${#missing[@]} -eq 0
done

# --- lintian --------------------------------------------------------------------------------------
if lintian --fail-on error,warning "$deb" >"$tmp/lintian.out" 2>&1; then
    ok "lintian: no errors or warnings"
else
    grep -v 'running with root privileges' "$tmp/lintian.out" >&2
    fail "lintian reports errors or warnings (above)"
fi

e2e_end
