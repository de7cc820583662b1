// `originscan merge [--baseline OLD.json] [--rules FILE] --json OUT [...] SHARD.json...`: the
// reports of `scan --shard I/N` joined into the report a single scan of the whole list writes
// (input order, counts, verdicts, exit status), the rules and baseline applied to the whole.
// Streams: one origin per shard in memory at a time (a k-way merge by input index), the
// rendered pieces spooled as in a scan (app/collector.hpp).
#pragma once

#include <string>
#include <vector>

namespace originscan::app {

// Exit status as scan's: 0, 1 a policy failure, 2 bad usage or shards that do not make one
// run (another list or options, one missing or given twice: named), 3 an output failed or a
// shard was interrupted. Throws UsageError, PolicyError, ReportError (of --baseline).
int merge_command(const std::vector<std::string>& args);

}  // namespace originscan::app
