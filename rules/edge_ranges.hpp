// The edge's own addresses. A probe of an address in the edge's published ranges would reach
// the edge, not the origin: it would get the edge's valid certificate and judge an origin
// nobody looked at. The scanner never connects to such an address (ScannerOptions::
// edge_ranges); here are the ranges as data, the --edge-ranges file that replaces them, and
// what such an origin is told.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "model/ip_range.hpp"
#include "model/result.hpp"

namespace originscan::rules {

// Where and when the built-in ranges were taken.
inline constexpr std::string_view cloudflare_ranges_source =
    "https://www.cloudflare.com/ips-v4 and https://www.cloudflare.com/ips-v6";
inline constexpr std::string_view cloudflare_ranges_taken = "2026-12-01";

// Cloudflare's published edge ranges (IPv4, then IPv6), as taken on cloudflare_ranges_taken.
const std::vector<IpRange>& cloudflare_ranges();

// what(): "FILE:LINE: why".
struct EdgeRangesError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// An --edge-ranges file: one CIDR a line; '#' starts a comment (a whole line or the rest of
// one); blank lines ignored. Throws EdgeRangesError for a malformed line or a file without
// any range (an empty list would silently turn the check off).
std::vector<IpRange> parse_edge_ranges(std::string_view text, std::string_view source);

// Whether the probe was refused because its address is the edge's (Reason::edge_address).
bool is_edge_probe(const Probe& probe);

// "NAME resolves to Cloudflare's edge (ADDR): list the origin as NAME@ORIGIN-ADDRESS", the
// edge addresses of the origin joined by ", "; empty when none of its probes is one.
std::string edge_address_message(const OriginResult& result);

}  // namespace originscan::rules
