// reports/json_report: golden file, round trip, the reader's errors.
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "report_fixture.hpp"
#include "reports/json_report.hpp"
#include "rules/classify.hpp"

using namespace originscan;
using namespace originscan::testing;
using originscan::reports::parse_report;
using originscan::reports::render_json;
using originscan::reports::report_to_json;
using originscan::reports::ReportError;

TEST_CASE("json report: golden file", "[json_report]") {
    const std::string text = render_json(sample_report());
    REQUIRE(text.back() == '\n');
    check_golden("report.json", text);
    check_golden("report-passing.json", render_json(passing_report()));
}

TEST_CASE("json report: summary counts every class and mode, zeros included", "[json_report]") {
    const Report report = sample_report();
    const auto json = report_to_json(report);
    const auto& summary = json["summary"];
    CHECK(summary["total"] == report.origins.size());
    REQUIRE(summary["by_class"].size() == std::size(all_origin_classes));
    REQUIRE(summary["by_mode"].size() == std::size(all_edge_modes));
    for (const OriginClass c : all_origin_classes) {
        std::size_t expected = 0;
        for (const auto& r : report.origins) expected += r.classification.cls == c;
        CHECK(summary["by_class"][std::string(to_string(c))] == expected);
    }
    for (const EdgeMode m : all_edge_modes) {
        std::size_t expected = 0;
        for (const auto& r : report.origins) expected += r.classification.mode == m;
        CHECK(summary["by_mode"][std::string(to_string(m))] == expected);
    }
    CHECK(summary["violations"] == 7);
    CHECK(summary["downgrades"] == 2);
    std::size_t upgrades = 0, added = 0;
    for (const auto& r : report.origins) {
        upgrades += r.verdict.change == Change::upgrade;
        added += r.verdict.change == Change::added;
    }
    CHECK(summary["upgrades"] == upgrades);
    CHECK(summary["new"] == added);
    CHECK(summary["not_scanned"] == 1);

    // Every class appears at least once in the fixture: the golden covers them all.
    for (const OriginClass c : all_origin_classes) CHECK(summary["by_class"][std::string(to_string(c))] > 0);

    const auto empty = report_to_json(base_report());
    for (const OriginClass c : all_origin_classes) CHECK(empty["summary"]["by_class"][std::string(to_string(c))] == 0);
    CHECK(empty["origins"].empty());
}

TEST_CASE("json report: origins in input order, with the facts of what happened", "[json_report]") {
    const Report report = sample_report();
    const auto json = report_to_json(report);
    const auto& origins = json["origins"];
    REQUIRE(origins.size() == report.origins.size());
    for (std::size_t i = 0; i < origins.size(); ++i) {
        CHECK(origins[i]["index"] == i);
        CHECK(origins[i]["input"] == report.origins[i].origin.input);
        CHECK(origins[i]["class"] == to_string(report.origins[i].classification.cls));
        CHECK(origins[i]["allowed_mode"] == to_string(report.origins[i].classification.mode));
        // exactly one of tls, http, failure, unless nothing was probed
        const int outcomes = !origins[i]["tls"].is_null() + !origins[i]["http"].is_null() +
                             !origins[i]["failure"].is_null();
        CHECK(outcomes == (report.origins[i].observation.probes.empty() ? 0 : 1));
        CHECK(origins[i].contains("probes") == (report.origins[i].observation.probes.size() > 1));
    }

    const auto& api = origins[0];
    CHECK(api["address"] == "127.0.0.1");
    CHECK(api["tls"]["protocol"] == "TLS1.3");
    CHECK(api["tls"]["chain_length"] == 2);
    CHECK(api["tls"]["chain"].size() == 2);
    CHECK(api["tls"]["leaf"]["days_left"] == 89);
    CHECK(api["tls"]["leaf"]["not_after"] == "2024-07-29T13:00:00Z");
    CHECK(api["tls"]["leaf"]["spki_pin"] == "sha256/" + spki('A'));
    CHECK_FALSE(api["tls"]["chain"][0].contains("days_left"));
    CHECK(api["verdict"]["required_mode"] == "strict");
    CHECK(api["verdict"]["change"] == "same");

    CHECK(origins[1]["tls"]["group"].is_null());
    CHECK(origins[2]["tls"]["leaf"]["days_left"] == -3);
    CHECK(origins[2]["reasons"] == nlohmann::ordered_json{"expired"});
    CHECK(origins[3]["tls"]["trust_problems"] == nlohmann::ordered_json{"signer-not-found", "insecure-algorithm"});
    CHECK(origins[4]["tls"].is_null());
    CHECK(origins[4]["http"]["on_tls_port"] == true);
    CHECK(origins[5]["failure"]["reason"] == "timeout");
    CHECK(origins[5]["address"].is_null());
    CHECK(origins[7]["probes"].size() == 2);
    CHECK(origins[8]["scanned"] == false);
    CHECK(origins[8]["timings"].is_null());

    CHECK(json["started_at"] == "2024-05-01T12:00:00.123Z");
    CHECK(json["finished_at"] == "2024-05-01T12:00:12.456Z");
    CHECK(json["judged_at"] == "2024-05-01T12:00:00Z");
    CHECK(json["complete"] == false);
    CHECK(json["settings"]["now"] == "2024-05-01T12:00:00Z");
    CHECK(report_to_json(passing_report())["settings"]["now"].is_null());
    CHECK(json["removed"][0]["baseline_mode"] == "strict");
}

