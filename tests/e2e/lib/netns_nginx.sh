# shellcheck shell=bash disable=SC2154,SC2034  # $tmp and the e2e helpers come from lib/common.sh
# Sourced (after lib/common.sh) by the end-to-end tests that run nginx on loopback addresses of
# their own inside a sealed network namespace whose resolver is a loopback dnsmasq
# (tests/fixtures/dns-netns), with certificates from tests/fixtures/make-certs:
#
#   netns_begin NAME        # SKIPs without dnsmasq, nginx or `ip netns`; e2e_begin NAME; sets
#                           # $ns, $pki, $nginx, $fixtures; nginx and the namespace go at exit
#   netns_up                # (after writing $tmp/hosts, $tmp/cnames) the namespace up and
#                           # checked sealed; in_ns CMD... runs in it; $v6: 1 if lo has ::1
#   nginx_conf < SERVERS    # make-certs into $pki, then $pki/nginx.conf: the server blocks
#                           # read from stdin inside the http block
#   tls LISTEN CHAIN KEY [SERVER_NAME [default_server]]   # one TLS server block ($tls_port)
#   nginx_start HOST PORT   # nginx up in the namespace, waited for until HOST:PORT accepts
#   count_check_lines FILE  # counts FILE's "ok: ..." and "FAIL: ..." lines (a check's output)
#                           # as passes and failures, shows the other lines indented
fixtures=$SOURCE_DIR/tests/fixtures
tls_port=8443

netns_begin() {
    local name=$1
    skip() {
        echo "SKIP: $name: $*"
        exit 0
    }
    command -v dnsmasq >/dev/null || [[ -x /usr/sbin/dnsmasq ]] || skip "dnsmasq is not installed (dnsmasq-base)"
    nginx=$(command -v nginx || echo /usr/sbin/nginx)
    [[ -x $nginx ]] || skip "nginx is not installed"
    ns=originscan-dns-$$
    ip netns add "$ns" 2>/dev/null || skip "creating a network namespace (ip netns add) is not permitted here"
    ip netns del "$ns"
    e2e_begin "$name"
    pki=$tmp/pki
    e2e_on_exit '[[ -s $pki/nginx.pid ]] && kill "$(<"$pki/nginx.pid")" 2>/dev/null; "$fixtures/dns-netns" down "$ns" "$tmp"'
}

in_ns() { ip netns exec "$ns" "$@"; }

netns_up() {
    "$fixtures/dns-netns" up "$ns" "$tmp" || { fail "could not start the DNS namespace"; e2e_end; }
    [[ $(in_ns ip -o link show up | awk -F': ' '{ print $2 }') == lo ]] && ! in_ns ip route get 192.0.2.1 >/dev/null 2>&1 ||
        { fail "namespace $ns is not sealed"; e2e_end; }
    v6=1
    in_ns ip -6 addr show dev lo | grep -q '::1' || v6=0
}

tls() {
    printf '  server { listen %s:%s ssl %s; server_name %s; ssl_certificate "%s/%s"; ssl_certificate_key "%s/%s"; return 200 "ok\\n"; }\n' \
        "$1" "$tls_port" "${5:-}" "${4:-_}" "$pki" "$2" "$pki" "$3"
}

nginx_conf() {
    "$fixtures/make-certs" "$pki" </dev/null
    {
        [[ $(id -u) -eq 0 ]] && echo "user root;"
        echo "daemon on; worker_processes 1; pid \"$pki/nginx.pid\"; error_log \"$pki/error.log\" notice;"
        echo "events { worker_connections 512; }"
        echo "http { access_log off; client_body_temp_path \"$pki/body\"; proxy_temp_path \"$pki/proxy\";"
        echo "  fastcgi_temp_path \"$pki/fastcgi\"; uwsgi_temp_path \"$pki/uwsgi\"; scgi_temp_path \"$pki/scgi\";"
        echo "  ssl_protocols TLSv1.2 TLSv1.3; default_type text/plain;"
        cat
        echo "}"
    } >"$pki/nginx.conf"
}

nginx_start() {
    local i
    in_ns "$nginx" -p "$pki" -c "$pki/nginx.conf" -e "$pki/error.log" ||
        { fail "nginx did not start: $(cat "$pki/error.log")"; e2e_end; }
    for ((i = 0; i < 50; i++)); do
        in_ns bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null && break
        sleep 0.1
    done
}

count_check_lines() {
    local line
    while IFS= read -r line; do
        case $line in
        ok:*) ok "${line#ok: }" ;;
        FAIL:*) fail "${line#FAIL: }" ;;
        *) echo "  $line" ;;
        esac
    done <"$1"
}
