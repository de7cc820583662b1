#include "reports/junit.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <type_traits>
#include <variant>
#include <vector>

#include "reports/format.hpp"
#include "rules/classify.hpp"
#include "rules/origin_ca.hpp"

namespace originscan::reports {
namespace {

constexpr std::string_view replacement_character = "\uFFFD";

// `attribute`: also keep tab, newline and carriage return as character references, which
// attribute-value normalisation (XML 1.0 3.3.3) would otherwise turn into spaces.
std::string escape(std::string_view text, bool attribute) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    char buffer[16];
    for (std::size_t i = 0; i < text.size();) {
        const Utf8Step step = decode_utf8(text, i);
        const char32_t cp = step.code_point;
        if (!step.valid) {
            out += replacement_character;
        } else if (cp == '&') {
            out += "&amp;";
        } else if (cp == '<') {
            out += "&lt;";
        } else if (cp == '>') {
            out += "&gt;";
        } else if (cp == '"') {
            out += "&quot;";
        } else if (cp == '\'') {
            out += "&apos;";
        } else if (cp == '\r' || (attribute && (cp == '\t' || cp == '\n'))) {
            std::snprintf(buffer, sizeof buffer, "&#%u;", static_cast<unsigned>(cp));
            out += buffer;
        } else if (cp == '\t' || cp == '\n') {
            out += static_cast<char>(cp);
        } else if (cp < 0x20 || cp == 0x7F) {
            // Forbidden in XML 1.0 (DEL is merely discouraged): shown, not dropped.
            std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned>(cp));
            out += buffer;
        } else if ((cp >= 0x80 && cp <= 0x9F) || cp == 0xFFFE || cp == 0xFFFF || is_bidi_control(cp)) {
            std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(cp));
            out += buffer;
        } else {
            out.append(text.substr(i, step.length));
        }
        i += step.length;
    }
    return out;
}

std::string text(std::string_view s) { return escape(s, false); }
std::string attr(std::string_view s) { return escape(s, true); }

std::string seconds(double ms) {
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, "%.3f", std::max(0.0, ms) / 1000.0);
    return buffer;
}

template <class T>
std::string join(const std::vector<T>& values, std::string_view separator = ", ") {
    std::string out;
    for (const auto& value : values) {
        if (!out.empty()) out += separator;
        if constexpr (std::is_enum_v<T>)
            out += to_string(value);
        else
            out += value;
    }
    return out;
}

// One "label: value" line of the facts, the value made inert.
void fact_line(std::string& out, std::string_view label, std::string_view value) {
    out.append(label).append(": ").append(inert(value)).append("\n");
}

