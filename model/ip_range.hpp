// An IPv4 or IPv6 network in CIDR notation ("104.16.0.0/13", "2606:4700::/32"), and whether
// an address lies in it. A value type: rules/ holds the edge's ranges as data
// (rules/edge_ranges.hpp) and the scanner checks each address against them before connecting.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace originscan {

struct IpRange {
    bool v6 = false;
    std::array<std::uint8_t, 16> network{};  // the first 4 bytes for IPv4; host bits zero
    unsigned prefix = 0;                     // 0-32 (IPv4) or 0-128 (IPv6)

    // Whether `address` (4 or 16 bytes, network order) lies in the range. An IPv4-mapped
    // IPv6 address (::ffff:a.b.c.d) is the IPv4 address it maps.
    bool contains(const std::uint8_t* address, std::size_t size) const;
    // The same for an address in text; false for anything that is not an IP address.
    bool contains(std::string_view address) const;

    std::string to_string() const;  // canonical: "104.16.0.0/13", "2606:4700::/32"
    friend bool operator==(const IpRange&, const IpRange&) = default;
};

// "ADDRESS/PREFIX" with the host bits zero; nullopt with `why` set when it is not one.
std::optional<IpRange> parse_ip_range(std::string_view text, std::string* why = nullptr);

// The first range of `ranges` holding `address` (text); nullptr when none does.
const IpRange* find_range(const std::vector<IpRange>& ranges, std::string_view address);

}  // namespace originscan
