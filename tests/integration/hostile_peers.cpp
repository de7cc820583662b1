#include "tests/integration/hostile_peers.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/x509-ext.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <random>
#include <stdexcept>
#include <variant>

namespace originscan::hostile {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

void check(int r, const char* what) {
    if (r < 0) throw std::runtime_error(std::string(what) + ": " + gnutls_strerror(r));
}

void check_errno(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
}

int poll_ms(milliseconds wait) {
    return static_cast<int>(std::clamp<long long>(wait.count(), 0, 24LL * 3600 * 1000));
}

// poll(2), retried on EINTR.
int poll_retry(pollfd* fds, nfds_t n, milliseconds wait) {
    for (;;) {
        const int r = ::poll(fds, n, poll_ms(wait));
        if (r >= 0 || errno != EINTR) return r;
    }
}

// A listening TCP socket on 127.0.0.1 (or another 127/8 address), port chosen by the kernel.
Fd listen_on_loopback(int backlog, std::uint16_t& port, const char* address = "127.0.0.1") {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    check_errno(static_cast<bool>(fd), "socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    if (::inet_pton(AF_INET, address, &addr.sin_addr) != 1 || (ntohl(addr.sin_addr.s_addr) >> 24) != 127)
        throw std::runtime_error(std::string("not a 127/8 address: ") + address);
    addr.sin_port = 0;
    check_errno(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "bind 127/8:0");
    check_errno(::listen(fd.get(), backlog) == 0, "listen");
    socklen_t len = sizeof addr;
    check_errno(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0, "getsockname");
    port = ntohs(addr.sin_port);
    return fd;
}

// A non-blocking connect to 127.0.0.1:port, left in progress.
Fd start_connect(std::uint16_t port) {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    check_errno(static_cast<bool>(fd), "socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    const int r = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    check_errno(r == 0 || errno == EINPROGRESS, "connect 127.0.0.1");
    return fd;
}

void set_alt_names(gnutls_x509_crt_t crt, const std::vector<std::string>& names) {
    // Built once with the x509-ext API and set as one extension: appending name by name with
    // gnutls_x509_crt_set_subject_alt_name re-encodes the whole extension each time.
    gnutls_subject_alt_names_t sans;
    check(gnutls_subject_alt_names_init(&sans), "subject_alt_names_init");
    std::unique_ptr<std::remove_pointer_t<gnutls_subject_alt_names_t>, void (*)(gnutls_subject_alt_names_t)> owned(
        sans, gnutls_subject_alt_names_deinit);
    for (const auto& name : names) {
        gnutls_datum_t d{reinterpret_cast<unsigned char*>(const_cast<char*>(name.data())),
                         static_cast<unsigned>(name.size())};
        check(gnutls_subject_alt_names_set(sans, GNUTLS_SAN_DNSNAME, &d, nullptr), "subject_alt_names_set");
    }
    gnutls_datum_t der{};
    check(gnutls_x509_ext_export_subject_alt_names(sans, &der), "export_subject_alt_names");
    const int r = gnutls_x509_crt_set_extension_by_oid(crt, GNUTLS_X509EXT_OID_SAN, der.data, der.size, 0);
    gnutls_free(der.data);
    check(r, "set subjectAltName");
}

}  // namespace

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

// ---- Certificates ------------------------------------------------------------------------

Privkey generate_key() {
    gnutls_x509_privkey_t raw;
    check(gnutls_x509_privkey_init(&raw), "privkey_init");
    Privkey key(raw);
    check(gnutls_x509_privkey_generate(raw, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
          "privkey_generate ECDSA P-256");
    return key;
}

Privkey generate_rsa_key(unsigned bits) {
    gnutls_x509_privkey_t raw;
    check(gnutls_x509_privkey_init(&raw), "privkey_init");
    Privkey key(raw);
    check(gnutls_x509_privkey_generate(raw, GNUTLS_PK_RSA, bits, 0), "privkey_generate RSA");
    return key;
}

Crt make_certificate(const CertSpec& spec, gnutls_x509_privkey_t key, gnutls_x509_crt_t issuer,
                     gnutls_x509_privkey_t issuer_key) {
    static std::atomic<std::uint32_t> serial_counter{1};
    gnutls_x509_crt_t raw;
    check(gnutls_x509_crt_init(&raw), "crt_init");
    Crt crt(raw);
    check(gnutls_x509_crt_set_version(raw, 3), "set_version");
    const std::uint32_t n = serial_counter++;
    const unsigned char serial[] = {0x01, static_cast<unsigned char>(n >> 24), static_cast<unsigned char>(n >> 16),
                                    static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
    check(gnutls_x509_crt_set_serial(raw, serial, sizeof serial), "set_serial");
    check(gnutls_x509_crt_set_activation_time(raw, static_cast<time_t>(spec.not_before)), "set_activation_time");
    check(gnutls_x509_crt_set_expiration_time(raw, static_cast<time_t>(spec.not_after)), "set_expiration_time");
    check(gnutls_x509_crt_set_dn_by_oid(raw, GNUTLS_OID_X520_COMMON_NAME, 0, spec.common_name.data(),
                                        static_cast<unsigned>(spec.common_name.size())),
          "set CN");
    check(gnutls_x509_crt_set_key(raw, key), "set_key");
    check(gnutls_x509_crt_set_basic_constraints(raw, spec.is_ca ? 1 : 0, -1), "set_basic_constraints");
    const unsigned usage = spec.key_usage != 0 ? spec.key_usage
                           : spec.is_ca ? GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN | GNUTLS_KEY_DIGITAL_SIGNATURE
                                        : GNUTLS_KEY_DIGITAL_SIGNATURE;
    check(gnutls_x509_crt_set_key_usage(raw, usage), "set_key_usage");
    if (!spec.is_ca) check(gnutls_x509_crt_set_key_purpose_oid(raw, GNUTLS_KP_TLS_WWW_SERVER, 0), "set purpose");
    if (!spec.dns_names.empty()) set_alt_names(raw, spec.dns_names);

    unsigned char key_id[64];
    std::size_t key_id_size = sizeof key_id;
    check(gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA1, key_id, &key_id_size), "privkey_get_key_id");
    check(gnutls_x509_crt_set_subject_key_id(raw, key_id, key_id_size), "set_subject_key_id");
    if (issuer != nullptr) {
        unsigned char issuer_id[64];
        std::size_t issuer_id_size = sizeof issuer_id;
        unsigned critical = 0;
        check(gnutls_x509_crt_get_subject_key_id(issuer, issuer_id, &issuer_id_size, &critical), "issuer key id");
        check(gnutls_x509_crt_set_authority_key_id(raw, issuer_id, issuer_id_size), "set_authority_key_id");
    } else {
        check(gnutls_x509_crt_set_authority_key_id(raw, key_id, key_id_size), "set_authority_key_id");
    }
    if (issuer != nullptr)
        check(gnutls_x509_crt_sign2(raw, issuer, issuer_key, GNUTLS_DIG_SHA256, 0), "sign");
    else
        check(gnutls_x509_crt_sign2(raw, raw, key, GNUTLS_DIG_SHA256, 0), "self-sign");
    // Re-imported: a certificate built in memory lacks the raw subject and issuer names GnuTLS
    // compares in gnutls_x509_crt_check_issuer (and when sorting a server's chain), so chains of
    // such certificates would not link.
    return from_der(to_der(raw));
}

Authority make_authority(const std::string& name, const Authority* issuer, std::int64_t not_before,
                         std::int64_t not_after, Privkey key) {
    CertSpec spec;
    spec.common_name = name;
    spec.is_ca = true;
    spec.not_before = not_before;
    spec.not_after = not_after;
    Crt cert = issuer ? make_certificate(spec, key.get(), issuer->cert.get(), issuer->key.get())
                      : make_certificate(spec, key.get());
    return {std::move(key), std::move(cert)};
}

CertSpec leaf_spec(const std::string& name) {
    CertSpec spec;
    spec.common_name = name;
    spec.dns_names = {name};
    return spec;
}

Crt from_der(const std::vector<unsigned char>& der) {
    gnutls_x509_crt_t raw;
    check(gnutls_x509_crt_init(&raw), "crt_init");
    Crt crt(raw);
    const gnutls_datum_t d{const_cast<unsigned char*>(der.data()), static_cast<unsigned>(der.size())};
    check(gnutls_x509_crt_import(raw, &d, GNUTLS_X509_FMT_DER), "crt_import");
    return crt;
}

namespace {

void append_der_length(std::vector<unsigned char>& out, std::size_t n) {
    if (n < 0x80) {
        out.push_back(static_cast<unsigned char>(n));
        return;
    }
    unsigned bytes = 0;
    for (std::size_t v = n; v > 0; v >>= 8) ++bytes;
    out.push_back(static_cast<unsigned char>(0x80 | bytes));
    for (unsigned i = bytes; i-- > 0;) out.push_back(static_cast<unsigned char>(n >> (8 * i)));
}

std::vector<unsigned char> der_element(unsigned char tag, const std::vector<unsigned char>& content) {
    std::vector<unsigned char> out{tag};
    append_der_length(out, content.size());
    out.insert(out.end(), content.begin(), content.end());
    return out;
}

// The elements (tag, length, content) directly inside `content`, in order.
std::vector<std::vector<unsigned char>> der_elements(const unsigned char* p, std::size_t size) {
    std::vector<std::vector<unsigned char>> out;
    for (std::size_t pos = 0; pos < size;) {
        std::size_t header = 2, length = p[pos + 1];
        if (length & 0x80) {
            const std::size_t n = length & 0x7f;
            length = 0;
            for (std::size_t i = 0; i < n; ++i) length = length << 8 | p[pos + 2 + i];
            header += n;
        }
        if (pos + header + length > size) throw std::runtime_error("der_elements: truncated");
        out.emplace_back(p + pos, p + pos + header + length);
        pos += header + length;
    }
    return out;
}

std::vector<unsigned char> der_content(const std::vector<unsigned char>& element) {
    std::size_t header = 2;
    if (element[1] & 0x80) header += element[1] & 0x7f;
    return {element.begin() + static_cast<long>(header), element.end()};
}

}  // namespace

std::vector<unsigned char> tiny_extensions(std::size_t count) {
    if (count > 127 * 128) throw std::runtime_error("tiny_extensions: at most 16,256");
    std::vector<unsigned char> extensions;
    for (std::size_t i = 0; i < count; ++i) {
        // SEQUENCE { OID 1.2.(128 + i), OCTET STRING "" }: the arc in two base-128 bytes, the
        // first never 0x80 (DER: no leading zero digit)
        const std::size_t arc = 128 + i;
        const unsigned char extension[] = {0x30, 0x07, 0x06, 0x03, 0x2a,
                                           static_cast<unsigned char>(0x80 | (arc >> 7)),
                                           static_cast<unsigned char>(arc & 0x7f), 0x04, 0x00};
        extensions.insert(extensions.end(), std::begin(extension), std::end(extension));
    }
    return extensions;
}

std::vector<unsigned char> extension_with_oid(const std::string& oid) {
    std::vector<unsigned long> arcs;
    for (std::size_t pos = 0; pos <= oid.size();) {
        const std::size_t dot = std::min(oid.find('.', pos), oid.size());
        arcs.push_back(std::stoul(oid.substr(pos, dot - pos)));
        pos = dot + 1;
    }
    if (arcs.size() < 2) throw std::runtime_error("extension_with_oid: two arcs at least");
    std::vector<unsigned char> encoded;
    for (std::size_t i = 1; i < arcs.size(); ++i) {
        unsigned long v = i == 1 ? arcs[0] * 40 + arcs[1] : arcs[i];
        std::vector<unsigned char> digits{static_cast<unsigned char>(v & 0x7f)};  // base 128, last first
        while (v >>= 7) digits.push_back(static_cast<unsigned char>(0x80 | (v & 0x7f)));
        encoded.insert(encoded.end(), digits.rbegin(), digits.rend());
    }
    auto fields = der_element(0x06, encoded);
    for (unsigned char b : {0x04, 0x02, 0x05, 0x00}) fields.push_back(b);  // OCTET STRING { NULL }
    return der_element(0x30, fields);
}

std::vector<unsigned char> with_extensions(gnutls_x509_crt_t crt, gnutls_x509_privkey_t signer,
                                           const std::vector<unsigned char>& more) {
    const auto der = to_der(crt);
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
    const auto certificate = der_elements(der.data(), der.size());
    const auto parts = der_elements(der_content(certificate.at(0)).data(), der_content(certificate.at(0)).size());
    const auto tbs_content = der_content(parts.at(0));
    auto fields = der_elements(tbs_content.data(), tbs_content.size());
    auto& wrapped = fields.back();  // [3] EXPLICIT Extensions, last in a v3 tbsCertificate
    if (wrapped.at(0) != 0xa3) throw std::runtime_error("with_extensions: no extensions to extend");
    auto extensions = der_content(der_content(wrapped));
    extensions.insert(extensions.end(), more.begin(), more.end());
    wrapped = der_element(0xa3, der_element(0x30, extensions));
    std::vector<unsigned char> tbs_fields;
    for (const auto& field : fields) tbs_fields.insert(tbs_fields.end(), field.begin(), field.end());
    const auto tbs = der_element(0x30, tbs_fields);

    gnutls_privkey_t key;
    check(gnutls_privkey_init(&key), "privkey_init");
    std::unique_ptr<std::remove_pointer_t<gnutls_privkey_t>, void (*)(gnutls_privkey_t)> owned(key,
                                                                                             gnutls_privkey_deinit);
    check(gnutls_privkey_import_x509(key, signer, 0), "privkey_import_x509");
    const gnutls_datum_t data{const_cast<unsigned char*>(tbs.data()), static_cast<unsigned>(tbs.size())};
    gnutls_datum_t signature{};
    check(gnutls_privkey_sign_data(key, GNUTLS_DIG_SHA256, 0, &data, &signature), "sign tbsCertificate");
    std::vector<unsigned char> bits{0x00};  // no unused bits
    bits.insert(bits.end(), signature.data, signature.data + signature.size);
    gnutls_free(signature.data);

    std::vector<unsigned char> body = tbs;
    body.insert(body.end(), parts.at(1).begin(), parts.at(1).end());  // the same signatureAlgorithm
    const auto bit_string = der_element(0x03, bits);
    body.insert(body.end(), bit_string.begin(), bit_string.end());
    return der_element(0x30, body);
}

Crt reimport(gnutls_x509_crt_t crt) {
    const auto der = to_der(crt);
    gnutls_x509_crt_t raw;
    check(gnutls_x509_crt_init(&raw), "crt_init");
    Crt copy(raw);
    const gnutls_datum_t d{const_cast<unsigned char*>(der.data()), static_cast<unsigned>(der.size())};
    check(gnutls_x509_crt_import(raw, &d, GNUTLS_X509_FMT_DER), "crt_import");
    return copy;
}

std::string to_pem(gnutls_x509_crt_t crt) {
    gnutls_datum_t out{};
    check(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &out), "export PEM");
    std::string pem(reinterpret_cast<char*>(out.data), out.size);
    gnutls_free(out.data);
    return pem;
}

std::vector<unsigned char> to_der(gnutls_x509_crt_t crt) {
    gnutls_datum_t out{};
    check(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &out), "export DER");
    std::vector<unsigned char> der(out.data, out.data + out.size);
    gnutls_free(out.data);
    return der;
}

std::string sha256_hex(gnutls_x509_crt_t crt) {
    unsigned char digest[32];
    std::size_t size = sizeof digest;
    check(gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, digest, &size), "fingerprint");
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    for (std::size_t i = 0; i < size; ++i) {
        hex += digits[digest[i] >> 4];
        hex += digits[digest[i] & 15];
    }
    return hex;
}

