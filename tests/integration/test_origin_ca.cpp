// Issue 9 item 3 against the nginx fixture's origin-ca.demo.test (tests/fixtures/make-certs
// origin-ca: a CA with the Cloudflare Origin CA's name, its own key): the scanner tells whether
// a loaded anchor has the watched fingerprints, and rules/ turns a missing one into
// origin-ca-not-loaded; given as --ca-file, the leaf is ca-trusted.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <variant>

#include "rules/classify.hpp"
#include "rules/origin_ca.hpp"
#include "scanner/scanner.hpp"
#include "tests/integration/fixture_env.hpp"
#include "tests/integration/hostile_peers.hpp"

namespace originscan {
namespace {

using testing::LoopbackOrigins;

// SHA-256 of a PEM certificate file's DER, by GnuTLS's own fingerprint function.
std::string fingerprint_of(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    const std::string pem = text.str();
    gnutls_x509_crt_t raw = nullptr;
    REQUIRE(gnutls_x509_crt_init(&raw) >= 0);
    hostile::Crt crt(raw);
    const gnutls_datum_t datum{reinterpret_cast<unsigned char*>(const_cast<char*>(pem.data())),
                               static_cast<unsigned>(pem.size())};
    REQUIRE(gnutls_x509_crt_import(raw, &datum, GNUTLS_X509_FMT_PEM) >= 0);
    return hostile::sha256_hex(raw);
}

struct Scanned {
    Observation observation;
    const TlsFacts* tls = nullptr;
    Classification classification;
};

Scanned scan(const LoopbackOrigins& fx, std::vector<std::string> ca_files, std::vector<std::string> watched) {
    scanner::ScannerOptions options;
    options.ca_files = std::move(ca_files);
    options.system_trust = false;
    options.http_port = 0;
    options.timeout = std::chrono::milliseconds(3000);
    options.origin_ca_fingerprints = std::move(watched);
    scanner::Scanner engine(options);
    auto parsed = parse_origin_spec(fx.row("origin-ca.").spec);
    Scanned out;
    out.observation = engine.scan_one(std::get<Origin>(parsed));
    REQUIRE(out.observation.probes.size() == 1);
    out.tls = std::get_if<TlsFacts>(&out.observation.probes[0].outcome);
    REQUIRE(out.tls != nullptr);
    out.classification = rules::classify(out.observation, hostile::unix_now());
    return out;
}

}  // namespace

TEST_CASE("the Origin CA: not loaded, loaded, and the fingerprint the scanner looks for", "[origin-ca]") {
    const LoopbackOrigins& fx = LoopbackOrigins::get();
    const std::string ca_file = fx.var("CA_FILE"), origin_ca = fx.path("origin-ca.pem");
    const std::string test_root = fingerprint_of(origin_ca);

    SECTION("the real roots' fingerprints watched, none loaded: origin-ca-not-loaded") {
        const Scanned got = scan(fx, {ca_file}, rules::origin_ca_fingerprints());
        CHECK_FALSE(got.tls->trust.origin_ca_loaded);
        CHECK(rules::issued_by_origin_ca(got.tls->chain.front()));
        CHECK(got.classification.cls == OriginClass::self_signed);
        CHECK(got.classification.reasons == std::vector<Reason>{Reason::origin_ca_not_loaded});
    }
    SECTION("given with --ca-file: ca-trusted; the scanner sees the watched fingerprint among the anchors") {
        const Scanned got = scan(fx, {ca_file, origin_ca}, {test_root});
        CHECK(got.tls->trust.origin_ca_loaded);
        CHECK(got.tls->trust.trusted);
        CHECK(got.classification.cls == OriginClass::ca_trusted);
        CHECK(got.classification.reasons.empty());
    }
    SECTION("loaded, but not by the watched fingerprint (the real roots'): the fact stays false") {
        const Scanned got = scan(fx, {ca_file, origin_ca}, rules::origin_ca_fingerprints());
        CHECK_FALSE(got.tls->trust.origin_ca_loaded);
        CHECK(got.classification.cls == OriginClass::ca_trusted);
    }
    SECTION("the watched root loaded yet not the issuer: the chain's own reason, not origin-ca-not-loaded") {
        // A scan that has the (test) Origin CA root but verifies the leaf against root-ca only is
        // not possible with one trust list; instead watch root-ca's fingerprint, which is loaded.
        const Scanned got = scan(fx, {ca_file}, {fingerprint_of(ca_file)});
        CHECK(got.tls->trust.origin_ca_loaded);
        CHECK(got.classification.reasons == std::vector<Reason>{Reason::incomplete_chain});
    }
}

}  // namespace originscan
