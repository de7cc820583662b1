// libFuzzer target: a certificate as a hostile origin presents it (DER, as it arrives in the
// TLS Certificate message). What the scanner reads from it (cert_facts), name matching, and
// verification against a fixed trust list must cope with any bytes GnuTLS accepts as X.509.
// The first byte selects the name checked (and the Certificate message framing), the rest is
// the DER.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "scanner/scanner.hpp"
#include "scanner/tls_context.hpp"

namespace {

using namespace originscan::scanner;

// Built once: the system trust store (when there is one), so verify() has anchors to walk.
const TlsContext* context() {
    static const std::optional<TlsContext> ctx = []() -> std::optional<TlsContext> {
        try {
            return std::optional<TlsContext>(std::in_place, std::vector<std::string>{}, true);
        } catch (const TrustError&) {
            return std::nullopt;
        }
    }();
    return ctx ? &*ctx : nullptr;
}

struct Name {
    const char* text;
    bool is_ip;
};
constexpr Name names[] = {{"www.example.com", false}, {"example.com", false},
                          {"a.b.example.com", false}, {"xn--bcher-kva.example", false},
                          {"127.0.0.1", true},       {"::1", true}};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const Name& name = names[data[0] % (sizeof names / sizeof names[0])];
    // The same bytes as a whole Certificate handshake message (TLS 1.3 framing when the
    // selector's top bit is set), as the scanner's handshake hook sees it before GnuTLS does.
    (void)certificate_message_refusal(data + 1, size - 1, (data[0] & 0x80) != 0);
    gnutls_datum_t der{const_cast<unsigned char*>(data + 1), static_cast<unsigned>(size - 1)};
    gnutls_x509_crt_t raw;
    if (gnutls_x509_crt_init(&raw) < 0) std::abort();
    CrtPtr crt(raw);
    if (gnutls_x509_crt_import(raw, &der, GNUTLS_X509_FMT_DER) < 0) return 0;

    const originscan::CertFacts facts = cert_facts(raw);
    if (facts.sha256_fingerprint.size() != 64) std::abort();
    if (facts.self_signed && !facts.self_issued) std::abort();
    (void)leaf_matches_name(raw, name.text, name.is_ip);
    if (const TlsContext* ctx = context()) {
        std::vector<CrtPtr> chain;
        chain.push_back(std::move(crt));
        (void)ctx->verify(chain);
    }
    return 0;
}
