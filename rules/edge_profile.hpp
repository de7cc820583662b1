// Edge profiles: what each edge offers an origin (as data) and which mode it allows (as
// predicates over classes and facts). Cloudflare's is the default (PRODUCT.md).
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "model/enums.hpp"
#include "model/observation.hpp"

namespace originscan::rules {

// One cipher suite an edge offers, and the protocol versions it offers it with.
struct OfferedSuite {
    std::uint16_t id;         // IANA code point
    std::string_view name;    // as the edge documents it (OpenSSL's name)
    std::string_view iana;    // IANA name: what the scanner reports as TlsFacts::cipher
    std::string_view min_protocol;  // "TLS1.0" ... "TLS1.3"
    std::string_view max_protocol;
};

// What an edge puts in its ClientHello, in its preference order.
struct EdgeOffer {
    std::span<const OfferedSuite> suites;
    std::span<const std::string_view> groups;     // as GnuTLS names them: "X25519", "SECP256R1"
    std::span<const std::string_view> protocols;  // "TLS1.3", ...
};

// Cloudflare's documented origin-facing offer (developers.cloudflare.com, SSL/TLS, "Cipher
// suites" for origin servers).
const EdgeOffer& cloudflare_offer();

// Why a handshake that was negotiated does not fit `offer`: no-shared-protocol when the
// version is not offered, no-shared-cipher when the suite (at that version) or the group is
// not; nothing when it fits, or when nothing was negotiated (no ServerHello seen).
std::optional<Reason> outside_offer(const EdgeOffer& offer, const TlsFacts& tls);

// Cloudflare: plaintext -> flexible, self-signed -> full, ca-trusted/pin-matching -> strict,
// unreachable -> none.
EdgeMode cloudflare_mode(OriginClass cls);

}  // namespace originscan::rules
