#include "app/origin_lists.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "app/input_file.hpp"
#include "app/usage_error.hpp"

namespace originscan::app {
namespace {

constexpr std::size_t max_shown_errors = 20;

// 64-bit FNV-1a of what makes two specs the same origin.
std::uint64_t origin_key(const Origin& o) {
    std::uint64_t h = 1469598103934665603ull;
    auto mix = [&h](std::string_view bytes) {
        for (const unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull;  // separator: ("ab","c") differs from ("a","bc")
    };
    mix(o.name);
    mix(std::to_string(o.port));
    mix(o.address);
    return h;
}

// Lines of a list file, or of the saved stdin text.
class LineReader {
public:
    LineReader(const std::string& path, const std::string& stdin_text) {
        if (path == "-") {
            text_ = stdin_text;
            done_ = true;
        } else {
            file_.emplace(path);
        }
    }

    bool next(std::string& line) {
        for (;;) {
            if (const auto end = text_.find('\n', pos_); end != std::string::npos) {
                line.assign(text_, pos_, end - pos_);
                pos_ = end + 1;
                return true;
            }
            if (done_) {
                if (pos_ >= text_.size()) return false;
                line.assign(text_, pos_);
                pos_ = text_.size();
                return true;
            }
            text_.erase(0, pos_);
            pos_ = 0;
            char buffer[1 << 16];
            const std::size_t n = file_->read_some(buffer, sizeof buffer);
            if (n == 0) done_ = true;
            text_.append(buffer, n);
        }
    }

private:
    std::optional<InputFile> file_;
    std::string text_;
    std::size_t pos_ = 0;
    bool done_ = false;
};

// Every spec of the run in input order, one at a time: the --origin specs first, then each
// list's lines without comments and blanks. `where` is "--origin" or "FILE:LINE".
class SpecCursor {
public:
    SpecCursor(const std::vector<std::string>& specs, const std::vector<std::string>& lists,
               const std::string& stdin_text)
        : specs_(specs), lists_(lists), stdin_text_(stdin_text) {}

    // `spec` stays valid until the next call.
    bool next(std::string_view& spec, std::string& where) {
        if (spec_ < specs_.size()) {
            spec = specs_[spec_++];
            where = "--origin";
            return true;
        }
        for (;;) {
            if (!in_) {
                if (list_ == lists_.size()) return false;
                const std::string& path = lists_[list_++];
                shown_ = path == "-" ? "<stdin>" : path;
                line_number_ = 0;
                in_.emplace(path, stdin_text_);
            }
            if (!in_->next(line_)) {
                in_.reset();
                continue;
            }
            ++line_number_;
            spec = origin_line_spec(line_);
            if (spec.empty()) continue;
            where = shown_ + ":" + std::to_string(line_number_);
            return true;
        }
    }

private:
    const std::vector<std::string>& specs_;
    const std::vector<std::string>& lists_;
    const std::string& stdin_text_;
    std::size_t spec_ = 0;
    std::size_t list_ = 0;
    std::optional<LineReader> in_;
    std::string shown_, line_;
    std::size_t line_number_ = 0;
};

}  // namespace

// Calls visit(spec, where) for every spec of the run, in input order: --origin first, then the
// lists. `where` is "--origin" or "FILE:LINE".
template <class Visit>
void OriginLists::read_all(Visit&& visit) const {
    SpecCursor cursor(specs_, lists_, stdin_text_);
    std::string_view spec;
    std::string where;
    while (cursor.next(spec, where)) visit(spec, std::move(where));
}

OriginLists::OriginLists(std::vector<std::string> specs, std::vector<std::string> lists)
    : specs_(std::move(specs)), lists_(std::move(lists)) {
    if (std::count(lists_.begin(), lists_.end(), "-") > 1) throw UsageError("'-' (stdin) given more than once");
    if (std::find(lists_.begin(), lists_.end(), "-") != lists_.end())
        stdin_text_ = InputFile::read_all("-", std::size_t{1} << 32);
    std::vector<std::string> errors;
    std::size_t error_count = 0;
    std::vector<std::pair<std::uint64_t, std::size_t>> keys;  // freed after this pass
    read_all([&](std::string_view spec, std::string where) {
        auto parsed = parse_origin_spec(spec);
        if (auto* origin = std::get_if<Origin>(&parsed)) {
            keys.emplace_back(origin_key(*origin), count_++);
        } else if (++error_count <= max_shown_errors) {
            errors.push_back(where == "--origin" ? "--origin \"" + std::string(spec) + "\": " + std::get<std::string>(parsed)
                                                 : where + ": " + std::get<std::string>(parsed));
        }
    });
    if (error_count > 0) {
        std::string message;
        for (const auto& e : errors) message += (message.empty() ? "" : "\n") + e;
        if (error_count > errors.size())
            message += "\n... and " + std::to_string(error_count - errors.size()) + " more bad lines";
        throw UsageError(message);
    }
    if (count_ == 0) throw UsageError("no origins given (a LIST file, '-' or --origin SPEC)");

    // Duplicates: equal keys; the first in input order is scanned.
    duplicate_.assign(count_, false);
    std::sort(keys.begin(), keys.end());
    std::vector<std::pair<std::size_t, std::size_t>> repeats;  // (later index, first index)
    for (std::size_t i = 1; i < keys.size(); ++i) {
        if (keys[i].first != keys[i - 1].first) continue;
        std::size_t first = i - 1;
        while (first > 0 && keys[first - 1].first == keys[i].first) --first;
        duplicate_[keys[i].second] = true;
        repeats.emplace_back(keys[i].second, keys[first].second);
    }
    keys.clear();
    keys.shrink_to_fit();
    if (repeats.empty()) return;
    // Their Origins (input text, FILE:LINE) are needed to report them: read once more.
    std::sort(repeats.begin(), repeats.end());
    std::size_t index = 0, next = 0;
    read_all([&](std::string_view spec, std::string where) {
        if (next < repeats.size() && repeats[next].first == index) {
            Origin origin = std::get<Origin>(parse_origin_spec(spec));
            origin.where = std::move(where);
            duplicates_[repeats[next].second].emplace_back(index, std::move(origin));
            ++next;
        }
        ++index;
    });
}

const std::vector<std::pair<std::size_t, Origin>>* OriginLists::duplicates_of(std::size_t index) const {
    auto it = duplicates_.find(index);
    return it == duplicates_.end() ? nullptr : &it->second;
}

// One pass over the lists, line by line, on the scanner's demand.
class OriginLists::Pass final : public scanner::OriginSource {
public:
    Pass(const OriginLists& lists, bool with_duplicates)
        : lists_(lists), with_duplicates_(with_duplicates), cursor_(lists.specs_, lists.lists_, lists.stdin_text_) {}

    bool next(std::size_t& index, Origin& origin) override {
        std::string_view spec;
        std::string where;
        while (cursor_.next(spec, where)) {
            const std::size_t i = index_++;
            if (!with_duplicates_ && lists_.duplicate_[i]) continue;
            auto parsed = parse_origin_spec(spec);  // every spec was validated by the first pass
            auto* parsed_origin = std::get_if<Origin>(&parsed);
            if (!parsed_origin) throw std::runtime_error(where + ": changed while being scanned");
            origin = std::move(*parsed_origin);
            origin.where = std::move(where);
            index = i;
            return true;
        }
        return false;
    }

private:
    const OriginLists& lists_;
    bool with_duplicates_;
    SpecCursor cursor_;
    std::size_t index_ = 0;
};

std::unique_ptr<scanner::OriginSource> OriginLists::source(bool with_duplicates) const {
    return std::make_unique<Pass>(*this, with_duplicates);
}

}  // namespace originscan::app
