// The reports name the path's first expiry (rules::earliest_expiry): an intermediate or anchor
// that expires before the leaf is what --fail-on expiring, the summary's days and JUnit show.
#include <catch2/catch.hpp>

#include <string>

#include "reports/json_report.hpp"
#include "reports/junit.hpp"
#include "reports/summary.hpp"
#include "rules/policy.hpp"
#include "tests/unit/report_fixture.hpp"

using namespace originscan;
using namespace originscan::testing;

namespace {

// One ca-trusted origin whose intermediate expires in 9 days, the leaf in 60, the anchor in 3000.
Report short_intermediate_report() {
    Report report = base_report();
    CertFacts intermediate = ca_cert("CN=Short Intermediate", 'b');
    intermediate.not_after = judged_at + 9 * day + 3600;
    TlsFacts t = tls13({cert("CN=api.example.com", "CN=Short Intermediate", {"api.example.com"},
                             judged_at - 10 * day, judged_at + 60 * day, 'a'),
                        intermediate});
    t.trust.trusted = true;
    t.trust.path = {0, 1};
    t.trust.anchor = ca_cert("CN=Test Root CA", 'c');
    t.name_matches = true;
    Verdict v;
    v.violations = {Violation::expiring};
    report.origins.push_back(result(0, "api.example.com", "api.example.com", 443, {probe(t)}, v));
    return report;
}

}  // namespace

TEST_CASE("reports: the path's first expiry, and which certificate it is", "[reports][path]") {
    const Report report = short_intermediate_report();
    REQUIRE(to_string(report.origins[0].classification.cls) == std::string("ca-trusted"));

    const std::string xml = reports::render_junit(report);
    INFO(xml);
    CHECK(xml.find("expiring: intermediate CN=Short Intermediate expires in 9 days") != std::string::npos);
    CHECK(xml.find("expires first on the path: intermediate CN=Short Intermediate") != std::string::npos);

    const std::string json = reports::render_json(report);
    INFO(json);
    CHECK(json.find("\"certificate\": \"intermediate\"") != std::string::npos);
    CHECK(json.find("\"days_left\": 9") != std::string::npos);

    const std::string summary = reports::render_summary(report);
    INFO(summary);
    CHECK(summary.find("expiring: intermediate CN=Short Intermediate expires in 9 days") != std::string::npos);
    CHECK(summary.find("TLS1.3     9  -") != std::string::npos);  // DAYS: the intermediate's, not the leaf's 59
}
