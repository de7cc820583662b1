// rules/edges: every edge profile over the same facts, table-driven.
#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "rules/edges.hpp"

namespace originscan::rules {
namespace {

constexpr std::int64_t now = 1'800'000'000;
constexpr std::int64_t day = 86'400;

CertFacts cert(const std::string& subject, const std::string& issuer) {
    CertFacts c;
    c.subject = "CN=" + subject;
    c.issuer = "CN=" + issuer;
    c.not_before = now - 10 * day;
    c.not_after = now + 80 * day;
    c.spki_sha256 = "spki-of-" + subject;
    return c;
}

// A TLS 1.2 handshake both Cloudflare's and CloudFront's tables have (ECDHE-RSA-AES128-GCM),
// a chain leaf + intermediate that verifies, in order, for www.example.com.
TlsFacts good_tls() {
    TlsFacts t;
    t.protocol = "TLS1.2";
    t.cipher = "TLS_ECDHE_RSA_AES_128_GCM_SHA256";
    t.cipher_id = 0xc02f;
    t.group = "X25519";
    t.handshake_completed = true;
    CertFacts leaf = cert("www.example.com", "intermediate");
    leaf.dns_names = {"www.example.com"};
    t.chain = {leaf, cert("intermediate", "root")};
    t.chain[1].is_ca = true;
    t.chain_presented = 2;
    t.trust.trusted = true;
    t.trust.path = {0, 1};
    t.name_matches = true;
    return t;
}

OriginResult result_of(std::variant<Failure, HttpFacts, TlsFacts> outcome) {
    OriginResult r;
    r.origin.name = "www.example.com";
    r.origin.port = 443;
    r.scanned = true;
    Probe p;
    p.address = "192.0.2.1";
    p.outcome = std::move(outcome);
    r.observation.probes.push_back(std::move(p));
    return r;
}

TlsFacts with(std::function<void(TlsFacts&)> change) {
    TlsFacts t = good_tls();
    change(t);
    return t;
}

// The leaf alone, self-signed, for www.example.com: no path to the trust store.
void self_signed(TlsFacts& t) {
    t.chain = {cert("www.example.com", "www.example.com")};
    t.chain[0].dns_names = {"www.example.com"};
    t.chain[0].self_issued = t.chain[0].self_signed = true;
    t.trust = {};
    t.trust.signer_not_found = true;
    t.trust.path = {0};
}

struct Row {
    const char* what;
    std::variant<Failure, HttpFacts, TlsFacts> outcome;
    std::map<std::string, std::string> settings;  // edge -> setting (every edge)
    std::map<std::string, std::string> reasons;   // edge -> reasons, for the edges listed
    std::vector<std::string> pins = {};
    std::string cert_hostname = {};
};

std::string joined(const std::vector<Reason>& reasons) {
    std::string out;
    for (Reason r : reasons) out += (out.empty() ? "" : ",") + std::string(to_string(r));
    return out;
}

}  // namespace

TEST_CASE("edge profiles: each edge's setting over the same facts", "[rules][edges]") {
    const std::vector<Row> rows = {
        {"a trusted complete chain in order",
         good_tls(),
         {{"cloudflare", "strict"}, {"cloudfront", "https-only"}, {"fastly", "tls-verified"},
          {"akamai", "platform-settings"}, {"azure", "https"}},
         {{"cloudfront", ""}, {"fastly", ""}}},
        {"misordered: trusted (GnuTLS sorts), CloudFront refuses the order",
         with([](TlsFacts& t) { t.trust.chain_in_order = false; }),
         {{"cloudflare", "strict"}, {"cloudfront", "none"}, {"fastly", "tls-verified"},
          {"akamai", "platform-settings"}, {"azure", "https"}},
         {{"cloudfront", "chain-misordered"}}},
        {"incomplete: the intermediate not sent",
         with([](TlsFacts& t) {
             t.chain.pop_back();
             t.trust = {};
             t.trust.signer_not_found = true;
             t.trust.path = {0};
         }),
         {{"cloudflare", "full"}, {"cloudfront", "none"}, {"fastly", "tls-unverified"},
          {"akamai", "none"}, {"azure", "none"}},
         {{"cloudflare", "incomplete-chain"}, {"cloudfront", "incomplete-chain"}, {"azure", "incomplete-chain"}}},
        {"self-signed",
         with(self_signed),
         {{"cloudflare", "full"}, {"cloudfront", "none"}, {"fastly", "tls-unverified"},
          {"akamai", "none"}, {"azure", "none"}},
         {{"cloudfront", "self-signed"}, {"fastly", "self-signed"}}},
        {"self-signed and pinned: Akamai's custom-pinned",
         with([](TlsFacts& t) {
             t.chain = {cert("www.example.com", "www.example.com")};
             t.chain[0].self_issued = t.chain[0].self_signed = true;
             t.trust = {};
             t.trust.signer_not_found = true;
         }),
         {{"cloudflare", "strict"}, {"cloudfront", "none"}, {"fastly", "tls-unverified"},
          {"akamai", "custom-pinned"}, {"azure", "none"}},
         {{"akamai", "self-signed"}},
         {"sha256/spki-of-www.example.com"}},
        {"another host's certificate",
         with([](TlsFacts& t) {
             t.chain[0].dns_names = {"backend.example.net"};
             t.name_matches = false;
         }),
         {{"cloudflare", "full"}, {"cloudfront", "none"}, {"fastly", "tls-unverified"},
          {"akamai", "none"}, {"azure", "https-no-name-check"}},
         {{"azure", "hostname-mismatch"}, {"cloudfront", "hostname-mismatch"}}},
        {"another host's certificate, that host the rule's cert_hostname",
         with([](TlsFacts& t) {
             t.chain[0].dns_names = {"*.example.net"};
             t.name_matches = false;
         }),
         {{"cloudflare", "full"}, {"cloudfront", "none"}, {"fastly", "tls-verified"},
          {"akamai", "platform-settings"}, {"azure", "https"}},
         {{"fastly", ""}},
         {},
         "backend.example.net"},
        {"expired leaf: no verifying setting anywhere",
         with([](TlsFacts& t) { t.chain[0].not_after = now - day; }),
         {{"cloudflare", "full"}, {"cloudfront", "none"}, {"fastly", "tls-unverified"},
          {"akamai", "none"}, {"azure", "none"}},
         {{"fastly", "expired"}}},
        {"TLS 1.3 from the default handshake, no CloudFront handshake of its own",
         with([](TlsFacts& t) {
             t.protocol = "TLS1.3";
             t.cipher_id = 0x1301;
         }),
         {{"cloudflare", "strict"}, {"cloudfront", "none"}, {"fastly", "tls-verified"},
          {"akamai", "platform-settings"}, {"azure", "https"}},
         {{"cloudfront", "no-shared-protocol"}}},
        {"ECDHE-RSA-AES128-SHA256: CloudFront's, not Cloudflare's",
         with([](TlsFacts& t) { t.cipher_id = 0xc027; }),
         {{"cloudflare", "none"}, {"cloudfront", "https-only"}, {"fastly", "none"},
          {"akamai", "none"}, {"azure", "none"}},
         {{"cloudflare", "no-shared-cipher"}, {"fastly", "no-shared-cipher"}}},
        {"HTTP on the TLS port",
         HttpFacts{true, 443, "HTTP/1.1 400 Bad Request"},
         {{"cloudflare", "flexible"}, {"cloudfront", "http-only"}, {"fastly", "http"},
          {"akamai", "http"}, {"azure", "http"}},
         {{"cloudfront", "http-on-tls-port"}}},
        {"refused",
         Failure{Reason::refused, "connection refused"},
         {{"cloudflare", "none"}, {"cloudfront", "none"}, {"fastly", "none"}, {"akamai", "none"}, {"azure", "none"}},
         {{"cloudfront", "refused"}}},
        {"a client certificate asked and not presented: a caveat where the edge can present one, Azure none",
         with([](TlsFacts& t) { t.client_cert_requested = true; }),
         {{"cloudflare", "strict"}, {"cloudfront", "https-only"}, {"fastly", "tls-verified"},
          {"akamai", "platform-settings"}, {"azure", "none"}},
         {{"cloudflare", "client-cert-required"}, {"cloudfront", "client-cert-required"},
          {"fastly", "client-cert-required"}, {"akamai", "client-cert-required"}, {"azure", "client-cert-required"}}},
        {"the origin ended the handshake for want of a client certificate (classed by its certificate)",
         with([](TlsFacts& t) {
             t.client_cert_requested = true;
             t.handshake_completed = false;
             t.failure = Reason::tls_alert;
         }),
         {{"cloudflare", "strict"}, {"cloudfront", "https-only"}, {"fastly", "tls-verified"},
          {"akamai", "platform-settings"}, {"azure", "none"}},
         {{"fastly", "client-cert-required"}, {"azure", "client-cert-required"}}},
        {"asked, and the scanner's --client-cert accepted: Azure presents none of its own",
         with([](TlsFacts& t) { t.client_cert_requested = t.client_cert_presented = true; }),
         {{"cloudflare", "strict"}, {"cloudfront", "https-only"}, {"fastly", "tls-verified"},
          {"akamai", "platform-settings"}, {"azure", "none"}},
         {{"cloudfront", ""}, {"fastly", ""}, {"azure", "client-cert-required"}}},
        {"TLS 1.1 only (a suite every table has at 1.1): Azure's origins need TLS 1.2",
         with([](TlsFacts& t) {
             t.protocol = "TLS1.1";
             t.cipher = "TLS_ECDHE_RSA_AES_128_CBC_SHA1";
             t.cipher_id = 0xc013;
             t.legacy_protocol = true;
         }),
         {{"cloudflare", "strict"}, {"cloudfront", "https-only"}, {"fastly", "tls-verified"},
          {"akamai", "platform-settings"}, {"azure", "none"}},
         {{"cloudflare", "legacy-protocol"}, {"cloudfront", "legacy-protocol"}, {"fastly", "legacy-protocol"},
          {"azure", "legacy-protocol"}}},
        {"TLS 1.0, self-signed: Azure none for the version and the CA alike, Fastly unverified",
         with([](TlsFacts& t) {
             self_signed(t);
             t.protocol = "TLS1.0";
             t.cipher_id = 0x002f;
             t.group.clear();
             t.legacy_protocol = true;
         }),
         {{"cloudflare", "full"}, {"cloudfront", "none"}, {"fastly", "tls-unverified"},
          {"akamai", "none"}, {"azure", "none"}},
         {{"fastly", "self-signed,legacy-protocol"}, {"azure", "legacy-protocol"}}},
        {"TLS 1.0 and a client certificate asked: Azure names both",
         with([](TlsFacts& t) {
             t.protocol = "TLS1.0";
             t.cipher_id = 0x002f;
             t.group.clear();
             t.legacy_protocol = true;
             t.client_cert_requested = true;
         }),
         {{"cloudflare", "strict"}, {"cloudfront", "https-only"}, {"fastly", "tls-verified"},
          {"akamai", "platform-settings"}, {"azure", "none"}},
         {{"azure", "legacy-protocol,client-cert-required"}}},
    };
    for (const Row& row : rows) {
        DYNAMIC_SECTION(row.what) {
            const OriginResult r = result_of(row.outcome);
            REQUIRE(row.settings.size() == edge_profiles().size());
            for (const auto& profile : edge_profiles()) {
                const EdgeJudgement got = judge_edge(profile, r, now, row.pins, row.cert_hostname);
                INFO(profile.id << ": " << got.setting << " (" << joined(got.reasons) << ")");
                CHECK(got.edge == profile.id);
                CHECK(got.setting == row.settings.at(std::string(profile.id)));
                CHECK(setting_rank(profile, got.setting) == got.rank);
                if (const auto it = row.reasons.find(std::string(profile.id)); it != row.reasons.end())
                    CHECK(joined(got.reasons) == it->second);
            }
        }
    }
}

TEST_CASE("edge profiles: the data", "[rules][edges]") {
    std::set<std::string_view> ids;
    for (const auto& profile : edge_profiles()) {
        INFO(profile.id);
        CHECK(ids.insert(profile.id).second);
        REQUIRE_FALSE(profile.settings.empty());
        int last = 4;
        for (const auto& s : profile.settings) {
            CHECK(s.rank >= 1);
            CHECK(s.rank <= last);  // strongest first
            last = s.rank;
            CHECK(s.tls == (s.rank >= 2));
        }
        CHECK_FALSE(profile.settings.back().tls);  // each has a plain HTTP setting, last
    }
    CHECK(edge_profiles().front().id == default_edge);
    // Only CloudFront documents an origin offer of its own: the default handshake stands for the rest.
    CHECK(edge_profile("cloudfront")->offer != &cloudflare_offer());
    for (std::string_view id : {"fastly", "akamai", "azure"}) CHECK(edge_profile(id)->offer == nullptr);
    // Azure Front Door: TLS 1.2 and 1.3 towards origins, and no client certificate of its own.
    for (const auto& profile : edge_profiles()) {
        INFO(profile.id);
        CHECK(profile.min_protocol == (profile.id == "azure" ? "TLS1.2" : ""));
        CHECK(profile.presents_client_cert == (profile.id != "azure"));
    }
    // CloudFront's table: no TLS 1.3, and RC4-MD5 (documented) is in it.
    const EdgeOffer& cf = *edge_profile("cloudfront")->offer;
    for (auto p : cf.protocols) CHECK(p != "TLS1.3");
    bool rc4 = false;
    for (const auto& s : cf.suites) rc4 = rc4 || s.id == 0x0004;
    CHECK(rc4);
}

TEST_CASE("edge profiles: Akamai without SNI is judged only by a handshake without SNI", "[rules][edges]") {
    const EdgeProfile& akamai = *edge_profile("akamai");
    OriginResult r = result_of(good_tls());
    // With SNI: the name's own certificate, verified.
    CHECK(judge_edge(akamai, r, now, {}, {}, false).setting == "platform-settings");
    // The rule says no SNI and no such handshake is among the facts: nothing is claimed.
    const EdgeJudgement missing = judge_edge(akamai, r, now, {}, {}, true);
    CHECK(missing.setting == "none");
    CHECK(missing.reasons == std::vector<Reason>{Reason::not_scanned});
    // The handshake without SNI met the origin's default certificate, another host's.
    r.observation.probes[0].offers.push_back({"akamai", with([](TlsFacts& t) {
                                                  t.chain[0].dns_names = {"default.example.net"};
                                                  t.name_matches = false;
                                              })});
    const EdgeJudgement other = judge_edge(akamai, r, now, {}, {}, true);
    CHECK(other.setting == "none");
    CHECK(other.reasons == std::vector<Reason>{Reason::hostname_mismatch});
    CHECK(judge_edge(akamai, r, now, {}, "default.example.net", true).setting == "platform-settings");
    // An IP name sends no SNI in the default handshake already: it stands for Akamai's.
    OriginResult ip = result_of(good_tls());
    ip.origin.name = "192.0.2.1";
    ip.origin.name_is_ip = true;
    CHECK(judge_edge(akamai, ip, now, {}, {}, true).setting != "none");
}

TEST_CASE("edge profiles: --edge lists", "[rules][edges]") {
    std::string bad;
    using V = std::vector<std::string>;
    CHECK(parse_edge_list("cloudflare", bad) == V{"cloudflare"});
    CHECK(parse_edge_list("fastly,cloudfront", bad) == V{"cloudflare", "cloudfront", "fastly"});
    CHECK(parse_edge_list("all", bad) == V{"cloudflare", "cloudfront", "fastly", "akamai", "azure"});
    CHECK(parse_edge_list("azure,azure", bad) == V{"cloudflare", "azure"});
    CHECK_FALSE(parse_edge_list("cloudfront,keycdn", bad));
    CHECK(bad == "keycdn");
    CHECK_FALSE(parse_edge_list("", bad));
    CHECK_FALSE(parse_edge_list("fastly,", bad));
    CHECK(bad.empty());
}

TEST_CASE("edge profiles: a handshake of its own only when the outcome could differ", "[rules][edges]") {
    const EdgeOffer& cf = *edge_profile("cloudfront")->offer;
    auto probe = [](std::variant<Failure, HttpFacts, TlsFacts> outcome) {
        Probe p;
        p.outcome = std::move(outcome);
        return p;
    };
    CHECK_FALSE(needs_own_handshake(cf, probe(good_tls())));  // ECDHE-RSA-AES128-GCM at 1.2: in both
    CHECK(needs_own_handshake(cf, probe(with([](TlsFacts& t) { t.protocol = "TLS1.3"; t.cipher_id = 0x1301; }))));
    CHECK(needs_own_handshake(cf, probe(Failure{Reason::no_shared_cipher, ""})));
    CHECK_FALSE(needs_own_handshake(cf, probe(Failure{Reason::timeout, ""})));
    CHECK_FALSE(needs_own_handshake(cf, probe(HttpFacts{true, 443, "HTTP/1.1 200 OK"})));
}

TEST_CASE("edge profiles: leaf names (RFC 6125)", "[rules][edges]") {
    CertFacts leaf;
    leaf.dns_names = {"*.Example.net", "api.example.org"};
    leaf.ip_addresses = {"192.0.2.7"};
    CHECK(leaf_names(leaf, "backend.example.net"));
    CHECK(leaf_names(leaf, "API.example.org."));
    CHECK_FALSE(leaf_names(leaf, "example.net"));
    CHECK_FALSE(leaf_names(leaf, "a.b.example.net"));
    CHECK(leaf_names(leaf, "192.0.2.7"));
    CHECK_FALSE(leaf_names(leaf, "192.0.2.8"));
}

}  // namespace originscan::rules

