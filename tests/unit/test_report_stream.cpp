// reports/report_stream: a report read an origin at a time reads as parse_report reads it
// whole, in render_json's layout and in any other; a shard report's shard object and `where`
// round-trip; broken text is an error naming the file.
#include "reports/report_stream.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "report_fixture.hpp"
#include "reports/json_report.hpp"

using namespace originscan;
using originscan::reports::ReportError;
using originscan::reports::ReportStream;
using originscan::testing::passing_report;
using originscan::testing::sample_report;

namespace {

// A file in $TMPDIR (or /tmp) holding `text`, removed with it.
struct TextFile {
    std::string path;
    explicit TextFile(const std::string& text) {
        char pattern[] = "/tmp/originscan-stream-XXXXXX";
        const int fd = mkstemp(pattern);
        REQUIRE(fd >= 0);
        ::close(fd);
        path = pattern;
        std::ofstream(path, std::ios::binary) << text;
    }
    ~TextFile() { std::remove(path.c_str()); }
};

Report sharded(Report report) {
    ShardInfo shard;
    shard.spec = {1, 3};
    shard.origins_total = report.origins.size() + 5;
    shard.origins_here = report.origins.size();
    shard.list_digest = "0123456789abcdef";
    shard.options_digest = "fedcba9876543210";
    shard.listed_more_than_once = {0};
    report.shard = shard;
    for (std::size_t i = 0; i < report.origins.size(); ++i) report.origins[i].origin.where = "list.txt:" + std::to_string(i + 3);
    return report;
}

// The stream's head and origins, rendered again as a whole report.
std::string streamed(const std::string& path) {
    ReportStream stream(path);
    Report report = stream.head();
    OriginResult origin;
    while (stream.next(origin)) report.origins.push_back(origin);
    CHECK_FALSE(stream.next(origin));  // stays at the end
    return reports::render_json(report);
}

}  // namespace

TEST_CASE("report stream: reads what parse_report reads, in any layout", "[report_stream]") {
    const Report report = sharded(sample_report());
    const std::string text = reports::render_json(report);
    CHECK(reports::render_json(reports::parse_report(text, "r.json")) == text);  // shard and where round-trip
    const Report whole = reports::parse_report(text, "r.json");
    REQUIRE(whole.shard);
    CHECK(whole.shard->spec == ShardSpec{1, 3});
    CHECK(whole.shard->origins_left() == 5);
    CHECK(whole.origins.front().origin.where == "list.txt:3");

    // The stream does not read `removed` (merge makes its own): compared without it.
    Report without_removed = whole;
    without_removed.removed.clear();
    const std::string expected = reports::render_json(without_removed);
    const TextFile pretty(text);
    CHECK(streamed(pretty.path) == expected);
    // One line, no blanks, removed first: the same origins (the head is read before "origins").
    auto doc = nlohmann::ordered_json::parse(text);
    const TextFile compact(doc.dump());
    CHECK(streamed(compact.path) == expected);
    // Without origins at all.
    Report empty = sharded(passing_report());
    empty.origins.clear();
    const std::string empty_text = reports::render_json(empty);
    const TextFile none(empty_text);
    CHECK(streamed(none.path) == empty_text);
}

TEST_CASE("report stream: broken text is an error naming the file and place", "[report_stream]") {
    const std::string text = reports::render_json(sharded(sample_report()));
    struct Case {
        std::string text, message;
    };
    const Case cases[] = {
        {text.substr(0, text.size() / 2), "the file ends inside origins["},
        {"[]", "expected { in the report"},
        {"{\"schema_version\": 1}", "no \"origins\" array"},
        {text.substr(0, text.find("\"origins\"")) + "\"origins\": [{\"index\": \"x\"}]}", "origins[0]"},
        {text + "{}", "text after the report"},
        {"{\"a\": " + std::string(100, '[') , "nested too deep"},
    };
    for (const Case& c : cases) {
        INFO(c.message);
        const TextFile file(c.text);
        try {
            ReportStream stream(file.path);
            OriginResult origin;
            while (stream.next(origin)) {
            }
            FAIL("no error");
        } catch (const ReportError& e) {
            CHECK_THAT(e.what(), Catch::StartsWith(file.path + ": ") && Catch::Contains(c.message));
        }
    }
    CHECK_THROWS_WITH(ReportStream("/nonexistent/r.json"), "/nonexistent/r.json: cannot open");
}
