#include "app/zone_import.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "model/origin.hpp"

using namespace originscan;
using namespace originscan::app;

namespace {

std::vector<std::string> specs_of(const ZoneImport& zone) {
    std::vector<std::string> out;
    for (const auto& o : zone.origins) out.push_back(o.spec + " " + o.where);
    return out;
}

// The same zone as Cloudflare's dashboard exports it: proxied and DNS-only records, a name with
// two A records and an AAAA, a CNAME, a wildcard, MX/TXT/NS/SOA/CAA, and (beyond the usual
// export) $ORIGIN with relative names, '@', a blank owner, TTL and class in either order or left
// out, a record continued in ( ... ), a quoted ';'.
constexpr std::string_view bind_zone = R"(;;
;; Domain:     example.test.
;; Exported:   2026-12-01 10:00:00
;;
$ORIGIN example.test.
$TTL 3600
;; SOA Record
@	3600	IN	SOA	ns1.example.test. dns.example.test. (
		2046213961 10000 2400
		604800 3600 )
;; NS Records
example.test.	86400	IN	NS	ns1.example.test.
;; A Records
www	1	IN	A	192.0.2.10 ; cf_tags=cf-proxied:true
two.example.test.	1	IN	A	192.0.2.12 ; cf_tags=cf-proxied:true
two	IN	1	A	192.0.2.11 ; cf_tags=cf-proxied:true
	A	192.0.2.12 ; cf_tags=cf-proxied:true
dnsonly	300	IN	A	198.51.100.1 ; cf_tags=cf-proxied:false
*.wild	1	IN	A	192.0.2.99 ; cf_tags=cf-proxied:true
;; AAAA Records
two	1	IN	AAAA	2001:DB8:0::1 ; cf_tags=cf-proxied:true
;; CNAME Records
alias	1	IN	CNAME	www.example.test. ; cf_tags=cf-proxied:true
shop	1	IN	CNAME	shops.example.net. ; cf_tags=cf-proxied:true
rel	1	IN	CNAME	www ; cf_tags=cf-proxied:true
legacy	1	IN	CNAME	old.example.net. ; no tag: DNS-only
;; MX Records
@	1	IN	MX	10 mail.example.test.
;; TXT Records
@	1	IN	TXT	"v=spf1 include:_spf.example.net ~all; cf-proxied:true"
;; CAA Records
@	1	IN	CAA	0 issue "letsencrypt.org"
)";

const std::vector<std::string> expected_proxied = {
    "www.example.test@192.0.2.10 FILE:14",
    "two.example.test@192.0.2.11,192.0.2.12,[2001:db8::1] FILE:15",
    "alias.example.test@www.example.test FILE:23",
    "shop.example.test@shops.example.net FILE:24",
    "rel.example.test@www.example.test FILE:25",
};

// The same zone from the API, two pages.
constexpr std::string_view api_page1 =
    R"({"result":[{"id":"1","zone_name":"example.test","name":"example.test","type":"SOA","content":"ns1.example.test dns.example.test 2046213961 10000 2400 604800 3600","proxiable":false,"proxied":false,"ttl":3600},)"
    R"({"name":"example.test","type":"NS","content":"ns1.example.test","proxied":false},)"
    R"({"name":"www.example.test","type":"A","content":"192.0.2.10","proxiable":true,"proxied":true,"ttl":1,"meta":{"auto_added":false}},)"
    R"({"name":"two.example.test","type":"A","content":"192.0.2.12","proxied":true},)"
    R"({"name":"two.example.test","type":"A","content":"192.0.2.11","proxied":true},)"
    R"({"name":"dnsonly.example.test","type":"A","content":"198.51.100.1","proxied":false},)"
    R"({"name":"*.wild.example.test","type":"A","content":"192.0.2.99","proxied":true}],)"
    R"("result_info":{"page":1,"per_page":7,"count":7,"total_count":12,"total_pages":2},"success":true,"errors":[],"messages":[]})";
