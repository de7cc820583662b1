// reports/format: the note on an origin probed at several addresses.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "report_fixture.hpp"
#include "reports/format.hpp"

using namespace originscan;
using namespace originscan::testing;
using originscan::reports::addresses_note;
using originscan::reports::violation_message;

namespace {

TlsFacts trusted() {
    TlsFacts t = tls13({cert("CN=m.example.com", "CN=Test Intermediate CA", {"m.example.com"}, judged_at - day,
                             judged_at + 90 * day, 'm'),
                        ca_cert("CN=Test Intermediate CA", 'b')});
    t.trust.trusted = true;
    t.name_matches = true;
    return t;
}

TlsFacts self_signed() {
    TlsFacts t = tls13({cert("CN=m.example.com", "CN=m.example.com", {"m.example.com"}, judged_at - day,
                             judged_at + 90 * day, 's')});
    t.name_matches = true;
    return t;
}

OriginResult at(std::vector<Probe> probes) {
    OriginResult r = result(0, "m.example.com", "m.example.com", 443, std::move(probes));
    r.observation.addresses_total = r.observation.probes.size();
    return r;
}

}  // namespace

TEST_CASE("addresses_note: the weakest addresses named, the cap said", "[format]") {
    const Failure refused{Reason::refused, "Connection refused"};
    const Failure no_ipv6{Reason::no_route, no_ipv6_route_detail, true};
    struct Row {
        const char* what;
        std::vector<Probe> probes;
        std::string note;
    };
    const std::vector<Row> rows = {
        {"one address: nothing to say", {probe(trusted(), "127.0.0.1")}, ""},
        {"all alike", {probe(trusted(), "127.0.0.1"), probe(trusted(), "127.0.0.2"), probe(trusted(), "::1")},
         "all 3 addresses ca-trusted"},
        {"one bad among good ones",
         {probe(trusted(), "127.0.0.1"), probe(trusted(), "127.0.0.2"), probe(self_signed(), "127.0.0.66")},
         "weakest of 3 addresses: 1 self-signed (127.0.0.66)"},
        {"only the weakest mode is named, grouped by class",
         {probe(refused, "127.0.0.1"), probe(self_signed(), "127.0.0.2"), probe(refused, "::1")},
         "weakest of 3 addresses: 2 unreachable (127.0.0.1, ::1)"},
        {"an address never reached", {probe(trusted(), "127.0.0.1"), probe(refused, "")},
         "weakest of 2 addresses: 1 unreachable (?)"},
        {"an address not probed from here is counted, not judged",
         {probe(trusted(), "127.0.0.1"), probe(no_ipv6, "::1")},
         "1 of 2 addresses not probed: no IPv6 route from this host"},
        {"the probed ones still compared",
         {probe(trusted(), "127.0.0.1"), probe(no_ipv6, "::1"), probe(self_signed(), "127.0.0.2")},
         "weakest of 2 addresses: 1 self-signed (127.0.0.2); 1 of 3 addresses not probed: no IPv6 route from this host"},
        {"none probed from here",
         {probe(no_ipv6, "::1"), probe(no_ipv6, "::2")},
         "all 2 addresses unreachable; 2 of 2 addresses not probed: no IPv6 route from this host"},
    };
    for (const Row& row : rows) {
        SECTION(row.what) { CHECK(addresses_note(at(row.probes), judged_at) == row.note); }
    }
    SECTION("capped: how many were found and how many probed") {
        std::vector<Probe> probes;
        for (int i = 1; i <= 16; ++i) probes.push_back(probe(trusted(), "127.0.1." + std::to_string(i)));
        OriginResult r = at(probes);
        r.observation.addresses_total = 20;
        r.observation.addresses_capped = true;
        CHECK(addresses_note(r, judged_at) == "all 16 addresses ca-trusted; only 16 of 20 addresses probed");
    }
    SECTION("violation messages carry the note") {
        OriginResult r = at({probe(trusted(), "127.0.0.1"), probe(self_signed(), "127.0.0.66")});
        r.verdict.required_mode = EdgeMode::strict;
        CHECK(violation_message(r, Violation::below_required, judged_at, 14) ==
              "below-required: allowed mode full is below the required strict (self-signed: self-signed; "
              "weakest of 2 addresses: 1 self-signed (127.0.0.66))");
    }
}
