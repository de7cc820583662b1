#include "app/collector.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "reports/atomic_file.hpp"
#include "reports/json_report.hpp"
#include "reports/junit.hpp"
#include "reports/prometheus.hpp"
#include "reports/sarif.hpp"

namespace originscan::app {
namespace {

// The summary lists the first origins in input order and those with violations, up to this
// many each; the reports always hold every origin.
constexpr std::size_t summary_rows = 1000;

// Spool writes are gathered into pieces of about this size.
constexpr std::size_t spool_buffer = 64 * 1024;

std::string with_errno(const std::string& what, int error) { return what + ": " + std::strerror(error); }

// Where temporary files go: $TMPDIR when set (POSIX), else /tmp.
std::string temporary_directory() {
    const char* dir = std::getenv("TMPDIR");
    return dir && *dir ? dir : "/tmp";
}

// What relative list paths were given against (and what CI checked the repository out to).
std::string working_directory() {
    std::error_code error;
    const std::filesystem::path cwd = std::filesystem::current_path(error);
    return error ? std::string("/") : cwd.string();
}

}  // namespace

// Rendered pieces of a report, written as origins complete into an unlinked temporary file in
// $TMPDIR, read back in input order at the end. A failed write is kept (error()), not thrown:
// the spool then stops taking pieces and its report cannot be written.
class Collector::Spool {
public:
    explicit Spool(std::size_t count) : offset_(count), length_(count), present_(count, false) {
        const std::string directory = temporary_directory();
        std::string path = directory + "/originscan-spool-XXXXXX";
        fd_ = ::mkostemp(path.data(), O_CLOEXEC);
        if (fd_ < 0) throw reports::OutputError(with_errno("spool in " + directory, errno));
        name_ = "spool " + path;
        ::unlink(path.c_str());  // gone when we are, however we end
    }
    ~Spool() { ::close(fd_); }

    // False when the piece could not be kept; error() says why ("spool PATH: strerror").
    bool put(std::size_t index, const std::string& text) {
        if (failed()) return false;
        present_[index] = true;
        offset_[index] = end_;
        length_[index] = static_cast<std::uint32_t>(text.size());
        buffer_ += text;
        end_ += text.size();
        return buffer_.size() < spool_buffer || flush();
    }
    bool failed() const { return !error_.empty(); }
    const std::string& error() const { return error_; }

    // Calls out(n, text) for every index put, in index order, n counting from 0. Throws
    // OutputError.
    template <class Out>
    void replay(Out&& out) {
        if (!flush()) throw reports::OutputError(error_);
        std::string text;
        std::size_t n = 0;
        for (std::size_t i = 0; i < offset_.size(); ++i) {
            if (!present_[i]) continue;  // another shard's origin
            text.resize(length_[i]);
            std::size_t got = 0;
            while (got < text.size()) {
                const ssize_t n = ::pread(fd_, text.data() + got, text.size() - got,
                                          static_cast<off_t>(offset_[i] + got));
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) throw reports::OutputError(with_errno(name_, n < 0 ? errno : EIO));
                got += static_cast<std::size_t>(n);
            }
            out(n++, text);
        }
    }

private:
    bool flush() {
        if (failed()) return false;
        if (const int error = reports::write_all(fd_, buffer_)) {
            error_ = with_errno(name_, error);
            return false;
        }
        buffer_.clear();
        return true;
    }

    std::string name_;  // "spool /tmp/originscan-spool-Ab12Cd", for messages
    int fd_ = -1;
    std::string buffer_, error_;
    std::uint64_t end_ = 0;
    std::vector<std::uint64_t> offset_;
    std::vector<std::uint32_t> length_;
    std::vector<bool> present_;
};

Collector::Collector(const OriginLists& lists, rules::Judge& judge, const Report& run, const OutputPaths& paths,
                     std::atomic<bool>* stop, std::optional<ShardSpec> shard)
    : Collector(lists.size(), judge, run, paths) {
    lists_ = &lists;
    shard_ = shard;
    stop_ = stop;
}