constexpr std::string_view api_page2 =
    R"({"result":[{"name":"two.example.test","type":"AAAA","content":"2001:db8::1","proxied":true},)"
    R"({"name":"alias.example.test","type":"CNAME","content":"www.example.test","proxied":true},)"
    R"({"name":"shop.example.test","type":"CNAME","content":"shops.example.net","proxied":true},)"
    R"({"name":"legacy.example.test","type":"CNAME","content":"old.example.net","proxied":false},)"
    R"({"name":"example.test","type":"MX","content":"mail.example.test","priority":10,"proxied":false},)"
    R"({"name":"example.test","type":"TXT","content":"v=spf1 ~all","proxied":false}],)"
    R"("result_info":{"page":2,"per_page":7,"count":6,"total_count":13,"total_pages":2},"success":true})";

std::vector<std::string> spec_only(const ZoneImport& zone) {
    std::vector<std::string> out;
    for (const auto& o : zone.origins) out.push_back(o.spec);
    return out;
}

}  // namespace

TEST_CASE("zone import, BIND: proxied A/AAAA of a name are one origin, CNAMEs NAME@TARGET", "[zone]") {
    const ZoneImport zone = import_cloudflare_dns(bind_zone, "FILE", false);
    CHECK(specs_of(zone) == expected_proxied);
    CHECK(zone.counts.origins == 5);
    CHECK(zone.counts.wildcard == 1);
    CHECK(zone.counts.other_type == 5);  // SOA, NS, MX, TXT, CAA
    CHECK(zone.counts.dns_only == 2);    // dnsonly (cf-proxied:false), legacy (no tag)
    CHECK(zone_summary(zone.counts) == "from the zone: 5 origins; skipped 1 wildcard, 5 other-type, 2 DNS-only records");
    // Each is a spec, and an origin with one id however its records were ordered.
    for (const auto& o : zone.origins) {
        CAPTURE(o.spec);
        const auto parsed = parse_origin_spec(o.spec);
        REQUIRE(std::holds_alternative<Origin>(parsed));
        CHECK(std::get<Origin>(parsed).port == 443);
    }
    CHECK(identity_text(identity_of(std::get<Origin>(parse_origin_spec(zone.origins[1].spec)))) ==
          "two.example.test:443@192.0.2.11,192.0.2.12,[2001:db8::1]");
}

TEST_CASE("zone import, BIND: --all-records takes DNS-only records too", "[zone]") {
    const ZoneImport zone = import_cloudflare_dns(bind_zone, "FILE", true);
    auto expected = expected_proxied;
    expected.insert(expected.begin() + 2, "dnsonly.example.test@198.51.100.1 FILE:18");
    expected.push_back("legacy.example.test@old.example.net FILE:26");
    CHECK(specs_of(zone) == expected);
    CHECK(zone.counts.dns_only == 0);
    CHECK(zone.counts.wildcard == 1);
}

TEST_CASE("zone import, API: one page, JSON Lines of pages, an array of pages give the BIND origins", "[zone]") {
    const std::string lines = std::string(api_page1) + "\n" + std::string(api_page2) + "\n";
    const std::string array = "[\n" + std::string(api_page1) + ",\n" + std::string(api_page2) + "\n]";
    const ZoneImport bind = import_cloudflare_dns(bind_zone, "z.txt", false);
    for (const std::string& text : {lines, array}) {
        const ZoneImport api = import_cloudflare_dns(text, "z.json", false);
        std::vector<std::string> want = spec_only(bind);
        want.erase(want.begin() + 4);  // BIND's "rel" CNAME is not in the API pages
        CHECK(spec_only(api) == want);
        CHECK(api.counts.wildcard == 1);
        CHECK(api.counts.other_type == 4);  // SOA, NS, MX, TXT
        CHECK(api.counts.dns_only == 2);
    }
    const ZoneImport in_lines = import_cloudflare_dns(lines, "z.json", false);
    CHECK(in_lines.origins[0].where == "z.json:1:result[2]");
    CHECK(in_lines.origins[2].where == "z.json:2:result[1]");
    const ZoneImport in_array = import_cloudflare_dns(array, "z.json", false);
    CHECK(in_array.origins[0].where == "z.json:[0].result[2]");
    CHECK(in_array.origins[2].where == "z.json:[1].result[1]");
    const ZoneImport one = import_cloudflare_dns(api_page1, "z.json", true);
    CHECK(spec_only(one) == std::vector<std::string>{"www.example.test@192.0.2.10",
                                                     "two.example.test@192.0.2.11,192.0.2.12",
                                                     "dnsonly.example.test@198.51.100.1"});
    CHECK(one.origins[1].where == "z.json:result[3]");
    CHECK(import_cloudflare_dns("  \n" + std::string(api_page2), "z.json", false).origins.size() == 3);
}

