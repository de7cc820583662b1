// scanner/der.cpp: finding the SubjectPublicKeyInfo in a certificate's bytes, the input of
// every pin. Checked against GnuTLS's own encoding of the key, and against malformed DER.
#include <catch2/catch.hpp>

#include <gnutls/abstract.h>

#include "hostile_peers.hpp"
#include "scanner/der.hpp"

using originscan::scanner::find_spki;
namespace hostile = originscan::hostile;

namespace {

std::vector<unsigned char> gnutls_spki(gnutls_x509_crt_t crt) {
    gnutls_pubkey_t key;
    REQUIRE(gnutls_pubkey_init(&key) >= 0);
    gnutls_datum_t out{};
    REQUIRE(gnutls_pubkey_import_x509(key, crt, 0) >= 0);
    REQUIRE(gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, &out) >= 0);
    std::vector<unsigned char> bytes(out.data, out.data + out.size);
    gnutls_free(out.data);
    gnutls_pubkey_deinit(key);
    return bytes;
}

}  // namespace

TEST_CASE("find_spki returns exactly the key GnuTLS encodes, for v3 certificates of any size", "[der]") {
    const auto key = hostile::generate_key();
    for (const std::size_t names : {0, 1, 300}) {  // 300 names: multi-byte DER lengths
        hostile::CertSpec spec{"spki.test", {}};
        for (std::size_t i = 0; i < names; ++i) spec.dns_names.push_back(std::to_string(i) + ".n.spki.test");
        const auto crt = hostile::make_certificate(spec, key.get());
        const auto der = hostile::to_der(crt.get());
        const auto spki = find_spki(der);
        REQUIRE(spki);
        CHECK(std::vector<unsigned char>(spki->begin(), spki->end()) == gnutls_spki(crt.get()));
    }
}

TEST_CASE("find_spki rejects what is not a well-formed certificate", "[der]") {
    const auto key = hostile::generate_key();
    const auto der = hostile::to_der(hostile::make_certificate({"spki.test", {}}, key.get()).get());
    using Bytes = std::vector<unsigned char>;
    CHECK_FALSE(find_spki(Bytes{}));
    CHECK_FALSE(find_spki(Bytes{0x30}));
    CHECK_FALSE(find_spki(Bytes{0x30, 0x80, 0x00, 0x00}));              // indefinite length
    CHECK_FALSE(find_spki(Bytes{0x30, 0x85, 1, 2, 3, 4, 5}));            // 5 length bytes
    CHECK_FALSE(find_spki(Bytes{0x04, 0x02, 0x30, 0x00}));               // not a SEQUENCE
    CHECK_FALSE(find_spki(Bytes{0x30, 0x03, 0x30, 0x01, 0x02}));         // tbs with too few fields
    for (std::size_t cut = 0; cut < der.size(); cut += 7)                 // every truncation
        CHECK_FALSE(find_spki(Bytes(der.begin(), der.begin() + static_cast<long>(cut))));
    Bytes longer = der;
    longer[1] = 0xff;  // a length beyond the data
    CHECK_FALSE(find_spki(longer));
}
