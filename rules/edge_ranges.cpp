#include "rules/edge_ranges.hpp"

#include <algorithm>
#include <variant>

#include "model/text.hpp"

namespace originscan::rules {
namespace {

// As published at cloudflare_ranges_source on cloudflare_ranges_taken. Cloudflare updates them
// rarely; --edge-ranges gives a newer list without a new release.
constexpr std::string_view cloudflare_cidrs[] = {
    "173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22",  "141.101.64.0/18",
    "108.162.192.0/18", "190.93.240.0/20", "188.114.96.0/20", "197.234.240.0/22", "198.41.128.0/17",
    "162.158.0.0/15",  "104.16.0.0/13",   "104.24.0.0/14",   "172.64.0.0/13",  "131.0.72.0/22",
    "2400:cb00::/32",  "2606:4700::/32",  "2803:f800::/32",  "2405:b500::/32", "2405:8100::/32",
    "2a06:98c0::/29",  "2c0f:f248::/32",
};

}  // namespace

const std::vector<IpRange>& cloudflare_ranges() {
    static const std::vector<IpRange> ranges = [] {
        std::vector<IpRange> out;
        for (const std::string_view cidr : cloudflare_cidrs) out.push_back(*parse_ip_range(cidr));
        return out;
    }();
    return ranges;
}

std::vector<IpRange> parse_edge_ranges(std::string_view text, std::string_view source) {
    std::vector<IpRange> ranges;
    std::size_t line_number = 0;
    for (std::size_t start = 0; start <= text.size();) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        start = end + 1;
        ++line_number;
        if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string_view::npos) continue;
        line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
        std::string why;
        auto range = parse_ip_range(line, &why);
        if (!range)
            throw EdgeRangesError(std::string(source) + ":" + std::to_string(line_number) + ": " + inert_quoted(line) +
                                  ": " + why);
        ranges.push_back(*range);
    }
    if (ranges.empty())
        throw EdgeRangesError(std::string(source) + ": no range in it (one CIDR a line, e.g. 104.16.0.0/13)");
    return ranges;
}

bool is_edge_probe(const Probe& probe) {
    const auto* failure = std::get_if<Failure>(&probe.outcome);
    return failure != nullptr && failure->reason == Reason::edge_address;
}

std::string edge_address_message(const OriginResult& result) {
    std::string addresses;
    for (const Probe& probe : result.observation.probes) {
        if (!is_edge_probe(probe)) continue;
        if (!addresses.empty()) addresses += ", ";
        addresses += probe.address;
    }
    if (addresses.empty()) return {};
    const std::string& name = result.origin.name;
    return name + " resolves to Cloudflare's edge (" + addresses + "): list the origin as " + name +
           "@ORIGIN-ADDRESS";
}

}  // namespace originscan::rules
