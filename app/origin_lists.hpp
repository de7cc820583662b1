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

#include "app/zone_import.hpp"
#include "model/origin.hpp"
#include "scanner/scanner.hpp"

namespace originscan::app {

// A line of a list longer than this is an error (FILE:LINE), found while reading it: an
// endless line (/dev/zero) must not grow memory.
constexpr std::size_t max_list_line_bytes = 64 * 1024;

// Cloudflare zone exports (--cloudflare-dns, app/zone_import.hpp) to take origins from.
struct ZoneInputs {
    std::vector<std::string> paths;  // '-': stdin
    bool all_records = false;        // --all-records: DNS-only records too
};

class OriginLists {
public:
    // Reads and validates everything: the --origin specs, the lists, then the zone exports (each
    // origin of a zone recorded as its spec, where = its record). Throws UsageError listing the
    // bad lines (FILE:LINE: why), an unreadable list, an over-long line, a list without origins
    // (FILE: no origins), a malformed zone export or one without origins, or an empty run. Should `stop` turn true during the read (SIGINT on a slow FIFO), reading ends
    // there: interrupted() says so, and the origins read until then are the run's.
    OriginLists(const std::vector<std::string>& specs, const std::vector<std::string>& lists,
                const std::atomic<bool>* stop = nullptr, const ZoneInputs& zones = {});
    ~OriginLists();
    OriginLists(const OriginLists&) = delete;
    OriginLists& operator=(const OriginLists&) = delete;

    std::size_t size() const { return count_; }
    bool interrupted() const { return interrupted_; }
    // What the zone exports gave and skipped (all zeros without --cloudflare-dns).
    const ZoneCounts& zone_counts() const { return zone_counts_; }

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
    ZoneCounts zone_counts_;
    std::vector<bool> duplicate_;
    std::map<std::size_t, std::vector<std::pair<std::size_t, Origin>>> duplicates_;
};

}  // namespace originscan::app
