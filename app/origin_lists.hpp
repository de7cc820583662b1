// The origins of a run, from --origin specs and list files, read twice rather than held:
// once to validate every line (all errors reported before any connection) and find the
// duplicates, then again, line by line, as the scanner asks for the next origin. Memory is a
// few bits per listed origin, so a list of millions streams through.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/origin.hpp"
#include "scanner/scanner.hpp"

namespace originscan::app {

class OriginLists {
public:
    // Reads and validates everything. Throws UsageError (cli.hpp) listing the bad lines
    // (FILE:LINE: why), an unreadable list, or an empty run.
    OriginLists(std::vector<std::string> specs, std::vector<std::string> lists);

    std::size_t size() const { return count_; }

    // Duplicates (same name, port and address) are scanned once: duplicates_of(i) are the later
    // input indices that repeat origin i, with their own Origin (their input text may differ).
    const std::vector<std::pair<std::size_t, Origin>>* duplicates_of(std::size_t index) const;
    bool is_duplicate(std::size_t index) const { return duplicate_[index]; }

    // A fresh pass over the origins in input order; duplicates are skipped unless asked for.
    std::unique_ptr<scanner::OriginSource> source(bool with_duplicates = false) const;

private:
    class Pass;
    template <class Visit>
    void read_all(Visit&& visit) const;

    std::vector<std::string> specs_;
    std::vector<std::string> lists_;
    std::string stdin_text_;  // '-' can be read only once: kept
    std::size_t count_ = 0;
    std::vector<bool> duplicate_;
    std::map<std::size_t, std::vector<std::pair<std::size_t, Origin>>> duplicates_;
};

}  // namespace originscan::app
