// reports/prometheus: label escaping, one series per origin identity, families grouped with
// HELP/TYPE once, values (mode numbers, earliest expiry on the path), and promtool's parser.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <unistd.h>

#include "edge_report_fixture.hpp"
#include "report_fixture.hpp"
#include "reports/format.hpp"
#include "reports/prometheus.hpp"

using namespace originscan;
using namespace originscan::testing;
using originscan::reports::prometheus_label_value;
using originscan::reports::render_prometheus;

namespace {

// name{labels} -> value, for every sample; `families` counts each HELP and TYPE line.
struct Parsed {
    std::map<std::string, std::string> samples;
    std::map<std::string, int> help, type;
    std::vector<std::string> order;  // family of each sample, in order
    int duplicates = 0;
};

Parsed parse(const std::string& text) {
    Parsed out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("# HELP ", 0) == 0) {
            ++out.help[line.substr(7, line.find(' ', 7) - 7)];
        } else if (line.rfind("# TYPE ", 0) == 0) {
            ++out.type[line.substr(7, line.find(' ', 7) - 7)];
        } else {
            const std::size_t space = line.rfind(' ');
            const std::string series = line.substr(0, space);
            out.duplicates += !out.samples.emplace(series, line.substr(space + 1)).second;
            out.order.push_back(series.substr(0, series.find('{')));
        }
    }
    return out;
}

// No duplicate series, HELP and TYPE once per family, and families grouped: a family's samples
// are never interrupted by another's.
void check_structure(const Parsed& p) {
    CHECK(p.duplicates == 0);
    for (const auto& [family, n] : p.type) {
        INFO(family);
        CHECK(n == 1);
        CHECK(p.help.at(family) == 1);
    }
    std::set<std::string> closed;
    for (std::size_t i = 0; i < p.order.size(); ++i) {
        INFO(p.order[i]);
        CHECK(closed.count(p.order[i]) == 0);
        if (i + 1 < p.order.size() && p.order[i + 1] != p.order[i]) closed.insert(p.order[i]);
        CHECK(p.type.count(p.order[i]) == 1);
    }
}

// A sample's value, "(absent)" when there is no such series.
std::string value_of(const Parsed& p, const std::string& series) {
    const auto it = p.samples.find(series);
    return it == p.samples.end() ? std::string("(absent)") : it->second;
}

Origin origin_named(const std::string& input, const std::string& name, std::uint16_t port, const std::string& address) {
    Origin o;
    o.input = input;
    o.name = name;
    o.port = port;
    if (!address.empty()) o.addresses = {address};
    return o;
}

// Runs `promtool check metrics` on the text; -1 when promtool is not installed.
int promtool_check(const std::string& text) {
    if (std::system("command -v promtool >/dev/null 2>&1") != 0) return -1;
    char path[] = "/tmp/originscan-prom-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    std::ofstream(path, std::ios::binary) << text;
    const int status = std::system(("promtool check metrics < '" + std::string(path) + "'").c_str());
    std::remove(path);
    return status;
}

}  // namespace

TEST_CASE("prometheus label values escape backslash, double quote and line feed", "[prometheus]") {
    struct Row {
        std::string in, out;
    };
    const Row rows[] = {
        {"api.example.com:443", "api.example.com:443"},
        {R"(a\b)", R"(a\\b)"},
        {R"(say "hi")", R"(say \"hi\")"},
        {"two\nlines", R"(two\nlines)"},
        {"\\\"\n", R"(\\\"\n)"},
        {R"(\n is not a line feed)", R"(\\n is not a line feed)"},
        {"caf\xc3\xa9", "caf\xc3\xa9"},          // UTF-8 kept
        {"bad\xff" "byte", "bad\xef\xbf\xbd" "byte"},  // not UTF-8: U+FFFD
        {"tab\there", "tab\there"},               // allowed raw by the format
    };
    for (const Row& row : rows) {
        INFO(row.in);
        CHECK(prometheus_label_value(row.in) == row.out);
    }
}