TEST_CASE("json report: days_left rounds down, negative once expired", "[json_report]") {
    struct Case {
        std::int64_t not_after;
        int days;
    };
    const Case cases[] = {
        {judged_at + 10 * day, 10},  {judged_at + 10 * day - 1, 9}, {judged_at + 1, 0},
        {judged_at, 0},              {judged_at - 1, -1},           {judged_at - 2 * day, -2},
        {judged_at - 2 * day - 1, -3},
    };
    for (const Case& c : cases) {
        Report report = passing_report();
        std::get<TlsFacts>(report.origins[0].observation.probes[0].outcome).chain[0].not_after = c.not_after;
        INFO("not_after - judged_at = " << c.not_after - judged_at);
        CHECK(report_to_json(report)["origins"][0]["tls"]["leaf"]["days_left"] == c.days);
    }
}

TEST_CASE("json report: strings from the network never break the output", "[json_report]") {
    Report report = passing_report();
    auto& leaf = std::get<TlsFacts>(report.origins[0].observation.probes[0].outcome).chain[0];
    leaf.subject = "CN=bad\xff\xc3(utf8\x01";
    const std::string text = render_json(report);
    CHECK(text.find("CN=bad\xef\xbf\xbd\xef\xbf\xbd(utf8\\u0001") != std::string::npos);
    // and it reads back, as what was written
    CHECK(render_json(parse_report(text, "r.json")) == text);
}

TEST_CASE("json report: nothing from outside is written raw, and all of it reads back", "[json_report]") {
    const Report report = hostile_report();
    const std::string text = render_json(report);
    CHECK(shows_nothing_raw(text, true));  // the newlines are the indentation's
    CHECK(text.find("\\u001b]0;pwned\\u0007") != std::string::npos);
    CHECK(text.find("\\u2028class: ca-trusted\\u0085class: ca-trusted\\u007f") != std::string::npos);
    // A name that is no host name (the parser lets none through) makes no origin id: read back,
    // that is an error, its message inert.
    try {
        parse_report(text, "r.json");
        FAIL("no ReportError for a hostile id");
    } catch (const ReportError& e) {
        CHECK(shows_nothing_raw(e.what(), false));
        CHECK(std::string(e.what()).rfind("r.json: origins[0].id: ", 0) == 0);
    }
    // With a host name there, everything else reads back as it was.
    Report named = report;
    named.origins[0].origin.name = "hostile.example.com";
    const std::string named_text = render_json(named);
    CHECK(render_json(parse_report(named_text, "r.json")) == named_text);
    // What reads back is the text itself; only the bytes that are not UTF-8 became U+FFFD.
    std::string expected = "CN=" + hostile_text;
    expected.replace(expected.find("\xff\xfe"), 2, "\xef\xbf\xbd\xef\xbf\xbd");
    const Report back = parse_report(named_text, "r.json");
    CHECK(std::get<TlsFacts>(back.origins[0].observation.probes[0].outcome).chain[0].subject == expected);
    for (const OriginResult& r : report.origins) {
        const std::string line = reports::ndjson_origin(r, report.judged_at);
        CHECK(shows_nothing_raw(line, false));  // one line, whatever the strings hold
        CHECK(nlohmann::json::parse(line)["index"] == r.index);
    }
}

