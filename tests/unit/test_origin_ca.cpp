// rules/origin_ca: the Cloudflare Origin CA recognised by its issuer name, and the reason
// origin-ca-not-loaded when its roots are missing from the scan's trust.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "reports/junit.hpp"
#include "reports/summary.hpp"
#include "rules/classify.hpp"
#include "rules/origin_ca.hpp"

using namespace originscan;

namespace {

constexpr std::int64_t now = 1'700'000'000;
constexpr std::int64_t day = 86'400;

// As GnuTLS prints the real roots' subject (RFC 4514: the last RDN first, ',' in a value escaped).
const std::string rsa_root_dn =
    "ST=California,L=San Francisco,OU=CloudFlare Origin SSL Certificate Authority,O=CloudFlare\\, Inc.,C=US";
const std::string ecc_root_dn =
    "ST=California,L=San Francisco,OU=CloudFlare Origin SSL ECC Certificate Authority,O=CloudFlare\\, Inc.,C=US";

CertFacts issued_by(const std::string& issuer) {
    CertFacts c;
    c.subject = "O=CloudFlare\\, Inc.,OU=CloudFlare Origin CA,CN=CloudFlare Origin Certificate";
    c.issuer = issuer;
    c.dns_names = {"origin.example.com"};
    c.not_before = now - day;
    c.not_after = now + 365 * day;
    c.spki_sha256 = "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLA=";
    return c;
}

// An Origin CA leaf presented alone (as Cloudflare issues them: straight from the root), its
// root not in the trust store: GnuTLS finds no signer.
TlsFacts origin_ca_leaf(const std::string& issuer = rsa_root_dn) {
    TlsFacts t;
    t.protocol = "TLS1.3";
    t.cipher = "TLS_AES_128_GCM_SHA256";
    t.handshake_completed = true;
    t.chain = {issued_by(issuer)};
    t.trust.trusted = false;
    t.trust.signer_not_found = true;
    t.trust.path = {0};
    t.name_matches = true;
    return t;
}

Classification classify_tls(const TlsFacts& tls) {
    Probe p;
    p.address = "192.0.2.7";
    p.outcome = tls;
    return rules::classify_probe(p, now);
}

}  // namespace

TEST_CASE("origin CA: the roots' names and fingerprints", "[rules][origin-ca]") {
    const auto& roots = rules::cloudflare_origin_ca_roots();
    REQUIRE(roots.size() == 2);
    CHECK(roots[0].sha256 == "D3C7E85C91707FC0A12ABC5D88266747AA4FA8E7B162F633FFB3C9D989947620");
    CHECK(roots[1].sha256 == "AA63697A22764B67B2134CE14CB5690EA336940B93986113F49545917832D80D");
    CHECK(rules::origin_ca_fingerprints() ==
          std::vector<std::string>{"d3c7e85c91707fc0a12abc5d88266747aa4fa8e7b162f633ffb3c9d989947620",
                                   "aa63697a22764b67b2134ce14cb5690ea336940b93986113f49545917832d80d"});
    for (const auto& root : roots) CHECK(root.url.starts_with("https://developers.cloudflare.com/"));
}

TEST_CASE("origin CA: recognised by the issuer's O and OU", "[rules][origin-ca]") {
    CHECK(rules::issued_by_origin_ca(issued_by(rsa_root_dn)));
    CHECK(rules::issued_by_origin_ca(issued_by(ecc_root_dn)));
    // Attribute order does not matter, nor a multi-valued RDN.
    CHECK(rules::issued_by_origin_ca(
        issued_by("C=US,O=CloudFlare\\, Inc.+OU=CloudFlare Origin SSL Certificate Authority,L=San Francisco")));
    CHECK_FALSE(rules::issued_by_origin_ca(issued_by("CN=Example CA,O=Example")));
    // Both are needed, exactly.
    CHECK_FALSE(rules::issued_by_origin_ca(issued_by("OU=CloudFlare Origin SSL Certificate Authority,O=Example")));
    CHECK_FALSE(rules::issued_by_origin_ca(issued_by("OU=Something else,O=CloudFlare\\, Inc.")));
    CHECK_FALSE(rules::issued_by_origin_ca(
        issued_by("OU=CloudFlare Origin SSL Certificate Authority Two,O=CloudFlare\\, Inc.")));
    CHECK_FALSE(rules::issued_by_origin_ca(issued_by("CN=OU\\=CloudFlare Origin SSL Certificate Authority\\,O\\=CloudFlare\\, Inc.")));
    CHECK_FALSE(rules::issued_by_origin_ca(issued_by("")));
}