TEST_CASE("prometheus metrics: families grouped, HELP/TYPE once, one series per identity", "[prometheus]") {
    Report report = sample_report();
    // The first origin again in two other spellings: one origin, so no new series.
    OriginResult again = report.origins.front();
    again.index = report.origins.size();
    again.origin.input = again.origin.name = "API.Example.com.";
    report.origins.push_back(again);
    again.index += 1;
    again.origin.input = "api.example.com:443";
    report.origins.push_back(again);

    const std::string text = render_prometheus(report);
    const Parsed p = parse(text);
    check_structure(p);

    const auto value = [&](const std::string& series) { return value_of(p, series); };
    // Every line counts in the run's totals; each identity has one series.
    CHECK(value("originscan_origins") == std::to_string(report.origins.size()));
    std::size_t scanned_series = 0;
    for (const auto& [series, v] : p.samples) scanned_series += series.rfind("originscan_origin_scanned{", 0) == 0;
    CHECK(scanned_series == report.origins.size() - 2);

    CHECK(value(R"(originscan_origin_mode{origin="api.example.com:443",mode="strict"})") == "3");
    CHECK(value(R"(originscan_origin_mode{origin="expired.example.com:443",mode="full"})") == "2");
    CHECK(value(R"(originscan_origin_mode{origin="evil.example.com:443",mode="flexible"})") == "1");
    CHECK(value(R"(originscan_origin_mode{origin="gone.example.com:443",mode="none"})") == "0");
    CHECK(value(R"(originscan_origin_class{origin="pinned.example.com:8443@127.0.0.2",class="pin-matching"})") == "1");
    CHECK(value(R"(originscan_probe_success{origin="gone.example.com:443"})") == "0");
    CHECK(value(R"(originscan_probe_success{origin="evil.example.com:443"})") == "1");
    CHECK(value(R"(originscan_origin_policy_violations{origin="expired.example.com:443"})") == "2");
    // Expiry: the leaf's here; absent without a certificate.
    CHECK(value(R"(originscan_cert_not_after_timestamp_seconds{origin="expired.example.com:443"})") ==
          std::to_string(judged_at - 3 * day));
    CHECK(value(R"(originscan_cert_not_after_timestamp_seconds{origin="gone.example.com:443"})") == "(absent)");
    // Not scanned: said, and nothing else claimed about it.
    CHECK(value(R"(originscan_origin_scanned{origin="later.example.com:443"})") == "0");
    CHECK(value(R"(originscan_probe_success{origin="later.example.com:443"})") == "(absent)");
    CHECK(value("originscan_run_complete") == "0");
    CHECK(value(R"(originscan_origins_by_class{class="self-signed"})") ==
          std::to_string(summarize(report).by_class[static_cast<std::size_t>(OriginClass::self_signed)]));
    CHECK(value("originscan_last_run_timestamp_seconds") == std::to_string(judged_at + 12) + ".456");
    CHECK(text.find("originscan_last_run_timestamp_seconds{") == std::string::npos);  // no timestamps, no labels
}

TEST_CASE("prometheus expiry is the earliest on the verified path, anchor included, over every address",
          "[prometheus]") {
    TlsFacts t = tls13({cert("CN=a.example.com", "CN=Test Intermediate CA", {"a.example.com"}, judged_at - day,
                             judged_at + 300 * day, 'a'),
                        ca_cert("CN=Test Intermediate CA", 'b'),
                        cert("CN=unused cross", "CN=x", {}, judged_at - 9 * day, judged_at - day, 'x')});
    t.trust.trusted = true;
    t.name_matches = true;
    t.trust.path = {0, 1};  // the expired cross-certificate is on no path: it does not count
    t.trust.anchor = ca_cert("CN=Test Root CA", 'c');
    t.trust.anchor->not_after = judged_at + 100 * day;  // the anchor expires first
    TlsFacts later = t;
    later.trust.anchor->not_after = judged_at + 200 * day;

    Report report = base_report();
    report.origins.push_back(result(0, "a.example.com", "a.example.com", 443, {probe(t)}));
    report.origins.push_back(result(1, "b.example.com", "b.example.com", 443,
                                    {probe(later, "127.0.0.1"), probe(t, "::1")}));
    const Parsed p = parse(render_prometheus(report));
    CHECK(p.samples.at(R"(originscan_cert_not_after_timestamp_seconds{origin="a.example.com:443"})") ==
          std::to_string(judged_at + 100 * day));
    CHECK(p.samples.at(R"(originscan_cert_not_after_timestamp_seconds{origin="b.example.com:443"})") ==
          std::to_string(judged_at + 100 * day));
}

TEST_CASE("prometheus identity labels: IPv6 bracketed, every spelling one label", "[prometheus]") {
    CHECK(reports::identity_text(origin_named("x", "v6.example.com", 8443, "2001:db8::1")) ==
          "v6.example.com:8443@[2001:db8::1]");
    CHECK(reports::identity_text(origin_named("x", "2001:db8::1", 443, "")) == "[2001:db8::1]:443");
    CHECK(reports::identity_text(origin_named("x", "GOOD.demo.test.", 443, "127.0.0.1")) ==
          reports::identity_text(origin_named("y", "good.demo.test", 443, "127.0.0.1")));
}

