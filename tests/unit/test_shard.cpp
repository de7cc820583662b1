// model/shard: the stable hash, the shard an identity lands in, and the I/N syntax.
#include "model/shard.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

using namespace originscan;
using namespace std::literals;

namespace {

OriginIdentity id_of(std::string_view spec) { return identity_of(std::get<Origin>(parse_origin_spec(spec))); }

}  // namespace

TEST_CASE("shard: FNV-1a 64 gives the published values", "[shard]") {
    // Test vectors of the FNV reference (http://www.isthe.com/chongo/tech/comp/fnv/).
    CHECK(Fnv1a64().add("").value() == 0xcbf29ce484222325ull);
    CHECK(Fnv1a64().add("a").value() == 0xaf63dc4c8601ec8cull);
    CHECK(Fnv1a64().add("foobar").value() == 0x85944171f73967e8ull);
    CHECK(Fnv1a64().add("foo").add("bar").value() == 0x85944171f73967e8ull);  // pieces hash as the whole
    CHECK(Fnv1a64().add("a").hex() == "af63dc4c8601ec8c");
    CHECK(Fnv1a64().hex() == "cbf29ce484222325");
}

TEST_CASE("shard: an origin's shard is its identity's, whatever its spelling", "[shard]") {
    // The hash of identity_text: fixed for all time (shards of one run on several machines).
    const OriginIdentity good = id_of("good.demo.test@127.0.0.1");
    CHECK(shard_of(good, 1) == 0);
    CHECK(shard_of(good, 7) == Fnv1a64().add("good.demo.test:443@127.0.0.1").value() % 7);
    for (const std::string_view spelling : {"GOOD.demo.test.:443@127.0.0.1"sv, "Good.Demo.Test@127.0.0.1:443"sv})
        for (std::size_t n = 1; n <= 16; ++n) CHECK(shard_of(id_of(spelling), n) == shard_of(good, n));
    // Another port or address is another origin, hashed on its own.
    CHECK(Fnv1a64().add(identity_text(id_of("good.demo.test:8443@127.0.0.1"))).value() !=
          Fnv1a64().add(identity_text(good)).value());
}

TEST_CASE("shard: many identities spread over the shards", "[shard]") {
    std::size_t counts[4] = {};
    for (int i = 0; i < 4000; ++i) ++counts[shard_of(id_of("host-" + std::to_string(i) + ".example.com"), 4)];
    for (const std::size_t count : counts) CHECK((count > 850 && count < 1150));
}

TEST_CASE("shard: I/N parses 0-based, N from 1", "[shard]") {
    struct Good {
        std::string_view text;
        std::size_t index, count;
    };
    for (const Good& g : {Good{"0/1", 0, 1}, Good{"0/4", 0, 4}, Good{"3/4", 3, 4}, Good{"99999/100000", 99999, 100000}}) {
        INFO(g.text);
        const auto parsed = parse_shard_spec(g.text);
        REQUIRE(std::holds_alternative<ShardSpec>(parsed));
        CHECK(std::get<ShardSpec>(parsed) == ShardSpec{g.index, g.count});
    }
    struct Bad {
        std::string_view text, why;
    };
    for (const Bad& b : {Bad{"4/4", "I must be below N"}, Bad{"0/0", "N must be 1 to 100000"},
                         Bad{"1/100001", "N must be 1 to"}, Bad{"1", "expected I/N"}, Bad{"", "expected I/N"},
                         Bad{"a/4", "whole numbers"}, Bad{"-1/4", "whole numbers"}, Bad{"1/4/5", "whole numbers"},
                         Bad{" 1/4", "whole numbers"}, Bad{"1/+4", "whole numbers"},
                         Bad{"1/99999999999999999999999", "whole numbers"}}) {
        INFO(b.text);
        const auto parsed = parse_shard_spec(b.text);
        REQUIRE(std::holds_alternative<std::string>(parsed));
        CHECK_THAT(std::get<std::string>(parsed), Catch::Contains(std::string(b.why)));
    }
    CHECK(std::get<std::size_t>(parse_shard_number("12")) == 12);
    CHECK(std::holds_alternative<std::string>(parse_shard_number("12x")));
}