#include "reports/format.hpp"
#include "rules/policy.hpp"

namespace originscan::rules {

// A self-signed www.example.com, its own issuer: every edge's unauthenticated case.
auto self_signed_www() {
    return with([](TlsFacts& t) {
        t.chain = {cert("www.example.com", "www.example.com")};
        t.chain[0].self_issued = t.chain[0].self_signed = true;
        t.trust = {};
        t.trust.signer_not_found = true;
    });
}

TEST_CASE("edge profiles: a rule's edge_min_mode and cert_hostname", "[rules][edges][policy]") {
    const Policy policy = parse_policy(R"({"rules": [
        {"match": "www.example.com", "edge_min_mode": {"cloudfront": "https-only", "fastly": "tls-unverified"},
         "cert_hostname": "Backend.Example.NET"}]})",
                                       "edges.json");
    REQUIRE(policy.rules.size() == 1);
    CHECK(policy.rules[0].cert_hostname == "backend.example.net");
    REQUIRE(policy.rules[0].edge_min_modes.size() == 2);

    ScanSettings settings;
    settings.edges = {"cloudflare", "cloudfront", "fastly"};
    Judge judge(policy, nullptr, settings, now);
    SECTION("self-signed: Cloudflare full is no violation, CloudFront none is below-required") {
        OriginResult r = result_of(self_signed_www());
        judge.judge(r);
        REQUIRE(r.edges.size() == 3);
        CHECK(r.edges[1].setting == "none");
        CHECK(r.edges[2].setting == "tls-unverified");
        CHECK(r.verdict.violations == std::vector<Violation>{Violation::below_required});
    }
    SECTION("trusted, but for the cert_hostname only: Fastly verifies it, CloudFront does not") {
        OriginResult r = result_of(with([](TlsFacts& t) {
            t.chain[0].dns_names = {"backend.example.net"};
            t.name_matches = false;
        }));
        judge.judge(r);
        REQUIRE(r.edges.size() == 3);
        CHECK(r.edges[2].setting == "tls-verified");
        CHECK(r.edges[1].setting == "none");
        CHECK(r.verdict.violations == std::vector<Violation>{Violation::below_required});
    }
    SECTION("with the edges not selected, their minimums are not judged") {
        ScanSettings cloudflare_only;
        Judge plain(policy, nullptr, cloudflare_only, now);
        OriginResult r = result_of(Failure{Reason::refused, ""});
        plain.judge(r);
        CHECK(r.edges.empty());
        CHECK(r.verdict.violations.empty());
    }
    for (const char* bad : {R"({"rules": [{"match": "a.example.com", "edge_min_mode": {"keycdn": "x"}}]})",
                            R"({"rules": [{"match": "a.example.com", "edge_min_mode": {"cloudflare": "strict"}}]})",
                            R"({"rules": [{"match": "a.example.com", "edge_min_mode": {"fastly": "strict"}}]})",
                            R"({"rules": [{"match": "a.example.com", "edge_min_mode": "https-only"}]})",
                            R"({"rules": [{"match": "a.example.com", "cert_hostname": "*.example.com"}]})"}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_policy(bad, "bad.json"), PolicyError);
    }
}

