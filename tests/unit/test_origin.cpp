#include "model/origin.hpp"

#include <catch2/catch.hpp>

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

using namespace originscan;
using namespace std::literals;

namespace {

struct GoodSpec {
    std::string_view spec;
    std::string_view name;
    std::uint16_t port;
    std::string_view addresses;  // comma-separated, as Origin::addresses holds them
    bool name_is_ip;
};

// clang-format off
const GoodSpec good_specs[] = {
    // NAME, with and without port
    {"example.com",                        "example.com",      443,   "",                 false},
    {"example.com:8443",                   "example.com",      8443,  "",                 false},
    {"EXAMPLE.Com",                        "example.com",      443,   "",                 false},
    {"example.com.",                       "example.com",      443,   "",                 false},
    {"example.com.:8443",                  "example.com",      8443,  "",                 false},
    {"localhost",                          "localhost",        443,   "",                 false},
    {"_dmarc.example.com",                 "_dmarc.example.com", 443, "",                 false},
    {"a-b.c--d.example",                   "a-b.c--d.example", 443,   "",                 false},
    {"xn--bcher-kva.example",              "xn--bcher-kva.example", 443, "",              false},
    {"1password.com",                      "1password.com",    443,   "",                 false},
    {"example.com:1",                      "example.com",      1,     "",                 false},
    {"example.com:65535",                  "example.com",      65535, "",                 false},
    {"example.com:443",                    "example.com",      443,   "",                 false},
    // NAME@ADDRESS, port on either side
    {"shop.example.com@203.0.113.7",       "shop.example.com", 443,   "203.0.113.7",      false},
    {"shop.example.com:8443@203.0.113.7",  "shop.example.com", 8443,  "203.0.113.7",      false},
    {"shop.example.com@203.0.113.7:8443",  "shop.example.com", 8443,  "203.0.113.7",      false},
    {"shop.example.com@Backend.Internal.", "shop.example.com", 443,   "backend.internal", false},
    {"shop.example.com@backend:8080",      "shop.example.com", 8080,  "backend",          false},
    {"v6.example.com@[2001:db8::1]:8443",  "v6.example.com",   8443,  "2001:db8::1",      false},
    {"v6.example.com@[::1]:8443",          "v6.example.com",   8443,  "::1",              false},
    {"v6.example.com:8443@[::1]",          "v6.example.com",   8443,  "::1",              false},
    {"v6.example.com@[2001:DB8:0:0:0:0:0:1]", "v6.example.com", 443,  "2001:db8::1",      false},
    // IP-literal NAMEs
    {"192.0.2.7",                          "192.0.2.7",        443,   "",                 true},
    {"192.0.2.7:8443",                     "192.0.2.7",        8443,  "",                 true},
    {"0.0.0.0",                            "0.0.0.0",          443,   "",                 true},
    {"255.255.255.255",                    "255.255.255.255",  443,   "",                 true},
    {"[2001:db8::1]:8443",                 "2001:db8::1",      8443,  "",                 true},
    {"[2001:db8::1]",                      "2001:db8::1",      443,   "",                 true},
    {"[0:0::1]",                           "::1",              443,   "",                 true},
    {"[::ffff:192.0.2.1]",                 "::ffff:192.0.2.1", 443,   "",                 true},
    {"[2001:DB8::A]@127.0.0.1:4443",       "2001:db8::a",      4443,  "127.0.0.1",        true},
    {"192.0.2.7@[::1]",                    "192.0.2.7",        443,   "::1",              true},
    // NAME@ADDR,ADDR,...: IP literals, sorted by text, the port after NAME
    {"two.example.com@127.0.0.2,127.0.0.1", "two.example.com", 443,   "127.0.0.1,127.0.0.2", false},
    {"two.example.com:8443@[::1],127.0.0.1", "two.example.com", 8443, "127.0.0.1,::1",    false},
    {"two.example.com@[2001:DB8::1],[::1],192.0.2.1", "two.example.com", 443, "192.0.2.1,2001:db8::1,::1", false},
    {"[::1]@127.0.0.1,[::1]",              "::1",              443,   "127.0.0.1,::1",    true},
    // pasted URLs
    {"https://example.com",                "example.com",      443,   "",                 false},
    {"https://example.com/",               "example.com",      443,   "",                 false},
    {"https://Example.COM:8443/a/b?c=d#e", "example.com",      8443,  "",                 false},
    {"https://example.com?q=1",            "example.com",      443,   "",                 false},
    {"https://example.com#top",            "example.com",      443,   "",                 false},
    {"https://example.com/x@y",            "example.com",      443,   "",                 false},
    {"HTTPS://example.com.",               "example.com",      443,   "",                 false},
    {"https://[2001:db8::1]:8443/",        "2001:db8::1",      8443,  "",                 true},
    {"https://192.0.2.7/health",           "192.0.2.7",        443,   "",                 true},
    // surrounding blanks are not part of the spec
    {"  example.com:8443\t",               "example.com",      8443,  "",                 false},
};

struct BadSpec {
    std::string_view spec;
    std::string_view message_part;
};

const BadSpec bad_specs[] = {
    {"",                                   "empty"},
    {"   ",                                "empty"},
    // ports
    {"example.com:",                       "missing port"},
    {"example.com:0",                      "port 0 out of range 1-65535"},
    {"example.com:65536",                  "port 65536 out of range 1-65535"},
    {"example.com:70000",                  "port 70000 out of range 1-65535"},
    {"example.com:99999999999999999999999999", "out of range 1-65535"},
    {"example.com:18446744073709551617",   "out of range 1-65535"},  // 2^64 + 1: no wrap to 1
    {"example.com:4294967739",             "out of range 1-65535"},  // 2^32 + 443: no wrap to 443
    {"example.com:+443",                   "invalid port \"+443\""},
    {"example.com:-1",                     "invalid port \"-1\""},
    {"example.com:https",                  "invalid port \"https\""},
    {"example.com:44x",                    "invalid port \"44x\""},
    {"example.com:0443",                   "leading zero"},
    {"example.com:443@192.0.2.1:443",      "port given on both sides of '@'"},
    {"example.com:443@192.0.2.1:8443",     "port given on both sides of '@'"},
    {"[::1]:443@192.0.2.1:443",            "port given on both sides of '@'"},
    {"example.com@192.0.2.1:",             "missing port"},
    // names
    {":443",                               "missing name"},
    {"@1.2.3.4",                           "missing name"},
    {":443@1.2.3.4",                       "missing name"},
    {"*.example.com",                      "wildcard name \"*.example.com\""},
    {"*",                                  "wildcard"},
    {"a..b",                               "empty label"},
    {".example.com",                       "empty label"},
    {"example.com..",                      "empty label"},
    {".",                                  "empty label"},
    {"-a.example.com",                     "'-'"},
    {"a-.example.com",                     "'-'"},
    {"exa!mple.com",                       "invalid character '!'"},
    {"exa/mple.com",                       "invalid character '/'"},
    {"exa%mple.com",                       "invalid character '%'"},
    {"example.com]",                       "invalid character ']'"},
    {"1.2.3",                              "invalid IPv4 address \"1.2.3\""},
    {"1.2.3.4.5",                          "invalid IPv4 address"},
    {"256.1.1.1",                          "invalid IPv4 address"},
    {"01.2.3.4",                           "invalid IPv4 address \"01.2.3.4\""},
    {"1.2.3.4.",                           "invalid IPv4 address"},
    {"1..2.3",                             "invalid IPv4 address"},
    {"1234",                               "invalid IPv4 address"},
    {"1.2.3.1000",                         "invalid IPv4 address"},
    // IPv6
    {"[::g]",                              "invalid IPv6 address \"[::g]\""},
    {"[]",                                 "invalid IPv6 address \"[]\""},
    {"[1.2.3.4]",                          "invalid IPv6 address"},
    {"[example.com]",                      "invalid IPv6 address"},
    {"[1:2:3:4:5:6:7:8:9]",                "invalid IPv6 address"},
    {"[::1",                               "missing ']'"},
    {"[::1]x",                             "unexpected \"x\" after ']'"},
    {"[::1]:",                             "missing port"},
    {"[fe80::1%eth0]",                     "zone id"},
    {"[fe80::1%25eth0]:443",               "zone id"},
    {"2001:db8::1",                        "must be in brackets"},
    {"::1",                                "must be in brackets"},
    {"v6.example.com@2001:db8::1",         "must be in brackets"},
    {"example.com:443:443",                "more than one ':'"},
    {"v6.example.com@[::g]:8443",          "invalid IPv6 address \"[::g]\""},
    // addresses
    {"example.com@",                       "missing address"},
    {"example.com@:443",                   "missing address"},
    {"example.com@1.2.3",                  "invalid IPv4 address \"1.2.3\""},
    {"example.com@bad_host!",              "invalid character '!' in address"},
    {"example.com@*.internal",             "wildcard"},
    // address lists
    {"a.test@127.0.0.1,",                  "empty address in the list"},
    {"a.test@,127.0.0.1",                  "empty address in the list"},
    {"a.test@127.0.0.1,,127.0.0.2",        "empty address in the list"},
    {"a.test@127.0.0.1,backend.internal",  "host name \"backend.internal\" in an address list"},
    {"a.test@127.0.0.1,127.0.0.1",         "address \"127.0.0.1\" given twice"},
    {"a.test@[::1],[0::1]",                "given twice"},
    {"a.test@127.0.0.1,127.0.0.2:8443",    "port after the address \"127.0.0.2:8443\" in a list"},
    {"a.test@127.0.0.1:8443,127.0.0.2",    "port after the address"},
    {"a.test@127.0.0.1,[::1]:8443",        "port after the address"},
    {"a.test@127.0.0.1,::1",               "must be in brackets"},
    {"a.test@127.0.0.1,1.2.3",             "invalid IPv4 address \"1.2.3\""},
    {"a.test@127.0.0.1,[::g]",             "invalid IPv6 address"},
    {"a@b@c",                              "more than one '@'"},
    // URLs
    {"http://example.com",                 "unsupported scheme \"http://\""},
    {"ftp://example.com",                  "unsupported scheme \"ftp://\""},
    {"HTTP://example.com",                 "unsupported scheme \"http://\""},
    {"https://user@example.com",           "user info"},
    {"https://user:pw@example.com/",       "user info"},
    {"https://example.com:8443@1.2.3.4",   "user info"},
    {"https://",                           "missing name"},
    {"https:///path",                      "missing name"},
    {"https://:8443/",                     "missing name"},
    {"https://example.com:/",              "missing port"},
    {"https://example.com:99999/",         "port 99999 out of range"},
    {"https://*.example.com/",             "wildcard"},
    // bytes that never belong in a spec
    {"exa mple.com",                       "unexpected space"},
    {"example.com 8443",                   "unexpected space"},
    {"example.com\t@1.2.3.4",              "unexpected space"},
    {"exa\x1bmple.com",                    "control byte 0x1b"},
    {"exa\x7fmple.com",                    "control byte 0x7f"},
    {"b\xc3\xbc" "cher.example",           "non-ASCII byte 0xc3"},
    {"example.com\xff",                    "non-ASCII byte 0xff"},
};
// clang-format on

std::string trimmed(std::string_view s) {
    auto first = s.find_first_not_of(" \t");
    return std::string(s.substr(first, s.find_last_not_of(" \t") - first + 1));
}

std::string joined(const std::vector<std::string>& addresses) {
    std::string out;
    for (const auto& a : addresses) out += (out.empty() ? "" : ",") + a;
    return out;
}

std::string describe(const Origin& o) {
    return "name=" + o.name + " port=" + std::to_string(o.port) + " addresses=" + joined(o.addresses) +
           " name_is_ip=" + (o.name_is_ip ? "true" : "false");
}

// The spec a user could write for an already parsed origin.
std::string respell(const Origin& o) {
    auto host = [](const std::string& h) {
        if (h.find(':') == std::string::npos) return h;
        std::string bracketed(1, '[');  // appended: GCC 12 -Wrestrict false positive on "[" + h
        bracketed.append(h).push_back(']');
        return bracketed;
    };
    std::string spec = host(o.name) + ":" + std::to_string(o.port);
    for (std::size_t i = 0; i < o.addresses.size(); ++i) spec += (i == 0 ? "@" : ",") + host(o.addresses[i]);
    return spec;
}

}  // namespace

