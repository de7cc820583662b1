// reports/sarif: where a result points (list file and line, relative to the base directory),
// one result per violation in input order, rules with their help, levels.
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "edge_report_fixture.hpp"
#include "report_fixture.hpp"
#include "reports/sarif.hpp"

using namespace originscan;
using namespace originscan::testing;
using originscan::reports::render_sarif;
using originscan::reports::sarif_location;
using originscan::reports::SarifLocation;

TEST_CASE("sarif locations: list file and line, relative to the base directory when under it", "[sarif]") {
    struct Row {
        std::string where, base;
        std::optional<SarifLocation> want;
    };
    const Row rows[] = {
        {"origins.txt:12", "/work/repo", SarifLocation{"origins.txt", true, 12}},
        {"./lists/../lists/origins.txt:3", "/work/repo", SarifLocation{"lists/origins.txt", true, 3}},
        {"/work/repo/lists/origins.txt:7", "/work/repo", SarifLocation{"lists/origins.txt", true, 7}},
        {"/work/repo/lists/origins.txt:7", "/work/repo/", SarifLocation{"lists/origins.txt", true, 7}},
        {"/etc/origins.txt:1", "/work/repo", SarifLocation{"file:///etc/origins.txt", false, 1}},
        {"../other/origins.txt:2", "/work/repo", SarifLocation{"file:///work/other/origins.txt", false, 2}},
        {"/work/repository.txt:2", "/work/repo", SarifLocation{"file:///work/repository.txt", false, 2}},
        // A ':' in the file name: the line is after the last one. Reserved characters encoded
        // (a leading "a:" would otherwise read as a URI scheme).
        {"a:b c%#?.txt:40", "/w", SarifLocation{"a%3Ab%20c%25%23%3F.txt", true, 40}},
        {"caf\xc3\xa9.txt:5", "/w", SarifLocation{"caf%C3%A9.txt", true, 5}},
        {"/w/x y/o.txt:5", "/w/x y", SarifLocation{"o.txt", true, 5}},
        {"--origin", "/w", std::nullopt},
        {"<stdin>:4", "/w", std::nullopt},
        {"origins.txt:0", "/w", std::nullopt},
        {"origins.txt:", "/w", std::nullopt},
        {"origins.txt:1x", "/w", std::nullopt},
        {":3", "/w", std::nullopt},
    };
    for (const Row& row : rows) {
        INFO(row.where << " in " << row.base);
        const auto got = sarif_location(row.where, row.base);
        REQUIRE(got.has_value() == row.want.has_value());
        if (got) {
            CHECK(got->uri == row.want->uri);
            CHECK(got->relative == row.want->relative);
            CHECK(got->line == row.want->line);
        }
    }
}

