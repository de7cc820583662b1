// The origins of a run, from --origin specs and list files. Each list is read exactly once:
// every line is validated (all errors reported before any connection) and each origin's spec
// recorded, in input order, in memory while small and then in an anonymous temporary file
// ($TMPDIR), so that memory stays flat for a list of millions. The scan, and the report of the
// origins left unscanned, read that record, never the lists again: a pipe, a FIFO or
// /dev/stdin works like a file, and a list rewritten during the scan changes nothing.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/origin.hpp"
#include "scanner/scanner.hpp"

namespace originscan::app {

// A line of a list longer than this is an error (FILE:LINE), found while reading it: an
// endless line (/dev/zero) must not grow memory.
constexpr std::size_t max_list_line_bytes = 64 * 1024;

class OriginLists {
public:
    // Reads and validates everything. Throws UsageError listing the bad lines (FILE:LINE: why),
    // an unreadable list, an over-long line, a list without origins (FILE: no origins), or an
    // empty run. Should `stop` turn true during the read (SIGINT on a slow FIFO), reading ends
    // there: interrupted() says so, and the origins read until then are the run's.
    OriginLists(const std::vector<std::string>& specs, const std::vector<std::string>& lists,
                const std::atomic<bool>* stop = nullptr);
    ~OriginLists();
    OriginLists(const OriginLists&) = delete;
    OriginLists& operator=(const OriginLists&) = delete;

    std::size_t size() const { return count_; }
    bool interrupted() const { return interrupted_; }

    // Duplicates (the same OriginIdentity) are scanned once: duplicates_of(i) are the later
    // input indices that repeat origin i, with their own Origin (their input text may differ).
    const std::vector<std::pair<std::size_t, Origin>>* duplicates_of(std::size_t index) const;
    bool is_duplicate(std::size_t index) const { return duplicate_[index]; }

    // A fresh pass over the recorded origins in input order; duplicates are skipped unless
    // asked for. Several passes may be open at once.
    std::unique_ptr<scanner::OriginSource> source(bool with_duplicates = false) const;

    class Record;  // the recorded specs (origin_lists.cpp)

private:
    class Pass;
    void find_duplicates(std::vector<std::pair<std::uint64_t, std::size_t>>& keys);

    std::unique_ptr<Record> record_;
    std::size_t count_ = 0;
    bool interrupted_ = false;
    std::vector<bool> duplicate_;
    std::map<std::size_t, std::vector<std::pair<std::size_t, Origin>>> duplicates_;
};

}  // namespace originscan::app