TEST_CASE("good origin specs parse to name, port, address", "[origin]") {
    for (const auto& c : good_specs) {
        CAPTURE(std::string(c.spec));
        auto parsed = parse_origin_spec(c.spec);
        if (auto* error = std::get_if<std::string>(&parsed)) FAIL("unexpected error: " << *error);
        const auto& origin = std::get<Origin>(parsed);
        CAPTURE(describe(origin));
        CHECK(origin.name == c.name);
        CHECK(origin.port == c.port);
        CHECK(joined(origin.addresses) == c.addresses);
        CHECK(origin.name_is_ip == c.name_is_ip);
        CHECK(origin.input == trimmed(c.spec));
        CHECK(origin.where.empty());
    }
}

TEST_CASE("a parsed origin respelled canonically parses to the same origin", "[origin]") {
    for (const auto& c : good_specs) {
        auto first = std::get<Origin>(parse_origin_spec(c.spec));
        auto spelled = respell(first);
        CAPTURE(std::string(c.spec), spelled);
        auto again = parse_origin_spec(spelled);
        REQUIRE(std::holds_alternative<Origin>(again));
        auto second = std::get<Origin>(again);
        CHECK(second.name == first.name);
        CHECK(second.port == first.port);
        CHECK(second.addresses == first.addresses);
        CHECK(second.name_is_ip == first.name_is_ip);
    }
}