TEST_CASE("origin CA: origin-ca-not-loaded only when the missing issuer is the Origin CA", "[rules][origin-ca]") {
    SECTION("the roots not loaded: self-signed class, origin-ca-not-loaded instead of incomplete-chain") {
        for (const std::string& dn : {rsa_root_dn, ecc_root_dn}) {
            const Classification c = classify_tls(origin_ca_leaf(dn));
            CHECK(c.cls == OriginClass::self_signed);
            CHECK(c.mode == EdgeMode::full);
            CHECK(c.reasons == std::vector<Reason>{Reason::origin_ca_not_loaded});
        }
        CHECK(rules::origin_ca_note().find("--ca-file") != std::string::npos);
        CHECK(rules::origin_ca_note().find("CLOUDFLARE_ORIGIN_CA=1") != std::string::npos);
    }
    SECTION("other reasons stay: a name mismatch, an expiry") {
        TlsFacts t = origin_ca_leaf();
        t.name_matches = false;
        t.chain[0].not_after = now - day;
        CHECK(classify_tls(t).reasons ==
              std::vector<Reason>{Reason::origin_ca_not_loaded, Reason::expired, Reason::hostname_mismatch});
    }
    SECTION("a loaded anchor is an Origin CA root, yet the chain fails: said as it is") {
        TlsFacts t = origin_ca_leaf();
        t.trust.origin_ca_loaded = true;
        CHECK_FALSE(rules::origin_ca_not_loaded(t));
        CHECK(classify_tls(t).reasons == std::vector<Reason>{Reason::incomplete_chain});
    }
    SECTION("another defect of the chain: not only the missing issuer") {
        TlsFacts t = origin_ca_leaf();
        t.trust.invalid_signature = true;
        CHECK_FALSE(rules::origin_ca_not_loaded(t));
        t = origin_ca_leaf();
        t.trust.purpose_mismatch = true;
        CHECK_FALSE(rules::origin_ca_not_loaded(t));
    }
    SECTION("another issuer: unknown-issuer or incomplete-chain as before") {
        CHECK(classify_tls(origin_ca_leaf("CN=Example CA,O=Example")).reasons ==
              std::vector<Reason>{Reason::incomplete_chain});
    }
    SECTION("trusted (the roots given with --ca-file): ca-trusted, no reason") {
        TlsFacts t = origin_ca_leaf();
        t.trust.trusted = true;
        t.trust.signer_not_found = false;
        t.trust.origin_ca_loaded = true;
        const Classification c = classify_tls(t);
        CHECK(c.cls == OriginClass::ca_trusted);
        CHECK(c.reasons.empty());
    }
    SECTION("the missing issuer is the one at the end of the path, not the leaf's") {
        TlsFacts t = origin_ca_leaf("CN=Intermediate,O=Example");
        CertFacts intermediate = issued_by(rsa_root_dn);
        intermediate.subject = "CN=Intermediate,O=Example";
        intermediate.is_ca = true;
        t.chain.push_back(intermediate);
        t.trust.path = {0, 1};
        CHECK(rules::origin_ca_not_loaded(t));
    }
}

TEST_CASE("origin CA: the summary and the JUnit say how to fix it", "[rules][origin-ca][reports]") {
    OriginResult r;
    r.origin.input = r.origin.name = "origin.example.com";
    r.scanned = true;
    Probe p;
    p.address = "192.0.2.7";
    p.outcome = origin_ca_leaf();
    r.observation.probes = {p};
    r.classification = rules::classify(r.observation, now);
    Report report;
    report.judged_at = now;
    report.origins = {r};
    const std::string summary = reports::render_summary(report, false);
    CHECK(summary.find("origin-ca-not-loaded: " + rules::origin_ca_note()) != std::string::npos);
    CHECK(reports::junit_testcase(r, now, 14).find("fix: " + rules::origin_ca_note()) != std::string::npos);
    // Not said where the reason is absent.
    report.origins[0].observation.probes[0].outcome = origin_ca_leaf("CN=Example CA");
    report.origins[0].classification = rules::classify(report.origins[0].observation, now);
    CHECK(reports::render_summary(report, false).find("origin-ca-not-loaded") == std::string::npos);
}
