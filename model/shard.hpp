// Shards of one list (`scan --shard I/N`, `merge`): which origins a shard scans, decided by a
// stable hash of the origin's identity, so an origin lands in the same shard whatever the list
// order or the other origins, on every machine and build (never std::hash, which may differ).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "model/origin.hpp"

namespace originscan {

// Shard `index` of `count`, 0-based: 0 <= index < count (Kubernetes' JOB_COMPLETION_INDEX is
// 0-based too).
struct ShardSpec {
    std::size_t index = 0;
    std::size_t count = 1;
    friend bool operator==(const ShardSpec&, const ShardSpec&) = default;
};

// FNV-1a, 64 bits (http://www.isthe.com/chongo/tech/comp/fnv/): byte-wise, the same everywhere.
class Fnv1a64 {
public:
    Fnv1a64& add(std::string_view bytes);
    std::uint64_t value() const { return hash_; }
    std::string hex() const;  // 16 lower-case hex digits

private:
    std::uint64_t hash_ = 0xcbf29ce484222325ull;
};

// The shard an origin belongs to among `count`: FNV-1a 64 of identity_text(id), modulo count.
std::size_t shard_of(const OriginIdentity& id, std::size_t count);

// "I/N" (decimal, 0 <= I < N, 1 <= N <= 100000): the spec, or why not.
std::variant<ShardSpec, std::string> parse_shard_spec(std::string_view text);

// A shard count or index alone (for --shards N and JOB_COMPLETION_INDEX): the number, or why not.
std::variant<std::size_t, std::string> parse_shard_number(std::string_view text);

inline constexpr std::size_t max_shards = 100000;

}  // namespace originscan
