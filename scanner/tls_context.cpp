#include "scanner/tls_context.hpp"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
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

// CloudFront's documented origin offer, rules/edges.cpp cloudfront_suites (TLS 1.0-1.2, no
// TLS 1.3; RC4-MD5 is in the table, hence ARCFOUR and MD5). GnuTLS's combinations add suites
// the table lacks: ECDHE-{ECDSA,RSA}-DES-CBC3-SHA, ECDHE-{ECDSA,RSA}-RC4-SHA, RC4-SHA,
// AES{128,256}-GCM-SHA{256,384} and AES{128,256}-SHA256 (RSA key exchange). An origin that
// picks one of them is judged by the table: no-shared-cipher, never https-only.
constexpr const char* cloudfront_priority =
    "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0:"
    "-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:+RSA:"
    "-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+AES-256-CBC:+AES-128-CBC:+3DES-CBC:+ARCFOUR-128:"
    "-MAC-ALL:+AEAD:+SHA384:+SHA256:+SHA1:+MD5:"
    "-GROUP-ALL:+GROUP-SECP256R1:+GROUP-SECP384R1:+GROUP-X25519";

// Only when the edge's offer is refused: a broad offer, to say what the origin does speak.
// No FFDHE groups, so that a DHE server sends its own parameters (RFC 7919 lets it refuse DHE
// to a client that lists only groups it lacks) and a weak prime can be named.
constexpr const char* broad_offer_priority = "NORMAL:-GROUP-DH-ALL:+VERS-TLS1.1:+VERS-TLS1.0:+3DES-CBC";

constexpr std::size_t max_pem_file_bytes = 64u << 20;

