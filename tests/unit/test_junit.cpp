// reports/junit: golden files, counts, one testcase per origin, escaping.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <unistd.h>

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

TEST_CASE("junit: one testcase per origin, a failure per violation", "[junit]") {
    const Report report = sample_report();
    const std::string xml = render_junit(report);
    CHECK(count(xml, "<testcase ") == report.origins.size());
    CHECK(count(xml, "<failure ") == 7);
    CHECK(count(xml, "<skipped ") == 1);
    CHECK(xml.find("<testsuites name=\"originscan\" tests=\"9\" failures=\"4\" errors=\"0\" skipped=\"1\" "
                   "time=\"12.333\">") != std::string::npos);
    CHECK(xml.find("timestamp=\"2024-05-01T12:00:00\"") != std::string::npos);
    CHECK(xml.find("<failure type=\"downgrade\" message=\"downgrade: allowed mode fell from strict to full "
                   "(self-signed: expired)\">") != std::string::npos);
    CHECK(xml.find("message=\"below-required: allowed mode full is below the required strict (self-signed: "
                   "incomplete-chain, hostname-mismatch, insecure-algorithm, legacy-protocol, "
                   "client-cert-required)\"") != std::string::npos);
    CHECK(xml.find("message=\"unreachable: no edge mode can reach the origin (unreachable: timeout; no answer "
                   "within 5.5 s)\"") != std::string::npos);
    CHECK(xml.find("message=\"pin-mismatch: none of the 2 configured pins matches a certificate the origin "
                   "presented (ca-trusted: pin-mismatch)\"") != std::string::npos);
    CHECK(xml.find("message=\"expiring: the certificate expires in 5 days, on 2024-05-06T12:00:00Z, within the "
                   "14-day warning") != std::string::npos);
    CHECK(xml.find("message=\"expiring: the certificate expired on 2024-04-28T12:00:00Z") != std::string::npos);
    CHECK(xml.find("<testcase classname=\"originscan.origins\" name=\"api.example.com\" time=\"0.014\">") !=
          std::string::npos);

    // All pass: every origin is still listed (trivy #1510).
    const std::string passing = render_junit(passing_report());
    CHECK(count(passing, "<testcase ") == 2);
    CHECK(count(passing, "<failure") == 0);
    CHECK(passing.find("tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"0\"") != std::string::npos);
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