// What a person needs to see next to a failure in a CI UI: the facts behind the verdict, one
// "label: value" per line. Every value is made inert (model/text.hpp) before it joins the
// text, so a newline in a certificate subject cannot forge a line such as "class: ca-trusted".
std::string facts(const OriginResult& r, std::int64_t judged_at) {
    const Classification& c = r.classification;
    const Verdict& v = r.verdict;
    const Probe* probe = shown_probe(r, judged_at);
    std::string out;
    const auto line = [&out](std::string_view label, std::string_view value) { fact_line(out, label, value); };
    line("origin", r.origin.input);
    line("name", r.origin.name);
    line("port", std::to_string(r.origin.port));
    if (probe && !probe->address.empty()) line("address", probe->address);
    if (r.observation.probes.size() > 1) {
        out += inert(addresses_note(r, judged_at)) + "; the weakest decides and is shown:\n";
        for (const Probe& p : r.observation.probes)
            out += "  " + inert(p.address.empty() ? "?" : p.address) + ": " +
                   (rules::not_probed_here(p) ? std::string("not probed: ") + no_ipv6_route_detail
                                              : inert(class_and_reasons(rules::classify_probe(p, judged_at, v.pins)))) +
                   "\n";
    }
    if (!r.scanned) out += "not scanned: the scan was interrupted\n";
    line("class", to_string(c.cls));
    line("allowed mode", to_string(c.mode));
    line("reasons", c.reasons.empty() ? std::string("none") : join(c.reasons));
    if (std::find(c.reasons.begin(), c.reasons.end(), Reason::origin_ca_not_loaded) != c.reasons.end())
        line("fix", rules::origin_ca_note());
    if (v.required_mode) line("required mode", to_string(*v.required_mode));
    if (v.baseline_mode)
        line("baseline mode", std::string(to_string(*v.baseline_mode)) + " (" + std::string(to_string(v.change)) + ")");
    if (!v.pins.empty()) line("configured pins", join(v.pins));
    if (probe == nullptr) return out;

    if (const auto* tls = std::get_if<TlsFacts>(&probe->outcome)) {
        line("tls", tls->protocol + " " + tls->cipher + (tls->group.empty() ? "" : " " + tls->group));
        if (!tls->error.empty()) line("tls error", tls->error);
        if (tls->client_cert_requested) out += "client certificate requested\n";
        line("chain", std::to_string(tls->chain.size()) + " certificate(s), " +
                          (tls->trust.trusted ? "trusted" : "not trusted") +
                          (tls->trust.chain_in_order ? "" : ", out of order") + ", name " +
                          (tls->name_matches ? "matches" : "does not match"));
        if (!tls->chain.empty()) {
            const CertFacts& leaf = tls->chain.front();
            line("subject", leaf.subject);
            line("issuer", leaf.issuer);
            if (!leaf.dns_names.empty() || !leaf.ip_addresses.empty())
                line("names", join(leaf.dns_names) +
                                  (leaf.dns_names.empty() || leaf.ip_addresses.empty() ? "" : ", ") +
                                  join(leaf.ip_addresses));
            line("valid", format_rfc3339(leaf.not_before) + " to " + format_rfc3339(leaf.not_after) + " (" +
                              std::to_string(days_left(leaf.not_after, judged_at)) + " days left)");
            if (const CertFacts* first = rules::earliest_expiry(*tls); first && first != &leaf)
                line("expires first on the path", std::string(rules::path_role(*tls, first)) + " " + first->subject +
                                                      ", " + format_rfc3339(first->not_after) + " (" +
                                                      std::to_string(days_left(first->not_after, judged_at)) +
                                                      " days left)");
            std::string pins;
            for (const CertFacts& cert : tls->chain) pins += (pins.empty() ? "sha256/" : " sha256/") + cert.spki_sha256;
            line("presented pins", pins);
        }
    } else if (const auto* http = std::get_if<HttpFacts>(&probe->outcome)) {
        line((http->on_tls_port ? "http on the tls port " : "http on port ") + std::to_string(http->port),
             http->status_line);
    } else if (const auto* failure = std::get_if<Failure>(&probe->outcome)) {
        line("failure", std::string(to_string(failure->reason)) + (failure->detail.empty() ? "" : ": " + failure->detail));
    }
    return out;
}

// Where the line was listed: "FILE:LINE"; the --origin specs are the run's first origins
// (app/origin_lists.cpp), so the N-th is "--origin N".
std::string listed_at(const OriginResult& r) {
    if (r.origin.where == "--origin") return "--origin " + std::to_string(r.index + 1);
    if (r.origin.where.empty()) return "origin " + std::to_string(r.index + 1);
    return r.origin.where;
}

}  // namespace

std::string xml_escape(std::string_view s) { return attr(s); }

std::string junit_head(const Report& report) {
    const Tally tally = summarize(report);
    // Ant's convention: a local timestamp without zone; ours is UTC (see the properties).
    std::string timestamp = format_rfc3339(report.started_ms / 1000 - (report.started_ms % 1000 < 0 ? 1 : 0));
    timestamp.pop_back();
    const std::string counts = " tests=\"" + std::to_string(tally.cases) + "\" failures=\"" +
                               std::to_string(tally.failing_cases) + "\" errors=\"0\" skipped=\"" +
                               std::to_string(tally.skipped_cases) + "\" time=\"" +
                               seconds(static_cast<double>(report.finished_ms - report.started_ms)) + "\"";

    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += "<testsuites name=\"originscan\"" + counts + ">\n";
    out += "  <testsuite name=\"originscan\"" + counts + " timestamp=\"" + timestamp + "\">\n";
    out += "    <properties>\n";
    const auto property = [&](std::string_view name, std::string_view value) {
        out += "      <property name=\"" + attr(name) + "\" value=\"" + attr(value) + "\"/>\n";
    };
    property("originscan.version", report.tool_version);
    property("originscan.started_at", format_rfc3339_ms(report.started_ms));
    property("originscan.judged_at", format_rfc3339(report.judged_at));
    property("originscan.complete", report.complete ? "true" : "false");
    out += "    </properties>\n";
    return out;
}

