// `scan --shard I/N` (or `--shards N` with JOB_COMPLETION_INDEX from a Kubernetes Indexed Job):
// which shard this run is, what its report says about the whole list, and the source that
// gives the scanner only this shard's origins.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "app/origin_lists.hpp"
#include "model/report.hpp"
#include "model/shard.hpp"
#include "scanner/scanner.hpp"

namespace originscan::app {

// From --shard TEXT and --shards TEXT (empty: not given) and the environment. Throws
// UsageError: both given, a malformed value, I >= N, N = 0, --shards without
// JOB_COMPLETION_INDEX. nullopt: not sharded.
std::optional<ShardSpec> shard_from_options(const std::string& shard, const std::string& shards);

// What a change would make shards of one run disagree on: everything that shapes an
// observation or a verdict and is not given again to merge (--rules and --baseline are; the
// lists' paths and --concurrency change nothing). FNV-1a 64, hex.
std::string options_digest(const ScanSettings& settings, const std::string& edge_ranges_file,
                           const std::string& client_cert, const std::string& client_key);

// One pass over the whole list: its digest, its length, and this shard's share of it.
ShardInfo describe_shard(const OriginLists& lists, ShardSpec spec, std::string options_digest);

// Only the origins of `spec` from `all`.
std::unique_ptr<scanner::OriginSource> shard_source(std::unique_ptr<scanner::OriginSource> all, ShardSpec spec);

// A baseline's origins of this shard only: the others are not "removed" from this run.
void keep_shard_origins(Report& baseline, ShardSpec spec);

}  // namespace originscan::app
