// RFC 3339 times, as --now takes them and the reports print them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace originscan {

// "2026-11-27T04:25:49Z", "2026-11-27T04:25:49.123+01:00", "2026-11-27 04:25:49Z" (space allowed
// for T, lower-case t/z too). Returns Unix seconds (fraction dropped), nullopt when malformed.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

// Unix seconds -> "2026-11-27T04:25:49Z".
std::string format_rfc3339(std::int64_t unix_seconds);

// Unix milliseconds -> "2026-11-27T04:25:49.123Z".
std::string format_rfc3339_ms(std::int64_t unix_ms);

}  // namespace originscan