TEST_CASE("bad origin specs give a short message saying what is wrong", "[origin]") {
    for (const auto& c : bad_specs) {
        CAPTURE(std::string(c.spec));
        auto parsed = parse_origin_spec(c.spec);
        if (auto* origin = std::get_if<Origin>(&parsed)) FAIL("accepted as " << describe(*origin));
        const auto& message = std::get<std::string>(parsed);
        CHECK_THAT(message, Catch::Contains(std::string(c.message_part)));
        CHECK(message.size() < 200);
        // Messages are printable ASCII: user bytes are escaped, never echoed raw.
        for (char ch : message) CHECK((ch >= 0x20 && ch < 0x7f));
    }
}

TEST_CASE("host name length limits", "[origin]") {
    const std::string label63(63, 'a');
    const std::string label64(64, 'a');
    SECTION("a 63-character label is fine, 64 is not") {
        CHECK(std::holds_alternative<Origin>(parse_origin_spec(label63 + ".example")));
        auto parsed = parse_origin_spec(label64 + ".example");
        REQUIRE(std::holds_alternative<std::string>(parsed));
        CHECK_THAT(std::get<std::string>(parsed), Catch::Contains("longer than 63"));
    }
    // Four 63-character labels and three dots make 255; trim to exactly 253 and 254.
    const std::string long_name = label63 + "." + label63 + "." + label63 + "." + label63;
    SECTION("253 characters is fine, also with the trailing dot") {
        auto name = long_name.substr(0, 253);
        REQUIRE(name.size() == 253);
        auto parsed = parse_origin_spec(name + ".");
        REQUIRE(std::holds_alternative<Origin>(parsed));
        CHECK(std::get<Origin>(parsed).name == name);
    }
    SECTION("254 characters is too long") {
        auto parsed = parse_origin_spec(long_name.substr(0, 254));
        REQUIRE(std::holds_alternative<std::string>(parsed));
        CHECK_THAT(std::get<std::string>(parsed), Catch::Contains("longer than 253"));
    }
    SECTION("a huge spec is refused without echoing it") {
        auto parsed = parse_origin_spec(std::string(100000, 'a'));
        REQUIRE(std::holds_alternative<std::string>(parsed));
        CHECK_THAT(std::get<std::string>(parsed), Catch::Contains("too long"));
        CHECK(std::get<std::string>(parsed).size() < 200);
    }
}

