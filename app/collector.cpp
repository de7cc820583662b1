#include "app/collector.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "reports/atomic_file.hpp"
#include "reports/json_report.hpp"
#include "reports/junit.hpp"

namespace originscan::app {
namespace {

// The summary lists the first origins in input order and those with violations, up to this
// many each; the reports always hold every origin.
constexpr std::size_t summary_rows = 1000;

[[noreturn]] void output_failed(const std::string& what) {
    throw reports::OutputError(what + ": " + std::strerror(errno));
}

}  // namespace

// Rendered pieces of a report, written as origins complete into an anonymous temporary file,
// read back in input order at the end.
class Collector::Spool {
public:
    explicit Spool(std::size_t count) : file_(std::tmpfile()), offset_(count), length_(count) {
        if (!file_) output_failed("temporary spool file");
    }
    ~Spool() { std::fclose(file_); }

    void put(std::size_t index, const std::string& text) {
        offset_[index] = end_;
        length_[index] = static_cast<std::uint32_t>(text.size());
        if (std::fwrite(text.data(), 1, text.size(), file_) != text.size()) output_failed("temporary spool file");
        end_ += text.size();
    }

    // Calls out(text) for every index in order.
    template <class Out>
    void replay(Out&& out) {
        if (std::fflush(file_) != 0) output_failed("temporary spool file");
        std::string text;
        for (std::size_t i = 0; i < offset_.size(); ++i) {
            text.resize(length_[i]);
            std::size_t got = 0;
            while (got < text.size()) {
                const ssize_t n = ::pread(fileno(file_), text.data() + got, text.size() - got,
                                          static_cast<off_t>(offset_[i] + got));
                if (n <= 0) output_failed("temporary spool file");
                got += static_cast<std::size_t>(n);
            }
            out(i, text);
        }
    }

private:
    std::FILE* file_;
    std::uint64_t end_ = 0;
    std::vector<std::uint64_t> offset_;
    std::vector<std::uint32_t> length_;
};

Collector::Collector(const OriginLists& lists, rules::Judge& judge, const Report& run, const OutputPaths& paths)
    : lists_(lists), judge_(judge), run_(run), paths_(paths), reported_(lists.size(), false) {
    if (!paths_.ndjson.empty()) {
        ndjson_ = paths_.ndjson == "-" ? stdout : std::fopen(paths_.ndjson.c_str(), "w");
        if (!ndjson_) output_failed(paths_.ndjson);
    }
    if (!paths_.json.empty()) json_ = std::make_unique<Spool>(lists.size());
    if (!paths_.junit.empty()) junit_ = std::make_unique<Spool>(lists.size());
}

Collector::~Collector() {
    if (ndjson_ && ndjson_ != stdout) std::fclose(ndjson_);
}

void Collector::on_result(std::size_t index, const Origin& origin, Observation&& observation) {
    OriginResult result{index, origin, true, std::move(observation), {}, {}};
    if (const auto* repeats = lists_.duplicates_of(index)) {
        for (const auto& [dup_index, dup_origin] : *repeats) {
            OriginResult copy{dup_index, dup_origin, true, result.observation, {}, {}};
            emit(copy);
        }
    }
    emit(result);
}

void Collector::add_unscanned() {
    auto all = lists_.source(/*with_duplicates=*/true);
    std::size_t index = 0;
    Origin origin;
    while (all->next(index, origin)) {
        if (reported_[index]) continue;
        OriginResult result{index, origin, false, {}, {}, {}};
        emit(result);
    }
}

// Judging and rendering run on the calling scanner thread, both cores at once; only the
// bookkeeping and the writes take the lock.
void Collector::emit(OriginResult& result) {
    judge_.judge(result);
    const std::int64_t judged_at = run_.judged_at;
    const std::string line = ndjson_ ? reports::ndjson_origin(result, judged_at) + "\n" : std::string();
    const std::string json = json_ ? reports::json_origin(result, judged_at) : std::string();
    const std::string junit =
        junit_ ? reports::junit_testcase(result, judged_at, run_.settings.expiry_days) : std::string();

    std::lock_guard lock(mutex_);
    reported_[result.index] = true;
    tally_.add(result);
    live_.by_class[static_cast<std::size_t>(result.classification.cls)].fetch_add(1, std::memory_order_relaxed);
    live_.done.fetch_add(1, std::memory_order_relaxed);
    if (json_) json_->put(result.index, json);
    if (junit_) junit_->put(result.index, junit);

    const bool violating = !result.verdict.violations.empty();
    if (result.index < summary_rows || (violating && violating_rows_ < summary_rows)) {
        violating_rows_ += violating;
        rows_.push_back(std::move(result));
    }
    // Last, so that a failed write leaves this origin fully accounted for elsewhere.
    if (ndjson_ && !ndjson_failed_ && std::fwrite(line.data(), 1, line.size(), ndjson_) != line.size()) {
        ndjson_failed_ = true;  // thrown once (it fails the scan); the other reports still get written
        output_failed(paths_.ndjson);
    }
}

void Collector::finish(Report& report) {
    if (ndjson_ && !ndjson_failed_ && std::fflush(ndjson_) != 0) output_failed(paths_.ndjson);
    std::sort(rows_.begin(), rows_.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
    report.origins = std::move(rows_);
    report.tally = tally_;
    report.removed = judge_.removed();

    if (json_) {
        const reports::JsonFrame frame = reports::json_frame(report);
        reports::AtomicWriter out(paths_.json);
        out.write(frame.head);
        json_->replay([&](std::size_t i, const std::string& text) {
            out.write(reports::JsonFrame::before(i));
            out.write(text);
        });
        out.write(reports::JsonFrame::close(tally_.total > 0));
        out.write(frame.tail);
        out.commit();
    }
    if (junit_) {
        reports::AtomicWriter out(paths_.junit);
        out.write(reports::junit_head(report));
        junit_->replay([&](std::size_t, const std::string& text) { out.write(text); });
        out.write(reports::junit_tail());
        out.commit();
    }
}

}  // namespace originscan::app