ServerCredentials::ServerCredentials(const Identity& identity) {
    gnutls_certificate_credentials_t raw;
    check(gnutls_certificate_allocate_credentials(&raw), "allocate_credentials");
    creds_.reset(raw);
    std::vector<gnutls_x509_crt_t> chain;
    for (const auto& c : identity.chain) chain.push_back(c.get());
    check(gnutls_certificate_set_x509_key(raw, chain.data(), static_cast<int>(chain.size()), identity.key.get()),
          "certificate_set_x509_key");
}

ServerCredentials::ServerCredentials(const Identity& identity, AsGiven) {
    gnutls_certificate_credentials_t raw;
    check(gnutls_certificate_allocate_credentials(&raw), "allocate_credentials");
    creds_.reset(raw);
    for (const auto& c : identity.chain) {
        gnutls_pcert_st pcert{};
        check(gnutls_pcert_import_x509(&pcert, c.get(), 0), "pcert_import_x509");
        pcerts_.push_back(pcert);
    }
    check(gnutls_privkey_init(&privkey_), "privkey_init");
    check(gnutls_privkey_import_x509(privkey_, identity.key.get(), GNUTLS_PRIVKEY_IMPORT_COPY), "privkey_import_x509");
    gnutls_certificate_set_retrieve_function2(raw, &ServerCredentials::retrieve);
}

