// Issue 9 item 2: an address in the edge's ranges is never connected to. A real TLS server
// listens on 127.0.0.65, inside the loopback range 127.0.0.64/30 given as the edge's; the scan
// must leave it untouched (its accept count stays 0) and say edge-address. The control scan
// without the range reaches it, so the count can tell.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <variant>

#include "model/origin.hpp"
#include "rules/classify.hpp"
#include "rules/edge_ranges.hpp"
#include "rules/policy.hpp"
#include "scanner/scanner.hpp"
#include "tests/integration/hostile_peers.hpp"

namespace originscan {
namespace {

namespace hb = hostile::behaviour;

Origin origin(const std::string& spec) {
    auto parsed = parse_origin_spec(spec);
    if (const auto* error = std::get_if<std::string>(&parsed)) throw std::runtime_error(spec + ": " + *error);
    return std::get<Origin>(parsed);
}

Observation scan(const Origin& o, std::vector<IpRange> edge_ranges) {
    scanner::ScannerOptions options;
    options.timeout = std::chrono::milliseconds(5000);
    options.http_port = 0;
    options.threads = 1;
    options.edge_ranges = std::move(edge_ranges);
    scanner::Scanner scanner(options);
    return scanner.scan_one(o);
}

// A self-signed identity for www.edge.test: what the "edge" would show if connected to.
hostile::Identity edge_identity() {
    hostile::CertSpec spec;
    spec.common_name = "www.edge.test";
    spec.dns_names = {"www.edge.test"};
    hostile::Identity id{hostile::generate_key(), {}};
    id.chain.push_back(hostile::make_certificate(spec, id.key.get()));
    return id;
}

}  // namespace

TEST_CASE("an address in --edge-ranges is never connected to", "[edge-ranges]") {
    const hostile::Identity id = edge_identity();
    hostile::LoopbackServer edge(hb::tls_server(hostile::credentials(id)), "127.0.0.65");
    const std::string port = std::to_string(edge.port());
    const auto ranges = rules::parse_edge_ranges("# the test's edge\n127.0.0.64/30\n", "test");

    SECTION("NAME@ADDRESS in the range: edge-address, no connection, a failing violation") {
        const Origin o = origin("www.edge.test@127.0.0.65:" + port);
        const Observation observed = scan(o, ranges);
        REQUIRE(observed.probes.size() == 1);
        const auto* failure = std::get_if<Failure>(&observed.probes[0].outcome);
        REQUIRE(failure != nullptr);
        CHECK(failure->reason == Reason::edge_address);
        CHECK(observed.probes[0].address == "127.0.0.65");
        CHECK(observed.probes[0].timings.connect_ms == 0);
        CHECK(edge.accepted() == 0);

        OriginResult result{0, o, true, observed, {}, {}, {}};
        rules::Policy policy;
        ScanSettings settings;
        rules::Judge judge(policy, nullptr, settings, hostile::unix_now());
        judge.judge(result);
        CHECK(result.classification.cls == OriginClass::unreachable);
        CHECK(result.classification.mode == EdgeMode::none);
        CHECK(result.verdict.violations == std::vector<Violation>{Violation::edge_address});
        CHECK(rules::edge_address_message(result) ==
              "www.edge.test resolves to Cloudflare's edge (127.0.0.65): list the origin as "
              "www.edge.test@ORIGIN-ADDRESS");
    }
    SECTION("the same address IPv4-mapped in IPv6: the same refusal") {
        const Observation observed = scan(origin("www.edge.test@[::ffff:127.0.0.65]:" + port), ranges);
        REQUIRE(observed.probes.size() == 1);
        CHECK(rules::is_edge_probe(observed.probes[0]));
        CHECK(edge.accepted() == 0);
    }
    SECTION("an address just outside the range is probed as usual") {
        hostile::LoopbackServer beside(hb::tls_server(hostile::credentials(id)), "127.0.0.68");
        const Observation observed = scan(origin("www.edge.test@127.0.0.68:" + std::to_string(beside.port())), ranges);
        REQUIRE(observed.probes.size() == 1);
        CHECK(std::holds_alternative<TlsFacts>(observed.probes[0].outcome));
        CHECK(beside.accepted() == 1);
        CHECK(edge.accepted() == 0);
    }
    SECTION("control: without the range the server is reached, so the count can tell") {
        const Observation observed = scan(origin("www.edge.test@127.0.0.65:" + port), {});
        REQUIRE(observed.probes.size() == 1);
        CHECK(std::holds_alternative<TlsFacts>(observed.probes[0].outcome));
        CHECK(edge.accepted() >= 1);
    }
}

}  // namespace originscan
