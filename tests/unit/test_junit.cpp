// reports/junit: golden files, counts, one testcase per origin (per origin per edge with --edge), escaping.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "edge_report_fixture.hpp"
#include "report_fixture.hpp"
#include "reports/junit.hpp"

using namespace originscan;
using namespace originscan::testing;
using originscan::reports::render_junit;
using originscan::reports::xml_escape;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
    return n;
}

// Runs xmllint against reports/junit.xsd; -1 when xmllint is not installed.
int validate_with_xmllint(const std::string& xml) {
    if (std::system("command -v xmllint >/dev/null 2>&1") != 0) return -1;
    char path[] = "/tmp/originscan-junit-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    std::ofstream(path, std::ios::binary) << xml;
    const std::string command = "xmllint --noout --schema '" + std::string(ORIGINSCAN_SOURCE_DIR) +
                                "/reports/junit.xsd' '" + path + "'";
    int status = std::system((command + " >/dev/null 2>&1").c_str());
    if (status != 0) status = std::system((command + " 2>&1").c_str());  // again, to show why
    std::remove(path);
    return status;
}

}  // namespace

TEST_CASE("junit: golden files", "[junit]") {
    check_golden("junit.xml", render_junit(sample_report()));
    check_golden("junit-passing.xml", render_junit(passing_report()));
}

TEST_CASE("junit: validates against reports/junit.xsd", "[junit]") {
    for (const Report& report : {sample_report(), passing_report(), base_report()}) {
        const int status = validate_with_xmllint(render_junit(report));
        if (status == -1) {
            WARN("xmllint not installed: schema not checked");
            return;
        }
        CHECK(status == 0);
    }
}

// The testcases of a rendered report, each "<testcase ...>...</testcase>".
std::vector<std::string> testcases(const std::string& xml) {
    std::vector<std::string> out;
    for (std::size_t at = xml.find("<testcase "); at != std::string::npos; at = xml.find("<testcase ", at + 1))
        out.push_back(xml.substr(at, xml.find("</testcase>", at) - at));
    return out;
}

TEST_CASE("junit: one testcase per origin, one failure per failing origin naming every violation", "[junit]") {
    const Report report = sample_report();
    const std::string xml = render_junit(report);
    CHECK(count(xml, "<testcase ") == report.origins.size());
    // 7 violations in 4 origins: 4 failures, as the counts say.
    CHECK(count(xml, "<failure ") == 4);
    CHECK(count(xml, "<skipped ") == 1);
    CHECK(xml.find("<testsuites name=\"originscan\" tests=\"9\" failures=\"4\" errors=\"0\" skipped=\"1\" "
                   "time=\"12.333\">") != std::string::npos);
    CHECK(xml.find("timestamp=\"2024-05-01T12:00:00\"") != std::string::npos);
    // The type is the first violation; the message names them all; the body has one a line.
    CHECK(xml.find("<failure type=\"downgrade\" message=\"2 violations: downgrade: allowed mode fell from strict to "
                   "full (self-signed: expired); expiring: the certificate expired on 2024-04-28T12:00:00Z "
                   "(self-signed: expired)\">downgrade: allowed mode fell from strict to full (self-signed: expired)\n"
                   "expiring: the certificate expired on 2024-04-28T12:00:00Z (self-signed: expired)\n\norigin: "
                   "expired.example.com\n") != std::string::npos);
    CHECK(xml.find("<failure type=\"below-required\" message=\"2 violations: below-required: allowed mode full is "
                   "below the required strict (self-signed: incomplete-chain, hostname-mismatch, insecure-algorithm, "
                   "legacy-protocol, client-cert-required); expiring: the certificate expires in 5 days, on "
                   "2024-05-06T12:00:00Z, within the 14-day warning") != std::string::npos);
    CHECK(xml.find("<failure type=\"downgrade\" message=\"2 violations: downgrade: allowed mode fell from full to none "
                   "(unreachable: timeout); unreachable: no edge mode can reach the origin (unreachable: timeout; no "
                   "answer within 5.5 s)\"") != std::string::npos);
    CHECK(xml.find("<failure type=\"pin-mismatch\" message=\"pin-mismatch: none of the 2 configured pins matches a "
                   "certificate the origin presented (ca-trusted: pin-mismatch)\">") != std::string::npos);
    CHECK(xml.find("<testcase classname=\"originscan.origins\" name=\"api.example.com\" time=\"0.014\">") !=
          std::string::npos);

    // The facts once per testcase: in the failure when there is one, else in <system-out>.
    for (const std::string& testcase : testcases(xml)) {
        INFO(testcase);
        CHECK(count(testcase, "<failure ") <= 1);
        CHECK(count(testcase, "<failure ") + count(testcase, "<system-out>") == 1);
        CHECK(count(testcase, "\nclass: ") == 1);
        CHECK(count(testcase, "origin: ") == 1);
    }

    // All pass: every origin is still listed (trivy #1510).
    const std::string passing = render_junit(passing_report());
    CHECK(count(passing, "<testcase ") == 2);
    CHECK(count(passing, "<failure") == 0);
    CHECK(count(passing, "<system-out>") == 2);
    CHECK(passing.find("tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"0\"") != std::string::npos);
}