namespace {

// One testcase: `classname` and `name` are attribute text already made inert; `violations`
// those it fails on, each message filtered to `edge` (empty: the origin's, every edge's part);
// `body` the facts shown (an edge's lines, then the origin's facts, computed once per origin).
std::string testcase(const OriginResult& r, std::int64_t judged_at, int expiry_days, std::string_view classname,
                     const std::string& name, const std::vector<Violation>& violations, std::string_view edge,
                     const std::string& body) {
    const Probe* probe = shown_probe(r, judged_at);
    std::string out = "    <testcase classname=\"" + attr(classname) + "\" name=\"" + attr(name) + "\" time=\"" +
                      seconds(probe ? probe->timings.total_ms : 0) + "\">\n";
    if (!r.scanned) out += "      <skipped message=\"not scanned\"/>\n";
    if (violations.empty()) {
        out += "      <system-out>" + text(body) + "</system-out>\n";
    } else {
        // One <failure> whatever the count: readers that meet several in a testcase keep the
        // first, or count each as a failed test. Its type is the first violation; the message
        // names them all, the body has one per line, then the facts (there only, not again in
        // a <system-out>: a reader showing both would show them twice).
        std::string message, lines;
        for (const Violation v : violations) {
            const std::string one = inert(violation_message(r, v, judged_at, expiry_days, edge));
            message += (message.empty() ? "" : "; ") + one;
            lines += one + "\n";
        }
        if (violations.size() > 1) message.insert(0, std::to_string(violations.size()) + " violations: ");
        out += "      <failure type=\"" + attr(to_string(violations.front())) + "\" message=\"" + attr(message) +
               "\">" + text(lines) + "\n" + text(body) + "</failure>\n";
    }
    out += "    </testcase>\n";
    return out;
}

// The edge's own lines, before the origin's facts: which edge, the setting it allows, why not a
// stricter one (its reasons), and the setting its rule requires and the baseline's.
std::string edge_facts(const EdgeJudgement& e) {
    std::string out;
    const auto line = [&out](std::string_view label, std::string_view value) { fact_line(out, label, value); };
    line("edge", e.edge);
    line("setting", e.setting);
    line("reasons", e.reasons.empty() ? std::string("none") : join(e.reasons));
    if (!e.required_setting.empty()) line("required setting", e.required_setting);
    if (!e.baseline_setting.empty()) line("baseline setting", e.baseline_setting);
    return out + "\n";  // a blank line, then the origin's facts (their "reasons" are Cloudflare's)
}

}  // namespace

std::string junit_testcase(const OriginResult& r, std::int64_t judged_at, int expiry_days, bool listed_more_than_once) {
    std::string name = inert(r.origin.input);
    if (listed_more_than_once) name += " (" + inert(listed_at(r)) + ")";
    const std::string origin_facts = facts(r, judged_at);
    if (r.edges.empty())
        return testcase(r, judged_at, expiry_days, "originscan.origins", name, r.verdict.violations, {}, origin_facts);
    // --edge: a testcase per edge, each failing on the violations that concern it (model/report.hpp
    // edge_violations: its own below-required and downgrade, and every origin-wide one).
    std::string out;
    for (const EdgeJudgement& e : r.edges) {
        const std::string edge = inert(e.edge);
        out += testcase(r, judged_at, expiry_days, "originscan.origins." + edge, name + " [" + edge + "]",
                        edge_violations(r, e.edge), e.edge, edge_facts(e) + origin_facts);
    }
    return out;
}

std::string junit_tail() { return "  </testsuite>\n</testsuites>\n"; }

std::string render_junit(const Report& report) {
    std::map<OriginIdentity, std::size_t> listed;
    for (const OriginResult& r : report.origins) ++listed[identity_of(r.origin)];
    std::string out = junit_head(report);
    for (const OriginResult& r : report.origins)
        out += junit_testcase(r, report.judged_at, report.settings.expiry_days, listed[identity_of(r.origin)] > 1);
    return out + junit_tail();
}

}  // namespace originscan::reports