TEST_CASE("a NUL byte inside a spec is an error, not the end of the spec", "[origin]") {
    auto parsed = parse_origin_spec("example.com\0evil.com"s);
    REQUIRE(std::holds_alternative<std::string>(parsed));
    CHECK_THAT(std::get<std::string>(parsed), Catch::Contains("NUL byte"));
    CHECK_THAT(std::get<std::string>(parsed), Catch::Contains("\\x00"));
}

TEST_CASE("origin list: comments, blanks, CRLF, locations", "[origin]") {
    const std::string text =
        "# origins of the shop\n"           // 1
        "\n"                                // 2
        "shop.example.com   # primary\n"    // 3
        "   \t  \n"                         // 4
        "  api.example.com:8443@10.0.0.1\r\n"  // 5
        "\t# indented comment\r\n"          // 6
        "https://example.com/#frag\n"       // 7: '#' inside a token is not a comment
        "shop.example.com\n"                // 8: duplicates are kept
        "last.example.com";                 // 9: no final newline
    auto list = parse_origin_list(text, "origins.txt");
    CHECK(list.errors.empty());
    REQUIRE(list.origins.size() == 5);

    struct Expected {
        std::string_view input, name, where;
        std::uint16_t port;
        std::string_view address;
    };
    const Expected expected[] = {
        {"shop.example.com", "shop.example.com", "origins.txt:3", 443, ""},
        {"api.example.com:8443@10.0.0.1", "api.example.com", "origins.txt:5", 8443, "10.0.0.1"},
        {"https://example.com/#frag", "example.com", "origins.txt:7", 443, ""},
        {"shop.example.com", "shop.example.com", "origins.txt:8", 443, ""},
        {"last.example.com", "last.example.com", "origins.txt:9", 443, ""},
    };
    for (std::size_t i = 0; i < std::size(expected); ++i) {
        CAPTURE(i);
        CHECK(list.origins[i].input == expected[i].input);
        CHECK(list.origins[i].name == expected[i].name);
        CHECK(list.origins[i].where == expected[i].where);
        CHECK(list.origins[i].port == expected[i].port);
        CHECK(joined(list.origins[i].addresses) == expected[i].address);
    }
}