TEST_CASE("zone import: names and targets lower case without the trailing dot, with $ORIGIN . and a BOM", "[zone]") {
    const ZoneImport zone = import_cloudflare_dns(
        "\xEF\xBB\xBF$ORIGIN .\nWWW.Example.Test 1 A 192.0.2.1 ; cf_tags=cf-proxied:true\r\n"
        "$ORIGIN Sub.Example.Test.\nx CNAME Target.Example.NET. ;cf_tags=cf-proxied:true,cf-flatten\n"
        "y CNAME z ; cf_tags=cf-proxied:true\n",
        "f", false);
    CHECK(spec_only(zone) == std::vector<std::string>{"www.example.test@192.0.2.1",
                                                      "x.sub.example.test@target.example.net",
                                                      "y.sub.example.test@z.sub.example.test"});
    const ZoneImport api = import_cloudflare_dns(
        R"({"result":[{"name":"WWW.Example.Test.","type":"a","content":"192.0.2.1","proxied":true},)"
        R"({"name":"x.example.test","type":"CNAME","content":"T.Example.NET.","proxied":true}]})",
        "f", false);
    CHECK(spec_only(api) == std::vector<std::string>{"www.example.test@192.0.2.1", "x.example.test@t.example.net"});
}

namespace {

struct Malformed {
    std::string_view text, message;
};

// clang-format off
const Malformed malformed[] = {
    // BIND: FILE:LINE: why
    {"",                                                        "z: empty"},
    {" \n\t\n",                                                 "z: empty"},
    {"www.example.test. 1 IN A 192.0.2.300 ; cf_tags=cf-proxied:true", "z:1: A record content \"192.0.2.300\" is not an IPv4 address"},
    {"$ORIGIN example.test.\nwww A 2001:db8::1",                "z:2: A record content \"2001:db8::1\" is not an IPv4 address"},
    {"$ORIGIN example.test.\n\nwww AAAA 192.0.2.1",             "z:3: AAAA record content \"192.0.2.1\" is not an IPv6 address"},
    {"$ORIGIN example.test.\nwww A",                            "z:2: A record for \"www.example.test\" needs exactly one value, found 0"},
    {"$ORIGIN example.test.\nwww A 192.0.2.1 192.0.2.2",        "z:2: A record for \"www.example.test\" needs exactly one value, found 2"},
    {"$ORIGIN example.test.\nwww CNAME",                        "z:2: CNAME record for \"www.example.test\" needs exactly one value"},
    {"$ORIGIN example.test.\nwww 300 IN",                       "z:2: missing record type for \"www.example.test\""},
    {"www A 192.0.2.1",                                         "z:1: relative name \"www\" before any $ORIGIN"},
    {"@ A 192.0.2.1",                                           "z:1: relative name \"@\" before any $ORIGIN"},
    {"$ORIGIN example.test\n",                                  "z:1: relative $ORIGIN \"example.test\" before any absolute one"},
    {"  A 192.0.2.1",                                           "z:1: a record without a name"},
    {"$ORIGIN a.test. b.test.",                                 "z:1: $ORIGIN takes one name"},
    {"$TTL one-hour",                                           "z:1: $TTL takes one TTL"},
    {"$INCLUDE other.zone",                                     "z:1: $INCLUDE is not supported"},
    {"$FOO bar",                                                "z:1: unknown directive \"$FOO\""},
    {"$ORIGIN a.test.\n@ SOA ns. dns. (\n 1 2 3\n 4 5",         "z:2: '(' not closed before the end of the file"},
    {"$ORIGIN a.test.\n@ SOA ns. dns. ( 1 ( 2 ) )",             "z:2: '(' inside '('"},
    {"$ORIGIN a.test.\n@ A 192.0.2.1 )",                        "z:2: ')' without '('"},
    {"$ORIGIN a.test.\n@ TXT \"unclosed",                       "z:2: quoted string not closed"},
    // API: FILE: JSON path: why
    {"{",                                                       "z: parse error at line 1"},
    {"{\"result\": [}",                                         "z: parse error"},
    {"[1]",                                                     "z: [0]: expected a page of the DNS records API"},
    {"{}",                                                      "z: result: missing"},
    {"{\"result\": {}}",                                        "z: result: expected an array of records"},
    {"{\"success\": false, \"errors\": [{\"code\": 9109}], \"result\": null}", "z: success: false: an API error response"},
    {"{\"result\": [7]}",                                       "z: result[0]: expected a record object"},
    {"{\"result\": [{\"type\": \"A\"}]}",                       "z: result[0].name: missing"},
    {"{\"result\": [{\"name\": 1, \"type\": \"A\"}]}",          "z: result[0].name: expected a string"},
    {"{\"result\": [{\"name\": \"a.test\"}]}",                  "z: result[0].type: missing"},
    {"{\"result\": [{\"name\": \"a.test\", \"type\": \"MX\"}, {\"name\": \"a.test\", \"type\": \"A\"}]}", "z: result[1].content: missing"},
    {"{\"result\": [{\"name\": \"a.test\", \"type\": \"A\", \"content\": \"::1\"}]}", "z: result[0].content: A record content \"::1\" is not an IPv4 address"},
    {"{\"result\": [{\"name\": \"a.test\", \"type\": \"AAAA\", \"content\": \"1.2.3.4\"}]}", "z: result[0].content: AAAA record content"},
    {"{\"result\": [{\"name\": \"a.test\", \"type\": \"CNAME\", \"content\": \"\"}]}", "z: result[0].content: empty CNAME target"},
    {"{\"result\": [{\"name\": \"a.test\", \"type\": \"A\", \"content\": \"1.2.3.4\", \"proxied\": \"yes\"}]}", "z: result[0].proxied: expected true or false"},
    {"[{\"result\": []}, {\"result\": [{\"name\": \"a.test\", \"type\": \"A\", \"content\": \"x\"}]}]", "z: [1].result[0].content: A record content \"x\""},
    {"{\"result\": []}\n{\"result\": [{\"name\": \"a.test\", \"type\": \"A\", \"content\": \"x\"}]}", "z:2: result[0].content: A record content \"x\""},
    {"{\"result\": []}\n\n{\"result\": [}\n",                    "z:3: parse error"},
};
// clang-format on

}  // namespace

