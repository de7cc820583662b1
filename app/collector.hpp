// Where results go as the scanner completes them, in any order: judged at once (rules/), counted,
// streamed to NDJSON, and spooled for the JSON, JUnit, Prometheus and SARIF reports, which
// finish() writes in input order. Nothing grows with the list but a spool offset per origin and the summary's rows.
// The sink never throws into the scanner: a failed write is recorded, stops the scan (through
// the flag the scanner watches), and finish() still writes every report it can.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "app/origin_lists.hpp"
#include "model/report.hpp"
#include "model/shard.hpp"
#include "rules/policy.hpp"

namespace originscan::app {

struct OutputPaths {
    std::string json, junit, ndjson, prometheus, sarif;
};

// Counters another thread may read while the scan runs (progress).
struct LiveCounts {
    std::atomic<std::size_t> done{0};
    std::array<std::atomic<std::size_t>, std::size(all_origin_classes)> by_class{};
};

class Collector {
public:
    // Opens the outputs (NDJSON at once, the spools in $TMPDIR or /tmp); throws OutputError.
    // `stop` (the flag the scan watches) is set when an output fails, so the scan ends early.
    // `shard`: the run scans only that shard's origins (add_unscanned adds only theirs); the
    // reports hold those, the others are left out, not counted.
    Collector(const OriginLists& lists, rules::Judge& judge, const Report& run, const OutputPaths& paths,
              std::atomic<bool>* stop = nullptr, std::optional<ShardSpec> shard = std::nullopt);
    // For origins read back from reports (merge), `count` of them, each given to on_read().
    Collector(std::size_t count, rules::Judge& judge, const Report& run, const OutputPaths& paths);
    ~Collector();
    Collector(const Collector&) = delete;
    Collector& operator=(const Collector&) = delete;

    // The scanner's sink: one origin done (and the duplicates that repeat it). Thread-safe;
    // never throws.
    void on_result(std::size_t index, const Origin& origin, Observation&& observation);

    // An origin read back from a shard report (merge): judged again (Judge::rejudge), then
    // reported like a scanned one. `duplicate`: a later line of an identity listed before;
    // `listed_more_than_once`: its identity is on several lines. Not thread-safe with itself.
    void on_read(OriginResult&& result, bool duplicate, bool listed_more_than_once);

    // After an interruption: every origin without a result is reported as not scanned.
    void add_unscanned();

    // Writes the JSON, JUnit, Prometheus and SARIF reports (atomically, input order) and fills report.origins with the
    // rows the summary shows, report.tally and report.removed. `report` carries the run's header.
    // Each report is attempted on its own: one that fails is recorded in errors(), not thrown;
    // a report whose spool failed is not written (it would lack origins).
    void finish(Report& report);

    // What went wrong with the outputs, first first, e.g. "--ndjson /dev/full: No space left on
    // device"; empty when every output was written.
    std::vector<std::string> errors() const;

    const LiveCounts& live() const { return live_; }

private:
    class Spool;
    void emit(OriginResult& result, bool duplicate, bool listed_more_than_once);  // judged already
    void judge_and_emit(OriginResult& result);  // a scan's origin: its list says the rest
    void failed(std::string message);  // records it and stops the scan

    const OriginLists* lists_;  // null in a merge
    std::size_t count_;
    std::optional<ShardSpec> shard_;
    rules::Judge& judge_;
    const Report& run_;
    OutputPaths paths_;
    std::mutex mutex_;  // guards what follows
    std::vector<bool> reported_;
    Tally tally_;
    LiveCounts live_;
    std::vector<OriginResult> rows_;  // what the summary lists
    std::size_t violating_rows_ = 0;
    int ndjson_ = -1;  // a file descriptor: each line is written whole, at once
    bool ndjson_failed_ = false;
    std::unique_ptr<Spool> json_, junit_, prometheus_, sarif_;
    std::string base_directory_;  // the working directory: SARIF locations are relative to it
    std::atomic<bool>* stop_;
    mutable std::mutex errors_mutex_;  // guards errors_; never held while taking mutex_
    std::vector<std::string> errors_;
};

}  // namespace originscan::app
