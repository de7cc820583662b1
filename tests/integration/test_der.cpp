// scanner/der.cpp: finding the SubjectPublicKeyInfo in a certificate's bytes, the input of
// every pin. Checked against GnuTLS's own encoding of the key, and against malformed DER.
#include <catch2/catch.hpp>

#include <gnutls/abstract.h>

#include <string>
#include <vector>

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

TEST_CASE("find_extensions, read_alt_names, find_validity agree with GnuTLS in one walk", "[der]") {
    using originscan::scanner::find_extensions;
    using originscan::scanner::find_validity;
    using originscan::scanner::read_alt_names;
    const auto key = hostile::generate_key();
    hostile::CertSpec spec{"walk.test", {}};
    for (int i = 0; i < 300; ++i) spec.dns_names.push_back(std::to_string(i) + ".walk.test");
    const auto crt = hostile::make_certificate(spec, key.get());
    const auto der = hostile::to_der(crt.get());

    const auto extensions = find_extensions(der);
    REQUIRE(extensions);
    unsigned gnutls_count = 0;
    for (char oid[128];; ++gnutls_count) {
        std::size_t oid_size = sizeof oid;
        if (gnutls_x509_crt_get_extension_oid(crt.get(), gnutls_count, oid, &oid_size) < 0) break;
    }
    CHECK(extensions->count == gnutls_count);
    CHECK(extensions->longest_oid == 9);  // "2.5.29.19" and its kin
    REQUIRE(extensions->subject_alt_name);
    const auto all = read_alt_names(*extensions->subject_alt_name, 1000);
    REQUIRE(all);
    CHECK(all->count == 300);
    REQUIRE(all->entries.size() == 300);
    CHECK(all->entries[7].tag == 2);  // dNSName
    CHECK(std::string(all->entries[7].value.begin(), all->entries[7].value.end()) == "7.walk.test");
    const auto kept = read_alt_names(*extensions->subject_alt_name, 10);
    REQUIRE(kept);
    CHECK(kept->count == 300);
    CHECK(kept->entries.size() == 10);

    const auto validity = find_validity(der);
    REQUIRE(validity);
    CHECK(validity->not_before == gnutls_x509_crt_get_activation_time(crt.get()));
    CHECK(validity->not_after == gnutls_x509_crt_get_expiration_time(crt.get()));

    using Bytes = std::vector<unsigned char>;
    for (std::size_t cut = 0; cut < der.size(); cut += 11) {  // every truncation: never a crash
        const Bytes part(der.begin(), der.begin() + static_cast<long>(cut));
        CHECK_FALSE(find_extensions(part));
        CHECK_FALSE(find_validity(part));
    }
    CHECK_FALSE(read_alt_names(Bytes{0x30, 0x02, 0x04, 0x00}, 1));  // not a context-tagged choice
    CHECK_FALSE(read_alt_names(Bytes{0x30, 0x03, 0x82, 0x05, 0x61}, 1));  // a name past the end
}
