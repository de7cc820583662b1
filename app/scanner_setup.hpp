// What `scan` and `pin` give the scanner alike: trust, deadline, and the edge's data from
// rules/ (its ranges, never connected to; the Origin CA roots' fingerprints).
#pragma once

#include <string>

#include "model/report.hpp"
#include "scanner/scanner.hpp"

namespace originscan::app {

// Rounds the timeout to whole milliseconds. `edge_ranges_file` (--edge-ranges) replaces the
// built-in Cloudflare ranges; throws rules::EdgeRangesError (exit 2) for a malformed one, and
// UsageError for a malformed --resolver.
scanner::ScannerOptions scanner_options(const ScanSettings& settings, const std::string& edge_ranges_file);

}  // namespace originscan::app
