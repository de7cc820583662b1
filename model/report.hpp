// A whole scan as the reports see it: the run's settings, its times, and every origin in
// input order. The JSON report is this, serialised; a baseline is this, read back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/result.hpp"
#include "model/shard.hpp"

namespace originscan {

// The settings of a run, as given on the command line (already validated).
struct ScanSettings {
    std::vector<std::string> lists;     // list files ('-' for stdin)
    std::vector<std::string> zone_files;  // --cloudflare-dns exports
    bool zone_all_records = false;        // --all-records
    std::vector<std::string> ca_files;  // --ca-file
    bool system_trust = true;
    unsigned concurrency = 256;
    double timeout_s = 10;
    unsigned retries = 1;  // more attempts for a probe the network ended (scanner.hpp)
    std::uint16_t http_port = 80;
    std::string resolver;  // --resolver ADDR[:PORT]; empty: /etc/resolv.conf (not in the report)
    unsigned threads = 0;  // --threads; 0: the CPUs this process may use (not in the report)
    std::optional<std::int64_t> now;  // --now, Unix seconds
    std::string rules_file;
    std::string baseline_file;
    std::vector<Violation> fail_on;  // only unreachable, expiring
    int expiry_days = 14;
    // --edge: the edges judged, in rules/edges.hpp order; the first, Cloudflare, always (its
    // modes are the origin's class and allowed_mode).
    std::vector<std::string> edges{"cloudflare"};
};

// An origin that was in the baseline but is not in this scan.
struct RemovedOrigin {
    std::string input;  // the baseline's (first) line of it
    EdgeMode baseline_mode = EdgeMode::none;
    OriginIdentity identity;
};

// The violations of `result` that concern the edge `edge` (an id of result.edges, which holds
// every selected edge, Cloudflare first, when --edge selected more than Cloudflare), in the
// verdict's order. below_required and downgrade are per edge: Cloudflare's when its own part
// applies (the rule's min_mode above the allowed mode; the allowed mode below the baseline's)
// or when no other edge's does (a verdict read back without the edges' parts keeps its
// violation somewhere), another edge's when its EdgeJudgement is below_required / downgraded.
// The others (pin_mismatch, client_auth_missing, unreachable, edge_address, expiring) break the
// origin whichever edge is in front of it: they concern every edge.
std::vector<Violation> edge_violations(const OriginResult& result, std::string_view edge);
bool concerns_edge(const OriginResult& result, Violation violation, std::string_view edge);

// Counts over a run's origins.
struct Tally {
    std::size_t total = 0;
    std::size_t by_class[std::size(all_origin_classes)] = {};  // indexed by OriginClass
    std::size_t by_mode[std::size(all_edge_modes)] = {};       // indexed by EdgeMode
    std::size_t violations = 0;  // every violation
    std::size_t failing = 0;     // origins with at least one violation
    std::size_t downgrades = 0;
    std::size_t upgrades = 0;
    std::size_t added = 0;  // not in the baseline
    std::size_t not_scanned = 0;
    // Per origin per edge (JUnit's testcases): one per origin without other edges, else one per
    // entry of OriginResult::edges; failing: with a violation that concerns the edge
    // (edge_violations); skipped: of origins not scanned.
    std::size_t cases = 0;
    std::size_t failing_cases = 0;
    std::size_t skipped_cases = 0;
    // Origins per (edge, setting) over every result's edges (empty without other edges).
    std::map<std::pair<std::string, std::string>, std::size_t> by_edge_setting;

    void add(const OriginResult& result);
};

// What a shard report (`scan --shard I/N`) says about its place in the whole run, for `merge`.
// The origins it left to other shards are the list's indices below origins_total that are not
// among its origins (each origin carries its input index): not written out one by one.
struct ShardInfo {
    ShardSpec spec;
    std::size_t origins_total = 0;  // lines of the whole list (duplicates included)
    std::size_t origins_here = 0;   // of them in this shard
    std::string list_digest;        // FNV-1a 64 of every line's spec, in input order
    std::string options_digest;     // of the options that shape observations and verdicts
    // Indices of this shard's origins whose identity is on more than one line of the list
    // (JUnit names those by their line; Prometheus has one series per identity).
    std::vector<std::size_t> listed_more_than_once;

    std::size_t origins_left() const { return origins_total - origins_here; }
};

struct Report {
    static constexpr int schema_version = 1;
    std::string tool_version;
    std::int64_t started_ms = 0;   // Unix milliseconds
    std::int64_t finished_ms = 0;
    std::int64_t judged_at = 0;    // Unix seconds certificate validity was judged at
    bool complete = true;          // false: interrupted, some origins not scanned
    ScanSettings settings;
    std::vector<OriginResult> origins;  // input order, each exactly once
    std::vector<RemovedOrigin> removed; // baseline origins absent from this scan
    // Set when `origins` holds only some of the run's results (a long streamed run keeps only
    // the rows its summary shows); otherwise the counts are derived from `origins`.
    std::optional<Tally> tally;
    std::optional<ShardInfo> shard;  // set in a shard's report only
};

// The run's counts: report.tally if set, else counted over report.origins.
Tally summarize(const Report& report);

}  // namespace originscan
