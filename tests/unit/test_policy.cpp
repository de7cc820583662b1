// rules/policy: parsing the rules file, pins and patterns, rule lookup by name.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report_fixture.hpp"  // shows_nothing_raw
#include "rules/policy.hpp"

using namespace originscan;
using originscan::rules::is_valid_pin;
using originscan::rules::match_rule;
using originscan::rules::parse_policy;
using originscan::rules::Policy;
using originscan::rules::client_identities;
using originscan::rules::ClientIdentities;
using originscan::rules::PolicyError;

namespace {

const std::string pin_a = "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
const std::string pin_b = "sha256///////////////////////////////////////////8=";

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The error parse_policy throws for `text`, or "" when it parses.
std::string error_of(const std::string& text) {
    try {
        parse_policy(text, "rules.json");
    } catch (const PolicyError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("parse_policy: a good file with comments", "[rules][policy]") {
    const std::string text = R"(// the rules of the example fleet
{
  "$schema": "../rules.schema.json",
  "version": 1,
  "rules": [
    /* the API is pinned */
    {"match": "API.Example.com", "min_mode": "strict", "pins": [")" + pin_a + R"(", ")" + pin_b + R"("]},
    {"match": "*.example.com", "min_mode": "full"},  // everything else: encrypted
    {"match": "legacy.example.com"},
    {"match": "2001:DB8::1", "min_mode": "flexible"},
    {"match": "192.0.2.7", "min_mode": "none"}
  ]
}
)";
    const Policy policy = parse_policy(text, "good.json");
    REQUIRE(policy.rules.size() == 5);
    CHECK(policy.rules[0].match == "api.example.com");
    CHECK(policy.rules[0].min_mode == EdgeMode::strict);
    CHECK(policy.rules[0].pins == std::vector<std::string>{pin_a, pin_b});
    CHECK(policy.rules[1].match == "*.example.com");
    CHECK(policy.rules[1].min_mode == EdgeMode::full);
    CHECK(policy.rules[1].pins.empty());
    CHECK(policy.rules[2].match == "legacy.example.com");
    CHECK_FALSE(policy.rules[2].min_mode.has_value());
    CHECK(policy.rules[3].match == "2001:db8::1");
    CHECK(policy.rules[3].min_mode == EdgeMode::flexible);
    CHECK(policy.rules[4].min_mode == EdgeMode::none);

    CHECK(parse_policy(R"({"rules": []})", "empty.json").rules.empty());
}

TEST_CASE("parse_policy: every file in rules/examples parses", "[rules][policy]") {
    const std::filesystem::path dir = std::filesystem::path(ORIGINSCAN_SOURCE_DIR) / "rules" / "examples";
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".jsonc") continue;
        ++files;
        INFO(entry.path().string());
        Policy policy;
        REQUIRE_NOTHROW(policy = parse_policy(read_file(entry.path()), entry.path().string()));
        CHECK_FALSE(policy.rules.empty());
    }
    CHECK(files >= 2);
}

TEST_CASE("rules.schema.json is a draft 2020-12 schema", "[rules][policy]") {
    const auto path = std::filesystem::path(ORIGINSCAN_SOURCE_DIR) / "rules" / "rules.schema.json";
    const auto schema = nlohmann::json::parse(read_file(path));
    CHECK(schema.at("$schema") == "https://json-schema.org/draft/2020-12/schema");
    CHECK(schema.at("additionalProperties") == false);
    CHECK(schema.at("required") == nlohmann::json::array({"rules"}));
}

TEST_CASE("parse_policy: syntax errors give line and column", "[rules][policy]") {
    struct Row {
        std::string text;
        std::string prefix;  // "rules.json:LINE:COLUMN: "
    };
    const std::vector<Row> rows = {
        {"{\n  \"rules\": [\n    {\"match\": \"a.example\",}\n  ]\n}", "rules.json:3:27: "},
        {"{\"rules\": [}", "rules.json:1:12: "},
        {"{\n\"rules\": []\n", "rules.json:3:1: "},
        {"", "rules.json:1:1: "},
        {"// comment\n{\"rules\": [] /* unterminated", "rules.json:2:29: "  /* at the end of input */},
        {"{\"rules\": [x]}", "rules.json:1:12: "},
    };
    for (const auto& row : rows) {
        INFO(row.text);
        const std::string error = error_of(row.text);
        CHECK_THAT(error, Catch::StartsWith(row.prefix));
        CHECK(error.size() > row.prefix.size() + 5);  // and says why
        CHECK_THAT(error, !Catch::Contains("json.exception"));
    }
}

