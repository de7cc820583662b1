// model/ip_range (the CIDR matcher) and rules/edge_ranges: Cloudflare's built-in ranges with
// their boundaries, the --edge-ranges file, and how an origin at an edge address is judged.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <string>
#include <vector>

#include "model/ip_range.hpp"
#include "reports/format.hpp"
#include "rules/classify.hpp"
#include "rules/edge_ranges.hpp"
#include "rules/policy.hpp"

using namespace originscan;

namespace {

// The first and last address of a range, computed here bit by bit from its text (not by the
// matcher), and the neighbours just outside it (nullopt past the end of the address space).
struct Bounds {
    std::string first, last;
    std::optional<std::string> before, after;
};

std::string text_of(const std::vector<std::uint8_t>& bytes) {
    char out[INET6_ADDRSTRLEN] = {};
    inet_ntop(bytes.size() == 4 ? AF_INET : AF_INET6, bytes.data(), out, sizeof out);
    return out;
}

// +1 or -1 over a big-endian byte string; false on wrap-around.
bool step(std::vector<std::uint8_t>& bytes, int delta) {
    for (std::size_t i = bytes.size(); i-- > 0;) {
        const int v = bytes[i] + delta;
        bytes[i] = static_cast<std::uint8_t>(v & 0xff);
        if (v >= 0 && v <= 0xff) return true;
    }
    return false;
}

Bounds bounds_of(const std::string& cidr) {
    const auto slash = cidr.find('/');
    const std::string address = cidr.substr(0, slash);
    const unsigned prefix = std::stoul(cidr.substr(slash + 1));
    const bool v6 = address.find(':') != std::string::npos;
    std::vector<std::uint8_t> first(v6 ? 16 : 4);
    REQUIRE(inet_pton(v6 ? AF_INET6 : AF_INET, address.c_str(), first.data()) == 1);
    std::vector<std::uint8_t> last = first;
    for (unsigned bit = prefix; bit < last.size() * 8; ++bit) last[bit / 8] |= 0x80 >> (bit % 8);
    Bounds b{text_of(first), text_of(last), std::nullopt, std::nullopt};
    if (step(first, -1)) b.before = text_of(first);
    if (step(last, +1)) b.after = text_of(last);
    return b;
}

const std::vector<std::string> published = {
    "173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22",   "141.101.64.0/18",
    "108.162.192.0/18", "190.93.240.0/20", "188.114.96.0/20", "197.234.240.0/22", "198.41.128.0/17",
    "162.158.0.0/15",  "104.16.0.0/13",   "104.24.0.0/14",   "172.64.0.0/13",    "131.0.72.0/22",
    "2400:cb00::/32",  "2606:4700::/32",  "2803:f800::/32",  "2405:b500::/32",   "2405:8100::/32",
    "2a06:98c0::/29",  "2c0f:f248::/32",
};

Probe probe_at(const std::string& address, std::variant<Failure, HttpFacts, TlsFacts> outcome) {
    Probe p;
    p.address = address;
    p.outcome = std::move(outcome);
    return p;
}

Failure edge_refusal(const std::string& address) {
    return Failure{Reason::edge_address, address + " is in the edge's range: not connected to"};
}

TlsFacts trusted_tls() {
    TlsFacts t;
    t.protocol = "TLS1.3";
    t.cipher = "TLS_AES_128_GCM_SHA256";
    t.handshake_completed = true;
    CertFacts leaf;
    leaf.subject = "CN=www.example.com";
    leaf.issuer = "CN=Example CA";
    leaf.not_before = 1'600'000'000;
    leaf.not_after = 1'900'000'000;
    leaf.spki_sha256 = "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLA=";
    t.chain = {leaf};
    t.trust.trusted = true;
    t.name_matches = true;
    return t;
}

constexpr std::int64_t now = 1'700'000'000;

OriginResult judged(const std::string& name, std::vector<Probe> probes) {
    OriginResult r;
    r.origin.input = r.origin.name = name;
    r.scanned = true;
    r.observation.probes = std::move(probes);
    rules::Policy policy;
    ScanSettings settings;
    rules::Judge judge(policy, nullptr, settings, now);
    judge.judge(r);
    return r;
}

}  // namespace

TEST_CASE("edge ranges: the built-in list is Cloudflare's, as published", "[rules][edge]") {
    std::vector<std::string> built_in;
    for (const IpRange& range : rules::cloudflare_ranges()) built_in.push_back(range.to_string());
    CHECK(built_in == published);
    CHECK(rules::cloudflare_ranges_taken.size() == 10);  // a date, YYYY-MM-DD
}

