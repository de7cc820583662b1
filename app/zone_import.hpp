// Origins from a Cloudflare zone (`scan --cloudflare-dns FILE`): pure parsing, no sockets.
// Either export the user already has, told apart by the first non-blank byte ('{' or '[': the
// API's JSON, anything else: BIND):
//   - the BIND export (dashboard "Export DNS records", GET /zones/{id}/dns_records/export):
//     $ORIGIN, $TTL, '@', relative and absolute names, an owner left blank (the previous one),
//     TTL and class optional and in either order, ';' comments, "quoted strings", ( ... )
//     continued over lines. A proxied record ends with a comment holding
//     `cf_tags=cf-proxied:true` (DNS-only ones `cf-proxied:false`, or no tag);
//   - the API's record list (GET /zones/{id}/dns_records): one page
//     {"result": [{"name", "type", "content", "proxied", ...}], "result_info": {...}, "success": true},
//     several pages as JSON Lines (one page a line), or a JSON array of pages.
// What an edge connects to is the content of the proxied record: A/AAAA records of one name
// become ONE origin NAME@ADDR,ADDR,... (each address probed, the weakest deciding), a CNAME
// NAME@TARGET (the target resolved by the scanner, every address probed); port 443. Skipped and
// counted, each record under the first that applies: another type (MX, TXT, NS, SOA, ...),
// a wildcard name (`*.x`: no concrete name to send as SNI), DNS-only (unless all_records).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace originscan::app {

// A malformed export: "FILE:LINE: why" (BIND, JSON Lines) or "FILE: JSON-PATH: why" (API).
struct ZoneError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct ZoneOrigin {
    std::string spec;   // an origin spec (model/origin.hpp): NAME@ADDR,... or NAME@TARGET
    std::string where;  // its first record: FILE:LINE (BIND), FILE:result[i] (API; a page of
                        // several: FILE:[p].result[i] in an array, FILE:LINE:result[i] in lines)
};

struct ZoneCounts {
    std::size_t origins = 0;
    std::size_t wildcard = 0;
    std::size_t other_type = 0;
    std::size_t dns_only = 0;

    ZoneCounts& operator+=(const ZoneCounts& other);
};

struct ZoneImport {
    std::vector<ZoneOrigin> origins;  // in the order of each origin's first record
    ZoneCounts counts;
};

// `source` names the file in messages and `where` ("<stdin>" for '-'). Throws ZoneError.
ZoneImport import_cloudflare_dns(std::string_view text, std::string_view source, bool all_records);

// "from the zone: 12 origins; skipped 3 wildcard, 7 other-type, 4 DNS-only records"
std::string zone_summary(const ZoneCounts& counts);

}  // namespace originscan::app
