// reports/summary: golden output, alignment, escaping, truncation.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "report_fixture.hpp"
#include "reports/summary.hpp"

using namespace originscan;
using namespace originscan::testing;
using originscan::reports::render_summary;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// Byte offset of the column titled `title` in the header line, and the table's rows after it.
std::size_t header_index(const std::vector<std::string>& lines) {
    for (std::size_t i = 0; i < lines.size(); ++i)
        if (lines[i].rfind("ORIGIN ", 0) == 0) return i;
    FAIL("no table header");
    return 0;
}

}  // namespace

TEST_CASE("summary: golden output", "[summary]") {
    check_golden("summary.txt", render_summary(sample_report()));
    check_golden("summary-color.txt", render_summary(sample_report(), true));
    check_golden("summary-passing.txt", render_summary(passing_report()));
}

TEST_CASE("summary: no raw control bytes without colour, only SGR with it", "[summary]") {
    const std::string plain = render_summary(sample_report());
    for (const char c : plain) {
        INFO("byte " << static_cast<int>(static_cast<unsigned char>(c)));
        CHECK((static_cast<unsigned char>(c) >= 0x20 || c == '\n'));
        CHECK(c != 0x7f);
    }
    const std::string colored = render_summary(sample_report(), true);
    CHECK(colored.find("\x1b[") != std::string::npos);
    // Every ESC in the coloured output starts one of our SGR sequences, never the origin's.
    for (std::size_t pos = colored.find('\x1b'); pos != std::string::npos; pos = colored.find('\x1b', pos + 1)) {
        const std::size_t end = colored.find('m', pos);
        REQUIRE(end != std::string::npos);
        const std::string sequence = colored.substr(pos, end - pos + 1);
        CHECK((sequence == "\x1b[0m" || sequence == "\x1b[31m" || sequence == "\x1b[32m" ||
               sequence == "\x1b[33m" || sequence == "\x1b[1;31m"));
    }
}

TEST_CASE("summary: violations first, rows in input order and aligned", "[summary]") {
    const Report report = sample_report();
    const auto lines = lines_of(render_summary(report));
    REQUIRE(!lines.empty());
    CHECK(lines[0] == "7 VIOLATIONS:");
    CHECK(lines[1].find("downgrade: allowed mode fell from strict to full (self-signed: expired)") != std::string::npos);

    const std::size_t header = header_index(lines);
    const std::string& titles = lines[header];
    const std::size_t class_at = titles.find("CLASS"), mode_at = titles.find("MODE"),
                      reasons_at = titles.find("REASONS");
    for (std::size_t i = 0; i < report.origins.size(); ++i) {
        const std::string& row = lines[header + 1 + i];
        const OriginResult& r = report.origins[i];
        INFO(row);
        // Columns are aligned in bytes here: every cell before REASONS is ASCII in the fixture,
        // the hostile input included, once escaped.
        CHECK(row.substr(class_at, to_string(r.classification.cls).size()) == to_string(r.classification.cls));
        CHECK(row.substr(mode_at, to_string(r.classification.mode).size()) == to_string(r.classification.mode));
        CHECK(row[reasons_at - 1] == ' ');
        const std::string first_reason =
            r.classification.reasons.empty() ? "-" : std::string(to_string(r.classification.reasons.front()));
        CHECK(row.substr(reasons_at, first_reason.size()) == first_reason);
        CHECK(row.back() != ' ');
    }
    const std::string text = render_summary(report);
    CHECK(text.find("classes: pin-matching 1, ca-trusted 2, self-signed 2, plaintext 1, unreachable 3") !=
          std::string::npos);
    CHECK(text.find("modes:   strict 3, full 2, flexible 1, none 3") != std::string::npos);
    CHECK(text.find("INCOMPLETE: the scan was interrupted; 1 of 9 origins not scanned") != std::string::npos);
    CHECK(text.find("removed since the baseline: old.example.com (strict)") != std::string::npos);

    const std::string passing = render_summary(passing_report());
    CHECK(passing.find("VIOLATION") == std::string::npos);
    CHECK(passing.find("INCOMPLETE") == std::string::npos);
    CHECK(lines_of(passing)[0].rfind("ORIGIN ", 0) == 0);
}

TEST_CASE("summary: long cells are cut with an ellipsis", "[summary]") {
    Report report = passing_report();
    report.origins[0].origin.input = std::string(100, 'a') + ".example.com";
    const auto lines = lines_of(render_summary(report));
    const std::size_t header = header_index(lines);
    const std::string& row = lines[header + 1];
    const std::string expected = std::string(47, 'a') + "\u2026";
    CHECK(row.substr(0, expected.size()) == expected);
    // The next column still lines up: 48 columns, the ellipsis being one of them.
    const std::size_t class_at = lines[header].find("CLASS");
    CHECK(class_at == 48 + 2);
    CHECK(row.substr(expected.size() + 2, 10) == "ca-trusted");
}


TEST_CASE("summary: text from outside cannot forge a line or reach the terminal raw", "[summary]") {
    for (const bool color : {false, true}) {
        const std::string text = render_summary(hostile_report(), color);
        const std::string benign = render_summary(hostile_report("benign"), color);
        // Colour escapes are ours; take them out, then nothing unsafe may be left.
        std::string uncolored = text;
        for (const std::string_view code : {"\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[1;31m", "\x1b[0m"})
            for (std::size_t at; (at = uncolored.find(code)) != std::string::npos;) uncolored.erase(at, code.size());
        CHECK(shows_nothing_raw(uncolored, true));
        CHECK(lines_of(text).size() == lines_of(benign).size());
        CHECK(text.find("\\x1b]0;pwned\\x07") != std::string::npos);
    }
}

TEST_CASE("summary: --quiet keeps the violations and one counts line", "[summary]") {
    using originscan::reports::render_quiet_summary;
    const Report report = sample_report();
    const std::string full = render_summary(report);
    const std::string quiet = render_quiet_summary(report);
    const auto lines = lines_of(quiet);
    REQUIRE(lines.size() == 10);
    CHECK(lines[0] == "7 VIOLATIONS:");
    // The same violation lines the full summary starts with.
    CHECK(full.rfind(quiet.substr(0, quiet.find("\n\n") + 2), 0) == 0);
    CHECK(lines[8].empty());
    CHECK(lines[9] ==
          "9 origins: strict 3, full 2, flexible 1, none 3; 7 violations in 4 origins; INCOMPLETE: 1 not scanned "
          "(interrupted)");
    CHECK(quiet.find("ORIGIN ") == std::string::npos);

    CHECK(render_quiet_summary(passing_report()) == "2 origins: strict 1, full 0, flexible 1, none 0; no violations\n");

    const std::string colored = render_quiet_summary(report, true);
    CHECK(colored.find("\x1b[1;31m7 VIOLATIONS:\x1b[0m\n") == 0);
    CHECK(colored.find("\x1b[32mstrict\x1b[0m 3") != std::string::npos);
    CHECK(render_quiet_summary(hostile_report()).find('\x1b') == std::string::npos);
}
