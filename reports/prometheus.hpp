// Metrics for monitoring (--prometheus): the Prometheus text exposition format (0.0.4) as
// node_exporter's textfile collector reads it, so a scheduled scan feeds the same alerting as
// blackbox_exporter, e.g.  originscan_cert_not_after_timestamp_seconds - time() < 86400 * 14.
//
// One series per origin *identity* (model/origin.hpp identity_of: name lower-cased without a
// trailing dot, port, address), labelled origin="NAME:PORT[@ADDRESS]" (reports/format.hpp identity_text): every spelling of an
// origin is one series that survives a rewritten list, and duplicated lines (one origin) can
// never make duplicate series. Families are grouped, HELP and TYPE once each, origins in input
// order; no sample carries a timestamp (the textfile collector refuses them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "model/report.hpp"

namespace originscan::reports {

// A label value in the exposition format: backslash, double quote and line feed escaped
// (\\ \" \n); bytes that are not UTF-8 (the format requires it) as U+FFFD.
std::string prometheus_label_value(std::string_view text);

// The text in pieces, for runs too long to hold:
//   prometheus_run(report)                       the run's families (counts from summarize())
//   for each family f < prometheus_origin_families(report):
//     prometheus_family_head(f)
//     prometheus_sample(piece, f) for each origin's piece, in input order
// where an origin's piece is prometheus_origin(result) for the first line of an identity and
// empty for the lines that repeat it.
//
// With --edge selecting more than Cloudflare, one more family, the last:
// originscan_origin_edge_setting{origin,edge,setting} = the setting's rank (0 none, 1 plain
// HTTP, 2 TLS unauthenticated, 3 TLS authenticated; Cloudflare's setting is its mode), a
// sample per edge; and the run family originscan_origins_by_edge_setting{edge,setting}.
inline constexpr std::size_t prometheus_default_families = 6;  // without other edges
std::size_t prometheus_origin_families(const Report& report);
std::string prometheus_run(const Report& report);
std::string prometheus_family_head(std::size_t family);
std::string prometheus_origin(const OriginResult& result);
std::string_view prometheus_sample(std::string_view piece, std::size_t family);  // with its \n, or empty

// The whole text for a report held in memory (duplicates found by identity).
std::string render_prometheus(const Report& report);

}  // namespace originscan::reports