using reports::violation_message;

TEST_CASE("edge profiles: the baseline compares per edge; messages name the edge", "[rules][edges][verdict]") {
    const Policy policy = parse_policy(
        R"({"rules": [{"match": "www.example.com", "edge_min_mode": {"fastly": "tls-verified"}}]})", "edges.json");
    ScanSettings settings;
    settings.edges = {"cloudflare", "cloudfront", "fastly"};
    // Then: trusted, complete, in order: every edge at its top setting.
    OriginResult before = result_of(with([](TlsFacts&) {}));
    {
        Judge first(policy, nullptr, settings, now);
        first.judge(before);
        REQUIRE(before.edges.size() == 3);
        CHECK(before.edges[1].setting == "https-only");
        CHECK(before.verdict.violations.empty());
    }
    Report baseline;
    baseline.settings = settings;
    baseline.origins = {before};
    Judge judge(policy, &baseline, settings, now);

    SECTION("now misordered: Cloudflare strict as before, CloudFront none: a downgrade for CloudFront") {
        OriginResult r = result_of(with([](TlsFacts& t) { t.trust.chain_in_order = false; }));
        judge.judge(r);
        REQUIRE(r.edges.size() == 3);
        CHECK(to_string(r.classification.mode) == std::string("strict"));
        CHECK(r.verdict.change == Change::same);
        CHECK(r.edges[1].setting == "none");
        CHECK(r.edges[1].baseline_setting == "https-only");
        CHECK(r.edges[1].downgraded);
        CHECK_FALSE(r.edges[2].downgraded);
        CHECK(r.verdict.violations == std::vector<Violation>{Violation::downgrade});
        CHECK_THAT(violation_message(r, Violation::downgrade, now, 14),
                   Catch::StartsWith("downgrade: cloudfront fell from https-only to none"));
    }
    SECTION("now self-signed: Cloudflare and every edge fell; Fastly is also below its minimum") {
        OriginResult r = result_of(self_signed_www());
        judge.judge(r);
        CHECK(r.verdict.violations == std::vector<Violation>{Violation::below_required, Violation::downgrade});
        CHECK_THAT(violation_message(r, Violation::downgrade, now, 14),
                   Catch::StartsWith("downgrade: allowed mode fell from strict to full; cloudfront fell from "
                                     "https-only to none; fastly fell from tls-verified to tls-unverified ("));
        CHECK_THAT(violation_message(r, Violation::below_required, now, 14),
                   Catch::StartsWith("below-required: fastly allows tls-unverified, below the required tls-verified ("));
        CHECK(r.edges[2].required_setting == "tls-verified");
    }
    SECTION("a baseline without the edges compares Cloudflare's mode only") {
        Report plain = baseline;
        plain.origins[0].edges.clear();
        Judge old_format(policy, &plain, settings, now);
        OriginResult r = result_of(with([](TlsFacts& t) { t.trust.chain_in_order = false; }));
        old_format.judge(r);
        CHECK(r.edges[1].baseline_setting.empty());
        CHECK(r.verdict.violations.empty());
    }
}

}  // namespace originscan::rules