TEST_CASE("parse_policy: semantic errors name the path", "[rules][policy]") {
    struct Row {
        std::string text;
        std::string message;  // a substring of what()
    };
    const std::vector<Row> rows = {
        {R"([])", "rules.json: top level: expected an object, got array"},
        {R"({})", "rules.json: top level: missing key \"rules\""},
        {R"({"rules": [], "rule": []})", "top level: unknown key \"rule\" (expected $schema, version, rules)"},
        {R"({"rules": {}})", "rules.json: rules: expected an array, got object"},
        {R"({"rules": [], "version": 2})", "rules.json: version: unsupported version 2 (expected 1)"},
        {R"({"rules": [], "version": "1"})", "rules.json: version: unsupported version \"1\""},
        {R"({"rules": [], "$schema": 7})", "rules.json: $schema: expected a string"},
        {R"({"rules": [], "rules": []})", "rules.json: duplicate key \"rules\""},
        {R"({"rules": [1]})", "rules.json: rules[0]: expected an object, got number"},
        {R"({"rules": [{"min_mode": "full"}]})", "rules.json: rules[0]: missing key \"match\""},
        {R"({"rules": [{"match": "a.example", "min-mode": "full"}]})",
         "rules.json: rules[0]: unknown key \"min-mode\" (expected match, min_mode, pins, client_auth, edge_min_mode, cert_hostname, client_cert, client_key, akamai_origin_sni)"},
        {R"({"rules": [{"match": "a.example", "akamai_origin_sni": "off"}]})",
         "rules.json: rules[0].akamai_origin_sni: expected a boolean, got string"},
        {R"({"rules": [{"match": "a.example", "client_cert": "c.pem"}]})", "rules.json: rules[0]: client_cert needs client_key"},
        {R"({"rules": [{"match": "a.example", "client_key": "c.key"}]})", "rules.json: rules[0]: client_key needs client_cert"},
        {R"({"rules": [{"match": "a.example", "client_cert": "", "client_key": "c.key"}]})",
         "rules.json: rules[0].client_cert: an empty path"},
        {R"({"rules": [{"match": "a.example", "client_cert": 1, "client_key": "c.key"}]})",
         "rules.json: rules[0].client_cert: expected a string, got number"},
        {R"({"rules": [{"match": "a.example", "min_mode": "full", "min_mode": "strict"}]})",
         "rules.json: duplicate key \"min_mode\""},
        {R"({"rules": [{"match": 7}]})", "rules.json: rules[0].match: expected a string, got number"},
        {R"({"rules": [{"match": "a.example"}, {"match": "b.example"},
                      {"match": "c.example", "min_mode": "stric"}]})",
         "rules.json: rules[2].min_mode: unknown mode \"stric\" (expected none, flexible, full, strict)"},
        {R"({"rules": [{"match": "a.example", "min_mode": "Strict"}]})",
         "rules[0].min_mode: unknown mode \"Strict\""},
        {R"({"rules": [{"match": "a.example", "min_mode": 3}]})",
         "rules.json: rules[0].min_mode: expected a string, got number"},
        {R"({"rules": [{"match": "a.example", "pins": "sha256/x"}]})",
         "rules.json: rules[0].pins: expected an array, got string"},
        {R"({"rules": [{"match": "a.example", "pins": [null]}]})",
         "rules.json: rules[0].pins[0]: expected a string, got null"},
        {R"({"rules": [{"match": "a.example", "pins": [")" + pin_a + R"(", "sha256/abc="]}]})",
         "rules.json: rules[0].pins[1]: not a pin \"sha256/abc=\""},
        {R"({"rules": [{"match": "a.example", "pins": [")" + pin_a + R"(", ")" + pin_a + R"("]}]})",
         "rules.json: rules[0].pins[1]: duplicate pin"},
        {R"({"rules": [{"match": "a.example"}, {"match": "b.example"}, {"match": "A.Example"}]})",
         "rules.json: rules[2].match: duplicate match \"a.example\" (also rules[0])"},
        {R"({"rules": [{"match": "*.a.example"}, {"match": "*.A.example"}]})",
         "rules.json: rules[1].match: duplicate match \"*.a.example\""},
    };
    for (const auto& row : rows) {
        INFO(row.text);
        CHECK_THAT(error_of(row.text), Catch::Contains(row.message));
    }
}

