// The rules file: strict parsing, pin and pattern syntax, and rule lookup by name.
#include "rules/policy.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "model/text.hpp"  // inert_quoted(), inert(): user text in messages
#include "rules/edges.hpp"

namespace originscan::rules {
namespace {

using nlohmann::json;

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// "SOURCE:LINE:COLUMN: why" from nlohmann's 1-based byte index of the last character read.
[[noreturn]] void throw_syntax_error(const json::parse_error& e, std::string_view text,
                                     std::string_view source) {
    std::size_t pos = e.byte == 0 ? 0 : e.byte - 1;  // 0-based offset of the offending byte
    pos = std::min(pos, text.size());
    std::size_t line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < pos; ++i) {
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    }
    const std::size_t column = pos - line_start + 1;

    // what() is "[json.exception.parse_error.101] parse error at line 1, column 2: why".
    std::string why = e.what();
    if (const auto at = why.find("parse error"); at != std::string::npos) {
        if (const auto colon = why.find(": ", at); colon != std::string::npos)
            why = why.substr(colon + 2);
    }
    throw PolicyError(std::string(source) + ":" + std::to_string(line) + ":" +
                      std::to_string(column) + ": " + inert(why));  // nlohmann quotes what it last read
}

// nlohmann keeps the last of duplicate keys silently; a policy must not.
struct DuplicateKeyCheck {
    std::vector<std::set<std::string>>* open_objects;
    std::string* duplicate;

    bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) const {
        switch (event) {
            case json::parse_event_t::object_start: open_objects->emplace_back(); break;
            case json::parse_event_t::object_end: open_objects->pop_back(); break;
            case json::parse_event_t::key:
                if (!open_objects->back().insert(parsed.get<std::string>()).second &&
                    duplicate->empty())
                    *duplicate = parsed.get<std::string>();
                break;
            default: break;
        }
        return true;
    }
};

class Checker {
public:
    explicit Checker(std::string_view source) : source_(source) {}

    std::string_view source() const { return source_; }

    [[noreturn]] void fail(std::string_view where, std::string_view why) const {
        throw PolicyError(std::string(source_) + ": " + std::string(where) + ": " +
                          std::string(why));
    }

    void expect_type(const json& value, json::value_t type, std::string_view type_name,
                     std::string_view where) const {
        if (value.type() != type)
            fail(where, "expected " + std::string(type_name) + ", got " + value.type_name());
    }

    void only_keys(const json& object, std::initializer_list<std::string_view> allowed,
                   std::string_view where) const {
        for (const auto& [key, value] : object.items()) {
            if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
            std::string expected;
            for (auto name : allowed) {
                if (!expected.empty()) expected += ", ";
                expected += name;
            }
            fail(where, "unknown key " + inert_quoted(key) + " (expected " + expected + ")");
        }
    }

private:
    std::string_view source_;
};