TEST_CASE("json report: the reader's messages show text from the file inert", "[json_report]") {
    const std::string good = render_json(sample_report());
    auto json = nlohmann::json::parse(good);
    json["origins"][3]["class"] = "\x1b]0;pwned\x07\x1b[2J\xc2\x9b";
    const std::string edited = json.dump();
    const std::string not_json = "{\"schema_version\": \x1b]0;pwned\x07 \xc2\x9b \xff}";
    for (const std::string& text : {edited, not_json}) {
        try {
            parse_report(text, "old\x1b[2J.json");
            FAIL("no ReportError");
        } catch (const ReportError& e) {
            INFO(e.what());
            CHECK(shows_nothing_raw(e.what(), false));
            CHECK(std::string(e.what()).rfind("old\\x1b[2J.json: ", 0) == 0);
        }
    }
    try {
        parse_report(edited, "old.json");
    } catch (const ReportError& e) {
        CHECK(std::string(e.what()) == "old.json: origins[3].class: unknown class \"\\x1b]0;pwned\\x07\\x1b[2J\\u009b\"");
    }
}

TEST_CASE("json report: round trip", "[json_report]") {
    for (const Report& report : {sample_report(), passing_report(), base_report()}) {
        const std::string text = render_json(report);
        const Report back = parse_report(text, "report.json");
        CHECK(render_json(back) == text);

        // What a baseline and a re-judgement need comes back exactly.
        REQUIRE(back.origins.size() == report.origins.size());
        for (std::size_t i = 0; i < report.origins.size(); ++i) {
            const OriginResult& a = report.origins[i];
            const OriginResult& b = back.origins[i];
            INFO(a.origin.input);
            CHECK(b.index == a.index);
            CHECK(b.origin.input == a.origin.input);
            CHECK(b.origin.name == a.origin.name);
            CHECK(b.origin.port == a.origin.port);
            CHECK(b.scanned == a.scanned);
            CHECK(b.classification.cls == a.classification.cls);
            CHECK(b.classification.mode == a.classification.mode);
            CHECK(b.classification.reasons == a.classification.reasons);
            CHECK(b.verdict.violations == a.verdict.violations);
            CHECK(b.verdict.pins == a.verdict.pins);
            CHECK(b.verdict.change == a.verdict.change);
            CHECK(b.observation.probes.size() == a.observation.probes.size());
            if (a.scanned) {
                const Classification again = rules::classify(b.observation, back.judged_at, b.verdict.pins);
                CHECK(again.cls == a.classification.cls);
                CHECK(again.reasons == a.classification.reasons);
            }
        }
        CHECK(back.started_ms == report.started_ms);
        CHECK(back.finished_ms == report.finished_ms);
        CHECK(back.judged_at == report.judged_at);
        CHECK(back.complete == report.complete);
        CHECK(back.settings.now == report.settings.now);
        CHECK(back.settings.fail_on == report.settings.fail_on);
        CHECK(back.settings.timeout_s == report.settings.timeout_s);
        CHECK(back.settings.retries == report.settings.retries);
        CHECK(back.removed.size() == report.removed.size());
    }
}

