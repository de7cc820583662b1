// `originscan pin ORIGIN...`: the certificates each origin presents, with their SHA-256
// fingerprints and SPKI pins, and a rules snippet that pins the origin to them.
#pragma once

#include <string>
#include <vector>

namespace originscan::app {

// Exit status: 0 every origin presented certificates; 1 some origin presented none (or an
// address of it is the edge's: never connected to); 2 bad usage; 3 internal error. Throws what
// scan_command throws for bad input (UsageError, TrustError, EdgeRangesError).
int pin_command(const std::vector<std::string>& args);

}  // namespace originscan::app
