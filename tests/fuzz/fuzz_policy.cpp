// libFuzzer target: the rules file parser (rules/policy.hpp, --rules). Malformed input must
// end in PolicyError, nothing else; an accepted policy must hold only valid rules, and
// matching names against it must not misbehave.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "rules/policy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    originscan::rules::Policy policy;
    try {
        policy = originscan::rules::parse_policy(text, "fuzz.json");
    } catch (const originscan::rules::PolicyError&) {
        return 0;
    }
    for (const auto& rule : policy.rules) {
        if (rule.match.empty()) std::abort();
        for (const auto& pin : rule.pins)
            if (!originscan::rules::is_valid_pin(pin)) std::abort();
        // A rule's own name (a wildcard's suffix under one more label) must find a rule.
        std::string name = rule.match;
        if (name.rfind("*.", 0) == 0) name = "x" + name.substr(1);
        if (originscan::rules::match_rule(policy, name) == nullptr) std::abort();
    }
    (void)originscan::rules::match_rule(policy, "api.example.com");
    (void)originscan::rules::match_rule(policy, "");
    return 0;
}