TEST_CASE("json report: attempts per probe and the retries setting; reports from before them read back as one attempt",
          "[json_report]") {
    const Report report = sample_report();
    const auto json = report_to_json(report);
    CHECK(json["settings"]["retries"] == 2);
    const auto& origins = json["origins"];
    CHECK(origins[0]["attempts"] == 1);
    CHECK(origins[5]["attempts"] == 3);                  // timed out three times
    CHECK(origins[7]["probes"][0]["attempts"] == 1);     // answered at once
    CHECK(origins[7]["probes"][1]["attempts"] == 3);     // refused three times
    CHECK(origins[8]["attempts"].is_null());             // not scanned: no probe
    const Report back = parse_report(render_json(report), "report.json");
    CHECK(back.origins.at(5).observation.probes.at(0).attempts == 3);
    CHECK(back.origins.at(7).observation.probes.at(1).attempts == 3);

    auto old = nlohmann::json::parse(render_json(report));
    old["settings"].erase("retries");
    for (auto& o : old["origins"]) {
        o.erase("attempts");
        if (o.contains("probes"))
            for (auto& p : o["probes"]) p.erase("attempts");
    }
    const Report before = parse_report(old.dump(), "old.json");
    CHECK(before.settings.retries == 0);
    for (const auto& o : before.origins)
        for (const auto& p : o.observation.probes) CHECK(p.attempts == 1);

    auto bad = nlohmann::json::parse(render_json(report));
    bad["origins"][5]["attempts"] = -1;
    CHECK_THROWS_WITH(parse_report(bad.dump(), "bad.json"), Catch::Contains("attempts") && Catch::Contains("range"));
}

TEST_CASE("json report: an address not probed from here is marked, and read back so", "[json_report]") {
    Report report = base_report();
    report.origins.push_back(result(0, "m.example.com:443", "m.example.com", 443,
                                    {probe(Failure{Reason::refused, "Connection refused"}, "127.0.0.1"),
                                     probe(Failure{Reason::no_route, no_ipv6_route_detail, true}, "::1")}));
    const auto json = report_to_json(report);
    const auto& probes = json["origins"][0]["probes"];
    CHECK_FALSE(probes[0]["failure"].contains("not_probed_here"));
    CHECK(probes[1]["failure"]["not_probed_here"] == true);
    const Report back = parse_report(render_json(report), "report.json");
    REQUIRE(back.origins.at(0).observation.probes.size() == 2);
    CHECK_FALSE(rules::not_probed_here(back.origins[0].observation.probes[0]));
    CHECK(rules::not_probed_here(back.origins[0].observation.probes[1]));
}