ServerCredentials::~ServerCredentials() {
    for (auto& pcert : pcerts_) gnutls_pcert_deinit(&pcert);
    if (privkey_) gnutls_privkey_deinit(privkey_);
}

// server_handshake() makes the credentials the session's pointer.
int ServerCredentials::retrieve(gnutls_session_t session, const gnutls_datum_t*, int, const gnutls_pk_algorithm_t*,
                                int, gnutls_pcert_st** pcert, unsigned* pcert_length, gnutls_privkey_t* key) {
    auto* self = static_cast<ServerCredentials*>(gnutls_session_get_ptr(session));
    *pcert = self->pcerts_.data();
    *pcert_length = static_cast<unsigned>(self->pcerts_.size());
    *key = self->privkey_;
    return 0;
}

ServerCredentials::ServerCredentials(const Identity& identity, gnutls_dh_params_t dh) : ServerCredentials(identity) {
    gnutls_certificate_set_dh_params(creds_.get(), dh);
}

TempPem::TempPem(const std::string& pem) {
    char templ[] = "/tmp/originscan-hostile-ca.XXXXXX";
    const int fd = ::mkstemp(templ);
    check_errno(fd >= 0, "mkstemp");
    ::close(fd);
    path_ = templ;
    std::ofstream(path_, std::ios::binary) << pem;
}

