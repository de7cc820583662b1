// The closed vocabularies of originscan: edge modes, origin classes and reasons.
// Each enum has exactly one to_string/from_string pair; the strings are the contract
// (PRODUCT.md) and appear verbatim in every report.
#pragma once

#include <optional>
#include <string_view>

namespace originscan {

// Ordered weakest to strongest: downgrade checks compare with <.
enum class EdgeMode { none, flexible, full, strict };

enum class OriginClass { pin_matching, ca_trusted, self_signed, plaintext, unreachable };

enum class Reason {
    // why a completed handshake is not authenticated
    self_signed,
    unknown_issuer,
    incomplete_chain,
    origin_ca_not_loaded,  // issued by the Cloudflare Origin CA, whose roots the scan was not given
    expired,
    not_yet_valid,
    hostname_mismatch,
    insecure_algorithm,
    purpose_mismatch,
    signer_not_ca,
    invalid_signature,
    revoked,
    pin_mismatch,
    // caveats on an otherwise usable origin
    legacy_protocol,
    client_cert_required,
    // no TLS
    http_on_tls_port,
    // nothing usable
    dns,
    refused,
    no_route,
    reset,
    timeout,
    not_tls,
    tls_alert,
    tls_error,
    // the client refused the handshake after the certificate (the edge would too)
    bad_signature,
    bad_key_usage,
    weak_key_exchange,
    // the origin refused the client certificate presented (--client-cert): no TLS mode works
    client_cert_rejected,
    // never connected to: the address is the edge's own (rules/edge_ranges.hpp)
    edge_address,
    // nothing in common with the edge's offer
    no_shared_cipher,
    no_shared_protocol,
    // what only other edges demand (rules/edges.cpp): the presented chain is not in issuing
    // order (CloudFront refuses it; GnuTLS and Cloudflare sort it)
    chain_misordered,
    // the scan itself did not run to the end (SIGINT/SIGTERM)
    not_scanned,
};

std::string_view to_string(EdgeMode);
std::string_view to_string(OriginClass);
std::string_view to_string(Reason);

std::optional<EdgeMode> edge_mode_from_string(std::string_view);
std::optional<OriginClass> origin_class_from_string(std::string_view);
std::optional<Reason> reason_from_string(std::string_view);

inline constexpr EdgeMode all_edge_modes[] = {EdgeMode::none, EdgeMode::flexible, EdgeMode::full,
                                              EdgeMode::strict};
inline constexpr OriginClass all_origin_classes[] = {
    OriginClass::pin_matching, OriginClass::ca_trusted, OriginClass::self_signed,
    OriginClass::plaintext, OriginClass::unreachable};

}  // namespace originscan