TEST_CASE("json report: the reader says clearly what is wrong", "[json_report]") {
    const std::string good = render_json(sample_report());
    const auto edited = [&](auto&& edit) {
        auto json = nlohmann::json::parse(good);
        edit(json);
        return json.dump();
    };
    using nlohmann::json;
    struct Case {
        std::string text;
        std::string message;
    };
    const Case cases[] = {
        {"", "old.json: not JSON: "},
        {"{\"schema_version\": 1,", "old.json: not JSON: "},
        {"[1, 2]", "old.json: not an originscan report"},
        {"{\"rules\": []}", "old.json: not an originscan report"},
        {edited([](json& j) { j["tool"]["name"] = "other"; }), "old.json: not an originscan report"},
        {edited([](json& j) { j["schema_version"] = 2; }),
         "old.json: schema_version: 2 is not supported (this originscan reads 1)"},
        {edited([](json& j) { j["schema_version"] = "1"; }), "old.json: schema_version: \"1\" is not supported"},
        {edited([](json& j) { j.erase("schema_version"); }), "old.json: schema_version: missing"},
        {edited([](json& j) { j["origins"][3].erase("class"); }), "old.json: origins[3].class: missing"},
        {edited([](json& j) { j["origins"][3]["class"] = "bogus"; }), "old.json: origins[3].class: unknown class \"bogus\""},
        {edited([](json& j) { j["origins"][0]["allowed_mode"] = 3; }), "old.json: origins[0].allowed_mode: expected a string"},
        {edited([](json& j) { j["origins"][2]["reasons"][0] = "tired"; }),
         "old.json: origins[2].reasons[0]: unknown reason \"tired\""},
        {edited([](json& j) { j["origins"][0]["verdict"]["violations"] = {"late"}; }),
         "old.json: origins[0].verdict.violations[0]: unknown violation \"late\""},
        {edited([](json& j) { j["origins"][0]["port"] = 70000; }), "old.json: origins[0].port: out of range 0..65535"},
        {edited([](json& j) { j["origins"][0]["tls"]["leaf"]["sha256_fingerprint"] = "00"; }),
         "old.json: origins[0].tls.leaf: is not the first certificate of the chain"},
        {edited([](json& j) { j["origins"][0]["tls"]["chain"][1]["not_after"] = "2024-13-01T00:00:00Z"; }),
         "old.json: origins[0].tls.chain[1].not_after: not an RFC 3339 date-time: \"2024-13-01T00:00:00Z\""},
        {edited([](json& j) { j["origins"][0]["tls"]["chain_length"] = 3; }),
         "old.json: origins[0].tls.chain_length: does not match the chain's length"},
        {edited([](json& j) { j["origins"][0]["tls"]["trust_problems"] = {"cosmic-rays"}; }),
         "old.json: origins[0].tls.trust_problems: unknown trust problem \"cosmic-rays\""},
        {edited([](json& j) { j["origins"][0]["http"] = {{"on_tls_port", true}, {"port", 443}, {"status_line", ""}}; }),
         "old.json: origins[0]: expected exactly one of tls, http and failure"},
        {edited([](json& j) { j["origins"][5]["failure"]["reason"] = "gremlins"; }),
         "old.json: origins[5].failure.reason: unknown reason \"gremlins\""},
        {edited([](json& j) { j["origins"][7]["probes"] = json::array({json::object()}); }),
         "old.json: origins[7].probes[0].address: missing"},
        {edited([](json& j) { j["origins"] = json::object(); }), "old.json: origins: expected an array"},
        {edited([](json& j) { j["settings"]["now"] = "2024-05-01"; }), "old.json: settings.now: not an RFC 3339 date-time"},
        {edited([](json& j) { j["removed"][0]["baseline_mode"] = "max"; }), "old.json: removed[0].baseline_mode: unknown mode \"max\""},
        {edited([](json& j) { j["started_at"] = nullptr; }), "old.json: started_at: expected a string"},
        {edited([](json& j) { j["origins"][1]["id"] = 7; }), "old.json: origins[1].id: expected a string"},
        {edited([](json& j) { j["origins"][1]["id"] = "PINNED.example.com:8443@127.0.0.2"; }),
         "old.json: origins[1].id: \"PINNED.example.com:8443@127.0.0.2\" is not an origin id"},
        {edited([](json& j) { j["origins"][1]["id"] = "pinned.example.com@127.0.0.2:8443"; }),
         "old.json: origins[1].id: \"pinned.example.com@127.0.0.2:8443\" is not an origin id"},
        {edited([](json& j) { j["origins"][1]["id"] = "other.example.com:8443@127.0.0.2"; }),
         "old.json: origins[1]: id \"other.example.com:8443@127.0.0.2\" does not match its name and port"},
        {edited([](json& j) { j["origins"][1]["id"] = "pinned.example.com:443@127.0.0.2"; }),
         "old.json: origins[1]: id \"pinned.example.com:443@127.0.0.2\" does not match its name and port"},
        {edited([](json& j) { j["origins"][4].erase("id"); }),
         "old.json: origins[4].input: no id, and not an origin spec to derive it from: control byte 0x01"},
        {edited([](json& j) { j["removed"][0]["id"] = "old.example.com"; }),
         "old.json: removed[0].id: \"old.example.com\" is not an origin id"},
    };
    for (const Case& c : cases) {
        INFO("input: " << c.text.substr(0, 80));
        try {
            parse_report(c.text, "old.json");
            FAIL("no ReportError for: " << c.message);
        } catch (const ReportError& e) {
            const std::string what = e.what();
            CHECK(what.substr(0, c.message.size()) == c.message);
        }
    }

    // Unknown keys are tolerated (the schema, not the reader, is strict about them), and the
    // derived summary is not read.
    CHECK_NOTHROW(parse_report(edited([](json& j) {
                                   j["extra"] = 1;
                                   j.erase("summary");
                               }),
                               "old.json"));
}

namespace {

// A report of origins as list lines give them, each spec parsed.
Report listed_report(std::initializer_list<std::string_view> specs) {
    Report report = passing_report();
    const OriginResult model = report.origins[0];
    report.origins.clear();
    for (const std::string_view spec : specs) {
        OriginResult r = model;
        r.index = report.origins.size();
        r.origin = std::get<Origin>(parse_origin_spec(spec));
        report.origins.push_back(std::move(r));
    }
    return report;
}

}  // namespace

