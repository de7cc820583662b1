#include "model/enums.hpp"

#include <array>
#include <utility>

namespace originscan {
namespace {

template <class E, std::size_t N>
using Table = std::array<std::pair<E, std::string_view>, N>;

constexpr Table<EdgeMode, 4> mode_names{{
    {EdgeMode::none, "none"},
    {EdgeMode::flexible, "flexible"},
    {EdgeMode::full, "full"},
    {EdgeMode::strict, "strict"},
}};

constexpr Table<OriginClass, 5> class_names{{
    {OriginClass::pin_matching, "pin-matching"},
    {OriginClass::ca_trusted, "ca-trusted"},
    {OriginClass::self_signed, "self-signed"},
    {OriginClass::plaintext, "plaintext"},
    {OriginClass::unreachable, "unreachable"},
}};

constexpr Table<Reason, 33> reason_names{{
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
}};

template <class E, std::size_t N>
constexpr std::string_view name_of(const Table<E, N>& table, E value) {
    for (const auto& [e, name] : table)
        if (e == value) return name;
    return "?";
}

template <class E, std::size_t N>
constexpr std::optional<E> value_of(const Table<E, N>& table, std::string_view name) {
    for (const auto& [e, n] : table)
        if (n == name) return e;
    return std::nullopt;
}

}  // namespace

std::string_view to_string(EdgeMode m) { return name_of(mode_names, m); }
std::string_view to_string(OriginClass c) { return name_of(class_names, c); }
std::string_view to_string(Reason r) { return name_of(reason_names, r); }

std::optional<EdgeMode> edge_mode_from_string(std::string_view s) { return value_of(mode_names, s); }
std::optional<OriginClass> origin_class_from_string(std::string_view s) {
    return value_of(class_names, s);
}
std::optional<Reason> reason_from_string(std::string_view s) { return value_of(reason_names, s); }

}  // namespace originscan

#include "model/result.hpp"

namespace originscan {
namespace {
constexpr Table<Violation, 7> violation_names{{
    {Violation::below_required, "below-required"},
    {Violation::downgrade, "downgrade"},
    {Violation::pin_mismatch, "pin-mismatch"},
    {Violation::unreachable, "unreachable"},
    {Violation::expiring, "expiring"},
    {Violation::edge_address, "edge-address"},
    {Violation::client_auth_missing, "client-auth-missing"},
}};
constexpr Table<Change, 5> change_names{{
    {Change::none, "none"},
    {Change::added, "new"},
    {Change::same, "same"},
    {Change::upgrade, "upgrade"},
    {Change::downgrade, "downgrade"},
}};
}  // namespace

std::string_view to_string(Violation v) { return name_of(violation_names, v); }
std::optional<Violation> violation_from_string(std::string_view s) {
    return value_of(violation_names, s);
}
std::string_view to_string(Change c) { return name_of(change_names, c); }
std::optional<Change> change_from_string(std::string_view s) { return value_of(change_names, s); }

}  // namespace originscan