TEST_CASE("edge ranges: every built-in range holds its first and last address, not its neighbours",
          "[rules][edge]") {
    const auto& ranges = rules::cloudflare_ranges();
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        const IpRange& range = ranges[i];
        const Bounds b = bounds_of(published[i]);
        CAPTURE(published[i], b.first, b.last);
        CHECK(range.contains(b.first));
        CHECK(range.contains(b.last));
        CHECK(find_range(ranges, b.first) != nullptr);
        CHECK(find_range(ranges, b.last) != nullptr);
        if (b.before) {
            CAPTURE(*b.before);
            CHECK_FALSE(range.contains(*b.before));
        }
        if (b.after) {
            CAPTURE(*b.after);
            CHECK_FALSE(range.contains(*b.after));
        }
    }
}

TEST_CASE("edge ranges: addresses in and out, spelled out", "[rules][edge]") {
    const auto& ranges = rules::cloudflare_ranges();
    struct Row {
        const char* address;
        bool edge;
    };
    const Row rows[] = {
        {"104.16.0.0", true},         {"104.23.255.255", true},     {"104.24.0.0", true},
        {"104.27.255.255", true},     {"104.28.0.0", false},        {"104.15.255.255", false},
        {"173.245.63.255", true},     {"173.245.64.0", false},      {"173.245.47.255", false},
        {"198.41.255.255", true},     {"198.42.0.0", false},        {"162.159.255.255", true},
        {"162.160.0.0", false},       {"131.0.75.255", true},       {"131.0.76.0", false},
        {"127.0.0.1", false},         {"0.0.0.0", false},           {"255.255.255.255", false},
        {"2606:4700::1", true},       {"2606:4700:ffff:ffff:ffff:ffff:ffff:ffff", true},
        {"2606:4701::", false},       {"2606:46ff:ffff:ffff:ffff:ffff:ffff:ffff", false},
        {"2a06:98c0::", true},        {"2a06:98c7:ffff:ffff:ffff:ffff:ffff:ffff", true},
        {"2a06:98c8::", false},       {"2a06:98bf:ffff:ffff:ffff:ffff:ffff:ffff", false},
        {"::1", false},               {"::", false},
        // IPv4-mapped IPv6 is the IPv4 address it maps; IPv4-compatible (deprecated) is not.
        {"::ffff:104.16.0.1", true},  {"::ffff:127.0.0.1", false},  {"::104.16.0.1", false},
        // Not addresses at all.
        {"", false},                  {"104.16.0.1/32", false},     {"www.example.com", false},
        {"104.16.0", false},          {"fe80::1%eth0", false},
    };
    for (const Row& row : rows) {
        CAPTURE(row.address);
        CHECK((find_range(ranges, row.address) != nullptr) == row.edge);
    }
}

TEST_CASE("ip ranges: parsing, canonical text and refusals", "[model][edge]") {
    SECTION("accepted") {
        for (const char* text : {"0.0.0.0/0", "127.0.0.64/30", "10.0.0.0/8", "192.0.2.7/32", "::/0", "::1/128",
                                 "2001:db8::/32"}) {
            CAPTURE(text);
            const auto range = parse_ip_range(text);
            REQUIRE(range);
            CHECK(range->to_string() == text);
        }
        CHECK(parse_ip_range("0.0.0.0/0")->contains("203.0.113.9"));
        CHECK_FALSE(parse_ip_range("0.0.0.0/0")->contains("2001:db8::1"));  // a family of its own
        CHECK(parse_ip_range("::/0")->contains("2001:db8::1"));
        CHECK(parse_ip_range("192.0.2.7/32")->contains("192.0.2.7"));
        CHECK_FALSE(parse_ip_range("192.0.2.7/32")->contains("192.0.2.6"));
        const auto loopback = parse_ip_range("127.0.0.64/30");
        for (const char* in : {"127.0.0.64", "127.0.0.65", "127.0.0.66", "127.0.0.67"}) CHECK(loopback->contains(in));
        for (const char* out : {"127.0.0.63", "127.0.0.68", "127.0.0.1"}) CHECK_FALSE(loopback->contains(out));
    }
    SECTION("refused, with why") {
        for (const char* text : {"", "127.0.0.1", "127.0.0.1/", "127.0.0.1/33", "::/129", "127.0.0.1/-1",
                                 "127.0.0.1/8", "2001:db8::1/32", "127.0.0/8", "127.0.0.0/08", "127.0.0.0/8x",
                                 "127.0.0.0 /8", "example.com/8", "/8", "127.0.0.0/4294967304"}) {
            CAPTURE(text);
            std::string why;
            CHECK_FALSE(parse_ip_range(text, &why));
            CHECK_FALSE(why.empty());
        }
    }
}

