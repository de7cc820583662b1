#include "reports/prometheus.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <unordered_set>
#include <vector>
#include <variant>

#include "model/text.hpp"
#include "reports/format.hpp"
#include "rules/classify.hpp"
#include "rules/edges.hpp"

namespace originscan::reports {
namespace {

struct Family {
    std::string_view name, help;
};

// Per origin, in the order the pieces hold them (prometheus_origin writes one line each).
// Only `scanned` has every origin: an origin an interrupted run did not reach says nothing
// about its mode, class or certificate, so those series are left out rather than reported
// as a failure (originscan_run_complete says the run was cut short).
constexpr Family origin_families[prometheus_default_families + 1] = {
    {"originscan_origin_scanned", "Whether the last run scanned the origin (0: it was interrupted first)."},
    {"originscan_origin_mode",
     "Edge SSL mode the origin allows, as a number (none 0, flexible 1, full 2, strict 3) and as the mode label."},
    {"originscan_origin_class",
     "The origin's class (pin-matching, ca-trusted, self-signed, plaintext, unreachable) as the class label; always 1."},
    {"originscan_probe_success", "Whether the origin was reachable in some edge mode (its class is not unreachable)."},
    {"originscan_cert_not_after_timestamp_seconds",
     "Expiry (Unix time) of the certificate that expires first on the verified path, anchor included; "
     "the earliest over the origin's addresses. Absent when no certificate was seen."},
    {"originscan_origin_policy_violations",
     "Policy violations of the origin (below required mode, downgrade, pin mismatch, --fail-on)."},
    // --edge only, and last: a sample per edge, so the rest of the piece.
    {"originscan_origin_edge_setting",
     "The strongest setting of each edge (--edge) the origin allows, as the setting label, its rank the value "
     "(none 0, plain HTTP 1, TLS unauthenticated 2, TLS authenticated 3)."},
};
constexpr std::size_t edge_family = prometheus_default_families;

std::string seconds(std::int64_t ms) {
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, "%.3f", static_cast<double>(ms) / 1000.0);
    return buffer;
}

void head(std::string& out, std::string_view name, std::string_view help) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" gauge\n");
}

// NAME{LABELS} VALUE, LABELS already rendered (`origin="..."` and more).
void sample(std::string& out, std::string_view name, std::string_view labels, std::string_view value) {
    out.append(name);
    if (!labels.empty()) out.append("{").append(labels).append("}");
    out.append(" ").append(value).append("\n");
}

std::string label(std::string_view name, std::string_view value) {
    return std::string(name) + "=\"" + prometheus_label_value(value) + "\"";
}

// The certificate that expires first on any address's verified path.
std::optional<std::int64_t> earliest_not_after(const Observation& observation) {
    std::optional<std::int64_t> earliest;
    for (const Probe& probe : observation.probes)
        if (const auto* tls = std::get_if<TlsFacts>(&probe.outcome))
            if (const CertFacts* cert = rules::earliest_expiry(*tls))
                earliest = earliest ? std::min(*earliest, cert->not_after) : cert->not_after;
    return earliest;
}

}  // namespace

std::string prometheus_label_value(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 8);
    for (std::size_t i = 0; i < text.size();) {
        const Utf8Step step = decode_utf8(text, i);
        if (!step.valid)
            out += "\uFFFD";
        else if (step.code_point == '\\')
            out += "\\\\";
        else if (step.code_point == '"')
            out += "\\\"";
        else if (step.code_point == '\n')
            out += "\\n";
        else
            out.append(text.substr(i, step.length));
        i += step.length;
    }
    return out;
}