TempPem::~TempPem() { ::unlink(path_.c_str()); }

// ---- Sockets --------------------------------------------------------------------------------

Fd& Fd::operator=(Fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
}

int Fd::release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
}

void Fd::reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

StopSignal::StopSignal() {
    int fds[2];
    check_errno(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0, "pipe2");
    read_end_.reset(fds[0]);
    write_end_.reset(fds[1]);
}

void StopSignal::raise() {
    if (raised_.exchange(true)) return;
    const char byte = 's';
    [[maybe_unused]] const auto n = ::write(write_end_.get(), &byte, 1);  // stays readable: never drained
}

int Connection::wait_readable(milliseconds wait) {
    pollfd fds[2] = {{fd_.get(), POLLIN, 0}, {stop_.poll_fd(), POLLIN, 0}};
    const int r = poll_retry(fds, 2, wait);
    if (r < 0 || fds[1].revents != 0) return -1;
    if (r == 0) return 0;
    return 1;  // readable, at EOF, or in error: recv tells which
}

long Connection::read_some(void* data, std::size_t n, milliseconds wait) {
    if (wait_readable(wait) != 1) return -1;
    const ssize_t got = ::recv(fd_.get(), data, n, MSG_DONTWAIT);
    return got < 0 ? -1 : static_cast<long>(got);
}

bool Connection::read_record(std::vector<unsigned char>* record, milliseconds wait) {
    const auto deadline = Clock::now() + wait;
    std::vector<unsigned char> bytes;
    std::size_t want = 5;  // the record header first
    while (bytes.size() < want) {
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return false;
        unsigned char buf[4096];
        const long n = read_some(buf, std::min(sizeof buf, want - bytes.size()), left);
        if (n <= 0) return false;
        bytes.insert(bytes.end(), buf, buf + n);
        if (want == 5 && bytes.size() == 5) {
            if (bytes[0] < 0x14 || bytes[0] > 0x17) return false;
            want = 5 + (std::size_t{bytes[3]} << 8 | bytes[4]);
        }
    }
    if (record) *record = std::move(bytes);
    return true;
}

bool Connection::write_all(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    while (n > 0) {
        if (stop_.raised()) return false;
        const ssize_t sent = ::send(fd_.get(), p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent > 0) {
            p += sent;
            n -= static_cast<std::size_t>(sent);
            continue;
        }
        if (sent < 0 && errno == EINTR) continue;
        if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
        pollfd fds[2] = {{fd_.get(), POLLOUT, 0}, {stop_.poll_fd(), POLLIN, 0}};
        if (poll_retry(fds, 2, std::chrono::hours(1)) <= 0 || fds[1].revents != 0) return false;
    }
    return true;
}

bool Connection::sleep(milliseconds duration) {
    pollfd fd{stop_.poll_fd(), POLLIN, 0};
    poll_retry(&fd, 1, duration);
    return !stop_.raised();
}

void Connection::hold() {
    unsigned char buf[4096];
    while (read_some(buf, sizeof buf, std::chrono::hours(1)) > 0) {
    }
}

void Connection::reset() {
    const linger abortive{1, 0};
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
    fd_.reset();
}

LoopbackServer::LoopbackServer(Behaviour behaviour, const char* address) : behaviour_(std::move(behaviour)) {
    listener_ = listen_on_loopback(SOMAXCONN, port_, address);
    acceptor_ = std::thread([this] { accept_loop(); });
}

LoopbackServer::~LoopbackServer() {
    stop_.raise();
    acceptor_.join();
}