TEST_CASE("junit: an origin listed more than once gets a testcase name per line", "[junit]") {
    Report report = sample_report();
    report.origins.resize(2);
    // The first origin again: the same line in another file, the same origin spelled otherwise,
    // and twice on the command line; the second origin once, as it was.
    const auto again = [&](std::string input, std::string where) {
        OriginResult r = report.origins[0];
        r.index = report.origins.size();
        r.origin.input = std::move(input);
        r.origin.where = std::move(where);
        report.origins.push_back(std::move(r));
    };
    report.origins[0].origin.where = "--origin";
    report.origins[1].origin.where = "origins.txt:3";
    again("api.example.com", "--origin");
    again("api.example.com", "origins.txt:7");
    again("API.example.com.", "more/origins.txt:1");
    const std::string xml = render_junit(report);
    std::vector<std::string> names;
    for (const std::string& testcase : testcases(xml)) {
        const std::size_t at = testcase.find(" name=\"") + 7;
        names.push_back(testcase.substr(at, testcase.find('"', at) - at));
    }
    CHECK(names == std::vector<std::string>{"api.example.com (--origin 1)", "pinned.example.com:8443@127.0.0.2",
                                            "api.example.com (--origin 3)", "api.example.com (origins.txt:7)",
                                            "API.example.com. (more/origins.txt:1)"});
    // The XSD says names are unique: the same report without the locations is refused.
    std::string clashing = xml;
    for (const std::string suffix : {" (--origin 1)", " (--origin 3)"})
        clashing.replace(clashing.find(suffix), suffix.size(), "");
    const int status = validate_with_xmllint(xml);
    if (status == -1) {
        WARN("xmllint not installed: schema not checked");
    } else {
        CHECK(status == 0);
        CHECK(validate_with_xmllint(clashing) != 0);
    }
}

TEST_CASE("junit: hostile names and subjects are escaped", "[junit]") {
    const std::string xml = render_junit(sample_report());
    CHECK(xml.find("name=\"evil&lt;&amp;&quot;&apos;&gt;\\x01\\x1b[31m.example.com\"") != std::string::npos);
    CHECK(xml.find("HTTP/1.1 400 &quot;Bad&quot; &lt;Request&gt; &amp; \\x07 ok") != std::string::npos);
    CHECK(xml.find("subject: CN=legacy\\x01\\x1b[2J&lt;&amp;&quot;&apos;&gt;\\xff\\xfe.example.com") !=
          std::string::npos);
    for (const char c : xml) {
        const auto byte = static_cast<unsigned char>(c);
        INFO("byte " << static_cast<int>(byte));
        CHECK((byte >= 0x20 || c == '\n'));
        CHECK(byte != 0xff);
        CHECK(byte != 0xfe);
    }
}

TEST_CASE("junit: xml_escape", "[junit]") {
    struct Case {
        std::string in, out;
    };
    const Case cases[] = {
        {"plain", "plain"},
        {"<a href=\"x\">&'</a>", "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"},
        {"line\nnext\ttab\rcr", "line&#10;next&#9;tab&#13;cr"},
        {std::string("nul\0bell\x07", 9), "nul\\x00bell\\x07"},
        {"esc\x1b[0m", "esc\\x1b[0m"},
        {"bad\xff", "bad\xef\xbf\xbd"},
        {"surrogate\xed\xb0\x80!", "surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!"},
        {"nonchar\xef\xbf\xbe", "nonchar\\ufffe"},
        {"c1\xc2\x85", "c1\\u0085"},
        {"rlo\xe2\x80\xaetxt.exe", "rlo\\u202etxt.exe"},
        {"]]>", "]]&gt;"},
        {"caf\xc3\xa9 \xf0\x9f\x94\x92", "caf\xc3\xa9 \xf0\x9f\x94\x92"},
    };
    for (const Case& c : cases) {
        INFO(c.out);
        CHECK(xml_escape(c.in) == c.out);
    }
}

TEST_CASE("junit: text from outside cannot forge a line, in text or attributes", "[junit]") {
    const std::string xml = render_junit(hostile_report());
    const std::string benign = render_junit(hostile_report("benign"));
    CHECK(shows_nothing_raw(xml, true));
    CHECK(count(xml, "\n") == count(benign, "\n"));
    // No origin is ca-trusted: a line saying so, or an attribute line break before it, is forged.
    CHECK(count(xml, "\nclass: ca-trusted") == 0);
    CHECK(count(xml, "\nallowed mode: strict") == 0);
    CHECK(count(xml, "&#10;") == 0);
    CHECK(count(xml, "&#13;") == 0);
    CHECK(xml.find("subject: CN=x\\x1b]0;pwned\\x07\\x1b[2J\\x0d\\x0aclass: ca-trusted\\x0aallowed mode: "
                   "strict\\x00nul\\u2028class: ca-trusted\\u0085class: ca-trusted\\x7f\\xff\\xfe end\n") !=
          std::string::npos);
    const int status = validate_with_xmllint(xml);
    if (status == -1) WARN("xmllint not installed: schema not checked");
    else CHECK(status == 0);
}