TEST_CASE("origin list: each bad line gives one located error, good lines still count",
          "[origin]") {
    const std::string overlong(20000, 'x');
    const std::string text = "good.example.com\n"                   // 1
                             "bad.example.com:70000\n"              // 2
                             "a.example.com b.example.com\n"        // 3
                             "nul.example\0.com\n"s                 // 4
                             "caf\xc3\xa9.example.com\r\n"          // 5
                             "also-good.example.com:8443\r\n"       // 6
                             "hash#inside.example.com\n"            // 7
                             "cr\rinside.example.com\n" +           // 8
                             overlong + "\n" +                      // 9
                             "http://plain.example.com\n";          // 10
    auto list = parse_origin_list(text, "list.txt");

    REQUIRE(list.origins.size() == 2);
    CHECK(list.origins[0].name == "good.example.com");
    CHECK(list.origins[0].where == "list.txt:1");
    CHECK(list.origins[1].name == "also-good.example.com");
    CHECK(list.origins[1].where == "list.txt:6");

    const std::pair<std::string_view, std::string_view> expected_errors[] = {
        {"list.txt:2: ", "port 70000 out of range 1-65535"},
        {"list.txt:3: ", "unexpected space"},
        {"list.txt:4: ", "NUL byte"},
        {"list.txt:5: ", "non-ASCII byte 0xc3"},
        {"list.txt:7: ", "invalid character '#'"},
        {"list.txt:8: ", "control byte 0x0d"},
        {"list.txt:9: ", "too long"},
        {"list.txt:10: ", "unsupported scheme \"http://\""},
    };
    REQUIRE(list.errors.size() == std::size(expected_errors));
    for (std::size_t i = 0; i < std::size(expected_errors); ++i) {
        const auto& [prefix, part] = expected_errors[i];
        CAPTURE(list.errors[i]);
        CHECK(list.errors[i].rfind(prefix, 0) == 0);
        CHECK_THAT(list.errors[i], Catch::Contains(std::string(part)));
        CHECK(list.errors[i].size() < 220);
    }
}