void LoopbackServer::accept_loop() {
    std::vector<Fd> held;  // connections held silently when there is no behaviour
    std::vector<pollfd> fds;
    for (;;) {
        fds.clear();
        fds.push_back({stop_.poll_fd(), POLLIN, 0});
        fds.push_back({listener_.get(), POLLIN, 0});
        for (const auto& fd : held) fds.push_back({fd.get(), POLLIN, 0});
        if (poll_retry(fds.data(), fds.size(), std::chrono::hours(1)) < 0 || fds[0].revents != 0) break;

        // Held connections the client closed are closed too; what they sent is discarded.
        for (std::size_t i = held.size(); i-- > 0;) {
            if (fds[2 + i].revents == 0) continue;
            unsigned char buf[4096];
            const ssize_t n = ::recv(held[i].get(), buf, sizeof buf, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                held.erase(held.begin() + static_cast<std::ptrdiff_t>(i));
        }
        if (fds[1].revents == 0) continue;
        Fd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!client) continue;
        ++accepted_;
        if (!behaviour_) {
            held.push_back(std::move(client));
            continue;
        }
        auto connection = std::make_shared<Connection>(std::move(client), stop_);
        handlers_.emplace_back([this, connection] {
            try {
                behaviour_(*connection);
            } catch (...) {
                // A peer that throws just drops its connection: the client sees it go away.
            }
        });
    }
    for (auto& t : handlers_) t.join();
}

FullBacklogListener::FullBacklogListener(int fillers) {
    listener_ = listen_on_loopback(0, port_);
    for (int i = 0; i < fillers; ++i) fillers_.push_back(start_connect(port_));
    // Let the first filler's handshake complete and take the one queue slot (Linux admits
    // backlog + 1 connections).
    pollfd fd{fillers_.front().get(), POLLOUT, 0};
    poll_retry(&fd, 1, milliseconds(500));
}

bool FullBacklogListener::connect_hangs(milliseconds wait) const {
    Fd probe = start_connect(port_);
    pollfd fd{probe.get(), POLLOUT, 0};
    return poll_retry(&fd, 1, wait) == 0;
}

// ---- Behaviours ----------------------------------------------------------------------------
namespace behaviour {
namespace {

// The GnuTLS transport of a server session: the connection, and optionally a cut after the
// first record.
struct Transport {
    Connection* conn = nullptr;
    gnutls_session_t session = nullptr;
    bool cut_after_first_record = false;
    std::vector<unsigned char> pending;  // bytes of the first record not yet written
    bool cut = false;
    std::shared_ptr<std::atomic<bool>> passed_server_hello;
    // When set, the Certificate message of the clear-text flight is replaced by these.
    const std::vector<std::vector<unsigned char>>* splice = nullptr;
    std::vector<unsigned char> records;    // bytes written by GnuTLS, not yet whole records
    std::vector<unsigned char> handshake;  // clear-text handshake bytes, not yet whole messages
    bool encrypted = false;                // ChangeCipherSpec passed: the rest goes as it is

