#include "model/shard.hpp"

#include <charconv>
#include <cstdio>

namespace originscan {

Fnv1a64& Fnv1a64::add(std::string_view bytes) {
    for (const char c : bytes) {
        hash_ ^= static_cast<unsigned char>(c);
        hash_ *= 0x100000001b3ull;
    }
    return *this;
}

std::string Fnv1a64::hex() const {
    char buffer[17];
    std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(hash_));
    return buffer;
}

std::size_t shard_of(const OriginIdentity& id, std::size_t count) {
    return static_cast<std::size_t>(Fnv1a64().add(identity_text(id)).value() % count);
}

std::variant<std::size_t, std::string> parse_shard_number(std::string_view text) {
    std::size_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size())
        return std::string("expected a whole number");
    return value;
}

std::variant<ShardSpec, std::string> parse_shard_spec(std::string_view text) {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) return std::string("expected I/N (shard I of N, 0-based: 0/4 to 3/4)");
    const auto index = parse_shard_number(text.substr(0, slash));
    const auto count = parse_shard_number(text.substr(slash + 1));
    if (std::holds_alternative<std::string>(index) || std::holds_alternative<std::string>(count))
        return std::string("expected I/N with whole numbers (shard I of N, 0-based: 0/4 to 3/4)");
    const ShardSpec spec{std::get<std::size_t>(index), std::get<std::size_t>(count)};
    if (spec.count == 0 || spec.count > max_shards) return "N must be 1 to " + std::to_string(max_shards);
    if (spec.index >= spec.count)
        return "I must be below N (shards are numbered from 0: 0/" + std::to_string(spec.count) + " to " +
               std::to_string(spec.count - 1) + "/" + std::to_string(spec.count) + ")";
    return spec;
}

}  // namespace originscan
