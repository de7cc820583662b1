#include "reports/sarif.hpp"

#include <filesystem>
#include <iterator>

#include <nlohmann/json.hpp>

#include "reports/format.hpp"
#include "reports/json_report.hpp"

namespace originscan::reports {
namespace {

using ordered = nlohmann::ordered_json;

constexpr std::string_view srcroot = "%SRCROOT%";

struct Rule {
    Violation violation;
    std::string_view level;  // SARIF result.level
    std::string_view name, short_description, full_description, help;
};

// One per Violation, in enum order (ruleIndex is the position).
constexpr Rule rules[] = {
    {Violation::below_required, "error", "BelowRequiredMode",
     "The origin allows a lower edge SSL mode than the rules file requires.",
     "The rules file (--rules) sets a minimum edge SSL mode (min_mode) for this origin, and the scan found "
     "that it allows only a lower one: with the required mode set at the edge, requests to this origin "
     "would fail.",
     "Make the origin meet the required mode: for strict, a certificate that chains to a trusted CA (or the "
     "edge's origin CA, given with --ca-file), a complete chain, the proxied name in its SANs, and valid "
     "dates; for full, a TLS handshake that completes. If the lower mode is intended, lower min_mode for "
     "this origin in the rules file. The result's message names the class and reasons found."},
    {Violation::downgrade, "error", "ModeDowngrade",
     "The origin's allowed edge SSL mode fell below the baseline's.",
     "Compared with the baseline report (--baseline, usually the last successful run), this origin now "
     "allows a lower edge SSL mode: something changed on the origin (an expired or replaced certificate, "
     "a missing intermediate, TLS turned off, the server down).",
     "Restore what the origin offered before (the message says the class and reasons now), or, if the change "
     "is intended, accept it by scanning once without a baseline (rebaseline) so this report becomes the "
     "new baseline."},
    {Violation::pin_mismatch, "error", "PinMismatch",
     "No certificate the origin presented matches a configured pin.",
     "The rules file pins this origin (sha256/ hashes of a SubjectPublicKeyInfo), and none of the "
     "certificates the origin presented has a pinned key: the origin's key changed, or something else "
     "answers for it.",
     "If the key change is expected (a planned rotation), add the new pin to the rules file (the JSON report "
     "lists the presented pins); otherwise find out what serves this origin now."},
    {Violation::unreachable, "error", "OriginUnreachable",
     "No edge SSL mode can reach the origin (--fail-on unreachable).",
     "The scan could not use the origin in any mode: DNS failed, the connection was refused, reset or "
     "timed out, the port speaks neither TLS nor HTTP, or the handshake failed before a usable "
     "certificate. Reported because the run was asked to fail on unreachable origins.",
     "Check that the origin is up and reachable from the edge at the listed address and port; the message "
     "gives the reason (dns, refused, timeout, ...). Remove the line if the origin is gone."},
    {Violation::expiring, "warning", "CertificateExpiring",
     "A certificate on the origin's verified path expires soon (--fail-on expiring).",
     "The certificate that expires first on the path the origin's chain verified along (anchor included) "
     "expires within the --expiry-days warning period or has expired. Reported because the run was asked "
     "to fail on expiring certificates.",
     "Renew the certificate named in the message (the leaf, an intermediate or the anchor) and deploy it "
     "with its full chain before the date given."},
    {Violation::edge_address, "error", "EdgeAddress",
     "An address of the origin is the edge's own: the scan would judge the edge, not the origin.",
     "The origin's name was listed without its origin address (or with one) that lies in the edge's "
     "published ranges (Cloudflare's, or --edge-ranges): public DNS for a proxied name answers with the "
     "edge. The address was not connected to.",
     "List the origin as NAME@ORIGIN-ADDRESS, the content of its proxied DNS record."},
    {Violation::client_auth_missing, "error", "ClientAuthMissing",
     "The rules require a client certificate, and the origin completed a handshake without asking for one.",
     "The rules file sets client_auth required for this origin (Authenticated Origin Pulls): it should accept "
     "only the edge's client certificate. It completed a TLS handshake without a CertificateRequest, so "
     "anyone can reach it around the edge.",
     "Turn on client certificate verification at the origin (nginx: ssl_verify_client on with the edge's "
     "origin-pull CA), or drop client_auth from the rule if the origin is meant to be public."},
};
static_assert(std::size(rules) == static_cast<std::size_t>(Violation::client_auth_missing) + 1,
              "a SARIF rule for every violation, in enum order");

const Rule& rule_of(Violation violation) { return rules[static_cast<std::size_t>(violation)]; }

bool unreserved(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

// RFC 3986: every byte but the unreserved ones and the separator '/' as %XX, so a path with
// spaces, '%', '#', '?' or a ':' (which would read as a scheme) is still one path.
std::string encode_path(std::string_view path) {
    constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (const char ch : path) {
        const auto c = static_cast<unsigned char>(ch);
        if (unreserved(c) || c == '/') {
            out += ch;
        } else {
            out += '%';
            out += digits[c >> 4];
            out += digits[c & 0xF];
        }
    }
    return out;
}

std::string directory_uri(std::string_view base_directory) {
    std::string uri = "file://" + encode_path(base_directory);
    if (uri.back() != '/') uri += '/';
    return uri;
}

ordered text(std::string_view s) { return ordered{{"text", s}}; }

ordered rule_json(const Rule& rule) {
    ordered out = ordered::object();
    out["id"] = to_string(rule.violation);
    out["name"] = rule.name;
    out["shortDescription"] = text(rule.short_description);
    out["fullDescription"] = text(rule.full_description);
    out["help"] = ordered{{"text", rule.help}, {"markdown", rule.help}};
    out["defaultConfiguration"] = ordered{{"level", rule.level}};
    out["properties"] = ordered{{"tags", {"tls", "cdn", "security"}}, {"precision", "very-high"}};
    return out;
}

// --edge: the edges a below-required or downgrade concerns (model/report.hpp concerns_edge),
// each with its setting and the required or baseline one it is measured against (Cloudflare's:
// its mode and the verdict's).
ordered edges_json(const OriginResult& r, Violation violation) {
    const bool below = violation == Violation::below_required;
    ordered out = ordered::array();
    for (const EdgeJudgement& e : r.edges) {
        if (!concerns_edge(r, violation, e.edge)) continue;
        std::string against = below ? e.required_setting : e.baseline_setting;
        if (e.edge == "cloudflare") {
            const std::optional<EdgeMode> mode = below ? r.verdict.required_mode : r.verdict.baseline_mode;
            against = mode ? std::string(to_string(*mode)) : std::string();
        }
        ordered edge = ordered{{"edge", e.edge}, {"setting", e.setting}};
        if (!against.empty()) edge[below ? "required_setting" : "baseline_setting"] = against;
        out.push_back(std::move(edge));
    }
    return out;
}

ordered result_json(const OriginResult& r, Violation violation, std::int64_t judged_at, int expiry_days,
                    std::string_view base_directory) {
    const Rule& rule = rule_of(violation);
    const std::string identity = identity_text(r.origin);
    ordered location = ordered::object();
    if (const auto at = sarif_location(r.origin.where, base_directory)) {
        ordered artifact = ordered{{"uri", at->uri}};
        if (at->relative) artifact["uriBaseId"] = srcroot;
        location["physicalLocation"] = ordered{{"artifactLocation", std::move(artifact)},
                                               {"region", ordered{{"startLine", at->line}}}};
    }
    location["logicalLocations"] = ordered::array({ordered{{"name", identity}, {"kind", "resource"}}});

    ordered reasons = ordered::array();
    for (const Reason reason : r.classification.reasons) reasons.push_back(to_string(reason));
    ordered out = ordered::object();
    out["ruleId"] = to_string(violation);
    out["ruleIndex"] = static_cast<std::size_t>(violation);
    out["level"] = rule.level;
    out["message"] = text(inert(violation_message(r, violation, judged_at, expiry_days)));
    out["locations"] = ordered::array({std::move(location)});
    // Tracks the alert across runs by what it is about, not by the line's text or number.
    out["partialFingerprints"] = ordered{{"originscanOrigin/v1", std::string(to_string(violation)) + ":" + identity}};
    out["properties"] = ordered{{"origin", r.origin.input},
                                {"id", identity},
                                {"class", to_string(r.classification.cls)},
                                {"allowed_mode", to_string(r.classification.mode)},
                                {"reasons", std::move(reasons)}};
    if (!r.edges.empty() && (violation == Violation::below_required || violation == Violation::downgrade))
        out["properties"]["edges"] = edges_json(r, violation);
    return out;
}

constexpr std::string_view results_placeholder = "\"results\": \"@originscan-results@\"";

}  // namespace

std::optional<SarifLocation> sarif_location(std::string_view where, std::string_view base_directory) {
    namespace fs = std::filesystem;
    const std::size_t colon = where.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == where.size()) return std::nullopt;
    const std::string_view file = where.substr(0, colon), digits = where.substr(colon + 1);
    if (file == "<stdin>" || digits.size() > 18) return std::nullopt;
    std::uint64_t line = 0;
    for (const char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        line = line * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (line == 0) return std::nullopt;

    const fs::path base = fs::path(base_directory).lexically_normal();
    const fs::path path = (fs::path(file).is_absolute() ? fs::path(file) : base / fs::path(file)).lexically_normal();
    const fs::path relative = path.lexically_relative(base);
    if (!relative.empty() && *relative.begin() != ".." && relative != ".")
        return SarifLocation{encode_path(relative.generic_string()), true, line};
    return SarifLocation{"file://" + encode_path(path.generic_string()), false, line};
}

SarifFrame sarif_frame(const Report& report, std::string_view base_directory) {
    ordered rule_list = ordered::array();
    for (const Rule& rule : rules) rule_list.push_back(rule_json(rule));
    ordered driver = ordered::object();
    driver["name"] = "originscan";
    driver["version"] = report.tool_version;
    driver["semanticVersion"] = report.tool_version;
    driver["rules"] = std::move(rule_list);

    ordered invocation = ordered::object();
    invocation["executionSuccessful"] = report.complete;
    invocation["startTimeUtc"] = format_rfc3339_ms(report.started_ms);
    invocation["endTimeUtc"] = format_rfc3339_ms(report.finished_ms);
    if (!report.complete) {
        const Tally tally = summarize(report);
        invocation["toolExecutionNotifications"] = ordered::array(
            {ordered{{"level", "warning"},
                     {"message", text("The scan did not finish: " + std::to_string(tally.not_scanned) +
                                      " origin(s) were not scanned, and their violations are missing.")}}});
    }

    ordered run = ordered::object();
    run["tool"] = ordered{{"driver", std::move(driver)}};
    run["originalUriBaseIds"] = ordered{{srcroot, ordered{{"uri", directory_uri(base_directory)}}}};
    run["invocations"] = ordered::array({std::move(invocation)});
    run["results"] = "@originscan-results@";
    run["properties"] = ordered{{"judged_at", format_rfc3339(report.judged_at)}, {"complete", report.complete}};

    ordered log = ordered::object();
    log["$schema"] = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
    log["version"] = "2.1.0";
    log["runs"] = ordered::array({std::move(run)});
    const std::string rendered = json_text(log, 2) + "\n";
    const std::size_t at = rendered.find(results_placeholder);
    constexpr std::string_view value = "\"@originscan-results@\"";
    return {rendered.substr(0, at + results_placeholder.size() - value.size()) + "[",
            "\n      ]" + rendered.substr(at + results_placeholder.size())};
}

std::string sarif_results(const OriginResult& result, std::int64_t judged_at, int expiry_days,
                          std::string_view base_directory) {
    std::string out;
    for (const Violation v : result.verdict.violations) {
        if (!out.empty()) out += ",\n";
        out += "        " + json_text(result_json(result, v, judged_at, expiry_days, base_directory), -1);
    }
    return out;
}

std::string render_sarif(const Report& report, std::string_view base_directory) {
    const SarifFrame frame = sarif_frame(report, base_directory);
    std::string out = frame.head;
    bool first = true;
    for (const OriginResult& r : report.origins) {
        const std::string results = sarif_results(r, report.judged_at, report.settings.expiry_days, base_directory);
        if (results.empty()) continue;
        out += SarifFrame::before(first);
        out += results;
        first = false;
    }
    return out + frame.tail;
}

}  // namespace originscan::reports