// A PEM file an option names; errors say "OPTION PATH: why".
std::string read_pem_file(const std::string& option, const std::string& path) {
    const std::string where = option + " " + path + ": ";
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw TrustError(where + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw TrustError(where + "is a directory");
    if (static_cast<std::size_t>(st.st_size) > max_pem_file_bytes) throw TrustError(where + "larger than 64 MiB");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw TrustError(where + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw TrustError(where + "read error");
    return text.str();
}

gnutls_datum_t datum_of(const std::string& text) {
    return {reinterpret_cast<unsigned char*>(const_cast<char*>(text.data())), static_cast<unsigned>(text.size())};
}

// Asked for a certificate (a CertificateRequest), the client presents the configured one
// whatever issuers the origin names, as an edge presents its Authenticated Origin Pulls
// certificate: an origin that then refuses it is told apart from one that was sent nothing.
// Without one configured, an empty Certificate. GnuTLS does not free what this hands out.
int present_client_identity(gnutls_session_t session, const gnutls_datum_t*, int, const gnutls_pk_algorithm_t*, int,
                            gnutls_pcert_st** chain, unsigned* length, gnutls_privkey_t* key) {
    auto* state = static_cast<SessionState*>(gnutls_session_get_ptr(session));
    *length = 0;
    if (state == nullptr || state->client == nullptr) return 0;
    *chain = const_cast<gnutls_pcert_st*>(state->client->chain.data());
    *length = static_cast<unsigned>(state->client->chain.size());
    *key = state->client->key.get();
    state->client_cert_presented = true;
    return 0;
}

// --client-cert (a PEM chain, leaf first) and --client-key (its PEM key), both or neither.
// `cert_what`, `key_what`: how the messages name them ("--client-cert", a rule's "client_cert").
void load_client_identity(ClientIdentity& identity, const std::string& cert_path, const std::string& key_path,
                          const std::string& cert_what = "--client-cert", const std::string& key_what = "--client-key") {
    if (cert_path.empty() != key_path.empty())
        throw TrustError(cert_path.empty() ? key_what + " needs " + cert_what : cert_what + " needs " + key_what);
    if (cert_path.empty()) return;
    const std::string cert_text = read_pem_file(cert_what, cert_path);
    const std::string key_text = read_pem_file(key_what, key_path);
    std::vector<gnutls_pcert_st> chain(16);
    unsigned count = static_cast<unsigned>(chain.size());
    const gnutls_datum_t cert_pem = datum_of(cert_text);
    if (int r = gnutls_pcert_list_import_x509_raw(chain.data(), &count, &cert_pem, GNUTLS_X509_FMT_PEM, 0); r < 0)
        throw TrustError(cert_what + " " + cert_path + ": " + gnutls_error_text(r));
    chain.resize(count);
    identity.chain = std::move(chain);
    if (identity.chain.empty()) throw TrustError(cert_what + " " + cert_path + ": no PEM certificate in it");
    gnutls_privkey_t key;
    check_gnutls(gnutls_privkey_init(&key), "private key");
    identity.key.reset(key);
    const gnutls_datum_t key_pem = datum_of(key_text);
    if (int r = gnutls_privkey_import_x509_raw(key, &key_pem, GNUTLS_X509_FMT_PEM, nullptr, 0); r < 0)
        throw TrustError(key_what + " " + key_path + ": " + gnutls_error_text(r));
    // The key must be the leaf's, or every origin would refuse the CertificateVerify.
    gnutls_pubkey_t leaf_key = identity.chain.front().pubkey;
    unsigned char probe[32] = {1};
    const gnutls_datum_t data{probe, sizeof probe};
    GnutlsDatum signature;
    const gnutls_sign_algorithm_t algorithm =
        gnutls_pk_to_sign(static_cast<gnutls_pk_algorithm_t>(gnutls_privkey_get_pk_algorithm(key, nullptr)), GNUTLS_DIG_SHA256);
    if (gnutls_privkey_sign_data2(key, algorithm, 0, &data, &signature.d) < 0 ||
        gnutls_pubkey_verify_data2(leaf_key, algorithm, 0, &data, &signature.d) < 0)
        throw TrustError(key_what + " " + key_path + ": not the key of the " + cert_what + " certificate");
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

// dNSName and iPAddress entries, up to max_recorded_names, from the extension's bytes as sent
// (one walk: GnuTLS's per-index getters re-parse the extension on every call).
void record_alt_names(const gnutls_datum_t& der, CertFacts& facts) {
    const auto extensions = find_extensions({der.data, der.size});
    if (!extensions || !extensions->subject_alt_name) return;
    const auto names = read_alt_names(*extensions->subject_alt_name, max_alt_names);
    if (!names) return;
    facts.san_count = names->count;
    constexpr unsigned dns_name = 2, ip_address = 7;  // GeneralName tags, RFC 5280 4.2.1.6
    for (const DerGeneralName& name : names->entries) {
        if (name.tag != dns_name && name.tag != ip_address) continue;
        if (facts.dns_names.size() + facts.ip_addresses.size() == max_recorded_names) {
            facts.names_truncated = true;
            break;
        }
        if (name.tag == dns_name) {
            facts.dns_names.emplace_back(reinterpret_cast<const char*>(name.value.data()), name.value.size());
        } else if (name.value.size() == 4 || name.value.size() == 16) {
            char text[INET6_ADDRSTRLEN];
            if (inet_ntop(name.value.size() == 4 ? AF_INET : AF_INET6, name.value.data(), text, sizeof text))
                facts.ip_addresses.emplace_back(text);
        }
    }
}

std::size_t uint24(const unsigned char* p) { return std::size_t{p[0]} << 16 | std::size_t{p[1]} << 8 | p[2]; }

// Why one certificate is refused; empty when it is within the limits.
std::string certificate_refusal(DerBytes der) {
    const auto extensions = find_extensions(der);
    if (!extensions) return "not a DER X.509 certificate";
    if (extensions->count > max_extensions)
        return std::to_string(extensions->count) + " extensions, more than the " + std::to_string(max_extensions) +
               " the scanner examines";
    if (extensions->longest_oid > max_oid_characters)
        return "an extension OID of " + std::to_string(extensions->longest_oid) +
               " characters, more than GnuTLS reads (" + std::to_string(max_oid_characters) + ")";
    if (extensions->subject_alt_name) {
        const auto names = read_alt_names(*extensions->subject_alt_name, 0);
        if (!names) return "a malformed subjectAltName";
        if (names->count > max_alt_names)
            return std::to_string(names->count) + " subjectAltName entries, more than the " +
                   std::to_string(max_alt_names) + " the scanner examines";
    }
    return {};
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

// Whether any anchor of the trust list has one of these fingerprints. Every anchor is
// visited: the iterator frees itself only once it has run to the end (GnuTLS manual,
// gnutls_x509_trust_list_iter_get_ca).
bool has_anchor_with(gnutls_x509_trust_list_t trust, const std::vector<std::string>& fingerprints) {
    if (fingerprints.empty()) return false;
    bool found = false;
    gnutls_x509_trust_list_iter_t iter = nullptr;
    gnutls_x509_crt_t crt = nullptr;
    while (gnutls_x509_trust_list_iter_get_ca(trust, &iter, &crt) == GNUTLS_E_SUCCESS) {
        CrtPtr owned(crt);
        GnutlsDatum der;
        std::array<unsigned char, 32> digest{};
        if (!found && gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der.d) >= 0 &&
            gnutls_hash_fast(GNUTLS_DIG_SHA256, der.d.data, der.d.size, digest.data()) >= 0)
            found = std::find(fingerprints.begin(), fingerprints.end(), hex(digest.data(), digest.size())) !=
                    fingerprints.end();
    }
    if (iter != nullptr) gnutls_x509_trust_list_iter_deinit(iter);  // ended by an error, not at the end
    return found;
}

}  // namespace

ClientIdentity::~ClientIdentity() {
    for (auto& cert : chain) gnutls_pcert_deinit(&cert);
}

TlsContext::TlsContext(const std::vector<std::string>& ca_files, bool system_trust,
                       const std::vector<std::string>& origin_ca_fingerprints, const std::string& client_cert,
                       const std::string& client_key,
                       const std::vector<std::pair<std::string, std::string>>& origin_client_identities) {
    gnutls_certificate_credentials_t creds;
    check_gnutls(gnutls_certificate_allocate_credentials(&creds), "credentials");
    creds_.reset(creds);
    load_client_identity(client_, client_cert, client_key);
    for (const auto& [cert, key] : origin_client_identities) {
        origin_clients_.push_back(std::make_unique<ClientIdentity>());
        load_client_identity(*origin_clients_.back(), cert, key, "rules client_cert", "rules client_key");
    }
    gnutls_certificate_set_retrieve_function2(creds, &present_client_identity);

    gnutls_priority_t prio;
    check_gnutls(gnutls_priority_init2(&prio, edge_priority, nullptr, 0), "priority");
    priority_.reset(prio);
    check_gnutls(gnutls_priority_init2(&prio, broad_offer_priority, nullptr, 0), "broad priority");
    broad_priority_.reset(prio);
    check_gnutls(gnutls_priority_init2(&prio, cloudfront_priority, nullptr, 0), "CloudFront priority");
    cloudfront_priority_.reset(prio);

    gnutls_x509_trust_list_t trust;
    check_gnutls(gnutls_x509_trust_list_init(&trust, 0), "trust list");
    trust_.reset(trust);

    int anchors = 0;
    if (system_trust) {
        int n = gnutls_x509_trust_list_add_system_trust(trust, 0, 0);
        if (n > 0) anchors += n;
    }
    for (const auto& path : ca_files) {
        const std::string text = read_pem_file("--ca-file", path);
        gnutls_datum_t pem{reinterpret_cast<unsigned char*>(const_cast<char*>(text.data())),
                           static_cast<unsigned>(text.size())};
        int n = gnutls_x509_trust_list_add_trust_mem(trust, &pem, nullptr, GNUTLS_X509_FMT_PEM, 0, 0);
        if (n < 0) throw TrustError("--ca-file " + path + ": " + gnutls_error_text(n));
        if (n == 0) throw TrustError("--ca-file " + path + ": no PEM certificate in it");
        anchors += n;
    }
    if (anchors == 0)
        throw TrustError(system_trust ? "no trust anchors: the system trust store is empty; give --ca-file"
                                      : "no trust anchors: --no-system-trust needs --ca-file");
    origin_ca_loaded_ = has_anchor_with(trust, origin_ca_fingerprints);
}

gnutls_priority_t TlsContext::offer_priority(std::string_view edge) const {
    return edge == "cloudfront" ? cloudfront_priority_.get() : nullptr;
}

TrustFacts TlsContext::verify(const std::vector<CrtPtr>& chain) const {
    TrustFacts facts;
    facts.origin_ca_loaded = origin_ca_loaded_;
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

std::string certificate_message_refusal(const unsigned char* message, std::size_t size, bool tls13) {
    // TLS 1.2: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>. TLS 1.3 puts a
    // certificate_request_context<0..255> first and extensions<0..2^16-1> after each entry.
    std::size_t pos = 0;
    if (tls13) {
        if (size < 1) return "a truncated Certificate message";
        pos = 1 + message[0];
    }
    if (pos + 3 > size || uint24(message + pos) != size - pos - 3) return "a malformed Certificate message";
    pos += 3;
    for (std::size_t index = 1; pos < size; ++index) {
        if (pos + 3 > size) return "a malformed Certificate message";
        const std::size_t length = uint24(message + pos);
        pos += 3;
        if (length > size - pos) return "a malformed Certificate message";
        const std::string why = certificate_refusal({message + pos, length});
        if (!why.empty()) return "certificate " + std::to_string(index) + ": " + why;
        pos += length;
        if (tls13) {
            if (pos + 2 > size) return "a malformed Certificate message";
            pos += 2 + (std::size_t{message[pos]} << 8 | message[pos + 1]);
            if (pos > size) return "a malformed Certificate message";
        }
    }
    return {};
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
    record_alt_names(der, f);
    // From the bytes: GnuTLS returns 0 for dates before 1970 (and cannot give them as time_t
    // everywhere); a certificate from 1960 must read as 1960, not as 1970.
    if (const auto validity = find_validity({der.data, der.size})) {
        f.not_before = validity->not_before;
        f.not_after = validity->not_after;
    } else {
        f.not_before = gnutls_x509_crt_get_activation_time(crt);
        f.not_after = gnutls_x509_crt_get_expiration_time(crt);
    }

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

namespace {

bool same_ignoring_case(DerBytes a, const std::string& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(a[i]) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    return true;
}

// Could GnuTLS's matcher find NAME (or the address `ip`) in this subjectAltName entry? True for
// an equal name, and for anything it might treat specially (a wildcard, non-ASCII bytes).
bool may_match(const DerGeneralName& entry, const std::string& name, DerBytes ip) {
    constexpr unsigned dns_name = 2, ip_address = 7;
    if (!ip.empty()) return entry.tag == ip_address && std::ranges::equal(entry.value, ip);
    if (entry.tag != dns_name) return false;
    return same_ignoring_case(entry.value, name) ||
           std::ranges::any_of(entry.value, [](std::uint8_t c) { return c == '*' || c >= 0x80; });
}

// GnuTLS's name checks fetch subjectAltName entries by index, re-reading (and copying) the
// whole extension for each: with thousands of names, seconds of CPU. Past this many entries
// the leaf's candidates are copied into a throwaway certificate that GnuTLS checks instead, so
// the matching rules stay GnuTLS's own.
constexpr std::size_t direct_check_names = 64;

// A stand-in certificate holding only the leaf's subjectAltName entries that may match;
// nullopt when the leaf is small enough to check directly (or cannot be read).
std::optional<CrtPtr> candidates_only(gnutls_x509_crt_t leaf, const std::string& name, DerBytes ip) {
    GnutlsDatum der;
    if (gnutls_x509_crt_export2(leaf, GNUTLS_X509_FMT_DER, &der.d) < 0) return std::nullopt;
    const auto extensions = find_extensions({der.d.data, der.d.size});
    if (!extensions || !extensions->subject_alt_name) return std::nullopt;
    const auto names = read_alt_names(*extensions->subject_alt_name, max_alt_names);
    if (!names || names->count <= direct_check_names) return std::nullopt;
    const auto spki = find_spki({der.d.data, der.d.size});
    if (!spki) return std::nullopt;
    bool any_dns_name = false;
    std::vector<DerBytes> candidates;
    for (const DerGeneralName& entry : names->entries) {
        any_dns_name = any_dns_name || entry.tag == 2;
        if (may_match(entry, name, ip)) candidates.push_back(entry.element);
    }
    // With dNSName entries but no candidate among them, GnuTLS does not fall back to the
    // common name either, so a certificate without names answers the same "no".
    if (!any_dns_name && ip.empty()) return std::nullopt;  // the common name counts: check the leaf
    auto bytes = name_only_certificate(*spki, candidates);
    gnutls_x509_crt_t raw;
    if (gnutls_x509_crt_init(&raw) < 0) return std::nullopt;
    CrtPtr reduced(raw);
    const gnutls_datum_t datum{bytes.data(), static_cast<unsigned>(bytes.size())};
    if (gnutls_x509_crt_import(raw, &datum, GNUTLS_X509_FMT_DER) < 0) return std::nullopt;
    return reduced;
}

}  // namespace

bool leaf_matches_name(gnutls_x509_crt_t leaf, const std::string& name, bool name_is_ip) {
    unsigned char addr[16];
    std::size_t addr_size = 0;
    if (name_is_ip) {
        if (inet_pton(AF_INET, name.c_str(), addr) == 1) addr_size = 4;
        else if (inet_pton(AF_INET6, name.c_str(), addr) == 1) addr_size = 16;
        else return false;
    }
    const auto reduced = candidates_only(leaf, name, {addr, addr_size});
    gnutls_x509_crt_t crt = reduced ? reduced->get() : leaf;
    return name_is_ip ? gnutls_x509_crt_check_ip(crt, addr, static_cast<unsigned>(addr_size), 0)
                      : gnutls_x509_crt_check_hostname2(crt, name.c_str(), 0);
}

}  // namespace originscan::scanner
