// Where results go as the scanner completes them, in any order: judged at once (rules/), counted,
// streamed to NDJSON, and spooled for the JSON and JUnit reports, which finish() writes in input
// order. Nothing grows with the list but a spool offset per origin and the summary's rows.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app/origin_lists.hpp"
#include "model/report.hpp"
#include "rules/policy.hpp"

namespace originscan::app {

struct OutputPaths {
    std::string json, junit, ndjson;
};

// Counters another thread may read while the scan runs (progress).
struct LiveCounts {
    std::atomic<std::size_t> done{0};
    std::array<std::atomic<std::size_t>, std::size(all_origin_classes)> by_class{};
};

class Collector {
public:
    // Opens the outputs (NDJSON at once, the spools); throws OutputError.
    Collector(const OriginLists& lists, rules::Judge& judge, const Report& run, const OutputPaths& paths);
    ~Collector();
    Collector(const Collector&) = delete;
    Collector& operator=(const Collector&) = delete;

    // The scanner's sink: one origin done (and the duplicates that repeat it). Thread-safe.
    void on_result(std::size_t index, const Origin& origin, Observation&& observation);

    // After an interruption: every origin without a result is reported as not scanned.
    void add_unscanned();

    // Writes the JSON and JUnit reports (atomically, input order) and fills report.origins with the
    // rows the summary shows, report.tally and report.removed. `report` carries the run's header.
    void finish(Report& report);

    const LiveCounts& live() const { return live_; }

private:
    class Spool;
    void emit(OriginResult& result);

    const OriginLists& lists_;
    rules::Judge& judge_;
    const Report& run_;
    OutputPaths paths_;
    std::mutex mutex_;  // guards what follows
    std::vector<bool> reported_;
    Tally tally_;
    LiveCounts live_;
    std::vector<OriginResult> rows_;  // what the summary lists
    std::size_t violating_rows_ = 0;
    std::FILE* ndjson_ = nullptr;
    bool ndjson_failed_ = false;
    std::unique_ptr<Spool> json_, junit_;
};

}  // namespace originscan::app