TEST_CASE("parse_policy: client_cert/client_key beside the rules file, one pair loaded once per distinct pair",
          "[rules][policy][aop]") {
    const std::string text = R"({"rules": [
        {"match": "a.example", "client_cert": "aop/a.pem", "client_key": "aop/a.key"},
        {"match": "*.b.example", "client_cert": "/etc/aop/b.pem", "client_key": "/etc/aop/b.key"},
        {"match": "c.example", "client_cert": "aop/a.pem", "client_key": "aop/a.key"},
        {"match": "*.example", "min_mode": "full"}]})";
    struct Row {
        std::string source, a_cert;
    };
    for (const Row& row : {Row{"/srv/ci/rules.json", "/srv/ci/aop/a.pem"}, Row{"ci/rules.json", "ci/aop/a.pem"},
                           Row{"rules.json", "aop/a.pem"}, Row{"-", "aop/a.pem"}}) {
        INFO(row.source);
        const Policy policy = parse_policy(text, row.source);
        CHECK(policy.rules[0].client_cert == row.a_cert);
        CHECK(policy.rules[1].client_key == "/etc/aop/b.key");  // absolute: as written
        const ClientIdentities ids = client_identities(policy);
        REQUIRE(ids.pairs.size() == 2);  // a.example and c.example share one
        CHECK(ids.pairs[0].first == row.a_cert);
        const auto which = [&](const char* name) {
            Origin origin;
            origin.name = name;
            return ids.of_origin(origin);
        };
        CHECK(which("a.example") == std::optional<std::size_t>{0});
        CHECK(which("C.Example.") == std::optional<std::size_t>{0});
        CHECK(which("x.b.example") == std::optional<std::size_t>{1});
        CHECK(which("d.example") == std::nullopt);  // its rule names no certificate
        CHECK(which("other.test") == std::nullopt);  // no rule
    }
    CHECK_FALSE(client_identities(parse_policy(R"({"rules": [{"match": "a.example"}]})", "r.json")).of_origin);
}

TEST_CASE("parse_policy: akamai_origin_sni, and the origins the scanner reaches without SNI for Akamai",
          "[rules][policy][edges]") {
    const Policy policy = parse_policy(R"({"rules": [
        {"match": "a.example", "akamai_origin_sni": false},
        {"match": "*.b.example", "akamai_origin_sni": true},
        {"match": "*.example", "min_mode": "full"}]})", "r.json");
    CHECK_FALSE(policy.rules[0].akamai_origin_sni);
    CHECK(policy.rules[1].akamai_origin_sni);
    CHECK(policy.rules[2].akamai_origin_sni);  // the default: Akamai sends SNI
    const std::vector<std::string> all = {"cloudflare", "cloudfront", "fastly", "akamai", "azure"};
    const auto without = rules::edges_without_sni(policy, all);
    REQUIRE(without);
    const auto edges_of = [&](const char* name) {
        Origin origin;
        origin.name = name;
        return without(origin);
    };
    CHECK(edges_of("A.Example.") == std::vector<std::string>{"akamai"});
    CHECK(edges_of("x.b.example").empty());
    CHECK(edges_of("c.example").empty());
    CHECK(edges_of("other.test").empty());
    // Akamai not selected, or no rule turning originSni off: no handshake without SNI at all.
    CHECK_FALSE(rules::edges_without_sni(policy, {"cloudflare", "cloudfront"}));
    CHECK_FALSE(rules::edges_without_sni(parse_policy(R"({"rules": [{"match": "a.example"}]})", "r.json"), all));
}

TEST_CASE("parse_policy: messages show text from the file inert", "[rules][policy]") {
    const std::string texts[] = {
        R"({"rules": [{"match": "a.example", "min_mode": "\u001b]0;pwned\u0007"}]})",
        "{\"rules\": [{\"match\": \"a.example\", \"min_mode\": \"\xc2\x9b\xe2\x80\xa8\xff\"}]}",
        "{\"rules\": \x1b]0;pwned\x07}",
        R"({"\u001b[2J": 1, "rules": []})",
    };
    for (const std::string& text : texts) {
        INFO(text);
        try {
            parse_policy(text, "rules.json");
            FAIL("no PolicyError");
        } catch (const PolicyError& e) {
            const std::string what = e.what();
            INFO(what);
            CHECK(originscan::testing::shows_nothing_raw(what, false));
        }
    }
}