    static ssize_t push(gnutls_transport_ptr_t p, const void* data, std::size_t size) {
        auto* t = static_cast<Transport*>(p);
        if (t->splice) return t->push_spliced(data, size);
        if (t->cut) return t->fail(EPIPE);
        if (!t->cut_after_first_record) {
            if (!t->conn->write_all(data, size)) return t->fail(EPIPE);
            return static_cast<ssize_t>(size);
        }
        const auto* bytes = static_cast<const unsigned char*>(data);
        t->pending.insert(t->pending.end(), bytes, bytes + size);
        if (t->pending.size() < 5) return static_cast<ssize_t>(size);
        const std::size_t end = 5 + (std::size_t{t->pending[3]} << 8 | t->pending[4]);
        if (t->pending.size() < end) return static_cast<ssize_t>(size);
        // The first record is complete: pass exactly it on, then the transport is dead.
        if (t->passed_server_hello && t->pending[0] == 0x16 && end > 5 && t->pending[5] == 0x02)
            *t->passed_server_hello = true;  // handshake record, ServerHello message
        t->conn->write_all(t->pending.data(), end);
        t->cut = true;
        return t->fail(EPIPE);
    }
    static ssize_t pull(gnutls_transport_ptr_t p, void* data, std::size_t size) {
        auto* t = static_cast<Transport*>(p);
        const long n = t->conn->read_some(data, size, std::chrono::seconds(30));
        return n >= 0 ? n : t->fail(ECONNRESET);
    }
    static int pull_timeout(gnutls_transport_ptr_t p, unsigned ms) {
        auto* t = static_cast<Transport*>(p);
        const milliseconds wait = ms == GNUTLS_INDEFINITE_TIMEOUT ? milliseconds(30'000) : milliseconds(ms);
        const int r = t->conn->wait_readable(wait);
        return r >= 0 ? r : static_cast<int>(t->fail(ECONNRESET));
    }
    ssize_t fail(int err) {
        gnutls_transport_set_errno(session, err);
        return -1;
    }
    ssize_t push_spliced(const void* data, std::size_t size);
};

void append_u24(std::vector<unsigned char>& out, std::size_t n) {
    const unsigned char bytes[3] = {static_cast<unsigned char>(n >> 16), static_cast<unsigned char>(n >> 8),
                                    static_cast<unsigned char>(n)};
    out.insert(out.end(), bytes, bytes + 3);
}

std::vector<unsigned char> handshake_message(unsigned char type, const std::vector<unsigned char>& body) {
    // Sized up front: GCC 12 warns falsely (-Wstringop-overread) on growing a one-byte vector.
    std::vector<unsigned char> message(4 + body.size());
    message[0] = type;
    message[1] = static_cast<unsigned char>(body.size() >> 16);
    message[2] = static_cast<unsigned char>(body.size() >> 8);
    message[3] = static_cast<unsigned char>(body.size());
    std::copy(body.begin(), body.end(), message.begin() + 4);
    return message;
}

// `payload` as TLS 1.2 handshake records of at most 2^14 bytes each (RFC 5246 6.2.1).
bool write_records(Connection& conn, const std::vector<unsigned char>& payload) {
    constexpr std::size_t max_fragment = 16 * 1024;
    for (std::size_t at = 0; at < payload.size(); at += max_fragment) {
        const std::size_t n = std::min(max_fragment, payload.size() - at);
        const unsigned char header[] = {0x16, 0x03, 0x03, static_cast<unsigned char>(n >> 8),
                                        static_cast<unsigned char>(n & 0xff)};
        if (!conn.write_all(header, sizeof header) || !conn.write_all(payload.data() + at, n)) return false;
    }
    return true;
}

// The first TLS 1.2 cipher suite of a ClientHello record: TLS 1.3 suites (0x13xx) and the
// signalling values (0x00ff, 0x5600) skipped. Empty when the record is not a ClientHello.
std::optional<std::uint16_t> first_tls12_suite(const std::vector<unsigned char>& record) {
    // record header 5, handshake header 4 (type 1), client_version 2, random 32, session id
    std::size_t at = 5;
    if (record.size() < at + 4 + 2 + 32 + 1 || record[at] != 0x01) return std::nullopt;
    at += 4 + 2 + 32;
    at += 1 + record[at];
    if (record.size() < at + 2) return std::nullopt;
    const std::size_t suites = std::size_t{record[at]} << 8 | record[at + 1];
    at += 2;
    for (std::size_t i = at; i + 1 < at + suites && i + 1 < record.size(); i += 2) {
        const std::uint16_t suite = static_cast<std::uint16_t>(record[i] << 8 | record[i + 1]);
        if ((suite >> 8) != 0x13 && suite != 0x00ff && suite != 0x5600) return suite;
    }
    return std::nullopt;
}

std::vector<unsigned char> certificate_message(const std::vector<std::vector<unsigned char>>& chain) {
    std::vector<unsigned char> list;
    for (const auto& der : chain) {
        append_u24(list, der.size());
        list.insert(list.end(), der.begin(), der.end());
    }
    std::vector<unsigned char> body;
    append_u24(body, list.size());
    body.insert(body.end(), list.begin(), list.end());
    return handshake_message(0x0b, body);
}

// Passes whole records on; clear-text handshake records are cut into their messages, each
// sent as a record of its own, the Certificate message replaced (TLS 1.2, RFC 5246 7.4.2).
ssize_t Transport::push_spliced(const void* data, std::size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    records.insert(records.end(), bytes, bytes + size);
    while (records.size() >= 5) {
        const std::size_t end = 5 + (std::size_t{records[3]} << 8 | records[4]);
        if (records.size() < end) break;
        const unsigned char type = records[0];
        bool ok = true;
        if (type == 0x16 && !encrypted) {
            handshake.insert(handshake.end(), records.begin() + 5, records.begin() + static_cast<std::ptrdiff_t>(end));
            while (ok && handshake.size() >= 4) {
                const std::size_t message_end = 4 + (std::size_t{handshake[1]} << 16 | std::size_t{handshake[2]} << 8 |
                                                     handshake[3]);
                if (handshake.size() < message_end) break;
                std::vector<unsigned char> message(handshake.begin(),
                                                   handshake.begin() + static_cast<std::ptrdiff_t>(message_end));
                handshake.erase(handshake.begin(), handshake.begin() + static_cast<std::ptrdiff_t>(message_end));
                if (message[0] == 0x0b) message = certificate_message(*splice);
                ok = write_records(*conn, message);
            }
        } else {
            if (type == 0x14) encrypted = true;
            ok = conn->write_all(records.data(), end);
        }
        records.erase(records.begin(), records.begin() + static_cast<std::ptrdiff_t>(end));
        if (!ok) return fail(EPIPE);
    }
    return static_cast<ssize_t>(size);
}

struct SessionDeleter {
    void operator()(gnutls_session_t s) const { gnutls_deinit(s); }
};

// Runs a server handshake over `transport`; returns GnuTLS's final result. With `alert`, a
// failed handshake ends with the alert GnuTLS finds fitting (handshake_failure when no suite
// is shared), as real servers do.
int server_handshake(const ServerCredentials& credentials, Transport& transport, const char* priority = nullptr,
                     bool alert = false, gnutls_certificate_request_t client_cert = GNUTLS_CERT_IGNORE,
                     gnutls_certificate_verify_function* verify = nullptr,
                     const std::function<void(gnutls_session_t)>& after = {},
                     const std::function<void(gnutls_session_t)>& before = {}) {
    gnutls_session_t raw;
    check(gnutls_init(&raw, GNUTLS_SERVER), "gnutls_init server");
    std::unique_ptr<std::remove_pointer_t<gnutls_session_t>, SessionDeleter> session(raw);
    transport.session = raw;
    gnutls_session_set_ptr(raw, const_cast<ServerCredentials*>(&credentials));
    if (priority)
        check(gnutls_priority_set_direct(raw, priority, nullptr), "priority_set_direct");
    else
        check(gnutls_set_default_priority(raw), "set_default_priority");
    check(gnutls_credentials_set(raw, GNUTLS_CRD_CERTIFICATE, credentials.get()), "credentials_set");
    gnutls_certificate_server_set_request(raw, client_cert);
    if (verify) gnutls_session_set_verify_function(raw, verify);
    gnutls_transport_set_ptr(raw, &transport);
    gnutls_transport_set_push_function(raw, &Transport::push);
    gnutls_transport_set_pull_function(raw, &Transport::pull);
    gnutls_transport_set_pull_timeout_function(raw, &Transport::pull_timeout);
    gnutls_handshake_set_timeout(raw, 0);  // the stop signal ends every wait instead
    // GnuTLS caps the handshake (its transcript) at 128 KiB on both sides by default; this
    // server must be able to send more, so that the client's own limit is what is tested.
    gnutls_handshake_set_max_packet_length(raw, 0);
    if (before) before(raw);
    int r;
    do {
        r = gnutls_handshake(raw);
    } while (r < 0 && !gnutls_error_is_fatal(r) && !transport.conn->stopping());
    if (r < 0 && alert) gnutls_alert_send_appropriate(raw, r);
    if (r == GNUTLS_E_SUCCESS && after) after(raw);
    return r;
}

}  // namespace

Behaviour slow_drip(std::string bytes, milliseconds period) {
    return [bytes = std::move(bytes), period](Connection& conn) {
        if (bytes.empty()) return conn.hold();
        for (std::size_t i = 0;; i = (i + 1) % bytes.size()) {
            if (!conn.write_all(&bytes[i], 1)) return;
            // Wait out the period, discarding what the client sends; its close ends the drip.
            const auto until = Clock::now() + period;
            for (auto left = period; left.count() > 0;
                 left = std::chrono::duration_cast<milliseconds>(until - Clock::now())) {
                const int r = conn.wait_readable(left);
                if (r < 0) return;
                if (r == 0) break;
                unsigned char buf[4096];
                if (conn.read_some(buf, sizeof buf, milliseconds(0)) <= 0) return;
            }
        }
    };
}

Behaviour answer_and_hold(std::vector<unsigned char> bytes) {
    return [bytes = std::move(bytes)](Connection& conn) {
        if (!conn.read_record()) return;
        if (!conn.write_all(bytes.data(), bytes.size())) return;
        conn.hold();
    };
}

Behaviour answer_and_close(std::vector<unsigned char> bytes) {
    return [bytes = std::move(bytes)](Connection& conn) {
        if (!conn.read_record()) return;
        conn.write_all(bytes.data(), bytes.size());
        conn.close();
    };
}

Behaviour reset_at_once() {
    return [](Connection& conn) { conn.reset(); };
}

Behaviour close_after_client_hello() {
    return [](Connection& conn) {
        if (conn.read_record()) conn.close();
    };
}

Behaviour hold() {
    return [](Connection& conn) { conn.hold(); };
}

Behaviour by_connection(std::vector<Behaviour> behaviours) {
    if (behaviours.empty()) throw std::invalid_argument("by_connection: no behaviour");
    auto next = std::make_shared<std::atomic<std::size_t>>(0);
    return [behaviours = std::move(behaviours), next](Connection& conn) {
        const std::size_t n = next->fetch_add(1);
        behaviours[std::min(n, behaviours.size() - 1)](conn);
    };
}

Behaviour endless_http() {
    return [](Connection& conn) {
        if (!conn.read_record()) return;
        static constexpr char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n";
        if (!conn.write_all(head, sizeof head - 1)) return;
        const std::string body(16 * 1024, 'x');
        while (conn.write_all(body.data(), body.size())) {
        }
    };
}

Behaviour tls_server(std::shared_ptr<const ServerCredentials> credentials) {
    return [credentials](Connection& conn) {
        Transport transport;
        transport.conn = &conn;
        if (server_handshake(*credentials, transport) == GNUTLS_E_SUCCESS) conn.hold();
    };
}

Behaviour tls_server_with_priority(std::shared_ptr<const ServerCredentials> credentials, std::string priority) {
    return [credentials, priority = std::move(priority)](Connection& conn) {
        Transport transport;
        transport.conn = &conn;
        if (server_handshake(*credentials, transport, priority.c_str(), true) == GNUTLS_E_SUCCESS) conn.hold();
    };
}

Behaviour tls_server_requiring_client_cert(std::shared_ptr<const ServerCredentials> credentials, std::string priority) {
    return [credentials, priority = std::move(priority)](Connection& conn) {
        Transport transport;
        transport.conn = &conn;
        if (server_handshake(*credentials, transport, priority.c_str(), true, GNUTLS_CERT_REQUIRE) == GNUTLS_E_SUCCESS)
            conn.hold();
    };
}

namespace {
// The credentials tls_server_by_sni switches to when the ClientHello has no SNI: each
// connection runs on a thread of its own, and GnuTLS calls the post-client-hello callback on
// the thread running the handshake.
thread_local const ServerCredentials* sni_absent_credentials = nullptr;
}  // namespace

Behaviour tls_server_by_sni(std::shared_ptr<const ServerCredentials> named,
                            std::shared_ptr<const ServerCredentials> without_sni) {
    return [named, without_sni](Connection& conn) {
        Transport transport;
        transport.conn = &conn;
        sni_absent_credentials = without_sni.get();
        static const gnutls_handshake_post_client_hello_func choose = [](gnutls_session_t session) {
            char name[256];
            std::size_t size = sizeof name;
            unsigned type = 0;
            if (gnutls_server_name_get(session, name, &size, &type, 0) == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
                return gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, sni_absent_credentials->get());
            return 0;
        };
        const auto install = [](gnutls_session_t session) {
            gnutls_handshake_set_post_client_hello_function(session, choose);
        };
        if (server_handshake(*named, transport, nullptr, true, GNUTLS_CERT_IGNORE, nullptr, {}, install) ==
            GNUTLS_E_SUCCESS)
            conn.hold();
    };
}

Behaviour tls_server_judging_client_cert(std::shared_ptr<const ServerCredentials> credentials, std::string priority,
                                         bool accept) {
    return [credentials, priority = std::move(priority), accept](Connection& conn) {
        Transport transport;
        transport.conn = &conn;
        // The refusal: GnuTLS ends the handshake with bad_certificate (at TLS 1.3 after the
        // client's Finished, so the client reads it after its own handshake completed).
        static gnutls_certificate_verify_function* const refuse = [](gnutls_session_t) { return -1; };
        const auto answer = [](gnutls_session_t session) {
            std::string request;
            char buf[1024];
            while (request.find("\r\n\r\n") == std::string::npos) {
                const ssize_t n = gnutls_record_recv(session, buf, sizeof buf);
                if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) continue;
                if (n <= 0) return;
                request.append(buf, static_cast<std::size_t>(n));
            }
            static constexpr char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
            gnutls_record_send(session, ok, sizeof ok - 1);
            gnutls_bye(session, GNUTLS_SHUT_WR);
        };
        server_handshake(*credentials, transport, priority.c_str(), true, GNUTLS_CERT_REQUIRE, accept ? nullptr : refuse,
                         answer);
        conn.hold();
    };
}

Behaviour spliced_certificate(std::shared_ptr<const ServerCredentials> credentials,
                              std::vector<std::vector<unsigned char>> presented) {
    return [credentials, presented = std::move(presented)](Connection& conn) {
        Transport transport;
        transport.conn = &conn;
        transport.splice = &presented;
        if (server_handshake(*credentials, transport, "NORMAL:-VERS-ALL:+VERS-TLS1.2", true) == GNUTLS_E_SUCCESS)
            conn.hold();
    };
}

Behaviour oversized_certificate(std::vector<unsigned char> certificate_der, std::size_t message_bytes,
                                std::shared_ptr<std::atomic<std::size_t>> sent) {
    // Certificate: the DER repeated until the message holds at least message_bytes. Built here,
    // once, before any scan's clock starts.
    std::vector<unsigned char> list;
    while (list.size() + 7 < message_bytes) {
        append_u24(list, certificate_der.size());
        list.insert(list.end(), certificate_der.begin(), certificate_der.end());
    }
    std::vector<unsigned char> body;
    append_u24(body, list.size());
    body.insert(body.end(), list.begin(), list.end());
    auto certificate = std::make_shared<const std::vector<unsigned char>>(handshake_message(0x0b, body));
    return [certificate, sent](Connection& conn) {
        std::vector<unsigned char> client_hello;
        if (!conn.read_record(&client_hello)) return;
        const auto suite = first_tls12_suite(client_hello);
        if (!suite) return;

        // ServerHello: TLS 1.2, random, no session id, the suite, no compression, and an empty
        // renegotiation_info extension (RFC 5746) so that no client balks at its absence.
        std::vector<unsigned char> hello{0x03, 0x03};
        const auto random = pseudo_random_bytes(32, 0x5e77e7);  // never the RFC 8446 downgrade sentinel
        hello.insert(hello.end(), random.begin(), random.end());
        hello.push_back(0x00);
        hello.push_back(static_cast<unsigned char>(*suite >> 8));
        hello.push_back(static_cast<unsigned char>(*suite & 0xff));
        hello.push_back(0x00);
        for (unsigned char b : {0x00, 0x05, 0xff, 0x01, 0x00, 0x01, 0x00}) hello.push_back(b);
        if (!write_records(conn, handshake_message(0x02, hello))) return;

        if (!write_records(conn, *certificate)) return;
        if (sent) *sent = certificate->size();
        conn.hold();
    };
}

Behaviour tls_reset_after_server_hello(std::shared_ptr<const ServerCredentials> credentials,
                                       std::shared_ptr<std::atomic<bool>> passed_server_hello) {
    return [credentials, passed_server_hello](Connection& conn) {
        Transport transport;
        transport.conn = &conn;
        transport.cut_after_first_record = true;
        transport.passed_server_hello = passed_server_hello;
        server_handshake(*credentials, transport);
        // Let the client read the ServerHello before the RST arrives.
        if (conn.sleep(milliseconds(100))) conn.reset();
    };
}

}  // namespace behaviour

std::vector<unsigned char> pseudo_random_bytes(std::size_t n, std::uint32_t seed) {
    std::mt19937 engine(seed);
    std::vector<unsigned char> bytes(n);
    for (auto& b : bytes) b = static_cast<unsigned char>(engine() & 0xff);
    return bytes;
}

std::shared_ptr<const ServerCredentials> credentials(const Identity& id) {
    return std::make_shared<const ServerCredentials>(id);
}

Origin origin_at(const std::string& name, std::uint16_t port) {
    const std::string spec = name + ":" + std::to_string(port) + "@127.0.0.1";
    auto parsed = parse_origin_spec(spec);
    if (const auto* error = std::get_if<std::string>(&parsed)) throw std::runtime_error(spec + ": " + *error);
    return std::get<Origin>(parsed);
}

}  // namespace originscan::hostile
