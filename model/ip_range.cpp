#include "model/ip_range.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace originscan {
namespace {

// inet_pton of one family into `out`; the text must be NUL-terminated, so it is copied.
bool parse_address(std::string_view text, bool v6, std::uint8_t* out) {
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
    char buf[INET6_ADDRSTRLEN] = {};
    std::memcpy(buf, text.data(), text.size());
    return inet_pton(v6 ? AF_INET6 : AF_INET, buf, out) == 1;
}

bool prefix_matches(const std::uint8_t* a, const std::uint8_t* b, unsigned prefix) {
    const unsigned whole = prefix / 8, rest = prefix % 8;
    if (std::memcmp(a, b, whole) != 0) return false;
    if (rest == 0) return true;
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

constexpr std::uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

bool IpRange::contains(const std::uint8_t* address, std::size_t size) const {
    if (size == 16 && !v6 && std::memcmp(address, v4_mapped_prefix, 12) == 0) {
        address += 12;
        size = 4;
    }
    if (size != (v6 ? 16u : 4u)) return false;
    return prefix_matches(address, network.data(), prefix);
}

bool IpRange::contains(std::string_view address) const {
    std::uint8_t bytes[16];
    if (parse_address(address, false, bytes)) return contains(bytes, 4);
    if (parse_address(address, true, bytes)) return contains(bytes, 16);
    return false;
}

std::string IpRange::to_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(v6 ? AF_INET6 : AF_INET, network.data(), text, sizeof text);
    return std::string(text) + "/" + std::to_string(prefix);
}

std::optional<IpRange> parse_ip_range(std::string_view text, std::string* why) {
    const auto fail = [&](const char* reason) -> std::optional<IpRange> {
        if (why) *why = reason;
        return std::nullopt;
    };
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) return fail("expected ADDRESS/PREFIX, e.g. 104.16.0.0/13");
    const std::string_view address = text.substr(0, slash), digits = text.substr(slash + 1);
    IpRange range;
    range.v6 = address.find(':') != std::string_view::npos;
    if (!parse_address(address, range.v6, range.network.data()))
        return fail(range.v6 ? "not an IPv6 address before the '/'" : "not an IPv4 address before the '/'");
    const unsigned max_prefix = range.v6 ? 128 : 32;
    unsigned prefix = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || prefix > max_prefix ||
        (digits.size() > 1 && digits.front() == '0'))
        return fail(range.v6 ? "the prefix length must be 0 to 128" : "the prefix length must be 0 to 32");
    range.prefix = prefix;
    // Host bits set (104.16.0.1/13) usually means a typo in the network: refused, not masked.
    IpRange masked = range;
    masked.network = {};
    for (unsigned bit = 0; bit < prefix; ++bit)
        masked.network[bit / 8] |= range.network[bit / 8] & static_cast<std::uint8_t>(0x80 >> (bit % 8));
    if (masked.network != range.network) return fail("bits set after the prefix length (not the network's first address)");
    return range;
}

const IpRange* find_range(const std::vector<IpRange>& ranges, std::string_view address) {
    for (const IpRange& range : ranges)
        if (range.contains(address)) return &range;
    return nullptr;
}

}  // namespace originscan
