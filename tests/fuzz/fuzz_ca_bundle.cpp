// libFuzzer target: --ca-file handling. The bytes become a file that scanner::TlsContext loads
// as a PEM bundle (gnutls_x509_trust_list_add_trust_mem); a bad bundle must end in TrustError.
// The certificates of a bundle that loads are then taken apart the way a presented chain is:
// cert_facts on each, verify() of the whole list as a chain, and name matching.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "scanner/scanner.hpp"
#include "scanner/tls_context.hpp"

namespace {

using namespace originscan::scanner;

const std::string& bundle_path() {
    static const std::string path = "/tmp/originscan-fuzz-ca-" + std::to_string(::getpid()) + ".pem";
    return path;
}

bool write_bundle(const std::uint8_t* data, std::size_t size) {
    std::FILE* f = std::fopen(bundle_path().c_str(), "wb");
    if (f == nullptr) return false;
    const bool ok = std::fwrite(data, 1, size, f) == size;
    return std::fclose(f) == 0 && ok;
}

void take_apart(const TlsContext& context, const std::uint8_t* data, std::size_t size) {
    gnutls_datum_t pem{const_cast<unsigned char*>(data), static_cast<unsigned>(size)};
    gnutls_x509_crt_t* list = nullptr;
    unsigned count = 0;
    if (gnutls_x509_crt_list_import2(&list, &count, &pem, GNUTLS_X509_FMT_PEM, 0) < 0) return;
    std::vector<CrtPtr> chain;
    for (unsigned i = 0; i < count; ++i) chain.emplace_back(list[i]);
    gnutls_free(list);
    for (const auto& crt : chain) {
        const originscan::CertFacts facts = cert_facts(crt.get());
        if (facts.sha256_fingerprint.size() != 64) std::abort();  // every parsed DER has one
        (void)leaf_matches_name(crt.get(), "www.example.com", false);
        (void)leaf_matches_name(crt.get(), "127.0.0.1", true);
        (void)leaf_matches_name(crt.get(), "::1", true);
    }
    if (!chain.empty()) (void)context.verify(chain);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (!write_bundle(data, size)) std::abort();
    try {
        const TlsContext context({bundle_path()}, false);
        take_apart(context, data, size);
    } catch (const TrustError&) {
    }
    std::remove(bundle_path().c_str());  // libFuzzer may end the process without running atexit
    return 0;
}
