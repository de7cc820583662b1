// Other edges as profiles over the same facts (project issue 11): in-process GnuTLS origins on
// 127.0.0.1, scanned with CloudFront's offer as the app does (--edge all), each edge judged.
// Certificates are generated here (hostile_peers), validity windows relative to now.
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "model/enums.hpp"
#include "model/observation.hpp"
#include "model/result.hpp"
#include "rules/classify.hpp"
#include "rules/edges.hpp"
#include "rules/policy.hpp"
#include "scanner/scanner.hpp"
#include "tests/integration/hostile_peers.hpp"

namespace originscan {
namespace {

namespace hb = hostile::behaviour;
using hostile::CertSpec;
using hostile::credentials;
using hostile::Identity;
using hostile::LoopbackServer;
using hostile::ServerCredentials;
using CaFile = hostile::TempPem;

constexpr std::int64_t kDay = 86'400;

using hostile::Authority;
using hostile::leaf_spec;

Authority authority(const std::string& name, const Authority* issuer = nullptr) {
    return hostile::make_authority(name, issuer, hostile::unix_now() - kDay, hostile::unix_now() + 3650 * kDay);
}

hostile::Crt copy(const hostile::Crt& crt) { return hostile::from_der(hostile::to_der(crt.get())); }

// A root, an intermediate, and a leaf for `name` issued by the intermediate: chain leaf first.
struct Pki {
    Authority root = authority("originscan edges test root");
    Authority intermediate = authority("originscan edges test intermediate", &root);
    Identity leaf;
    CaFile ca_file{hostile::to_pem(root.cert.get())};

    explicit Pki(const std::string& name, hostile::Privkey key = hostile::generate_key()) : leaf{std::move(key), {}} {
        leaf.chain.push_back(hostile::make_certificate(leaf_spec(name), leaf.key.get(), intermediate.cert.get(),
                                                       intermediate.key.get()));
        leaf.chain.push_back(copy(intermediate.cert));
    }
};

// Every edge's judgement of one origin, scanned as the CLI scans with --edge all.
struct Judged {
    OriginResult result;
    std::map<std::string, EdgeJudgement> edges;