TEST_CASE("origin list: empty and comment-only input", "[origin]") {
    for (std::string_view text : {""sv, "\n"sv, "\r\n\r\n"sv, "# nothing\n   # here\n"sv, "#"sv}) {
        CAPTURE(std::string(text));
        auto list = parse_origin_list(text, "-");
        CHECK(list.origins.empty());
        CHECK(list.errors.empty());
    }
}

// ---- identity: what makes two specs the same origin (duplicates, baseline) -----------------

OriginIdentity identity(std::string_view spec) {
    auto parsed = parse_origin_spec(spec);
    if (auto* error = std::get_if<std::string>(&parsed)) FAIL(std::string(spec) << ": " << *error);
    return identity_of(std::get<Origin>(parsed));
}

struct SameOrigin {
    std::string_view a, b;
};

// clang-format off
const SameOrigin same_origins[] = {
    {"good.demo.test@127.0.0.1:443",          "GOOD.demo.test.:443@127.0.0.1"},
    {"good.demo.test@127.0.0.1",              "good.demo.test:443@127.0.0.1"},
    {"good.demo.test",                        "https://Good.Demo.Test./path?q"},
    {"good.demo.test:8443",                   "https://good.demo.test:8443/"},
    {"a.test@Backend.Internal.",              "a.test@backend.internal"},
    {"a.test@[2001:DB8:0:0:0:0:0:1]:8443",    "a.test:8443@[2001:db8::1]"},
    {"[2001:db8::1]",                         "[2001:0db8::0001]:443"},
    {"  a.test  ",                            "a.test"},
    {"a.test@127.0.0.2,127.0.0.1,[::1]",      "a.test:443@[::1],127.0.0.1,127.0.0.2"},
    {"a.test@[2001:db8::1],127.0.0.1",        "a.test@127.0.0.1,[2001:DB8:0::1]"},
};

struct OtherOrigin {
    std::string_view a, b, why;
};

const OtherOrigin other_origins[] = {
    // 64-bit FNV-1a of name|port|address collides for these two: a key alone merged them.
    {"ydgrvcawvhlxj.x.test@127.0.0.1",        "hjwhztuvmqkcg.x.test@127.0.0.1", "FNV-1a collision"},
    {"a.test",                                "a.test:8443",                    "port"},
    {"a.test@127.0.0.1",                      "a.test",                         "address given or not"},
    {"a.test@127.0.0.1",                      "a.test@127.0.0.2",               "address"},
    {"a.test@b.test",                         "b.test@a.test",                  "name and address swapped"},
    {"ab.test@c.test",                        "a.test@bc.test",                 "split point"},
    {"127.0.0.1",                             "a.test@127.0.0.1",               "IP name vs address"},
    {"[::1]",                                 "[::2]",                          "IPv6"},
    {"a.test@127.0.0.1,127.0.0.2",            "a.test@127.0.0.1",               "a subset of the addresses"},
    {"a.test@127.0.0.1,127.0.0.2",            "a.test@127.0.0.1,127.0.0.3",     "one address differs"},
    {"a.test@127.0.0.1,127.0.0.2",            "a.test:8443@127.0.0.1,127.0.0.2", "port"},
};
// clang-format on

