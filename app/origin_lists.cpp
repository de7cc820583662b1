#include "app/origin_lists.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "app/input_file.hpp"
#include "app/usage_error.hpp"
#include "reports/atomic_file.hpp"

namespace originscan::app {
namespace {

constexpr std::size_t max_shown_errors = 20;
// The record stays in memory up to this size, then moves to a temporary file.
constexpr std::size_t max_record_in_memory = 8u << 20;
constexpr std::size_t record_chunk = 1u << 16;  // file writes and reads
// A zone export is read whole (an origin's A/AAAA records may be anywhere in it); Cloudflare's
// largest zones (a million records) stay well below this.
constexpr std::size_t max_zone_bytes = std::size_t{1} << 30;

[[noreturn]] void record_failed(const std::string& what) {
    throw reports::OutputError("temporary origin record " + what + ": " + std::strerror(errno));
}

// An anonymous temporary file in $TMPDIR (else /tmp): gone when closed.
int anonymous_temp_file() {
    const char* env = std::getenv("TMPDIR");
    const std::string dir = env && *env ? env : "/tmp";
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) return fd;
    std::string path = dir + "/originscan-origins.XXXXXX";  // O_TMPFILE unsupported there
    fd = ::mkostemp(path.data(), O_CLOEXEC);
    if (fd < 0) record_failed("in " + dir);
    ::unlink(path.c_str());
    return fd;
}

// 64-bit hash of an identity, to sort by: equal keys are only candidates, compared in full.
std::uint64_t identity_key(const Origin& origin) {
    return OriginIdentityHash{}(identity_of(origin));
}

Origin parse_recorded(const std::string& spec, std::string where) {
    auto parsed = parse_origin_spec(spec);  // validated when read: cannot fail
    auto* origin = std::get_if<Origin>(&parsed);
    if (!origin) throw std::logic_error(where + ": a recorded origin no longer parses");
    origin->where = std::move(where);
    return std::move(*origin);
}

}  // namespace

// Every valid spec with its FILE:LINE, in input order: [u32 spec size][u32 where size][spec]
// [where], appended to memory, or past max_record_in_memory to an anonymous file.
class OriginLists::Record {
public:
    ~Record() {
        if (fd_ >= 0) ::close(fd_);
    }

    void add(std::string_view spec, std::string_view where) {
        const std::uint32_t sizes[2] = {static_cast<std::uint32_t>(spec.size()), static_cast<std::uint32_t>(where.size())};
        buffer_.append(reinterpret_cast<const char*>(sizes), sizeof sizes).append(spec).append(where);
        size_ += sizeof sizes + spec.size() + where.size();
        if (fd_ < 0 && buffer_.size() > max_record_in_memory) fd_ = anonymous_temp_file();
        if (fd_ >= 0 && buffer_.size() >= record_chunk) flush();
    }

    // Done adding: whatever is buffered goes to the file (if there is one).
    void seal() {
        if (fd_ >= 0) flush();
    }

    class Reader {
    public:
        explicit Reader(const Record& record) : record_(record) {}

        bool next(std::string& spec, std::string& where) {
            if (offset_ == record_.size_) return false;
            std::uint32_t sizes[2];
            read(reinterpret_cast<char*>(sizes), sizeof sizes);
            spec.resize(sizes[0]);
            where.resize(sizes[1]);
            read(spec.data(), spec.size());
            read(where.data(), where.size());
            return true;
        }

    private:
        void read(char* out, std::size_t n) {
            if (record_.fd_ < 0) {
                std::memcpy(out, record_.buffer_.data() + offset_, n);
                offset_ += n;
                return;
            }
            while (n > 0) {
                if (pos_ == chunk_.size()) {
                    chunk_.resize(record_chunk);
                    const ssize_t got = ::pread(record_.fd_, chunk_.data(), chunk_.size(), static_cast<off_t>(offset_));
                    if (got <= 0) record_failed("read");
                    chunk_.resize(static_cast<std::size_t>(got));
                    pos_ = 0;
                }
                const std::size_t take = std::min(n, chunk_.size() - pos_);
                std::memcpy(out, chunk_.data() + pos_, take);
                pos_ += take;
                offset_ += take;
                out += take;
                n -= take;
            }
        }