bool is_ldh_label(std::string_view label) {
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    return std::all_of(label.begin(), label.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
}

// A lower-case host name of LDH labels (RFC 1123), no trailing dot.
bool is_host_name(std::string_view name) {
    if (name.empty() || name.size() > 253) return false;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = name.find('.', start);
        const std::string_view label =
            name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (!is_ldh_label(label)) return false;
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

// Origins may be named by an IPv6 literal (PRODUCT.md); IPv4 literals pass as host names.
bool is_ipv6_literal(const std::string& name) {
    in6_addr address{};
    return name.find(':') != std::string::npos && inet_pton(AF_INET6, name.c_str(), &address) == 1;
}

// Why `pattern` (already lower-cased) is not a valid match; empty when it is.
std::string pattern_problem(const std::string& pattern) {
    if (pattern.empty()) return "empty pattern";
    if (pattern.starts_with("*.")) {
        const std::string_view suffix = std::string_view(pattern).substr(2);
        if (suffix.find('*') != std::string_view::npos)
            return "only one leading \"*.\" wildcard is allowed";
        if (!is_host_name(suffix)) return "\"*.\" must be followed by a valid host name";
        return {};
    }
    if (pattern.find('*') != std::string::npos)
        return "a wildcard must be a whole leading label (\"*.example.com\")";
    if (is_ipv6_literal(pattern) || is_host_name(pattern)) return {};
    if (pattern.back() == '.') return "no trailing dot";
    return "not a valid host name";
}

constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// A path a rules file names: as is when absolute, or when the rules came from stdin; else
// beside the rules file, as a configuration file's paths are read.
std::string beside(std::string_view rules_file, const std::string& path) {
    if (path.front() == '/' || rules_file == "-" || rules_file.empty()) return path;
    const auto slash = rules_file.rfind('/');
    if (slash == std::string_view::npos) return path;
    return std::string(rules_file.substr(0, slash + 1)) + path;
}

Rule parse_rule(const json& item, const std::string& where, const Checker& check) {
    check.expect_type(item, json::value_t::object, "an object", where);
    check.only_keys(item,
                    {"match", "min_mode", "pins", "client_auth", "edge_min_mode", "cert_hostname", "client_cert",
                     "client_key", "akamai_origin_sni"},
                    where);

    Rule rule;
    const auto match = item.find("match");
    if (match == item.end()) check.fail(where, "missing key \"match\"");
    check.expect_type(*match, json::value_t::string, "a string", where + ".match");
    rule.match = lower(match->get<std::string>());
    if (auto problem = pattern_problem(rule.match); !problem.empty())
        check.fail(where + ".match", problem + ": " + inert_quoted(match->get<std::string>()));

    if (const auto mode = item.find("min_mode"); mode != item.end()) {
        check.expect_type(*mode, json::value_t::string, "a string", where + ".min_mode");
        rule.min_mode = edge_mode_from_string(mode->get<std::string>());
        if (!rule.min_mode) {
            std::string expected;
            for (auto m : all_edge_modes) {
                if (!expected.empty()) expected += ", ";
                expected += to_string(m);
            }
            check.fail(where + ".min_mode", "unknown mode " + inert_quoted(mode->get<std::string>()) +
                                                " (expected " + expected + ")");
        }
    }

    if (const auto pins = item.find("pins"); pins != item.end()) {
        check.expect_type(*pins, json::value_t::array, "an array", where + ".pins");
        for (std::size_t i = 0; i < pins->size(); ++i) {
            const std::string pin_where = where + ".pins[" + std::to_string(i) + "]";
            const json& pin = (*pins)[i];
            check.expect_type(pin, json::value_t::string, "a string", pin_where);
            const auto text = pin.get<std::string>();
            if (!is_valid_pin(text))
                check.fail(pin_where, "not a pin " + inert_quoted(text) +
                                          " (expected \"sha256/\" + base64 of the 32-byte "
                                          "SHA-256 of the SubjectPublicKeyInfo)");
            if (std::find(rule.pins.begin(), rule.pins.end(), text) != rule.pins.end())
                check.fail(pin_where, "duplicate pin " + inert_quoted(text));
            rule.pins.push_back(text);
        }
    }
    if (const auto edges = item.find("edge_min_mode"); edges != item.end()) {
        check.expect_type(*edges, json::value_t::object, "an object", where + ".edge_min_mode");
        for (const auto& [id, setting] : edges->items()) {
            const std::string at = where + ".edge_min_mode." + inert(id);
            const EdgeProfile* profile = edge_profile(id);
            if (profile == nullptr || profile->id == default_edge)
                check.fail(at, "unknown edge " + inert_quoted(id) +
                                   " (expected cloudfront, fastly, akamai, azure; Cloudflare's is min_mode)");
            check.expect_type(setting, json::value_t::string, "a string", at);
            const auto text = setting.get<std::string>();
            if (!setting_rank(*profile, text)) {
                std::string expected;
                for (const auto& s : profile->settings) expected += std::string(s.name) + ", ";
                check.fail(at, "unknown setting " + inert_quoted(text) + " (expected " + expected + "none)");
            }
            rule.edge_min_modes.emplace_back(id, text);
        }
    }
    if (const auto name = item.find("cert_hostname"); name != item.end()) {
        check.expect_type(*name, json::value_t::string, "a string", where + ".cert_hostname");
        rule.cert_hostname = lower(name->get<std::string>());
        if (rule.cert_hostname.empty() || rule.cert_hostname.starts_with("*") ||
            !pattern_problem(rule.cert_hostname).empty())
            check.fail(where + ".cert_hostname", "not a host name: " + inert_quoted(name->get<std::string>()));
    }
    if (const auto sni = item.find("akamai_origin_sni"); sni != item.end()) {
        check.expect_type(*sni, json::value_t::boolean, "a boolean", where + ".akamai_origin_sni");
        rule.akamai_origin_sni = sni->get<bool>();
    }
    if (const auto auth = item.find("client_auth"); auth != item.end()) {
        check.expect_type(*auth, json::value_t::string, "a string", where + ".client_auth");
        const auto text = auth->get<std::string>();
        if (text == "required")
            rule.client_auth_required = true;
        else if (text != "optional")
            check.fail(where + ".client_auth",
                       "unknown value " + inert_quoted(text) + " (expected required, optional)");
    }
    for (const auto& [key, out] : {std::pair<const char*, std::string*>{"client_cert", &rule.client_cert},
                                   std::pair<const char*, std::string*>{"client_key", &rule.client_key}}) {
        const auto path = item.find(key);
        if (path == item.end()) continue;
        const std::string at = where + "." + key;
        check.expect_type(*path, json::value_t::string, "a string", at);
        if (path->get<std::string>().empty()) check.fail(at, "an empty path");
        *out = beside(check.source(), path->get<std::string>());
    }
    if (rule.client_cert.empty() != rule.client_key.empty())
        check.fail(where, rule.client_cert.empty() ? "client_key needs client_cert" : "client_cert needs client_key");
    return rule;
}

}  // namespace

bool is_valid_pin(std::string_view pin) {
    constexpr std::string_view prefix = "sha256/";
    if (!pin.starts_with(prefix)) return false;
    const std::string_view b64 = pin.substr(prefix.size());
    // 32 bytes = 256 bits: 42 full sextets, one carrying the last 4 bits, then one '='.
    if (b64.size() != 44 || b64[43] != '=') return false;
    for (std::size_t i = 0; i < 43; ++i) {
        const auto value = base64_alphabet.find(b64[i]);
        if (value == std::string_view::npos) return false;
        // Canonical: the two bits below the data in the last sextet are zero (RFC 4648 3.5).
        if (i == 42 && value % 4 != 0) return false;
    }
    return true;
}

Policy parse_policy(std::string_view text, std::string_view source) {
    json document;
    std::vector<std::set<std::string>> open_objects;
    std::string duplicate;
    try {
        document = json::parse(text.begin(), text.end(), DuplicateKeyCheck{&open_objects, &duplicate},
                               /*allow_exceptions=*/true, /*ignore_comments=*/true);
    } catch (const json::parse_error& e) {
        throw_syntax_error(e, text, source);
    } catch (const json::exception& e) {  // e.g. out_of_range: a number such as 1e999
        throw PolicyError(std::string(source) + ": " + inert(e.what()));
    }
    if (!duplicate.empty())
        throw PolicyError(std::string(source) + ": duplicate key " + inert_quoted(duplicate));
    const Checker check(source);

    const std::string top = "top level";
    check.expect_type(document, json::value_t::object, "an object", top);
    check.only_keys(document, {"$schema", "version", "rules"}, top);
    if (const auto schema = document.find("$schema"); schema != document.end())
        check.expect_type(*schema, json::value_t::string, "a string", "$schema");
    if (const auto version = document.find("version"); version != document.end()) {
        if (!version->is_number_integer() || version->get<std::int64_t>() != 1)
            check.fail("version", "unsupported version " + version->dump(-1, ' ', /*ensure_ascii=*/true) + " (expected 1)");
    }
    const auto rules = document.find("rules");
    if (rules == document.end()) check.fail(top, "missing key \"rules\"");
    check.expect_type(*rules, json::value_t::array, "an array", "rules");

    Policy policy;
    for (std::size_t i = 0; i < rules->size(); ++i) {
        const std::string where = "rules[" + std::to_string(i) + "]";
        Rule rule = parse_rule((*rules)[i], where, check);
        for (std::size_t j = 0; j < policy.rules.size(); ++j) {
            if (policy.rules[j].match == rule.match)
                check.fail(where + ".match", "duplicate match " + inert_quoted(rule.match) +
                                                 " (also rules[" + std::to_string(j) + "])");
        }
        policy.rules.push_back(std::move(rule));
    }
    return policy;
}

ClientIdentities client_identities(const Policy& policy) {
    ClientIdentities out;
    std::vector<std::optional<std::size_t>> of_rule;
    for (const auto& rule : policy.rules) {
        std::optional<std::size_t> which;
        if (!rule.client_cert.empty()) {
            const std::pair<std::string, std::string> pair{rule.client_cert, rule.client_key};
            const auto it = std::find(out.pairs.begin(), out.pairs.end(), pair);
            which = static_cast<std::size_t>(it - out.pairs.begin());
            if (it == out.pairs.end()) out.pairs.push_back(pair);
        }
        of_rule.push_back(which);
    }
    if (out.pairs.empty()) return out;
    out.of_origin = [&policy, of_rule = std::move(of_rule)](const Origin& origin) {
        const Rule* rule = match_rule(policy, origin.name);
        return rule == nullptr ? std::optional<std::size_t>{}
                               : of_rule[static_cast<std::size_t>(rule - policy.rules.data())];
    };
    return out;
}

std::function<std::vector<std::string>(const Origin&)> edges_without_sni(const Policy& policy,
                                                                        const std::vector<std::string>& edges) {
    static constexpr std::string_view akamai = "akamai";
    const bool selected = std::find(edges.begin(), edges.end(), akamai) != edges.end();
    const bool asked = std::any_of(policy.rules.begin(), policy.rules.end(),
                                   [](const Rule& rule) { return !rule.akamai_origin_sni; });
    if (!selected || !asked) return {};
    return [&policy](const Origin& origin) {
        const Rule* rule = match_rule(policy, origin.name);
        return rule != nullptr && !rule->akamai_origin_sni ? std::vector<std::string>{std::string(akamai)}
                                                           : std::vector<std::string>{};
    };
}

const Rule* match_rule(const Policy& policy, std::string_view name) {
    std::string wanted = lower(name);
    if (!wanted.empty() && wanted.back() == '.') wanted.pop_back();

    const Rule* best = nullptr;
    std::size_t best_suffix = 0;
    for (const auto& rule : policy.rules) {
        if (rule.match == wanted) return &rule;  // exact beats any wildcard
        if (!rule.match.starts_with("*.")) continue;
        // "*.example.com" covers any name ending in ".example.com", at any depth, but not
        // "example.com" itself.
        const std::string_view dot_suffix = std::string_view(rule.match).substr(1);
        if (wanted.size() > dot_suffix.size() && wanted.ends_with(dot_suffix) &&
            dot_suffix.size() > best_suffix) {
            best = &rule;
            best_suffix = dot_suffix.size();
        }
    }
    return best;
}

}  // namespace originscan::rules