TEST_CASE("origin identity: respellings of one origin are equal, with equal hashes", "[origin]") {
    for (const auto& c : same_origins) {
        CAPTURE(std::string(c.a), std::string(c.b));
        const auto a = identity(c.a), b = identity(c.b);
        CHECK(a == b);
        CHECK(OriginIdentityHash{}(a) == OriginIdentityHash{}(b));
    }
}

TEST_CASE("origin identity: different origins differ, whatever their hashes", "[origin]") {
    for (const auto& c : other_origins) {
        CAPTURE(std::string(c.a), std::string(c.b), std::string(c.why));
        CHECK_FALSE(identity(c.a) == identity(c.b));
    }
}

TEST_CASE("origin identity: normalises an Origin the parser did not build", "[origin]") {
    Origin o;
    o.name = "Good.Demo.Test.";
    o.port = 8443;
    o.addresses = {"2001:DB8::0:1"};
    const OriginIdentity id = identity_of(o);
    CHECK(id.name == "good.demo.test");
    CHECK(id.port == 8443);
    CHECK(id.addresses == std::vector<std::string>{"2001:db8::1"});
    CHECK(id == identity("good.demo.test:8443@[2001:db8::1]"));
    // Several, unsorted and repeated: the sorted set.
    o.addresses = {"::1", "127.0.0.2", "0::1", "127.0.0.1"};
    CHECK(identity_of(o).addresses == std::vector<std::string>{"127.0.0.1", "127.0.0.2", "::1"});
    CHECK(identity_of(o) == identity("good.demo.test:8443@127.0.0.2,[::1],127.0.0.1"));
}

TEST_CASE("origin identity: 127.000.000.001 is not accepted, so never a second spelling", "[origin]") {
    CHECK(std::holds_alternative<std::string>(parse_origin_spec("good.demo.test@127.000.000.001")));
}

// ---- identity as text: the report's `id` -----------------------------------------------------

struct IdText {
    std::string_view spec, id;
};

// Every spelling the parser accepts, and the one id each has.
// clang-format off
const IdText id_texts[] = {
    {"good.demo.test",                        "good.demo.test:443"},
    {"good.demo.test:443",                    "good.demo.test:443"},
    {"GOOD.Demo.Test.",                       "good.demo.test:443"},
    {"https://Good.Demo.Test./path?q#f",      "good.demo.test:443"},
    {"https://good.demo.test:8443",           "good.demo.test:8443"},
    {"good.demo.test@127.0.0.1",              "good.demo.test:443@127.0.0.1"},
    {"good.demo.test@127.0.0.1:443",          "good.demo.test:443@127.0.0.1"},
    {"good.demo.test:443@127.0.0.1",          "good.demo.test:443@127.0.0.1"},
    {"GOOD.demo.test.@127.0.0.1:8443",        "good.demo.test:8443@127.0.0.1"},
    {"good.demo.test:8443@127.0.0.1",         "good.demo.test:8443@127.0.0.1"},
    {"a.test@Backend.Internal.:8443",         "a.test:8443@backend.internal"},
    {"v6.test@[2001:DB8:0:0:0:0:0:1]:8443",   "v6.test:8443@[2001:db8::1]"},
    {"v6.test:8443@[2001:db8::1]",            "v6.test:8443@[2001:db8::1]"},
    {"v6.test@[::ffff:127.0.0.1]",            "v6.test:443@[::ffff:127.0.0.1]"},
    {"v6.test@[0:0:0:0:0:0:0:1]",             "v6.test:443@[::1]"},
    {"[2001:0db8::0001]",                     "[2001:db8::1]:443"},
    {"[2001:db8::1]:443",                     "[2001:db8::1]:443"},
    {"https://[2001:db8::1]:8443/",           "[2001:db8::1]:8443"},
    {"192.0.2.7:8443",                        "192.0.2.7:8443"},
    {"192.0.2.7@127.0.0.1",                   "192.0.2.7:443@127.0.0.1"},
    {"[::1]@127.0.0.1:8443",                  "[::1]:8443@127.0.0.1"},
    {"[0::1]:8443@[::FFFF:7F00:1]",           "[::1]:8443@[::ffff:127.0.0.1]"},
    {"  a.test  ",                            "a.test:443"},
    {"two.test@127.0.0.2,127.0.0.1",          "two.test:443@127.0.0.1,127.0.0.2"},
    {"two.test:8443@[::1],127.0.0.1",         "two.test:8443@127.0.0.1,[::1]"},
    {"two.test@[0:0::1],[2001:DB8::1],10.0.0.1", "two.test:443@10.0.0.1,[2001:db8::1],[::1]"},
};
// clang-format on