        const Record& record_;
        std::uint64_t offset_ = 0;
        std::string chunk_;
        std::size_t pos_ = 0;
    };

private:
    void flush() {
        std::size_t done = 0;
        while (done < buffer_.size()) {
            const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) record_failed("write");
            done += static_cast<std::size_t>(n);
        }
        buffer_.clear();
    }

    std::string buffer_;  // all of it in memory, or what is not yet in the file
    std::uint64_t size_ = 0;
    int fd_ = -1;
};

namespace {

// Calls line(text, number) for each line of `file` (without its '\n', the first without a
// UTF-8 byte order mark). A line longer than max_list_line_bytes ends the reading: its message
// is returned.
template <class Line>
std::optional<std::string> for_each_line(InputFile& file, const std::string& shown, Line&& line) {
    std::string pending;  // never more than a chunk plus a partial line
    std::size_t number = 0;
    const auto emit = [&](std::string_view text) {
        line(number == 0 ? without_bom(text) : text, number + 1);
        ++number;
    };
    auto too_long = [&] {
        return shown + ":" + std::to_string(number + 1) + ": line longer than " +
               std::to_string(max_list_line_bytes) + " bytes (the limit for a list line)";
    };
    char buffer[1 << 16];
    for (;;) {
        const std::size_t n = file.read_some(buffer, sizeof buffer);
        if (n == 0) break;
        pending.append(buffer, n);
        std::size_t start = 0;
        for (std::size_t end; (end = pending.find('\n', start)) != std::string::npos; start = end + 1) {
            if (end - start > max_list_line_bytes) return too_long();
            emit(std::string_view(pending).substr(start, end - start));
        }
        pending.erase(0, start);
        if (pending.size() > max_list_line_bytes) return too_long();
    }
    if (!pending.empty()) emit(pending);
    return std::nullopt;
}

}  // namespace

OriginLists::OriginLists(const std::vector<std::string>& specs, const std::vector<std::string>& lists,
                         const std::atomic<bool>* stop, const ZoneInputs& zones)
    : record_(std::make_unique<Record>()) {
    if (std::count(lists.begin(), lists.end(), "-") + std::count(zones.paths.begin(), zones.paths.end(), "-") > 1)
        throw UsageError("'-' (stdin) given more than once");
    std::vector<std::string> errors;
    std::size_t error_count = 0;
    auto error = [&](std::string message) {
        if (++error_count <= max_shown_errors) errors.push_back(std::move(message));
    };
    std::vector<std::pair<std::uint64_t, std::size_t>> keys;  // freed once duplicates are known
    auto take = [&](std::string_view spec, const std::string& where) {
        auto parsed = parse_origin_spec(spec);
        if (auto* origin = std::get_if<Origin>(&parsed)) {
            keys.emplace_back(identity_key(*origin), count_++);
            record_->add(origin->input, where);
        } else if (where == "--origin") {
            error("--origin \"" + std::string(spec) + "\": " + std::get<std::string>(parsed));
        } else {
            error(where + ": " + std::get<std::string>(parsed));
        }
    };

    for (const auto& spec : specs) take(spec, "--origin");
    try {
        for (const auto& path : lists) {
            const std::string shown = path == "-" ? "<stdin>" : path;
            InputFile file(path, stop);
            std::size_t specs_read = 0;
            auto too_long = for_each_line(file, shown, [&](std::string_view text, std::size_t number) {
                const std::string_view spec = origin_line_spec(text);
                if (spec.empty()) return;
                ++specs_read;
                take(spec, shown + ":" + std::to_string(number));
            });
            if (too_long) error(std::move(*too_long));
            // A list that came out empty (a failed export, the wrong file) is a mistake to say,
            // not a run with fewer origins: its origins would just be gone.
            else if (specs_read == 0)
                error(shown + ": no origins (the list is empty, or holds only comments and blank lines)");
        }
        for (const auto& path : zones.paths) {
            const std::string shown = path == "-" ? "<stdin>" : path;
            try {
                const ZoneImport zone = import_cloudflare_dns(InputFile::read_all(path, max_zone_bytes, stop), shown,
                                                              zones.all_records);
                zone_counts_ += zone.counts;
                for (const ZoneOrigin& origin : zone.origins) take(origin.spec, origin.where);
                if (zone.origins.empty())
                    error(shown + ": no origins in the zone (" + zone_summary(zone.counts) +
                          (zones.all_records ? ")" : "; --all-records takes DNS-only ones too)"));
            } catch (const ZoneError& e) {
                error(e.what());
            }
        }
    } catch (const InputInterrupted&) {
        interrupted_ = true;  // the run is to stop: it has the origins read so far
    }
    record_->seal();

    if (error_count > 0) {
        std::string message;
        for (const auto& e : errors) message += (message.empty() ? "" : "\n") + e;
        if (error_count > errors.size())
            message += "\n... and " + std::to_string(error_count - errors.size()) + " more bad lines";
        throw UsageError(message);
    }
    if (count_ == 0 && !interrupted_) throw UsageError("no origins given (a LIST file, '-', --origin SPEC or --cloudflare-dns FILE)");
    find_duplicates(keys);
}