TEST_CASE("json report: each origin carries its id, in the NDJSON line too", "[json_report]") {
    const Report report = listed_report({"GOOD.Example.com.", "good.example.com:8443@127.0.0.1",
                                         "v6.example.com@[2001:DB8:0::1]:8443", "https://[::1]/x",
                                         "two.example.com@[::1],127.0.0.2,127.0.0.1"});
    const auto json = report_to_json(report);
    const char* const ids[] = {"good.example.com:443", "good.example.com:8443@127.0.0.1",
                               "v6.example.com:8443@[2001:db8::1]", "[::1]:443",
                               "two.example.com:443@127.0.0.1,127.0.0.2,[::1]"};
    for (std::size_t i = 0; i < std::size(ids); ++i) {
        CHECK(json["origins"][i]["id"] == ids[i]);
        CHECK(nlohmann::json::parse(reports::ndjson_origin(report.origins[i], report.judged_at))["id"] == ids[i]);
    }
    CHECK(report_to_json(sample_report())["removed"][0]["id"] == "old.example.com:443");
}

TEST_CASE("json report: a report without ids reads as a baseline, each id derived from its input", "[json_report]") {
    Report report = listed_report({"GOOD.Example.com.", "good.example.com:8443@127.0.0.1",
                                   "v6.example.com@[2001:DB8:0::1]:8443", "a.example.com@Backend.Example.:8443",
                                   "two.example.com:8443@[::1],127.0.0.1"});
    report.removed = {{"Gone.Example.com.:8443", EdgeMode::strict, {"gone.example.com", 8443, {}}}};
    const std::string text = render_json(report);
    auto json = nlohmann::json::parse(text);
    for (auto& o : json["origins"]) o.erase("id");
    for (auto& r : json["removed"]) r.erase("id");
    const Report back = parse_report(json.dump(), "old.json");
    REQUIRE(back.origins.size() == report.origins.size());
    for (std::size_t i = 0; i < back.origins.size(); ++i) {
        CAPTURE(report.origins[i].origin.input);
        CHECK(identity_of(back.origins[i].origin) == identity_of(report.origins[i].origin));
    }
    REQUIRE(back.removed.size() == 1);
    CHECK(back.removed[0].identity == report.removed[0].identity);
    CHECK(render_json(back) == text);  // the ids written again, the same

    SECTION("when there is an id, it is what identifies the origin, not the input") {
        auto edited = nlohmann::json::parse(text);
        edited["origins"][1]["input"] = "elsewhere.example.com";
        const Report read = parse_report(edited.dump(), "old.json");
        CHECK(identity_text(identity_of(read.origins[1].origin)) == "good.example.com:8443@127.0.0.1");
    }
}

TEST_CASE("json report: whether an Origin CA root was loaded is kept for the merge's rejudging", "[json_report]") {
    Report report = sample_report();
    std::optional<std::size_t> at;
    for (std::size_t i = 0; i < report.origins.size() && !at; ++i) {
        auto& probes = report.origins[i].observation.probes;
        if (probes.size() == 1)
            if (auto* t = std::get_if<TlsFacts>(&probes[0].outcome)) {
                t->trust.origin_ca_loaded = true;
                at = i;
            }
    }
    REQUIRE(at);
    const std::string text = render_json(report);
    const auto json = nlohmann::json::parse(text);
    CHECK(json["origins"][*at]["tls"]["origin_ca_loaded"] == true);
    // Only where true: reports without an Origin CA root among the anchors are unchanged.
    std::size_t written = 0;
    for (std::size_t p = text.find("\"origin_ca_loaded\""); p != std::string::npos;
         p = text.find("\"origin_ca_loaded\"", p + 1))
        ++written;
    CHECK(written == 1);
    const Report back = parse_report(text, "report.json");
    for (std::size_t i = 0; i < back.origins.size(); ++i)
        for (const auto& p : back.origins[i].observation.probes)
            if (const auto* t = std::get_if<TlsFacts>(&p.outcome)) CHECK(t->trust.origin_ca_loaded == (i == *at));
    CHECK(render_json(back) == text);
}
