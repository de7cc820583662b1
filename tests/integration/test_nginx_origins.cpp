// The scanner and rules::classify against real loopback origins of every class
// (tests/fixtures/origins: nginx, a silent peer, refused ports), judged at the current time:
// each row of the fixture's expected.tsv, then the facts behind the classes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <regex>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "model/enums.hpp"
#include "model/observation.hpp"
#include "model/origin.hpp"
#include "rules/classify.hpp"
#include "scanner/scanner.hpp"
#include "tests/integration/fixture_env.hpp"

namespace originscan {
namespace {

using testing::ExpectedOrigin;
using testing::LoopbackOrigins;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kTimeout{3000};

scanner::ScannerOptions fixture_options(const LoopbackOrigins& fx,
                                        std::chrono::milliseconds timeout = kTimeout) {
    scanner::ScannerOptions options;
    options.ca_files = {fx.var("CA_FILE")};
    options.system_trust = false;
    options.http_port = fx.port("HTTP_PORT");
    options.timeout = timeout;
    options.concurrency = 8;
    return options;
}

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

Origin parse(const std::string& spec) {
    auto parsed = parse_origin_spec(spec);
    if (const auto* error = std::get_if<std::string>(&parsed)) FAIL("cannot parse " << spec << ": " << *error);
    return std::get<Origin>(parsed);
}

std::vector<std::string> sorted_names(const std::vector<Reason>& reasons) {
    std::vector<std::string> names;
    for (Reason r : reasons) names.emplace_back(to_string(r));
    std::sort(names.begin(), names.end());
    return names;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
}

// What the scanner saw, for the failure messages.
std::string describe(const Observation& observation) {
    std::ostringstream out;
    out << observation.probes.size() << " probe(s)";
    for (const auto& probe : observation.probes) {
        out << "\n  [" << probe.address << "] ";
        if (const auto* failure = std::get_if<Failure>(&probe.outcome)) {
            out << "failure " << to_string(failure->reason) << ": " << failure->detail;
        } else if (const auto* http = std::get_if<HttpFacts>(&probe.outcome)) {
            out << "http on_tls_port=" << http->on_tls_port << " port=" << http->port << " '"
                << http->status_line << "'";
        } else {
            const auto& tls = std::get<TlsFacts>(probe.outcome);
            const auto& t = tls.trust;
            out << "tls " << tls.protocol << " " << tls.cipher << " completed=" << tls.handshake_completed
                << " client_cert=" << tls.client_cert_requested << " legacy=" << tls.legacy_protocol
                << " error='" << tls.error << "' name_matches=" << tls.name_matches
                << " trusted=" << t.trusted << " signer_not_found=" << t.signer_not_found
                << " signer_not_ca=" << t.signer_not_ca << " insecure=" << t.insecure_algorithm
                << " purpose=" << t.purpose_mismatch << " in_order=" << t.chain_in_order
                << " chain=" << tls.chain.size();
            for (const auto& cert : tls.chain)
                out << "\n    " << cert.subject << " <- " << cert.issuer << " [" << cert.not_before << ", "
                    << cert.not_after << "]";
        }
    }
    return out.str();
}

// The probe of a one-probe observation and its outcome of type T; fails the test otherwise.
template <typename T>
const T& single_outcome(const Observation& observation) {
    INFO(describe(observation));
    REQUIRE(observation.probes.size() == 1);
    const T* outcome = std::get_if<T>(&observation.probes.front().outcome);
    REQUIRE(outcome != nullptr);
    return *outcome;
}

void check_classified_as_expected(const ExpectedOrigin& row, const Observation& observation) {
    INFO(row.spec);
    INFO(describe(observation));
    const Classification c = rules::classify(observation, now());
    CHECK(std::string(to_string(c.cls)) == row.cls);
    CHECK(sorted_names(c.reasons) == sorted(row.reasons));
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

TEST_CASE("each loopback origin gets the class and reasons PRODUCT.md gives it", "[nginx]") {
    auto& fx = LoopbackOrigins::get();
    scanner::Scanner scanner(fixture_options(fx));
    REQUIRE(fx.expected().size() >= 20);
    for (const auto& row : fx.expected()) check_classified_as_expected(row, scanner.scan_one(parse(row.spec)));
}

TEST_CASE("one scan of every origin at concurrency 8 returns each index once", "[nginx][concurrency]") {
    auto& fx = LoopbackOrigins::get();
    std::vector<Origin> origins;
    std::vector<const ExpectedOrigin*> expected;
    for (const auto& row : fx.expected()) {
        origins.push_back(parse(row.spec));
        expected.push_back(&row);
    }
    // Three more copies of the silent peer: the four wait out their deadlines side by side,
    // so the whole scan takes about one timeout, not four.
    const ExpectedOrigin& silent = fx.row("silent.");
    for (int i = 0; i < 3; ++i) {
        origins.push_back(parse(silent.spec));
        expected.push_back(&silent);
    }

    scanner::Scanner scanner(fixture_options(fx));
    std::vector<int> calls(origins.size(), 0);
    std::vector<Observation> results(origins.size());
    std::size_t out_of_range = 0;
    const auto start = Clock::now();
    const std::size_t done = scanner.scan(origins, [&](std::size_t index, Observation&& observation) {
        if (index >= origins.size()) {
            ++out_of_range;
            return;
        }
        ++calls[index];
        results[index] = std::move(observation);
    });
    const double elapsed = seconds_since(start);

    CHECK(out_of_range == 0);
    CHECK(done == origins.size());
    for (std::size_t i = 0; i < origins.size(); ++i) {
        INFO("index " << i << ": " << origins[i].input);
        REQUIRE(calls[i] == 1);
        check_classified_as_expected(*expected[i], results[i]);
    }
    const double timeout_s = std::chrono::duration<double>(kTimeout).count();
    CHECK(elapsed < timeout_s + 1.5);
}

TEST_CASE("two names on one port: SNI selects each name's own certificate", "[nginx][sni]") {
    auto& fx = LoopbackOrigins::get();
    scanner::Scanner scanner(fixture_options(fx));
    std::string fingerprints[2];
    int i = 0;
    for (const auto& [prefix, leaf_file] : {std::pair{"sni-a.", "sni-a-leaf.pem"}, std::pair{"sni-b.", "sni-b-leaf.pem"}}) {
        const Origin origin = parse(fx.row(prefix).spec);
        INFO(origin.input);
        const Observation observation = scanner.scan_one(origin);
        const auto& tls = single_outcome<TlsFacts>(observation);
        REQUIRE_FALSE(tls.chain.empty());
        const CertFacts& leaf = tls.chain.front();
        CHECK(leaf.dns_names == std::vector<std::string>{origin.name});
        CHECK(leaf.subject.find("CN=" + origin.name) != std::string::npos);
        CHECK(leaf.sha256_fingerprint == fx.leaf(leaf_file).sha256_fingerprint);
        CHECK(tls.name_matches);
        fingerprints[i++] = leaf.sha256_fingerprint;
    }
    CHECK(fingerprints[0] != fingerprints[1]);
}

TEST_CASE("a silent peer ends at the origin deadline, at most 0.5 s after it", "[nginx][timeout]") {
    auto& fx = LoopbackOrigins::get();
    const std::chrono::milliseconds timeout{1500};
    scanner::Scanner scanner(fixture_options(fx, timeout));
    const Origin origin = parse(fx.row("silent.").spec);

    const auto start = Clock::now();
    const Observation observation = scanner.scan_one(origin);
    const double elapsed = seconds_since(start);

    const auto& failure = single_outcome<Failure>(observation);
    CHECK(failure.reason == Reason::timeout);
    const double timeout_s = std::chrono::duration<double>(timeout).count();
    CHECK(elapsed >= timeout_s - 0.05);
    CHECK(elapsed <= timeout_s + 0.5);
}

TEST_CASE("IP literal names: no SNI, checked against the IP SANs", "[nginx][ip]") {
    auto& fx = LoopbackOrigins::get();
    scanner::Scanner scanner(fixture_options(fx));
    const Origin origin = parse(fx.row("127.0.0.1:").spec);
    REQUIRE(origin.name_is_ip);
    const Observation observation = scanner.scan_one(origin);
    const auto& tls = single_outcome<TlsFacts>(observation);
    CHECK(observation.probes.front().address == "127.0.0.1");
    CHECK(tls.name_matches);
    REQUIRE_FALSE(tls.chain.empty());
    CHECK(tls.chain.front().dns_names.empty());
    CHECK(contains(tls.chain.front().ip_addresses, "127.0.0.1"));
    CHECK(tls.chain.front().ip_addresses.size() == 2);
    CHECK(rules::classify(observation, now()).cls == OriginClass::ca_trusted);
}

TEST_CASE("origins on ::1: a name with an IPv6 address, and an IPv6 literal name", "[nginx][ipv6]") {
    auto& fx = LoopbackOrigins::get();
    if (!fx.have_ipv6()) {
        WARN("::1 is not available on this host: IPv6 origins not tested");
        return;
    }
    scanner::Scanner scanner(fixture_options(fx));
    for (const char* prefix : {"ipv6.", "[::1]:"}) {
        const Origin origin = parse(fx.row(prefix).spec);
        INFO(origin.input);
        const Observation observation = scanner.scan_one(origin);
        const auto& tls = single_outcome<TlsFacts>(observation);
        CHECK(observation.probes.front().address == "::1");
        CHECK(tls.handshake_completed);
        CHECK(tls.name_matches);
        const Classification c = rules::classify(observation, now());
        CHECK(c.cls == OriginClass::ca_trusted);
        CHECK(c.reasons.empty());
    }
}

TEST_CASE("facts of the good origin", "[nginx][facts]") {
    auto& fx = LoopbackOrigins::get();
    scanner::Scanner scanner(fixture_options(fx));
    const Origin origin = parse(fx.row("good.").spec);
    const Observation observation = scanner.scan_one(origin);
    const auto& tls = single_outcome<TlsFacts>(observation);
    INFO(describe(observation));
    const Probe& probe = observation.probes.front();
    const std::int64_t t = now();

    CHECK(probe.address == "127.0.0.1");
    CHECK(probe.timings.total_ms > 0);
    CHECK(probe.timings.total_ms >= probe.timings.handshake_ms);
    CHECK(tls.handshake_completed);
    CHECK(tls.protocol == "TLS1.3");  // nginx with OpenSSL 3 and GnuTLS 3.7 both offer it
    CHECK_FALSE(tls.cipher.empty());
    CHECK_FALSE(tls.legacy_protocol);
    CHECK_FALSE(tls.client_cert_requested);
    CHECK(tls.trust.trusted);
    CHECK(tls.trust.chain_in_order);
    CHECK(tls.name_matches);

    REQUIRE(tls.chain.size() == 2);
    const CertFacts& leaf = tls.chain[0];
    const CertFacts& intermediate = tls.chain[1];
    CHECK(leaf.subject.find("CN=good.demo.test") != std::string::npos);
    CHECK(leaf.issuer.find("CN=originscan test intermediate CA") != std::string::npos);
    CHECK(intermediate.subject == leaf.issuer);
    CHECK(intermediate.is_ca);
    CHECK_FALSE(leaf.is_ca);
    CHECK_FALSE(leaf.self_issued);
    CHECK_FALSE(leaf.self_signed);
    CHECK(contains(leaf.dns_names, "good.demo.test"));
    // The spelling is the scanner's ("EC/ECDSA-256" today); algorithm and size must show.
    CHECK(leaf.public_key.find("ECDSA") != std::string::npos);
    CHECK(leaf.public_key.find("256") != std::string::npos);
    CHECK(leaf.signature_algorithm.find("SHA256") != std::string::npos);

    // make-certs: valid from yesterday for 90 days.
    CHECK(leaf.not_before <= t);
    CHECK(std::abs(leaf.not_after - (t + 89 * 86400)) < 86400);

    // Computed by make-certs with certtool, sha256sum and Python, not with the scanner's code.
    const auto& expected = fx.leaf("good-leaf.pem");
    CHECK(leaf.sha256_fingerprint == expected.sha256_fingerprint);
    CHECK(std::regex_match(leaf.spki_sha256, std::regex("[A-Za-z0-9+/]{43}=")));
    CHECK("sha256/" + leaf.spki_sha256 == expected.pin);
}

TEST_CASE("caveats and failures carry the facts behind their reasons", "[nginx][facts]") {
    auto& fx = LoopbackOrigins::get();
    scanner::Scanner scanner(fixture_options(fx));
    auto scan = [&](const char* prefix) { return scanner.scan_one(parse(fx.row(prefix).spec)); };

    SECTION("TLS 1.0 only") {
        const Observation observation = scan("legacy.");
        const auto& tls = single_outcome<TlsFacts>(observation);
        CHECK(tls.protocol == "TLS1.0");
        CHECK(tls.legacy_protocol);
        REQUIRE_FALSE(tls.chain.empty());
        CHECK(tls.chain.front().public_key == "RSA-2048");
    }
    SECTION("client certificate demanded") {
        const Observation observation = scan("client-cert.");
        const auto& tls = single_outcome<TlsFacts>(observation);
        CHECK(tls.client_cert_requested);
        CHECK(tls.trust.trusted);
    }
    SECTION("expired and not yet valid leaves are judged against the time, not by the chain") {
        const std::int64_t t = now();
        const Observation expired = scan("expired.");
        const auto& old_tls = single_outcome<TlsFacts>(expired);
        CHECK(old_tls.trust.trusted);
        REQUIRE_FALSE(old_tls.chain.empty());
        CHECK(old_tls.chain.front().not_after < t);
        const Observation future = scan("not-yet-valid.");
        const auto& new_tls = single_outcome<TlsFacts>(future);
        CHECK(new_tls.trust.trusted);
        REQUIRE_FALSE(new_tls.chain.empty());
        CHECK(new_tls.chain.front().not_before > t);
    }
    SECTION("the incomplete chain is the good leaf alone") {
        const Observation observation = scan("incomplete.");
        const auto& tls = single_outcome<TlsFacts>(observation);
        REQUIRE(tls.chain.size() == 1);
        CHECK(tls.chain.front().sha256_fingerprint == fx.leaf("good-leaf.pem").sha256_fingerprint);
        CHECK(tls.trust.signer_not_found);
    }
    SECTION("plain HTTP on the TLS port") {
        const Observation observation = scan("http-on-tls.");
        const auto& http = single_outcome<HttpFacts>(observation);
        CHECK(http.on_tls_port);
        CHECK(http.port == fx.port("PORT_HTTP_ON_TLS"));
        CHECK(http.status_line.rfind("HTTP/1.1 400", 0) == 0);
    }
    SECTION("TLS port refused, HTTP port answers") {
        const Observation observation = scan("plain.");
        INFO(describe(observation));
        REQUIRE_FALSE(observation.probes.empty());
        const auto* http = std::get_if<HttpFacts>(&observation.probes.back().outcome);
        REQUIRE(http != nullptr);
        CHECK_FALSE(http->on_tls_port);
        CHECK(http->port == fx.port("HTTP_PORT"));
        CHECK(http->status_line.rfind("HTTP/1.1 200", 0) == 0);
    }
    SECTION("refused everywhere") {
        const Observation observation = scan("refused.");
        CHECK(single_outcome<Failure>(observation).reason == Reason::refused);
    }
    SECTION("an alert instead of a certificate") {
        const Observation observation = scan("reject.");
        CHECK(single_outcome<Failure>(observation).reason == Reason::tls_alert);
    }
}

TEST_CASE("pins: the leaf's SPKI pin authenticates even a self-signed origin", "[nginx][pins]") {
    auto& fx = LoopbackOrigins::get();
    scanner::Scanner scanner(fixture_options(fx));
    const std::string self_signed_pin = fx.leaf("self-signed-leaf.pem").pin;
    const std::string good_pin = fx.leaf("good-leaf.pem").pin;

    const Observation self_signed = scanner.scan_one(parse(fx.row("self-signed.").spec));
    INFO(describe(self_signed));
    CHECK(rules::classify(self_signed, now(), {self_signed_pin}).cls == OriginClass::pin_matching);
    const Classification wrong = rules::classify(self_signed, now(), {good_pin});
    CHECK(wrong.cls == OriginClass::self_signed);
    CHECK(contains(sorted_names(wrong.reasons), "pin-mismatch"));

    const Observation good = scanner.scan_one(parse(fx.row("good.").spec));
    CHECK(rules::classify(good, now(), {good_pin}).cls == OriginClass::pin_matching);
}

}  // namespace
}  // namespace originscan