TEST_CASE("zone import: a malformed export is an error naming file and line, or the JSON path", "[zone]") {
    for (const auto& c : malformed) {
        CAPTURE(std::string(c.text));
        try {
            const ZoneImport zone = import_cloudflare_dns(c.text, "z", false);
            FAIL("accepted, " << zone.origins.size() << " origins");
        } catch (const ZoneError& e) {
            CHECK_THAT(std::string(e.what()), Catch::StartsWith(std::string(c.message)) ||
                                                  Catch::Contains(std::string(c.message)));
            for (const char ch : std::string(e.what())) CHECK((ch >= 0x20 && ch < 0x7f));
        }
    }
}

TEST_CASE("zone import: nothing proxied is zero origins, every record counted once", "[zone]") {
    const ZoneImport zone = import_cloudflare_dns("$ORIGIN a.test.\n@ MX 10 m\n*.x A 192.0.2.1\nw A 192.0.2.2\n", "z", false);
    CHECK(zone.origins.empty());
    CHECK(zone.counts.other_type == 1);
    CHECK(zone.counts.wildcard == 1);
    CHECK(zone.counts.dns_only == 1);
    CHECK(zone_summary(zone.counts) == "from the zone: 0 origins; skipped 1 wildcard, 1 other-type, 1 DNS-only records");
    ZoneCounts one;
    one.origins = 1;
    one.dns_only = 1;
    CHECK(zone_summary(one) == "from the zone: 1 origin; skipped 0 wildcard, 0 other-type, 1 DNS-only record");
}
