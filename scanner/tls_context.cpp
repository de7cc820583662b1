#include "scanner/tls_context.hpp"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "scanner/der.hpp"
#include "scanner/scanner.hpp"

namespace originscan::scanner {
namespace {

// What the edge offers origins: Cloudflare's documented origin-facing suites, versions and
// groups, kept as the exact table in rules/edge_profile.cpp (cloudflare_offer). GnuTLS
// priority strings combine key exchange x cipher x MAC instead of naming suites, so this
// offers the table's 13 suites plus these it cannot leave out (tests/integration/
// test_edge_verdict.cpp lists them, against GnuTLS's own account of this string):
// ECDHE-{ECDSA,RSA}-CHACHA20-POLY1305 at TLS 1.2 (CHACHA20 is needed for TLS 1.3),
// ECDHE-ECDSA-AES{128,256}-SHA, ECDHE-RSA-AES256-SHA, ECDHE-ECDSA-AES256-SHA384,
// AES256-GCM-SHA384, ECDHE-{ECDSA,RSA}-DES-CBC3-SHA, and DES-CBC3-SHA above TLS 1.0. GnuTLS
// also orders them by key exchange first, not in Cloudflare's order. Where an origin picks
// one of the extras, or 3DES above TLS 1.0, the verdict follows the table (rules/classify.cpp:
// unreachable, no-shared-cipher), never strict. No DHE, RC4 or NULL; no SHA-256 CBC suites.
// TLS 1.0/1.1 are offered: an origin that only speaks them is classed with legacy-protocol.
constexpr const char* edge_priority =
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0:"
    "-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:+RSA:"
    "-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CBC:+AES-256-CBC:+3DES-CBC:"
    "-MAC-ALL:+AEAD:+SHA1:+SHA384:"
    "-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1";

// Only when the edge's offer is refused: a broad offer, to say what the origin does speak.
// No FFDHE groups, so that a DHE server sends its own parameters (RFC 7919 lets it refuse DHE
// to a client that lists only groups it lacks) and a weak prime can be named.
constexpr const char* broad_offer_priority = "NORMAL:-GROUP-DH-ALL:+VERS-TLS1.1:+VERS-TLS1.0:+3DES-CBC";

constexpr std::size_t max_ca_file_bytes = 64u << 20;

std::string read_ca_file(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        throw TrustError("--ca-file " + path + ": " + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw TrustError("--ca-file " + path + ": is a directory");
    if (static_cast<std::size_t>(st.st_size) > max_ca_file_bytes)
        throw TrustError("--ca-file " + path + ": larger than 64 MiB");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw TrustError("--ca-file " + path + ": " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw TrustError("--ca-file " + path + ": read error");
    return text.str();
}

std::string hex(const unsigned char* data, std::size_t size) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(size * 2, '0');
    for (std::size_t i = 0; i < size; ++i) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    return out;
}

std::string base64(const unsigned char* data, std::size_t size) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((size + 2) / 3 * 4);
    for (std::size_t i = 0; i < size; i += 3) {
        unsigned v = data[i] << 16;
        if (i + 1 < size) v |= data[i + 1] << 8;
        if (i + 2 < size) v |= data[i + 2];
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += i + 1 < size ? alphabet[(v >> 6) & 63] : '=';
        out += i + 2 < size ? alphabet[v & 63] : '=';
    }
    return out;
}

bool same_datum(const gnutls_datum_t& a, const gnutls_datum_t& b) {
    return a.size == b.size && (a.size == 0 || std::memcmp(a.data, b.data, a.size) == 0);
}

// subjectAltName entries, read once (GnuTLS's per-index getter re-parses the extension on
// every call, quadratic for the certificates with thousands of names that hostile origins send).
constexpr std::size_t max_recorded_names = 1000;

void read_alt_names(gnutls_x509_crt_t crt, CertFacts& facts) {
    GnutlsDatum ext;
    // 2.5.29.17: subjectAltName
    for (unsigned i = 0;; ++i) {
        char oid[128];
        std::size_t oid_size = sizeof oid;
        int r = gnutls_x509_crt_get_extension_oid(crt, i, oid, &oid_size);
        if (r < 0) return;
        if (std::strcmp(oid, "2.5.29.17") == 0) {
            if (gnutls_x509_crt_get_extension_data2(crt, i, &ext.d) < 0) return;
            break;
        }
    }
    gnutls_subject_alt_names_t names;
    if (gnutls_subject_alt_names_init(&names) < 0) return;
    if (gnutls_x509_ext_import_subject_alt_names(&ext.d, names, 0) >= 0) {
        for (unsigned i = 0; facts.dns_names.size() + facts.ip_addresses.size() < max_recorded_names;
             ++i) {
            unsigned type = 0;
            gnutls_datum_t san{}, othername{};
            if (gnutls_subject_alt_names_get(names, i, &type, &san, &othername) < 0) break;
            if (type == GNUTLS_SAN_DNSNAME) {
                facts.dns_names.emplace_back(reinterpret_cast<char*>(san.data), san.size);
            } else if (type == GNUTLS_SAN_IPADDRESS && (san.size == 4 || san.size == 16)) {
                char text[INET6_ADDRSTRLEN];
                if (inet_ntop(san.size == 4 ? AF_INET : AF_INET6, san.data, text, sizeof text))
                    facts.ip_addresses.emplace_back(text);
            }
        }
    }
    gnutls_subject_alt_names_deinit(names);
}

// The path GnuTLS verifies along, rebuilt to learn which certificates' dates count (GnuTLS's
// time checks are off: its clock is process-global and rules/ judges time). As
// gnutls_x509_trust_list_verify_crt2 does in 3.7 (lib/x509/verify-high.c: _gnutls_sort_clist,
// then shorten_clist and the same-name-and-key cut in _gnutls_verify_crt_status): from the
// leaf, follow issuers among the presented certificates, and stop at the first certificate
// whose issuer is in the trust list; that trusted certificate is the anchor. A presented copy
// of the anchor, or a cross-certificate of it (same name and key, signed by an older root, the
// AddTrust 2020 / DST Root CA X3 2021 case), is then not on the path.
void find_path(gnutls_x509_trust_list_t trust, const std::vector<gnutls_x509_crt_t>& certs, TrustFacts& facts) {
    std::vector<bool> used(certs.size(), false);
    std::size_t at = 0;
    for (;;) {
        facts.path.push_back(at);
        used[at] = true;
        gnutls_x509_crt_t issuer = nullptr;
        // GET_COPY: the only thread-safe way with PKCS#11-backed system trust (GnuTLS docs).
        if (gnutls_x509_trust_list_get_issuer(trust, certs[at], &issuer, GNUTLS_TL_GET_COPY) >= 0 && issuer) {
            CrtPtr owned(issuer);
            facts.anchor = cert_facts(issuer);
            return;
        }
        if (gnutls_x509_crt_check_issuer(certs[at], certs[at])) return;  // a root nobody trusts
        std::size_t next = certs.size();
        for (std::size_t j = 0; j < certs.size() && next == certs.size(); ++j)
            if (!used[j] && gnutls_x509_crt_check_issuer(certs[at], certs[j])) next = j;
        if (next == certs.size()) return;  // the issuer was not presented
        at = next;
    }
}

}  // namespace

TlsContext::TlsContext(const std::vector<std::string>& ca_files, bool system_trust) {
    gnutls_certificate_credentials_t creds;
    check_gnutls(gnutls_certificate_allocate_credentials(&creds), "credentials");
    creds_.reset(creds);

    gnutls_priority_t prio;
    check_gnutls(gnutls_priority_init2(&prio, edge_priority, nullptr, 0), "priority");
    priority_.reset(prio);
    check_gnutls(gnutls_priority_init2(&prio, broad_offer_priority, nullptr, 0), "broad priority");
    broad_priority_.reset(prio);

    gnutls_x509_trust_list_t trust;
    check_gnutls(gnutls_x509_trust_list_init(&trust, 0), "trust list");
    trust_.reset(trust);

    int anchors = 0;
    if (system_trust) {
        int n = gnutls_x509_trust_list_add_system_trust(trust, 0, 0);
        if (n > 0) anchors += n;
    }
    for (const auto& path : ca_files) {
        const std::string text = read_ca_file(path);
        gnutls_datum_t pem{reinterpret_cast<unsigned char*>(const_cast<char*>(text.data())),
                           static_cast<unsigned>(text.size())};
        int n = gnutls_x509_trust_list_add_trust_mem(trust, &pem, nullptr, GNUTLS_X509_FMT_PEM, 0, 0);
        if (n < 0) throw TrustError("--ca-file " + path + ": " + gnutls_strerror(n));
        if (n == 0) throw TrustError("--ca-file " + path + ": no PEM certificate in it");
        anchors += n;
    }
    if (anchors == 0)
        throw TrustError(system_trust ? "no trust anchors: the system trust store is empty; give --ca-file"
                                      : "no trust anchors: --no-system-trust needs --ca-file");
}

TrustFacts TlsContext::verify(const std::vector<CrtPtr>& chain) const {
    TrustFacts facts;
    std::vector<gnutls_x509_crt_t> certs;
    certs.reserve(chain.size());
    for (const auto& c : chain) certs.push_back(c.get());
    for (std::size_t i = 0; i + 1 < certs.size(); ++i)
        if (!gnutls_x509_crt_check_issuer(certs[i], certs[i + 1])) facts.chain_in_order = false;

    gnutls_typed_vdata_st purpose{GNUTLS_DT_KEY_PURPOSE_OID,
                                  reinterpret_cast<unsigned char*>(const_cast<char*>(GNUTLS_KP_TLS_WWW_SERVER)),
                                  0};
    // Time is judged in rules/ against the scan time or --now, so GnuTLS must not.
    const unsigned flags = GNUTLS_VERIFY_DISABLE_TIME_CHECKS | GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
                           GNUTLS_PROFILE_TO_VFLAGS(GNUTLS_PROFILE_MEDIUM);
    unsigned status = 0;
    int r = gnutls_x509_trust_list_verify_crt2(trust_.get(), certs.data(), certs.size(), &purpose, 1,
                                               flags, &status, nullptr);
    if (r < 0) status = GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNATURE_FAILURE;
    facts.trusted = status == 0;
    facts.signer_not_found = status & GNUTLS_CERT_SIGNER_NOT_FOUND;
    facts.signer_not_ca = status & (GNUTLS_CERT_SIGNER_NOT_CA | GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE);
    facts.insecure_algorithm = status & GNUTLS_CERT_INSECURE_ALGORITHM;
    facts.purpose_mismatch = status & GNUTLS_CERT_PURPOSE_MISMATCH;
    facts.revoked = status & GNUTLS_CERT_REVOKED;
    facts.invalid_signature = status & GNUTLS_CERT_SIGNATURE_FAILURE;
    if (!facts.trusted && !facts.signer_not_found && !facts.signer_not_ca && !facts.insecure_algorithm &&
        !facts.purpose_mismatch && !facts.revoked)
        facts.invalid_signature = true;  // some other defect: never let an untrusted chain pass silently
    if (!certs.empty()) find_path(trust_.get(), certs, facts);
    return facts;
}

CertFacts cert_facts(gnutls_x509_crt_t crt) {
    GnutlsDatum der;
    if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der.d) < 0) return cert_facts(crt, gnutls_datum_t{});
    return cert_facts(crt, der.d);
}