std::string prometheus_run(const Report& report) {
    const Tally tally = summarize(report);
    std::string out;
    const auto gauge = [&](std::string_view name, std::string_view help, std::string_view value) {
        head(out, name, help);
        sample(out, name, {}, value);
    };
    head(out, "originscan_build_info", "The originscan that wrote these metrics, as the version label; always 1.");
    sample(out, "originscan_build_info", label("version", report.tool_version), "1");
    gauge("originscan_last_run_timestamp_seconds", "When the last run finished (Unix time).",
          seconds(report.finished_ms));
    gauge("originscan_run_duration_seconds", "How long the last run took.",
          seconds(std::max<std::int64_t>(0, report.finished_ms - report.started_ms)));
    gauge("originscan_run_complete", "Whether the last run scanned every origin (0: interrupted or failed).",
          report.complete ? "1" : "0");
    gauge("originscan_origins", "Origins listed in the last run (every list line, duplicates included).",
          std::to_string(tally.total));
    head(out, "originscan_origins_by_class", "Listed origins of each class in the last run.");
    for (const OriginClass c : all_origin_classes)
        sample(out, "originscan_origins_by_class", label("class", to_string(c)),
               std::to_string(tally.by_class[static_cast<std::size_t>(c)]));
    head(out, "originscan_origins_by_mode", "Listed origins allowing each edge mode in the last run.");
    for (const EdgeMode m : all_edge_modes)
        sample(out, "originscan_origins_by_mode", label("mode", to_string(m)),
               std::to_string(tally.by_mode[static_cast<std::size_t>(m)]));
    gauge("originscan_origins_not_scanned", "Listed origins the last run did not reach (interrupted).",
          std::to_string(tally.not_scanned));
    gauge("originscan_origins_failing", "Listed origins with at least one policy violation.",
          std::to_string(tally.failing));
    gauge("originscan_origins_downgraded", "Listed origins whose allowed mode fell below the baseline's.",
          std::to_string(tally.downgrades));
    gauge("originscan_policy_violations", "Policy violations in the last run, over every listed origin.",
          std::to_string(tally.violations));
    if (prometheus_origin_families(report) == prometheus_default_families) return out;
    // Every setting of every selected edge, zeros included, so that a series does not vanish
    // when no origin has it; a setting only a report read back names (no profile) after them.
    head(out, "originscan_origins_by_edge_setting", "Listed origins allowing each edge's setting (--edge) in the last run.");
    std::map<std::pair<std::string, std::string>, std::size_t> counts = tally.by_edge_setting;
    const auto put = [&](const std::string& edge, std::string_view setting) {
        const auto it = counts.find({edge, std::string(setting)});
        sample(out, "originscan_origins_by_edge_setting", label("edge", edge) + "," + label("setting", setting),
               std::to_string(it == counts.end() ? 0 : it->second));
        if (it != counts.end()) counts.erase(it);
    };
    for (const std::string& edge : report.settings.edges) {
        if (const rules::EdgeProfile* profile = rules::edge_profile(edge))
            for (const rules::EdgeSetting& setting : profile->settings)
                if (setting.reported) put(edge, setting.name);
        put(edge, "none");
    }
    while (!counts.empty()) put(counts.begin()->first.first, counts.begin()->first.second);
    return out;
}

std::size_t prometheus_origin_families(const Report& report) {
    return prometheus_default_families + (report.settings.edges.size() > 1 ? 1 : 0);
}

std::string prometheus_family_head(std::size_t family) {
    std::string out;
    head(out, origin_families[family].name, origin_families[family].help);
    return out;
}

std::string prometheus_origin(const OriginResult& result) {
    const std::string origin = label("origin", identity_text(result.origin));
    std::string out;
    const auto line = [&](std::size_t family, std::string_view labels, std::string_view value) {
        sample(out, origin_families[family].name, labels, value);
    };
    line(0, origin, result.scanned ? "1" : "0");
    if (!result.scanned) return out + std::string(prometheus_default_families - 1, '\n');
    const Classification& c = result.classification;
    line(1, origin + "," + label("mode", to_string(c.mode)), std::to_string(static_cast<int>(c.mode)));
    line(2, origin + "," + label("class", to_string(c.cls)), "1");
    line(3, origin, c.cls == OriginClass::unreachable ? "0" : "1");
    if (const auto not_after = earliest_not_after(result.observation))
        line(4, origin, std::to_string(*not_after));
    else
        out += "\n";
    line(5, origin, std::to_string(result.verdict.violations.size()));
    for (const EdgeJudgement& e : result.edges)
        line(edge_family, origin + "," + label("edge", e.edge) + "," + label("setting", e.setting), std::to_string(e.rank));
    return out;
}

std::string_view prometheus_sample(std::string_view piece, std::size_t family) {
    // A piece is one line per family (an empty line for an absent sample), the edges' family
    // last with a line per edge; label values cannot hold a raw line feed, so lines are found
    // by the line feeds alone.
    std::size_t start = 0;
    for (std::size_t f = 0; f < family; ++f) {
        const std::size_t end = piece.find('\n', start);
        if (end == std::string_view::npos) return {};
        start = end + 1;
    }
    if (family == edge_family) return piece.substr(start);
    const std::size_t end = piece.find('\n', start);
    if (end == std::string_view::npos || end == start) return {};
    return piece.substr(start, end - start + 1);
}

std::string render_prometheus(const Report& report) {
    std::vector<std::string> pieces;
    std::unordered_set<OriginIdentity, OriginIdentityHash> seen;
    for (const OriginResult& r : report.origins)
        pieces.push_back(seen.insert(identity_of(r.origin)).second ? prometheus_origin(r) : std::string());
    std::string out = prometheus_run(report);
    for (std::size_t f = 0; f < prometheus_origin_families(report); ++f) {
        out += prometheus_family_head(f);
        for (const std::string& piece : pieces) out += prometheus_sample(piece, f);
    }
    return out;
}

}  // namespace originscan::reports