TEST_CASE("junit --edge: one testcase per origin per edge, each failing on its own part", "[junit][edges]") {
    const Report report = edge_report();
    REQUIRE(report.origins[1].edges.size() == 3);
    const std::string xml = render_junit(report);
    const std::vector<std::string> cases = testcases(xml);
    // 5 origins x 3 edges; failing: CloudFront of misordered, Fastly of self, every edge of
    // gone (unreachable is origin-wide); skipped: every edge of later.
    REQUIRE(cases.size() == 15);
    CHECK(xml.find("<testsuites name=\"originscan\" tests=\"15\" failures=\"5\" errors=\"0\" skipped=\"3\" ") !=
          std::string::npos);
    CHECK(count(xml, "<failure ") == 5);
    CHECK(count(xml, "<skipped ") == 3);
    const Tally tally = summarize(report);
    CHECK(tally.cases == 15);
    CHECK(tally.failing_cases == 5);
    CHECK(tally.failing == 3);  // origins

    const char* edges[] = {"cloudflare", "cloudfront", "fastly"};
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const OriginResult& r = report.origins[i / 3];
        const std::string edge = edges[i % 3];
        INFO(cases[i]);
        CHECK(cases[i].rfind("<testcase classname=\"originscan.origins." + edge + "\" name=\"" + r.origin.input +
                                 " [" + edge + "]\" time=",
                             0) == 0);
        // The edge's lines lead the facts, the origin's follow once.
        CHECK(cases[i].find("edge: " + edge + "\nsetting: " + r.edges[i % 3].setting + "\nreasons: ") != std::string::npos);
        CHECK(cases[i].find("edge: ") < cases[i].find("\norigin: "));
        CHECK(count(cases[i], "\nclass: ") == 1);
        CHECK(count(cases[i], "<failure ") + count(cases[i], "<system-out>") == 1);
    }
    const auto failure = [&](std::size_t origin, std::size_t edge) {
        const std::string& c = cases[origin * 3 + edge];
        const std::size_t at = c.find("<failure ");
        return at == std::string::npos ? std::string() : c.substr(at, c.find('>', at) - at + 1);
    };
    // misordered: Cloudflare and Fastly pass; CloudFront's downgrade names CloudFront only.
    CHECK(failure(1, 0).empty());
    CHECK(failure(1, 2).empty());
    CHECK_THAT(failure(1, 1), Catch::StartsWith("<failure type=\"downgrade\" message=\"downgrade: cloudfront fell from "
                                                "https-only to none (none: "));
    CHECK(cases[4].find("\nbaseline setting: https-only\n") != std::string::npos);
    // self: only Fastly is below its rule's minimum.
    CHECK(failure(2, 0).empty());
    CHECK(failure(2, 1).empty());
    CHECK(failure(2, 2) == "<failure type=\"below-required\" message=\"below-required: fastly allows tls-unverified, "
                           "below the required tls-verified (tls-unverified: self-signed)\">");
    CHECK(cases[8].find("\nrequired setting: tls-verified\n") != std::string::npos);
    // gone: each edge's own downgrade, and the origin-wide unreachable in every testcase.
    CHECK_THAT(failure(3, 0), Catch::StartsWith("<failure type=\"downgrade\" message=\"2 violations: downgrade: allowed "
                                                "mode fell from strict to none (unreachable: timeout); unreachable: "));
    CHECK_THAT(failure(3, 2), Catch::StartsWith("<failure type=\"downgrade\" message=\"2 violations: downgrade: fastly "
                                                "fell from tls-verified to none (none: timeout); unreachable: "));
    CHECK(failure(3, 1).find("cloudfront fell from https-only to none") != std::string::npos);
    for (const std::size_t other : {0, 2}) CHECK(failure(3, other).find("cloudfront") == std::string::npos);
}

TEST_CASE("junit --edge: an origin listed twice keeps its line in each edge's name", "[junit][edges]") {
    const Report report = edge_report();
    OriginResult r = report.origins[0];
    r.origin.where = "origins.txt:7";
    const std::string xml = reports::junit_testcase(r, report.judged_at, 14, /*listed_more_than_once=*/true);
    CHECK(count(xml, "<testcase ") == 3);
    CHECK(xml.find("name=\"api.example.com (origins.txt:7) [cloudfront]\"") != std::string::npos);
}

TEST_CASE("junit --edge: golden file, and valid against reports/junit.xsd", "[junit][edges]") {
    const std::string xml = render_junit(edge_report());
    check_golden("junit-edges.xml", xml);
    const int status = validate_with_xmllint(xml);
    if (status == -1) WARN("xmllint not installed: schema not checked");
    else CHECK(status == 0);
}