    const EdgeJudgement& operator[](const std::string& id) const { return edges.at(id); }
    std::string reasons(const std::string& id) const {
        std::string out;
        for (Reason r : edges.at(id).reasons) out += (out.empty() ? "" : ",") + std::string(to_string(r));
        return out;
    }
    // "setting(reason,...)", e.g. "none(legacy-protocol)".
    std::string verdict(const std::string& id) const { return edges.at(id).setting + "(" + reasons(id) + ")"; }
    std::string describe() const {
        std::ostringstream out;
        for (const auto& [id, e] : edges) out << id << "=" << e.setting << "(" << reasons(id) << ") ";
        for (const auto& probe : result.observation.probes) {
            if (const auto* tls = std::get_if<TlsFacts>(&probe.outcome))
                out << "| default: " << tls->protocol << " " << tls->cipher;
            else if (const auto* failure = std::get_if<Failure>(&probe.outcome))
                out << "| default failure " << to_string(failure->reason) << ": " << failure->detail;
            for (const auto& offer : probe.offers) {
                out << " | " << offer.offer << ": ";
                if (const auto* tls = std::get_if<TlsFacts>(&offer.outcome)) out << tls->protocol << " " << tls->cipher;
                if (const auto* failure = std::get_if<Failure>(&offer.outcome))
                    out << to_string(failure->reason) << " " << failure->detail;
            }
        }
        return out.str();
    }
};

struct ScanOptions {
    const CaFile* ca_file = nullptr;
    std::vector<std::string> pins;
    std::string cert_hostname;
    // A rules file's text: the scanner's edges_without_sni comes from it (as app/cli.cpp does).
    std::string rules;
};

Judged scan_edges(const std::string& name, const hostile::Behaviour& behaviour, const ScanOptions& how) {
    LoopbackServer server(behaviour);
    scanner::ScannerOptions options;
    if (how.ca_file != nullptr) options.ca_files = {how.ca_file->path()};
    options.system_trust = false;
    options.timeout = std::chrono::milliseconds(5000);
    options.http_port = 0;
    options.threads = 1;
    // As app/scanner_setup.cpp: CloudFront is the one edge with an offer of its own.
    options.other_offers = {"cloudfront"};
    options.offer_needed = [](const std::string& id, const Probe& probe) {
        return rules::needs_own_handshake(*rules::edge_profile(id)->offer, probe);
    };
    const CaFile* fallback = nullptr;
    std::unique_ptr<CaFile> unrelated;
    if (how.ca_file == nullptr) {  // a trust store is needed: one that trusts nothing here
        unrelated = std::make_unique<CaFile>(hostile::to_pem(authority("originscan unrelated root").cert.get()));
        fallback = unrelated.get();
        options.ca_files = {fallback->path()};
    }
    rules::Policy policy;
    if (!how.rules.empty()) policy = rules::parse_policy(how.rules, "test-rules.json");
    std::vector<std::string> every_edge;
    for (const auto& profile : rules::edge_profiles()) every_edge.emplace_back(profile.id);
    options.edges_without_sni = rules::edges_without_sni(policy, every_edge);
    scanner::Scanner scanner(options);
    Judged out;
    out.result.origin = hostile::origin_at(name, server.port());
    out.result.scanned = true;
    out.result.observation = scanner.scan_one(out.result.origin);
    const std::int64_t now = hostile::unix_now();
    for (const auto& profile : rules::edge_profiles())
        out.edges[std::string(profile.id)] = rules::judge_edge(profile, out.result, now, how.pins, how.cert_hostname);
    return out;
}

const TlsFacts& default_tls(const Judged& got) {
    REQUIRE(got.result.observation.probes.size() == 1);
    const auto* tls = std::get_if<TlsFacts>(&got.result.observation.probes.front().outcome);
    REQUIRE(tls != nullptr);
    return *tls;
}

}  // namespace

TEST_CASE("chains: CloudFront needs the whole chain in order, Cloudflare full does not", "[edges][chain]") {
    SECTION("control: a complete chain in order is authenticated everywhere") {
        Pki pki("good.edges.test");
        const Judged got = scan_edges("good.edges.test", hb::tls_server(credentials(pki.leaf)), {&pki.ca_file, {}, {}, {}});
        INFO(got.describe());
        CHECK(got["cloudflare"].setting == "strict");
        CHECK(got["cloudfront"].setting == "https-only");
        CHECK(got["fastly"].setting == "tls-verified");
        CHECK(got["akamai"].setting == "platform-settings");
        CHECK(got["azure"].setting == "https");
        // The default handshake is TLS 1.3, which CloudFront never offers origins: it had one
        // of its own, at TLS 1.2.
        CHECK(default_tls(got).protocol == "TLS1.3");
        const auto& offers = got.result.observation.probes.front().offers;
        REQUIRE(offers.size() == 1);
        CHECK(offers.front().offer == "cloudfront");
        const auto* own = std::get_if<TlsFacts>(&offers.front().outcome);
        REQUIRE(own != nullptr);
        CHECK(own->protocol == "TLS1.2");
        CHECK(own->trust.trusted);
    }
    SECTION("leaf, root, intermediate: misordered, trusted all the same; CloudFront none") {
        Pki pki("misordered.edges.test");
        pki.leaf.chain.insert(pki.leaf.chain.begin() + 1, copy(pki.root.cert));
        const auto as_given = std::make_shared<const ServerCredentials>(pki.leaf, ServerCredentials::AsGiven{});
        const Judged got = scan_edges("misordered.edges.test", hb::tls_server(as_given), {&pki.ca_file, {}, {}, {}});
        INFO(got.describe());
        CHECK(default_tls(got).trust.trusted);
        CHECK_FALSE(default_tls(got).trust.chain_in_order);
        CHECK(got["cloudflare"].rank >= 2);  // full at least (strict: the chain verifies)
        CHECK(got["cloudfront"].setting == "none");
        CHECK(got.reasons("cloudfront") == "chain-misordered");
        CHECK(got["fastly"].setting == "tls-verified");
    }
    SECTION("the leaf alone, its intermediate not sent: incomplete; Cloudflare full, CloudFront none") {
        Pki pki("incomplete.edges.test");
        pki.leaf.chain.pop_back();
        const Judged got = scan_edges("incomplete.edges.test", hb::tls_server(credentials(pki.leaf)), {&pki.ca_file, {}, {}, {}});
        INFO(got.describe());
        CHECK(got["cloudflare"].setting == "full");
        CHECK(got.reasons("cloudflare") == "incomplete-chain");
        CHECK(got["cloudfront"].setting == "none");
        CHECK(got.reasons("cloudfront") == "incomplete-chain");
        CHECK(got["fastly"].setting == "tls-unverified");
        CHECK(got["azure"].setting == "none");
    }
}

TEST_CASE("a self-signed origin: Cloudflare full, CloudFront none, Fastly tls-unverified", "[edges][self-signed]") {
    Identity self{hostile::generate_key(), {}};
    self.chain.push_back(hostile::make_certificate(leaf_spec("self.edges.test"), self.key.get()));
    const Judged got = scan_edges("self.edges.test", hb::tls_server(credentials(self)), {});
    INFO(got.describe());
    CHECK(got["cloudflare"].setting == "full");
    CHECK(got["cloudfront"].setting == "none");
    CHECK(got.reasons("cloudfront") == "self-signed");
    CHECK(got["fastly"].setting == "tls-unverified");
    CHECK(got.reasons("fastly") == "self-signed");
    CHECK(got["akamai"].setting == "none");  // no pins configured: nothing to honour
    CHECK(got["azure"].setting == "none");   // a trusted CA always
}

TEST_CASE("a certificate naming another host: Fastly's ssl_cert_hostname, Azure's name check off",
          "[edges][name]") {
    Pki pki("backend.edges.test");
    const auto server = hb::tls_server(credentials(pki.leaf));
    SECTION("verified against the origin's name: every name check fails") {
        const Judged got = scan_edges("www.edges.test", server, {&pki.ca_file, {}, {}, {}});
        INFO(got.describe());
        CHECK(got["cloudflare"].setting == "full");
        CHECK(got.reasons("cloudflare") == "hostname-mismatch");
        CHECK(got["cloudfront"].setting == "none");
        CHECK(got["fastly"].setting == "tls-unverified");
        CHECK(got.reasons("fastly") == "hostname-mismatch");
        CHECK(got["azure"].setting == "https-no-name-check");
        CHECK(got.reasons("azure") == "hostname-mismatch");
    }
    SECTION("the rule's cert_hostname names the host the certificate is for") {
        const Judged got = scan_edges("www.edges.test", server, {&pki.ca_file, {}, "backend.edges.test", {}});
        INFO(got.describe());
        CHECK(got["fastly"].setting == "tls-verified");
        CHECK(got["azure"].setting == "https");
        CHECK(got["akamai"].setting == "platform-settings");
        // CloudFront and Cloudflare always check the origin's own name.
        CHECK(got["cloudfront"].setting == "none");
        CHECK(got["cloudflare"].setting == "full");
    }
    SECTION("a cert_hostname the certificate does not name either") {
        const Judged got = scan_edges("www.edges.test", server, {&pki.ca_file, {}, "other.edges.test", {}});
        INFO(got.describe());
        CHECK(got["fastly"].setting == "tls-unverified");
    }
}

TEST_CASE("an origin speaking only a suite one edge offers and the other does not", "[edges][offer]") {
    SECTION("ECDHE-RSA-AES128-SHA256 at TLS 1.2: CloudFront's table has it, Cloudflare's does not") {
        Pki pki("cbc-sha256.edges.test", hostile::generate_rsa_key());
        const auto server = hb::tls_server_with_priority(
            credentials(pki.leaf), "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-RSA:-CIPHER-ALL:+AES-128-CBC:-MAC-ALL:+SHA256");
        const Judged got = scan_edges("cbc-sha256.edges.test", server, {&pki.ca_file, {}, {}, {}});
        INFO(got.describe());
        // GnuTLS's broad offer (NORMAL) has no SHA-256 CBC suite either: the origin alerts.
        CHECK(got["cloudflare"].setting == "none");
        CHECK(got.reasons("cloudflare") == "tls-alert");
        CHECK(got["fastly"].setting == "none");  // the default handshake stands for Fastly's
        CHECK(got["cloudfront"].setting == "https-only");
        const auto& offers = got.result.observation.probes.front().offers;
        REQUIRE(offers.size() == 1);
        const auto* own = std::get_if<TlsFacts>(&offers.front().outcome);
        REQUIRE(own != nullptr);
        CHECK(own->cipher_id == 0xc027);
    }
    SECTION("TLS 1.3 only: Cloudflare strict, CloudFront (TLS 1.2 at most) none") {
        Pki pki("tls13.edges.test");
        const auto server = hb::tls_server_with_priority(credentials(pki.leaf), "NORMAL:-VERS-ALL:+VERS-TLS1.3");
        const Judged got = scan_edges("tls13.edges.test", server, {&pki.ca_file, {}, {}, {}});
        INFO(got.describe());
        CHECK(got["cloudflare"].setting == "strict");
        CHECK(got["cloudfront"].setting == "none");
        // GnuTLS's server answers a handshake_failure alert, not protocol_version: the broad
        // offer's TLS 1.3 says why; the reason is the scanner's no-shared-cipher.
        CHECK(got.reasons("cloudfront").rfind("no-shared-", 0) == 0);
    }
}

TEST_CASE("a pinned self-signed origin: Akamai's pinned certificates; Cloudflare with its own trust store",
          "[edges][pin]") {
    Identity self{hostile::generate_key(), {}};
    self.chain.push_back(hostile::make_certificate(leaf_spec("pinned.edges.test"), self.key.get()));
    const auto server = hb::tls_server(credentials(self));
    const Judged plain = scan_edges("pinned.edges.test", server, {});
    const std::string pin = "sha256/" + default_tls(plain).chain.front().spki_sha256;
    INFO(plain.describe());
    CHECK(plain["akamai"].setting == "none");
    CHECK(plain["cloudflare"].setting == "full");

    SECTION("its pin configured: Akamai custom-pinned; the others as without") {
        const Judged got = scan_edges("pinned.edges.test", server, {nullptr, {pin}, {}, {}});
        INFO(got.describe());
        CHECK(got["akamai"].setting == "custom-pinned");
        CHECK(got["cloudfront"].setting == "none");
        CHECK(got["fastly"].setting == "tls-unverified");
    }
    SECTION("another key's pin: Akamai none, pin-mismatch") {
        Identity other{hostile::generate_key(), {}};
        other.chain.push_back(hostile::make_certificate(leaf_spec("pinned.edges.test"), other.key.get()));
        const CaFile other_file(hostile::to_pem(other.chain.front().get()));
        const Judged stranger = scan_edges("pinned.edges.test", hb::tls_server(credentials(other)), {&other_file, {}, {}, {}});
        const std::string wrong = "sha256/" + default_tls(stranger).chain.front().spki_sha256;
        const Judged got = scan_edges("pinned.edges.test", server, {nullptr, {wrong}, {}, {}});
        INFO(got.describe());
        CHECK(got["akamai"].setting == "none");
        CHECK(got.reasons("akamai") == "self-signed,pin-mismatch");
    }
    SECTION("the certificate itself in the trust store (a custom CA): Cloudflare strict") {
        const CaFile own(hostile::to_pem(self.chain.front().get()));
        const Judged got = scan_edges("pinned.edges.test", server, {&own, {}, {}, {}});
        INFO(got.describe());
        CHECK(got["cloudflare"].setting == "strict");
        CHECK(got["akamai"].setting == "platform-settings");
    }
}

TEST_CASE("an origin speaking only TLS 1.0/1.1: Azure Front Door (TLS 1.2+ to origins) none", "[edges][legacy]") {
    // RSA: Cloudflare's table has ECDHE-RSA-AES128-SHA and AES128-SHA below TLS 1.2, no ECDSA
    // suite there; the server held to AES-128-CBC so that the suite is one every table has.
    Pki pki("legacy.edges.test", hostile::generate_rsa_key());
    const auto server = hb::tls_server_with_priority(
        credentials(pki.leaf), "NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0:-CIPHER-ALL:+AES-128-CBC:-MAC-ALL:+SHA1");
    const Judged got = scan_edges("legacy.edges.test", server, {&pki.ca_file, {}, {}, {}});
    INFO(got.describe());
    CHECK(default_tls(got).protocol == "TLS1.1");
    CHECK(default_tls(got).legacy_protocol);
    CHECK(got.verdict("cloudflare") == "strict(legacy-protocol)");
    CHECK(got.verdict("azure") == "none(legacy-protocol)");
    // The others speak TLS 1.0/1.1 to origins: their top setting, with the caveat.
    CHECK(got["cloudfront"].setting == "https-only");
    CHECK(got.verdict("fastly") == "tls-verified(legacy-protocol)");
    CHECK(got["akamai"].setting == "platform-settings");

    SECTION("control: the same origin at TLS 1.2 is Azure https") {
        const auto modern = hb::tls_server_with_priority(
            credentials(pki.leaf), "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC:-MAC-ALL:+SHA1");
        const Judged now12 = scan_edges("legacy.edges.test", modern, {&pki.ca_file, {}, {}, {}});
        INFO(now12.describe());
        CHECK(default_tls(now12).protocol == "TLS1.2");
        CHECK(now12.verdict("azure") == "https()");
    }
}

TEST_CASE("an origin requiring a client certificate: Azure Front Door presents none", "[edges][client-cert]") {
    Pki pki("mtls.edges.test");
    // TLS 1.3: the origin's alert comes after the client's handshake completed; TLS 1.2: it
    // ends the handshake, classed by the certificate all the same.
    for (const char* priority : {"NORMAL", "NORMAL:-VERS-ALL:+VERS-TLS1.2"}) {
        DYNAMIC_SECTION(priority) {
            const auto server = hb::tls_server_requiring_client_cert(credentials(pki.leaf), priority);
            const Judged got = scan_edges("mtls.edges.test", server, {&pki.ca_file, {}, {}, {}});
            INFO(got.describe());
            CHECK(default_tls(got).client_cert_requested);
            CHECK_FALSE(default_tls(got).client_cert_presented);
            CHECK(got.verdict("azure") == "none(client-cert-required)");
            // The edges that can present one keep their setting, with the caveat.
            CHECK(got.verdict("cloudflare") == "strict(client-cert-required)");
            CHECK(got.verdict("cloudfront") == "https-only(client-cert-required)");
            CHECK(got.verdict("fastly") == "tls-verified(client-cert-required)");
            CHECK(got["akamai"].setting == "platform-settings");
        }
    }
    SECTION("control: the same origin not asking is Azure https") {
        const Judged got = scan_edges("mtls.edges.test", hb::tls_server(credentials(pki.leaf)), {&pki.ca_file, {}, {}, {}});
        INFO(got.describe());
        CHECK(got["azure"].setting == "https");
    }
}

TEST_CASE("Akamai with originSni off: judged by the certificate an origin shows without SNI", "[edges][sni]") {
    // One CA; the origin's own name's certificate for a ClientHello naming it, another host's
    // (its default) for one naming none.
    Pki pki("sni.edges.test");
    Identity fallback{hostile::generate_key(), {}};
    fallback.chain.push_back(hostile::make_certificate(leaf_spec("default.edges.test"), fallback.key.get(),
                                                       pki.intermediate.cert.get(), pki.intermediate.key.get()));
    fallback.chain.push_back(copy(pki.intermediate.cert));
    const auto server = hb::tls_server_by_sni(credentials(pki.leaf), credentials(fallback));
    const std::string no_sni = R"({"version": 1, "rules": [{"match": "sni.edges.test", "akamai_origin_sni": false}]})";

    SECTION("control: originSni on (no rule): Akamai verifies the certificate for its name, no extra handshake") {
        const Judged got = scan_edges("sni.edges.test", server, {&pki.ca_file, {}, {}, {}});
        INFO(got.describe());
        CHECK(got["akamai"].setting == "platform-settings");
        for (const auto& offer : got.result.observation.probes.front().offers) CHECK(offer.offer != "akamai");
    }
    SECTION("originSni off: the default certificate names another host; the other edges as with SNI") {
        const Judged got = scan_edges("sni.edges.test", server, {&pki.ca_file, {}, {}, no_sni});
        INFO(got.describe());
        const auto& offers = got.result.observation.probes.front().offers;
        const OfferOutcome* akamai = nullptr;
        for (const auto& offer : offers)
            if (offer.offer == "akamai") akamai = &offer;
        REQUIRE(akamai != nullptr);
        const auto* own = std::get_if<TlsFacts>(&akamai->outcome);
        REQUIRE(own != nullptr);
        CHECK(own->chain.front().dns_names == std::vector<std::string>{"default.edges.test"});
        CHECK(default_tls(got).chain.front().dns_names == std::vector<std::string>{"sni.edges.test"});
        CHECK(got.verdict("akamai") == "none(hostname-mismatch)");
        CHECK(got["cloudflare"].setting == "strict");
        CHECK(got["fastly"].setting == "tls-verified");
        CHECK(got["azure"].setting == "https");
    }
    SECTION("originSni off, the default certificate's host the rule's cert_hostname: Akamai platform-settings") {
        const std::string rules =
            R"({"version": 1, "rules": [{"match": "sni.edges.test", "akamai_origin_sni": false,
                                          "cert_hostname": "default.edges.test"}]})";
        const Judged got = scan_edges("sni.edges.test", server, {&pki.ca_file, {}, "default.edges.test", rules});
        INFO(got.describe());
        CHECK(got["akamai"].setting == "platform-settings");
        // Fastly sends SNI: the certificate it gets names sni.edges.test, not the cert_hostname.
        CHECK(got["fastly"].setting == "tls-unverified");
    }
    SECTION("a rule for another name leaves this origin's Akamai handshake with SNI") {
        const std::string rules = R"({"version": 1, "rules": [{"match": "other.edges.test", "akamai_origin_sni": false}]})";
        const Judged got = scan_edges("sni.edges.test", server, {&pki.ca_file, {}, {}, rules});
        INFO(got.describe());
        CHECK(got["akamai"].setting == "platform-settings");
    }
}

}  // namespace originscan
