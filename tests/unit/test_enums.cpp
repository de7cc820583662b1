#include "model/enums.hpp"
#include "model/result.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <string_view>
#include <utility>

using namespace originscan;
using namespace std::literals;

namespace {

// The contract of PRODUCT.md, spelled out independently of model/enums.cpp: a rename there
// must break this test, since reports and baselines depend on the exact words.
const std::pair<EdgeMode, std::string_view> edge_mode_words[] = {
    {EdgeMode::none, "none"},
    {EdgeMode::flexible, "flexible"},
    {EdgeMode::full, "full"},
    {EdgeMode::strict, "strict"},
};

const std::pair<OriginClass, std::string_view> origin_class_words[] = {
    {OriginClass::pin_matching, "pin-matching"},
    {OriginClass::ca_trusted, "ca-trusted"},
    {OriginClass::self_signed, "self-signed"},
    {OriginClass::plaintext, "plaintext"},
    {OriginClass::unreachable, "unreachable"},
};

const std::pair<Reason, std::string_view> reason_words[] = {
    {Reason::self_signed, "self-signed"},
    {Reason::unknown_issuer, "unknown-issuer"},
    {Reason::incomplete_chain, "incomplete-chain"},
    {Reason::origin_ca_not_loaded, "origin-ca-not-loaded"},
    {Reason::expired, "expired"},
    {Reason::not_yet_valid, "not-yet-valid"},
    {Reason::hostname_mismatch, "hostname-mismatch"},
    {Reason::insecure_algorithm, "insecure-algorithm"},
    {Reason::purpose_mismatch, "purpose-mismatch"},
    {Reason::signer_not_ca, "signer-not-ca"},
    {Reason::invalid_signature, "invalid-signature"},
    {Reason::revoked, "revoked"},
    {Reason::pin_mismatch, "pin-mismatch"},
    {Reason::legacy_protocol, "legacy-protocol"},
    {Reason::client_cert_required, "client-cert-required"},
    {Reason::http_on_tls_port, "http-on-tls-port"},
    {Reason::dns, "dns"},
    {Reason::refused, "refused"},
    {Reason::no_route, "no-route"},
    {Reason::reset, "reset"},
    {Reason::timeout, "timeout"},
    {Reason::not_tls, "not-tls"},
    {Reason::tls_alert, "tls-alert"},
    {Reason::tls_error, "tls-error"},
    {Reason::bad_signature, "bad-signature"},
    {Reason::bad_key_usage, "bad-key-usage"},
    {Reason::weak_key_exchange, "weak-key-exchange"},
    {Reason::client_cert_rejected, "client-cert-rejected"},
    {Reason::edge_address, "edge-address"},
    {Reason::no_shared_cipher, "no-shared-cipher"},
    {Reason::no_shared_protocol, "no-shared-protocol"},
    {Reason::chain_misordered, "chain-misordered"},
    {Reason::not_scanned, "not-scanned"},
};

const std::pair<Violation, std::string_view> violation_words[] = {
    {Violation::below_required, "below-required"},
    {Violation::downgrade, "downgrade"},
    {Violation::pin_mismatch, "pin-mismatch"},
    {Violation::unreachable, "unreachable"},
    {Violation::expiring, "expiring"},
    {Violation::edge_address, "edge-address"},
    {Violation::client_auth_missing, "client-auth-missing"},
};

const std::pair<Change, std::string_view> change_words[] = {
    {Change::none, "none"},
    {Change::added, "new"},
    {Change::same, "same"},
    {Change::upgrade, "upgrade"},
    {Change::downgrade, "downgrade"},
};

// Strings that must never parse as any enum: case, blanks, snake_case, prefixes, a NUL.
const std::string_view unknown_words[] = {
    ""sv, "?"sv, "Strict"sv, "STRICT"sv, " strict"sv, "strict "sv, "stric"sv, "strictt"sv,
    "self_signed"sv, "Self-Signed"sv, "pin_matching"sv, "not scanned"sv, "added"sv,
    "off"sv, "unknown"sv, "strict\0"sv, "none\n"sv, "-"sv,
};

bool is_kebab_case(std::string_view s) {
    if (s.empty() || s.front() == '-' || s.back() == '-') return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || c == '-')) return false;
    return s.find("--") == std::string_view::npos;
}

// One table checked against one to_string/from_string pair.
template <class E, std::size_t N, class FromString>
void check_vocabulary(const std::pair<E, std::string_view> (&words)[N], FromString from_string,
                      int enumerator_count) {
    // The table covers every enumerator (enumerators are contiguous from 0).
    REQUIRE(static_cast<int>(N) == enumerator_count);
    std::set<std::string_view> seen;
    for (int i = 0; i < enumerator_count; ++i) {
        auto value = static_cast<E>(i);
        auto word = to_string(value);
        CAPTURE(i, std::string(word));
        CHECK(word == words[i].second);
        CHECK(words[i].first == value);
        CHECK(is_kebab_case(word));
        CHECK(seen.insert(word).second);  // no two values share a word
        auto back = from_string(word);
        REQUIRE(back.has_value());
        CHECK(*back == value);
    }
    for (auto word : unknown_words) {
        CAPTURE(std::string(word));
        CHECK_FALSE(from_string(word).has_value());
    }
}

}  // namespace

TEST_CASE("edge modes: contract words, round trip, order", "[enums]") {
    check_vocabulary(edge_mode_words, edge_mode_from_string,
                     static_cast<int>(EdgeMode::strict) + 1);
    // all_edge_modes lists every mode, weakest first: downgrade checks rely on that order.
    REQUIRE(std::size(all_edge_modes) == std::size(edge_mode_words));
    for (std::size_t i = 0; i < std::size(all_edge_modes); ++i)
        CHECK(all_edge_modes[i] == edge_mode_words[i].first);
    CHECK(EdgeMode::none < EdgeMode::flexible);
    CHECK(EdgeMode::flexible < EdgeMode::full);
    CHECK(EdgeMode::full < EdgeMode::strict);
}

TEST_CASE("origin classes: contract words, round trip", "[enums]") {
    check_vocabulary(origin_class_words, origin_class_from_string,
                     static_cast<int>(OriginClass::unreachable) + 1);
    REQUIRE(std::size(all_origin_classes) == std::size(origin_class_words));
    for (std::size_t i = 0; i < std::size(all_origin_classes); ++i)
        CHECK(all_origin_classes[i] == origin_class_words[i].first);
}

TEST_CASE("reasons: contract words, round trip", "[enums]") {
    check_vocabulary(reason_words, reason_from_string, static_cast<int>(Reason::not_scanned) + 1);
}

TEST_CASE("violations: contract words, round trip", "[enums]") {
    check_vocabulary(violation_words, violation_from_string,
                     static_cast<int>(Violation::client_auth_missing) + 1);
}

TEST_CASE("baseline changes: contract words, round trip", "[enums]") {
    check_vocabulary(change_words, change_from_string, static_cast<int>(Change::downgrade) + 1);
}