TEST_CASE("promtool parses the metrics, hostile label text included", "[prometheus]") {
    Report report = sample_report();
    // Only the parser's own escaping stands between such a name and a broken file.
    OriginResult hostile = report.origins.front();
    hostile.index = report.origins.size();
    hostile.origin = origin_named("x", "quote\"back\\slash\nnewline", 443, "");
    report.origins.push_back(hostile);
    const std::string text = render_prometheus(report);
    CHECK(text.find(R"(origin="quote\"back\\slash\nnewline:443")") != std::string::npos);
    const int status = promtool_check(text);
    if (status == -1) WARN("promtool not installed (Debian package prometheus): parser check skipped");
    else CHECK(status == 0);
}

TEST_CASE("prometheus: golden file", "[prometheus]") {
    check_golden("metrics.prom", render_prometheus(sample_report()));
}

TEST_CASE("prometheus --edge: a setting sample per origin per edge, the run's counts per setting", "[prometheus][edges]") {
    const Report report = edge_report();
    const std::string text = render_prometheus(report);
    const Parsed p = parse(text);
    check_structure(p);
    const auto value = [&](const std::string& series) { return value_of(p, series); };
    const auto edge_sample = [](const std::string& origin, const std::string& edge, const std::string& setting) {
        return "originscan_origin_edge_setting{origin=\"" + origin + ":443\",edge=\"" + edge + "\",setting=\"" +
               setting + "\"}";
    };
    // Cloudflare's setting is its mode, the rank its number.
    CHECK(value(edge_sample("api.example.com", "cloudflare", "strict")) == "3");
    CHECK(value(edge_sample("api.example.com", "cloudfront", "https-only")) == "3");
    CHECK(value(edge_sample("misordered.example.com", "cloudfront", "none")) == "0");
    CHECK(value(edge_sample("self.example.com", "cloudflare", "full")) == "2");
    CHECK(value(edge_sample("self.example.com", "fastly", "tls-unverified")) == "2");
    // Not scanned: no setting series (as no mode series).
    CHECK(text.find("originscan_origin_edge_setting{origin=\"later.example.com:443\"") == std::string::npos);
    std::size_t edge_samples = 0;
    for (const std::string& family : p.order) edge_samples += family == "originscan_origin_edge_setting";
    CHECK(edge_samples == 4 * 3);
    // The run: every setting of every selected edge, zeros included; each edge counts every origin.
    CHECK(value("originscan_origins_by_edge_setting{edge=\"cloudfront\",setting=\"https-only\"}") == "1");
    CHECK(value("originscan_origins_by_edge_setting{edge=\"cloudfront\",setting=\"none\"}") == "4");
    CHECK(value("originscan_origins_by_edge_setting{edge=\"cloudfront\",setting=\"http-only\"}") == "0");
    CHECK(value("originscan_origins_by_edge_setting{edge=\"cloudflare\",setting=\"strict\"}") == "2");
    CHECK(value("originscan_origins_by_edge_setting{edge=\"fastly\",setting=\"tls-unverified\"}") == "1");
    CHECK(value("originscan_origins_by_edge_setting{edge=\"akamai\",setting=\"http\"}") == "(absent)");
    CHECK(value("originscan_origins_by_edge_setting{edge=\"cloudfront\",setting=\"match-viewer\"}") == "(absent)");

    // Streamed in pieces as the collector writes it: the same text.
    std::string streamed = reports::prometheus_run(report);
    for (std::size_t f = 0; f < reports::prometheus_origin_families(report); ++f) {
        streamed += reports::prometheus_family_head(f);
        for (const OriginResult& r : report.origins) streamed += reports::prometheus_sample(reports::prometheus_origin(r), f);
    }
    CHECK(streamed == text);

    const int status = promtool_check(text);
    if (status == -1) WARN("promtool not installed (Debian package prometheus): parser check skipped");
    else CHECK(status == 0);
    check_golden("metrics-edges.prom", text);
}

TEST_CASE("prometheus without other edges: no edge family", "[prometheus][edges]") {
    const Report report = sample_report();
    CHECK(reports::prometheus_origin_families(report) == reports::prometheus_default_families);
    const std::string text = render_prometheus(report);
    CHECK(text.find("originscan_origin_edge_setting") == std::string::npos);
    CHECK(text.find("originscan_origins_by_edge_setting") == std::string::npos);
}