TEST_CASE("parse_policy: match patterns", "[rules][policy]") {
    const std::vector<std::string> good = {
        "example.com", "a.b.c.example.com", "*.example.com", "*.com", "localhost", "xn--bcher-kva.example",
        "a-b.example", "192.0.2.7", "::1", "2001:db8::1", "EXAMPLE.COM", std::string(63, 'a') + ".example",
    };
    const std::vector<std::string> bad = {
        "", "*", "*.", "*example.com", "a.*.example.com", "*.*.example.com", "foo*.example.com",
        "example.com.", ".example.com", "a..example", "-a.example", "a-.example", "exa_mple.com",
        "exa mple.com", "https://example.com", "example.com:443", std::string(64, 'a') + ".example",
        "2001:db8::1::2", "*.2001:db8::1",
    };
    for (const auto& pattern : good) {
        INFO(pattern);
        CHECK(error_of(R"({"rules": [{"match": ")" + pattern + R"("}]})") == "");
    }
    for (const auto& pattern : bad) {
        INFO(pattern);
        CHECK_THAT(error_of(R"({"rules": [{"match": ")" + pattern + R"("}]})"),
                   Catch::StartsWith("rules.json: rules[0].match: "));
    }
}

TEST_CASE("is_valid_pin", "[rules][policy][pins]") {
    const std::vector<std::pair<std::string, bool>> table = {
        {pin_a, true},
        {pin_b, true},
        {"sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", true},
        {"sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=", false},  // non-canonical last sextet
        {"sha256///////////////////////////////////////////9=", false},  // non-canonical
        {"sha256//////////////////////////////////////////8=", false},  // 31 bytes and a bit
        {"sha256/47DEQpj8HBSa-_TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", false},  // base64url alphabet
        {"sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU", false},   // no padding
        {"sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF==", false},  // 31 bytes
        {"sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFUA=", false}, // too long
        {"SHA256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", false},
        {"sha1/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", false},
        {"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", false},
        {"sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hS FU=", false},
        {"sha256/", false},
        {"", false},
    };
    for (const auto& [pin, valid] : table) {
        INFO(pin);
        CHECK(is_valid_pin(pin) == valid);
    }
}

TEST_CASE("match_rule: exact beats wildcard, the longest wildcard wins", "[rules][policy]") {
    const std::string rules = R"(
      {"match": "*.example.com", "min_mode": "full"},
      {"match": "api.example.com", "min_mode": "strict"},
      {"match": "*.eu.example.com", "min_mode": "flexible"},
      {"match": "example.com", "min_mode": "none"},
      {"match": "2001:db8::1", "min_mode": "strict"}
    )";
    // The same rules in another order must give the same answers.
    const std::string reversed = R"(
      {"match": "2001:db8::1", "min_mode": "strict"},
      {"match": "example.com", "min_mode": "none"},
      {"match": "*.eu.example.com", "min_mode": "flexible"},
      {"match": "api.example.com", "min_mode": "strict"},
      {"match": "*.example.com", "min_mode": "full"}
    )";
    const std::vector<std::pair<std::string, std::string>> table = {
        {"api.example.com", "api.example.com"},
        {"API.Example.COM", "api.example.com"},
        {"api.example.com.", "api.example.com"},
        {"www.example.com", "*.example.com"},
        {"a.b.example.com", "*.example.com"},
        {"eu.example.com", "*.example.com"},
        {"x.eu.example.com", "*.eu.example.com"},
        {"a.x.EU.example.com", "*.eu.example.com"},
        {"example.com", "example.com"},
        {"notexample.com", ""},
        {"example.net", ""},
        {"com", ""},
        {"", ""},
        {"2001:DB8::1", "2001:db8::1"},
    };
    for (const auto& text : {rules, reversed}) {
        const Policy policy = parse_policy("{\"rules\": [" + text + "]}", "order.json");
        for (const auto& [name, expected] : table) {
            INFO(name);
            const auto* rule = match_rule(policy, name);
            CHECK((rule ? rule->match : std::string()) == expected);
        }
    }
    CHECK(match_rule(Policy{}, "example.com") == nullptr);
}
