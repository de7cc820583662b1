// The judgement on one origin (from rules/) and the full per-origin record the reports write.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/enums.hpp"
#include "model/observation.hpp"
#include "model/origin.hpp"

namespace originscan {

struct Classification {
    OriginClass cls = OriginClass::unreachable;
    EdgeMode mode = EdgeMode::none;
    std::vector<Reason> reasons;  // sorted by enum order, no duplicates
};

// edge_address: an address of the origin is the edge's own (rules/edge_ranges.hpp).
// client_auth_missing: the rules require a client certificate and the origin did not ask.
enum class Violation {
    below_required,
    downgrade,
    pin_mismatch,
    unreachable,
    expiring,
    edge_address,
    client_auth_missing,
};
std::string_view to_string(Violation);
std::optional<Violation> violation_from_string(std::string_view);

// How the allowed mode compares with the baseline report's.
enum class Change { none, added, same, upgrade, downgrade };
std::string_view to_string(Change);
std::optional<Change> change_from_string(std::string_view);

struct Verdict {
    std::optional<EdgeMode> required_mode;  // from the rules file
    std::vector<std::string> pins;          // configured pins for this origin
    std::optional<EdgeMode> baseline_mode;  // from --baseline
    Change change = Change::none;           // none: no baseline given
    std::vector<Violation> violations;
};

// One edge's judgement on an origin (rules/edges.hpp): the strongest of its settings the
// origin allows, and why it fails the stricter ones.
struct EdgeJudgement {
    std::string edge;     // "cloudfront"
    std::string setting;  // in the edge's own words, e.g. "https-only"; "none" when none works
    int rank = 0;         // 0 none, 1 plaintext, 2 TLS unauthenticated, 3 TLS authenticated
    std::vector<Reason> reasons;  // sorted by enum order, no duplicates
    // The verdict's part for this edge (rules/verdict.cpp): the rule's edge_min_mode for it and
    // the baseline's setting (empty: none); below it, or a lower rank than the baseline's, is
    // the origin's below-required or downgrade.
    std::string required_setting;
    std::string baseline_setting;
    bool below_required = false;
    bool downgraded = false;
};

struct OriginResult {
    std::size_t index = 0;  // position in the input
    Origin origin;
    bool scanned = false;  // false: the scan was interrupted before this origin finished
    Observation observation;
    Classification classification;
    Verdict verdict;
    // Per selected edge other than the default (ScanSettings::edges); empty with only Cloudflare.
    std::vector<EdgeJudgement> edges;
};

}  // namespace originscan