TEST_CASE("edge ranges: the --edge-ranges file", "[rules][edge]") {
    SECTION("one CIDR a line, comments and blanks") {
        const auto ranges = rules::parse_edge_ranges(
            "# loopback ranges for a test\n\n127.0.0.64/30\n  ::1/128   # the v6 loopback\r\n\t\n10.0.0.0/8", "r.txt");
        REQUIRE(ranges.size() == 3);
        CHECK(ranges[0].to_string() == "127.0.0.64/30");
        CHECK(ranges[1].to_string() == "::1/128");
        CHECK(ranges[2].to_string() == "10.0.0.0/8");
    }
    SECTION("a malformed line: FILE:LINE, the line, why") {
        try {
            rules::parse_edge_ranges("127.0.0.64/30\n# fine\n127.0.0.1/8\n", "ranges.txt");
            FAIL("no error");
        } catch (const rules::EdgeRangesError& e) {
            const std::string what = e.what();
            CHECK(what.starts_with("ranges.txt:3: \"127.0.0.1/8\": "));
        }
        CHECK_THROWS_WITH(rules::parse_edge_ranges("104.16.0.0/13 104.24.0.0/14\n", "f"),
                          Catch::StartsWith("f:1: "));
        CHECK_THROWS_WITH(rules::parse_edge_ranges("\x1b[2J/8\n", "f"), Catch::Contains("\\x1b"));  // shown inert
    }
    SECTION("no range at all would turn the check off: refused") {
        CHECK_THROWS_AS(rules::parse_edge_ranges("", "empty.txt"), rules::EdgeRangesError);
        CHECK_THROWS_WITH(rules::parse_edge_ranges("# nothing\n\n", "c.txt"), Catch::StartsWith("c.txt: no range"));
    }
}

TEST_CASE("edge address: never judged as the origin, a violation that fails the run", "[rules][edge]") {
    SECTION("the only address is the edge's: unreachable, no mode, edge-address") {
        const OriginResult r = judged("www.example.com", {probe_at("104.16.1.1", edge_refusal("104.16.1.1"))});
        CHECK(r.classification.cls == OriginClass::unreachable);
        CHECK(r.classification.mode == EdgeMode::none);
        CHECK(r.classification.reasons == std::vector<Reason>{Reason::edge_address});
        CHECK(r.verdict.violations == std::vector<Violation>{Violation::edge_address});
        CHECK(rules::edge_address_message(r) ==
              "www.example.com resolves to Cloudflare's edge (104.16.1.1): list the origin as "
              "www.example.com@ORIGIN-ADDRESS");
        const std::string message = reports::violation_message(r, Violation::edge_address, now, 14);
        CHECK(message.find("edge-address: www.example.com resolves to Cloudflare's edge (104.16.1.1)") == 0);
        ScanSettings settings;
        Report report;
        report.origins = {r};
        CHECK(rules::exit_status(report) == rules::exit_policy);
    }
    SECTION("an edge address beside the origin's own: the origin's decides the mode, still a violation") {
        const OriginResult r = judged("www.example.com", {probe_at("2606:4700::6810:1", edge_refusal("2606:4700::6810:1")),
                                                          probe_at("192.0.2.7", trusted_tls())});
        CHECK(r.classification.cls == OriginClass::ca_trusted);
        CHECK(r.classification.mode == EdgeMode::strict);
        CHECK(r.classification.reasons == std::vector<Reason>{Reason::edge_address});
        CHECK(r.verdict.violations == std::vector<Violation>{Violation::edge_address});
        CHECK_FALSE(rules::decides(r.observation, r.observation.probes[0]));
        CHECK(rules::decides(r.observation, r.observation.probes[1]));
        CHECK(rules::edge_address_message(r).find("(2606:4700::6810:1)") != std::string::npos);
        CHECK(reports::addresses_note(r, now).find("1 of 2 addresses the edge's own") != std::string::npos);
    }
    SECTION("two edge addresses: both named") {
        const OriginResult r = judged("a.example.com", {probe_at("104.16.1.1", edge_refusal("104.16.1.1")),
                                                        probe_at("172.64.1.1", edge_refusal("172.64.1.1"))});
        CHECK(r.classification.cls == OriginClass::unreachable);
        CHECK(rules::edge_address_message(r).find("(104.16.1.1, 172.64.1.1)") != std::string::npos);
    }
    SECTION("no edge address: no such violation, no message") {
        const OriginResult r = judged("www.example.com", {probe_at("192.0.2.7", trusted_tls())});
        CHECK(r.verdict.violations.empty());
        CHECK(rules::edge_address_message(r).empty());
    }
}