TEST_CASE("sarif: one result per violation, in input order, at the origin's list line", "[sarif]") {
    Report report = sample_report();
    for (auto& r : report.origins) r.origin.where = "lists/origins.txt:" + std::to_string(10 + r.index);
    report.origins[5].origin.where = "--origin";
    const auto log = nlohmann::json::parse(render_sarif(report, "/work/repo"));

    CHECK(log["version"] == "2.1.0");
    REQUIRE(log["runs"].size() == 1);
    const auto& run = log["runs"][0];
    CHECK(run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///work/repo/");
    CHECK(run["invocations"][0]["executionSuccessful"] == false);  // sample_report is interrupted
    CHECK(run["invocations"][0]["toolExecutionNotifications"][0]["level"] == "warning");

    const auto& rules = run["tool"]["driver"]["rules"];
    REQUIRE(rules.size() == 7);  // one per violation
    for (const auto& rule : rules) {
        INFO(rule.dump());
        CHECK(!rule["shortDescription"]["text"].get<std::string>().empty());
        CHECK(!rule["fullDescription"]["text"].get<std::string>().empty());
        CHECK(!rule["help"]["text"].get<std::string>().empty());
        CHECK(rule["name"] != rule["id"]);
    }

    const auto& results = run["results"];
    std::size_t expected = 0;
    for (const auto& r : report.origins) expected += r.verdict.violations.size();
    REQUIRE(results.size() == expected);
    std::size_t i = 0;
    for (const auto& r : report.origins) {
        for (const Violation v : r.verdict.violations) {
            INFO(r.origin.input << " " << to_string(v));
            const auto& result = results[i++];
            CHECK(result["ruleId"] == to_string(v));
            CHECK(rules[result["ruleIndex"].get<std::size_t>()]["id"] == result["ruleId"]);
            CHECK(result["level"] == (v == Violation::expiring ? "warning" : "error"));
            CHECK(result["message"]["text"].get<std::string>().rfind(std::string(to_string(v)) + ": ", 0) == 0);
            CHECK(result["properties"]["origin"] == r.origin.input);
            const auto& location = result["locations"][0];
            if (r.origin.where == "--origin") {
                CHECK(!location.contains("physicalLocation"));
            } else {
                const auto& physical = location["physicalLocation"];
                CHECK(physical["artifactLocation"]["uri"] == "lists/origins.txt");
                CHECK(physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%");
                CHECK(physical["region"]["startLine"] == 10 + r.index);
            }
            CHECK(location["logicalLocations"][0]["name"] ==
                  identity_text(identity_of(r.origin)));
        }
    }
}

TEST_CASE("sarif without violations: an empty result list, a successful run", "[sarif]") {
    const auto log = nlohmann::json::parse(render_sarif(passing_report(), "/"));
    CHECK(log["runs"][0]["results"].empty());
    CHECK(log["runs"][0]["invocations"][0]["executionSuccessful"] == true);
    CHECK(log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///");
}

TEST_CASE("sarif text is valid UTF-8 with nothing unsafe raw, hostile subjects included", "[sarif]") {
    Report report = sample_report();
    for (auto& r : report.origins) r.origin.where = "o.txt:1";
    const std::string text = render_sarif(report, "/w");
    CHECK(shows_nothing_raw(text, /*newlines=*/true));
    CHECK_NOTHROW(nlohmann::json::parse(text));
}

TEST_CASE("sarif: golden file", "[sarif]") {
    Report report = sample_report();
    for (auto& r : report.origins) r.origin.where = "origins.txt:" + std::to_string(3 + 2 * r.index);
    check_golden("results.sarif", render_sarif(report, "/work/repo"));
}

TEST_CASE("sarif with hostile text everywhere: valid JSON, nothing unsafe raw, the text kept visible", "[sarif]") {
    Report report = hostile_report();
    for (auto& r : report.origins) r.origin.where = "o.txt:1";
    const std::string text = render_sarif(report, "/w");
    CHECK(shows_nothing_raw(text, /*newlines=*/true));
    const auto log = nlohmann::json::parse(text);
    REQUIRE(log["runs"][0]["results"].size() == 5);
    // The message is made inert (model/text.hpp) before JSON escapes it: no forged line.
    for (const auto& result : log["runs"][0]["results"])
        CHECK(result["message"]["text"].get<std::string>().find('\n') == std::string::npos);
}

TEST_CASE("sarif --edge: below-required and downgrade name the edges concerned", "[sarif][edges]") {
    Report report = edge_report();
    for (auto& r : report.origins) r.origin.where = "origins.txt:" + std::to_string(1 + r.index);
    const std::string text = render_sarif(report, "/work/repo");
    const auto results = nlohmann::json::parse(text)["runs"][0]["results"];
    // misordered: downgrade (CloudFront); self: below-required (Fastly); gone: downgrade (all), unreachable.
    REQUIRE(results.size() == 4);
    CHECK(results[0]["ruleId"] == "downgrade");
    CHECK(results[0]["properties"]["edges"] ==
          nlohmann::json::parse(R"([{"edge": "cloudfront", "setting": "none", "baseline_setting": "https-only"}])"));
    CHECK(results[1]["ruleId"] == "below-required");
    CHECK(results[1]["properties"]["edges"] ==
          nlohmann::json::parse(R"([{"edge": "fastly", "setting": "tls-unverified", "required_setting": "tls-verified"}])"));
    CHECK(results[2]["ruleId"] == "downgrade");
    CHECK(results[2]["properties"]["edges"] == nlohmann::json::parse(R"([
        {"edge": "cloudflare", "setting": "none", "baseline_setting": "strict"},
        {"edge": "cloudfront", "setting": "none", "baseline_setting": "https-only"},
        {"edge": "fastly", "setting": "none", "baseline_setting": "tls-verified"}])"));
    CHECK(results[3]["ruleId"] == "unreachable");
    CHECK_FALSE(results[3]["properties"].contains("edges"));
    check_golden("results-edges.sarif", text);
}

TEST_CASE("sarif without other edges: no edges property", "[sarif][edges]") {
    const std::string text = render_sarif(sample_report(), "/work/repo");
    CHECK(text.find("\"edges\"") == std::string::npos);
}