CertFacts cert_facts(gnutls_x509_crt_t crt, const gnutls_datum_t& der) {
    CertFacts f;
    {
        GnutlsDatum dn;
        if (gnutls_x509_crt_get_dn3(crt, &dn.d, 0) >= 0) f.subject = dn.str();
    }
    {
        GnutlsDatum dn;
        if (gnutls_x509_crt_get_issuer_dn3(crt, &dn.d, 0) >= 0) f.issuer = dn.str();
    }
    read_alt_names(crt, f);
    f.not_before = gnutls_x509_crt_get_activation_time(crt);
    f.not_after = gnutls_x509_crt_get_expiration_time(crt);

    // Both hashes over the bytes as the origin sent them: cheaper than GnuTLS re-encoding the
    // certificate or the key, and exactly what the fingerprint and the pin are defined over.
    std::array<unsigned char, 32> digest{};
    if (der.size > 0 && gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, digest.data()) >= 0)
        f.sha256_fingerprint = hex(digest.data(), digest.size());
    if (const auto spki = find_spki({der.data, der.size})) {
        if (gnutls_hash_fast(GNUTLS_DIG_SHA256, spki->data(), spki->size(), digest.data()) >= 0)
            f.spki_sha256 = base64(digest.data(), digest.size());
    }

    int sign = gnutls_x509_crt_get_signature_algorithm(crt);
    if (const char* name = sign >= 0 ? gnutls_sign_get_name(static_cast<gnutls_sign_algorithm_t>(sign)) : nullptr)
        f.signature_algorithm = name;
    unsigned bits = 0;
    int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
    if (const char* name = pk >= 0 ? gnutls_pk_get_name(static_cast<gnutls_pk_algorithm_t>(pk)) : nullptr)
        f.public_key = std::string(name) + "-" + std::to_string(bits);

    unsigned critical = 0, ca = 0;
    int pathlen = 0;
    f.is_ca = gnutls_x509_crt_get_basic_constraints(crt, &critical, &ca, &pathlen) >= 0 && ca;

    GnutlsDatum subject, issuer;
    if (gnutls_x509_crt_get_raw_dn(crt, &subject.d) >= 0 && gnutls_x509_crt_get_raw_issuer_dn(crt, &issuer.d) >= 0)
        f.self_issued = same_datum(subject.d, issuer.d);
    // Self-issued and, where key identifiers are present, signed by its own key.
    f.self_signed = f.self_issued;
    if (f.self_issued) {
        std::array<unsigned char, 64> ski{}, aki{};
        std::size_t ski_size = ski.size(), aki_size = aki.size();
        unsigned crit = 0;
        if (gnutls_x509_crt_get_subject_key_id(crt, ski.data(), &ski_size, &crit) >= 0 &&
            gnutls_x509_crt_get_authority_key_id(crt, aki.data(), &aki_size, &crit) >= 0)
            f.self_signed = ski_size == aki_size && std::memcmp(ski.data(), aki.data(), ski_size) == 0;
    }
    return f;
}

bool leaf_matches_name(gnutls_x509_crt_t leaf, const std::string& name, bool name_is_ip) {
    if (name_is_ip) {
        unsigned char addr[16];
        if (inet_pton(AF_INET, name.c_str(), addr) == 1) return gnutls_x509_crt_check_ip(leaf, addr, 4, 0);
        if (inet_pton(AF_INET6, name.c_str(), addr) == 1) return gnutls_x509_crt_check_ip(leaf, addr, 16, 0);
        return false;
    }
    return gnutls_x509_crt_check_hostname2(leaf, name.c_str(), 0);
}

}  // namespace originscan::scanner
