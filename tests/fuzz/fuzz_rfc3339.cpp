// libFuzzer target: RFC 3339 parsing (model/time.hpp, --now and every time in a baseline).
// A time it accepts lies in the years 0000-9999 in UTC (an offset must not move it out: it
// could not be printed back) and survives formatting and parsing again unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "model/time.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto seconds = originscan::parse_rfc3339(text);
    if (!seconds) return 0;
    constexpr std::int64_t first = -62167219200;  // 0000-01-01T00:00:00Z
    constexpr std::int64_t last = 253402300799;   // 9999-12-31T23:59:59Z
    if (*seconds < first || *seconds > last) std::abort();
    const auto again = originscan::parse_rfc3339(originscan::format_rfc3339(*seconds));
    if (!again || *again != *seconds) std::abort();
    const auto ms = originscan::parse_rfc3339(originscan::format_rfc3339_ms(*seconds * 1000));
    if (!ms || *ms != *seconds) std::abort();
    return 0;
}
