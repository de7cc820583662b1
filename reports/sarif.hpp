// SARIF 2.1.0 (OASIS) for GitHub code scanning (--sarif): one result per policy violation,
// located at the list file and line the origin came from, so an upload annotates
// origins.txt:12. A rule per violation kind (below-required, downgrade, pin-mismatch,
// unreachable, expiring) with its help text; the violation's sentence is the message.
//
// A list file under the base directory (the working directory of the run, which is the
// repository's checkout in CI) is written relative to it, with uriBaseId %SRCROOT% (declared in
// originalUriBaseIds); one elsewhere as an absolute file: URI. Origins from --origin or stdin
// have no file: their results carry the origin as a logical location only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/report.hpp"

namespace originscan::reports {

// Where a list line is, as SARIF says it. `base_directory` is absolute.
struct SarifLocation {
    std::string uri;        // percent-encoded; relative to the base directory when `relative`
    bool relative = false;  // true: uriBaseId %SRCROOT%
    std::uint64_t line = 0;  // 1-based
    friend bool operator==(const SarifLocation&, const SarifLocation&) = default;
};
// From Origin::where ("FILE:LINE"); nullopt for "--origin" and "<stdin>:LINE".
std::optional<SarifLocation> sarif_location(std::string_view where, std::string_view base_directory);

// The text in pieces, for runs too long to hold: frame.head, then each origin's results in
// input order (sarif_results; those that are not empty separated by ",\n"), frame.tail.
struct SarifFrame {
    std::string head;  // ends with "\"results\": ["
    std::string tail;
    static std::string_view before(bool first) { return first ? "\n" : ",\n"; }
};
SarifFrame sarif_frame(const Report& report, std::string_view base_directory);
// The origin's results, one per violation, one line each, joined by ",\n"; empty when none.
std::string sarif_results(const OriginResult& result, std::int64_t judged_at, int expiry_days,
                          std::string_view base_directory);

std::string render_sarif(const Report& report, std::string_view base_directory);

}  // namespace originscan::reports