OriginLists::~OriginLists() = default;

// Origins whose keys are equal are candidates; one pass over the record compares them by
// their full identity (expected O(1) each), so a key collision never merges two origins.
void OriginLists::find_duplicates(std::vector<std::pair<std::uint64_t, std::size_t>>& keys) {
    duplicate_.assign(count_, false);
    std::sort(keys.begin(), keys.end());
    std::vector<bool> candidate(count_, false);
    bool any = false;
    for (std::size_t i = 1; i < keys.size(); ++i) {
        if (keys[i].first != keys[i - 1].first) continue;
        candidate[keys[i - 1].second] = candidate[keys[i].second] = true;
        any = true;
    }
    keys.clear();
    keys.shrink_to_fit();
    if (!any) return;

    std::unordered_map<OriginIdentity, std::size_t, OriginIdentityHash> first_of;  // candidates only
    Record::Reader reader(*record_);
    std::string spec, where;
    for (std::size_t index = 0; reader.next(spec, where); ++index) {
        if (!candidate[index]) continue;
        Origin origin = parse_recorded(spec, where);
        const auto [it, first] = first_of.try_emplace(identity_of(origin), index);
        if (first) continue;
        duplicate_[index] = true;
        duplicates_[it->second].emplace_back(index, std::move(origin));
    }
}

const std::vector<std::pair<std::size_t, Origin>>* OriginLists::duplicates_of(std::size_t index) const {
    auto it = duplicates_.find(index);
    return it == duplicates_.end() ? nullptr : &it->second;
}

// One pass over the record, on the scanner's demand.
class OriginLists::Pass final : public scanner::OriginSource {
public:
    Pass(const OriginLists& lists, bool with_duplicates)
        : lists_(lists), with_duplicates_(with_duplicates), reader_(*lists.record_) {}

    bool next(std::size_t& index, Origin& origin) override {
        while (reader_.next(spec_, where_)) {
            const std::size_t i = index_++;
            if (!with_duplicates_ && lists_.duplicate_[i]) continue;
            origin = parse_recorded(spec_, std::move(where_));
            index = i;
            return true;
        }
        return false;
    }

private:
    const OriginLists& lists_;
    bool with_duplicates_;
    Record::Reader reader_;
    std::string spec_, where_;
    std::size_t index_ = 0;
};

std::unique_ptr<scanner::OriginSource> OriginLists::source(bool with_duplicates) const {
    return std::make_unique<Pass>(*this, with_duplicates);
}

}  // namespace originscan::app