Collector::Collector(std::size_t count, rules::Judge& judge, const Report& run, const OutputPaths& paths)
    : lists_(nullptr), count_(count), judge_(judge), run_(run), paths_(paths), reported_(count, false), stop_(nullptr) {
    if (!paths_.ndjson.empty()) {
        ndjson_ = paths_.ndjson == "-"
                      ? STDOUT_FILENO
                      : ::open(paths_.ndjson.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (ndjson_ < 0) throw reports::OutputError(with_errno(paths_.ndjson, errno));
    }
    const auto open_spool = [&](const char* option) {
        try {
            return std::make_unique<Spool>(count_);
        } catch (const reports::OutputError& e) {
            throw reports::OutputError(std::string(option) + " " + e.what());
        }
    };
    if (!paths_.json.empty()) json_ = open_spool("--json");
    if (!paths_.junit.empty()) junit_ = open_spool("--junit");
    if (!paths_.prometheus.empty()) prometheus_ = open_spool("--prometheus");
    if (!paths_.sarif.empty()) {
        sarif_ = open_spool("--sarif");
        base_directory_ = working_directory();
    }
}

Collector::~Collector() {
    if (ndjson_ > STDOUT_FILENO) ::close(ndjson_);
}

void Collector::failed(std::string message) {
    {
        std::lock_guard lock(errors_mutex_);
        errors_.push_back(std::move(message));
    }
    if (stop_) stop_->store(true);
}

std::vector<std::string> Collector::errors() const {
    std::lock_guard lock(errors_mutex_);
    return errors_;
}

void Collector::on_result(std::size_t index, const Origin& origin, Observation&& observation) {
    // Whatever goes wrong here is this run's error, not the scanner thread's: an exception
    // escaping into a worker coroutine would end it with the origin half done.
    try {
        OriginResult result{index, origin, true, std::move(observation), {}, {}, {}};
        if (const auto* repeats = lists_->duplicates_of(index)) {
            for (const auto& [dup_index, dup_origin] : *repeats) {
                OriginResult copy{dup_index, dup_origin, true, result.observation, {}, {}, {}};
                judge_and_emit(copy);
            }
        }
        judge_and_emit(result);
    } catch (const std::exception& e) {
        failed("internal error reporting " + origin.input + ": " + e.what());
    }
}

void Collector::on_read(OriginResult&& result, bool duplicate, bool listed_more_than_once) {
    judge_.rejudge(result);
    emit(result, duplicate, listed_more_than_once);
}

void Collector::add_unscanned() {
    auto all = lists_->source(/*with_duplicates=*/true);
    std::size_t index = 0;
    Origin origin;
    while (all->next(index, origin)) {
        if (reported_[index]) continue;
        if (shard_ && shard_of(identity_of(origin), shard_->count) != shard_->index) continue;  // another's
        OriginResult result{index, origin, false, {}, {}, {}, {}};
        judge_and_emit(result);
    }
}

void Collector::judge_and_emit(OriginResult& result) {
    judge_.judge(result);
    const bool duplicate = lists_->is_duplicate(result.index);
    emit(result, duplicate, duplicate || lists_->duplicates_of(result.index));
}

// Judging and rendering run on the calling scanner thread, both cores at once; only the
// bookkeeping and the writes take the lock.
void Collector::emit(OriginResult& result, bool duplicate, bool listed_more_than_once) {
    const std::int64_t judged_at = run_.judged_at;
    const std::string line = ndjson_ >= 0 ? reports::ndjson_origin(result, judged_at) + "\n" : std::string();
    const std::string json = json_ ? reports::json_origin(result, judged_at, run_.shard.has_value()) : std::string();
    const std::string junit =
        junit_ ? reports::junit_testcase(result, judged_at, run_.settings.expiry_days, listed_more_than_once)
               : std::string();
    // One series per origin identity: a line that repeats an origin adds none.
    const std::string prometheus = prometheus_ && !duplicate ? reports::prometheus_origin(result) : std::string();
    const std::string sarif =
        sarif_ ? reports::sarif_results(result, judged_at, run_.settings.expiry_days, base_directory_) : std::string();

    std::lock_guard lock(mutex_);
    reported_[result.index] = true;
    tally_.add(result);
    live_.by_class[static_cast<std::size_t>(result.classification.cls)].fetch_add(1, std::memory_order_relaxed);
    live_.done.fetch_add(1, std::memory_order_relaxed);
    if (ndjson_ >= 0 && !ndjson_failed_) {
        if (const int error = reports::write_all(ndjson_, line)) {
            ndjson_failed_ = true;
            failed("--ndjson " + with_errno(paths_.ndjson == "-" ? "stdout" : paths_.ndjson, error));
        }
    }
    if (json_ && !json_->failed() && !json_->put(result.index, json)) failed("--json " + json_->error());
    if (junit_ && !junit_->failed() && !junit_->put(result.index, junit)) failed("--junit " + junit_->error());
    if (prometheus_ && !prometheus_->failed() && !prometheus_->put(result.index, prometheus))
        failed("--prometheus " + prometheus_->error());
    if (sarif_ && !sarif_->failed() && !sarif_->put(result.index, sarif)) failed("--sarif " + sarif_->error());
    const bool violating = !result.verdict.violations.empty();
    if (result.index < summary_rows || (violating && violating_rows_ < summary_rows)) {
        violating_rows_ += violating;
        rows_.push_back(std::move(result));
    }
}

void Collector::finish(Report& report) {
    std::sort(rows_.begin(), rows_.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
    report.origins = std::move(rows_);
    report.tally = tally_;
    report.removed = judge_.removed();

    // Each report on its own: one that cannot be written does not keep the others from being.
    // A report whose spool failed lacks origins and is not written (its error is recorded).
    const auto attempt = [&](const char* option, const std::string& path, Spool* spool, auto&& write) {
        if (spool == nullptr || spool->failed()) return;
        try {
            reports::AtomicWriter out(path);
            write(out, *spool);
            out.commit();
        } catch (const std::exception& e) {  // OutputError: "PATH: why"; or bad_alloc
            failed(std::string(option) + " " + e.what());
        }
    };
    attempt("--json", paths_.json, json_.get(), [&](reports::AtomicWriter& out, Spool& spool) {
        const reports::JsonFrame frame = reports::json_frame(report);
        out.write(frame.head);
        spool.replay([&](std::size_t i, const std::string& text) {
            out.write(reports::JsonFrame::before(i));
            out.write(text);
        });
        out.write(reports::JsonFrame::close(tally_.total > 0));
        out.write(frame.tail);
    });
    attempt("--junit", paths_.junit, junit_.get(), [&](reports::AtomicWriter& out, Spool& spool) {
        out.write(reports::junit_head(report));
        spool.replay([&](std::size_t, const std::string& text) { out.write(text); });
        out.write(reports::junit_tail());
    });
    attempt("--prometheus", paths_.prometheus, prometheus_.get(), [&](reports::AtomicWriter& out, Spool& spool) {
        // Families are grouped (the exposition format wants each one's samples together): a
        // pass over the spool per family.
        out.write(reports::prometheus_run(report));
        for (std::size_t family = 0; family < reports::prometheus_origin_families(report); ++family) {
            out.write(reports::prometheus_family_head(family));
            spool.replay([&](std::size_t, const std::string& piece) { out.write(reports::prometheus_sample(piece, family)); });
        }
    });
    attempt("--sarif", paths_.sarif, sarif_.get(), [&](reports::AtomicWriter& out, Spool& spool) {
        const reports::SarifFrame frame = reports::sarif_frame(report, base_directory_);
        out.write(frame.head);
        bool first = true;
        spool.replay([&](std::size_t, const std::string& results) {
            if (results.empty()) return;
            out.write(reports::SarifFrame::before(first));
            out.write(results);
            first = false;
        });
        out.write(frame.tail);
    });
}

}  // namespace originscan::app
