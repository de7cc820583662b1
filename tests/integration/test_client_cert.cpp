// Authenticated Origin Pulls (project issue 9, item 4): the client certificate presented when
// an origin asks (--client-cert/--client-key), an origin that refuses it, and the rules'
// "client_auth": "required". Against the nginx fixture (ssl_verify_client on, TLS 1.3, which
// refuses with an HTTP 400 after the handshake) and in-process GnuTLS origins at TLS 1.2 and
// 1.3 that refuse with an alert.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <variant>

#include "model/enums.hpp"
#include "model/observation.hpp"
#include "model/origin.hpp"
#include "model/result.hpp"
#include "rules/classify.hpp"
#include "rules/policy.hpp"
#include "scanner/scanner.hpp"
#include "tests/integration/fixture_env.hpp"
#include "tests/integration/hostile_peers.hpp"

namespace originscan {
namespace {

using testing::LoopbackOrigins;

struct ClientFiles {
    std::string cert, key;
};

// One thread, no HTTP probe, `ca_file` the only trust, `client` presented when asked.
scanner::ScannerOptions client_options(const std::string& ca_file, const ClientFiles& client) {
    scanner::ScannerOptions options;
    options.ca_files = {ca_file};
    options.system_trust = false;
    options.http_port = 0;
    options.timeout = std::chrono::milliseconds(5000);
    options.threads = 1;
    options.client_cert = client.cert;
    options.client_key = client.key;
    return options;
}

Observation scan_with(const LoopbackOrigins& fx, const std::string& prefix, const ClientFiles& client) {
    scanner::Scanner scanner(client_options(fx.var("CA_FILE"), client));
    auto parsed = parse_origin_spec(fx.row(prefix).spec);
    REQUIRE(std::holds_alternative<Origin>(parsed));
    return scanner.scan_one(std::get<Origin>(parsed));
}

const TlsFacts& tls_of(const Observation& observation) {
    REQUIRE(observation.probes.size() == 1);
    const auto* tls = std::get_if<TlsFacts>(&observation.probes.front().outcome);
    if (tls == nullptr) FAIL("not a TLS outcome");
    return *tls;
}

std::string reasons_of(const Classification& c) {
    std::string out;
    for (Reason r : c.reasons) out += (out.empty() ? "" : ",") + std::string(to_string(r));
    return out;
}

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

}  // namespace

TEST_CASE("nginx demanding a client certificate: the right one, a wrong one, none", "[nginx][aop]") {
    const LoopbackOrigins& fx = LoopbackOrigins::get();
    const std::string dir = fx.var("FIXTURE_DIR");
    const ClientFiles right{dir + "/client-leaf.pem", dir + "/client-leaf.key"};
    const ClientFiles wrong{dir + "/good-leaf.pem", dir + "/good-leaf.key"};  // not from the client CA

    SECTION("the certificate its CA issued: presented, accepted, nothing to say") {
        const Observation seen = scan_with(fx, "client-cert.", right);
        const TlsFacts& tls = tls_of(seen);
        INFO(tls.error);
        CHECK(tls.client_cert_requested);
        CHECK(tls.client_cert_presented);
        CHECK_FALSE(tls.client_cert_rejected);
        const Classification c = rules::classify(seen, now());
        CHECK(to_string(c.cls) == "ca-trusted");
        CHECK(reasons_of(c).empty());
    }
    SECTION("another CA's certificate: presented, refused (nginx's 400), no mode") {
        const Observation seen = scan_with(fx, "client-cert.", wrong);
        const TlsFacts& tls = tls_of(seen);
        CHECK(tls.client_cert_presented);
        CHECK(tls.client_cert_rejected);
        CHECK_THAT(tls.error, Catch::Contains("400"));
        const Classification c = rules::classify(seen, now());
        CHECK(to_string(c.cls) == "unreachable");
        CHECK(to_string(c.mode) == "none");
        CHECK(reasons_of(c) == "client-cert-rejected");
    }
    SECTION("none configured: asked, nothing presented, classed by its certificate") {
        const Observation seen = scan_with(fx, "client-cert.", {});
        const TlsFacts& tls = tls_of(seen);
        CHECK(tls.client_cert_requested);
        CHECK_FALSE(tls.client_cert_presented);
        const Classification c = rules::classify(seen, now());
        CHECK(to_string(c.cls) == "ca-trusted");
        CHECK(reasons_of(c) == "client-cert-required");
    }
    SECTION("an origin that does not ask is sent nothing") {
        const Observation seen = scan_with(fx, "good.", right);
        const TlsFacts& tls = tls_of(seen);
        CHECK_FALSE(tls.client_cert_requested);
        CHECK_FALSE(tls.client_cert_presented);
        CHECK(to_string(rules::classify(seen, now()).cls) == "ca-trusted");
    }
    SECTION("a key that is not the certificate's is refused before any connection") {
        scanner::ScannerOptions options;
        options.ca_files = {fx.var("CA_FILE")};
        options.system_trust = false;
        options.client_cert = right.cert;
        options.client_key = wrong.key;
        CHECK_THROWS_WITH(scanner::Scanner(options), Catch::Contains("not the key of the --client-cert"));
        options.client_key.clear();
        CHECK_THROWS_WITH(scanner::Scanner(options), Catch::Contains("--client-cert needs --client-key"));
    }
}

TEST_CASE("rules client_auth required: an origin that completes a handshake without asking fails", "[nginx][aop]") {
    const LoopbackOrigins& fx = LoopbackOrigins::get();
    const rules::Policy policy = rules::parse_policy(
        R"({"rules": [{"match": "*.demo.test", "client_auth": "required"}]})", "rules.json");
    for (const auto& [prefix, violates] : {std::pair{"good.", true}, {"client-cert.", false}}) {
        INFO(prefix);
        OriginResult result;
        auto parsed = parse_origin_spec(fx.row(prefix).spec);
        REQUIRE(std::holds_alternative<Origin>(parsed));
        result.origin = std::get<Origin>(parsed);
        result.scanned = true;
        result.observation = scan_with(fx, prefix, {});
        const ScanSettings settings;
        rules::Judge judge(policy, nullptr, settings, now());
        judge.judge(result);
        const auto& v = result.verdict.violations;
        CHECK((std::find(v.begin(), v.end(), Violation::client_auth_missing) != v.end()) == violates);
    }
}

TEST_CASE("in-process origins refusing the presented certificate with an alert, TLS 1.2 and 1.3", "[aop]") {
    const LoopbackOrigins& fx = LoopbackOrigins::get();
    const std::string dir = fx.var("FIXTURE_DIR");
    const ClientFiles client{dir + "/client-leaf.pem", dir + "/client-leaf.key"};
    // The origin's own CA and certificate, made here; the client certificate is the fixture's.
    hostile::CertSpec ca_spec;
    ca_spec.common_name = "originscan aop test CA";
    ca_spec.is_ca = true;
    const hostile::Privkey ca_key = hostile::generate_key();
    const hostile::Crt ca = hostile::make_certificate(ca_spec, ca_key.get());
    const hostile::TempPem ca_file(hostile::to_pem(ca.get()));
    hostile::CertSpec leaf_spec;
    leaf_spec.common_name = "client-cert.demo.test";
    leaf_spec.dns_names = {leaf_spec.common_name};
    hostile::Identity id{hostile::generate_key(), {}};
    id.chain.push_back(hostile::make_certificate(leaf_spec, id.key.get(), ca.get(), ca_key.get()));
    for (const char* priority : {"NORMAL:-VERS-ALL:+VERS-TLS1.2", "NORMAL:-VERS-ALL:+VERS-TLS1.3"}) {
        INFO(priority);
        for (const bool accept : {true, false}) {
            INFO("accepts: " << accept);
            hostile::LoopbackServer server(
                hostile::behaviour::tls_server_judging_client_cert(hostile::credentials(id), priority, accept));
            scanner::Scanner scanner(client_options(ca_file.path(), client));
            const Observation seen = scanner.scan_one(hostile::origin_at("client-cert.demo.test", server.port()));
            const TlsFacts& tls = tls_of(seen);
            INFO(tls.error);
            CHECK(tls.client_cert_presented);
            CHECK(tls.client_cert_rejected == !accept);
            const Classification c = rules::classify(seen, now());
            CHECK(to_string(c.cls) == std::string(accept ? "ca-trusted" : "unreachable"));
        }
    }
}

TEST_CASE("rules client_cert/client_key: each origin is shown its rule's certificate", "[nginx][aop]") {
    const LoopbackOrigins& fx = LoopbackOrigins::get();
    const std::string dir = fx.var("FIXTURE_DIR");
    // Relative paths, taken beside the rules file (which need not exist: only its place counts).
    const rules::Policy policy = rules::parse_policy(
        R"({"rules": [{"match": "client-cert.demo.test", "client_cert": "client-leaf.pem", "client_key": "client-leaf.key"},
                      {"match": "*.demo.test", "min_mode": "full"}]})",
        dir + "/rules.json");
    const rules::ClientIdentities by_rule = rules::client_identities(policy);
    REQUIRE(by_rule.pairs.size() == 1);
    CHECK(by_rule.pairs.front().first == dir + "/client-leaf.pem");

    // --client-cert is another CA's certificate, which nginx refuses: only the rule's is right.
    auto options = client_options(fx.var("CA_FILE"), {dir + "/good-leaf.pem", dir + "/good-leaf.key"});
    options.origin_client_identities = by_rule.pairs;
    options.client_identity_of = by_rule.of_origin;
    scanner::Scanner scanner(options);
    const auto scan = [&](const std::string& prefix) {
        auto parsed = parse_origin_spec(fx.row(prefix).spec);
        REQUIRE(std::holds_alternative<Origin>(parsed));
        return scanner.scan_one(std::get<Origin>(parsed));
    };
    const Observation seen = scan("client-cert.");
    const TlsFacts& tls = tls_of(seen);
    INFO(tls.error);
    CHECK(tls.client_cert_presented);
    CHECK_FALSE(tls.client_cert_rejected);
    CHECK(reasons_of(rules::classify(seen, now())).empty());

    // Without the rule's pair the same origin is shown --client-cert, and refuses it.
    auto global_only = client_options(fx.var("CA_FILE"), {dir + "/good-leaf.pem", dir + "/good-leaf.key"});
    scanner::Scanner plain(global_only);
    auto parsed = parse_origin_spec(fx.row("client-cert.").spec);
    REQUIRE(std::holds_alternative<Origin>(parsed));
    CHECK(reasons_of(rules::classify(plain.scan_one(std::get<Origin>(parsed)), now())) == "client-cert-rejected");

    SECTION("a rule's unreadable or mismatched pair is refused before any connection, named as the rule's") {
        options.origin_client_identities = {{dir + "/client-leaf.pem", dir + "/good-leaf.key"}};
        CHECK_THROWS_WITH(scanner::Scanner(options), Catch::Contains("not the key of the rules client_cert"));
        options.origin_client_identities = {{dir + "/no-such.pem", dir + "/client-leaf.key"}};
        CHECK_THROWS_WITH(scanner::Scanner(options), Catch::Contains("rules client_cert " + dir + "/no-such.pem"));
    }
}

}  // namespace originscan