TEST_CASE("origin identity text: every spelling gives the one canonical id", "[origin]") {
    for (const auto& c : id_texts) {
        CAPTURE(std::string(c.spec));
        const OriginIdentity id = identity(c.spec);
        CHECK(identity_text(id) == c.id);
        // The id is itself a spec of the same origin, and reads back as the identity.
        CHECK(identity(c.id) == id);
        const auto back = parse_identity_text(c.id);
        REQUIRE(back.has_value());
        CHECK(*back == id);
    }
}

TEST_CASE("origin identity text: different origins have different ids", "[origin]") {
    for (const auto& c : other_origins) {
        CAPTURE(std::string(c.a), std::string(c.b), std::string(c.why));
        CHECK(identity_text(identity(c.a)) != identity_text(identity(c.b)));
    }
}

TEST_CASE("origin identity text: only the canonical form is an id", "[origin]") {
    for (std::string_view text : {"good.demo.test"sv, "GOOD.demo.test:443"sv, "good.demo.test.:443"sv,
                                  "good.demo.test@127.0.0.1:443"sv, "https://good.demo.test:443"sv,
                                  " good.demo.test:443"sv, "v6.test:443@[2001:DB8::1]"sv,
                                  "[2001:0db8::1]:443"sv, "good.demo.test:0443"sv, ""sv, ":443"sv,
                                  "good.demo.test:443@"sv, "a..test:443"sv,
                                  "two.test:443@127.0.0.2,127.0.0.1"sv, "two.test@127.0.0.1,127.0.0.2"sv,
                                  "two.test:443@127.0.0.1,::1"sv}) {
        CAPTURE(std::string(text));
        CHECK_FALSE(parse_identity_text(text).has_value());
    }
}

TEST_CASE("origin list: a UTF-8 byte order mark before the first line is not part of it", "[origin]") {
    const auto list = parse_origin_list("\xEF\xBB\xBFgood.demo.test\n\xEF\xBB\xBF" "b.test\n", "bom.txt");
    REQUIRE(list.origins.size() == 1);  // only at the start: the second is a non-ASCII byte
    CHECK(list.origins[0].name == "good.demo.test");
    CHECK(list.origins[0].input == "good.demo.test");
    REQUIRE(list.errors.size() == 1);
    CHECK(list.errors[0].rfind("bom.txt:2: non-ASCII byte 0xef", 0) == 0);
    CHECK(parse_origin_list("\xEF\xBB\xBF# a comment first\n", "bom.txt").errors.empty());
    CHECK(without_bom("\xEF\xBB") == "\xEF\xBB");  // a part of one stays
}
