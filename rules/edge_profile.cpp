#include "rules/edge_profile.hpp"

#include <algorithm>
#include <array>

namespace originscan::rules {
namespace {

// In Cloudflare's ClientHello preference order, with the versions it offers each at.
constexpr std::array<OfferedSuite, 13> cloudflare_suites{{
    {0x1301, "AEAD-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256", "TLS1.3", "TLS1.3"},
    {0x1302, "AEAD-AES256-GCM-SHA384", "TLS_AES_256_GCM_SHA384", "TLS1.3", "TLS1.3"},
    {0x1303, "AEAD-CHACHA20-POLY1305-SHA256", "TLS_CHACHA20_POLY1305_SHA256", "TLS1.3", "TLS1.3"},
    {0xc02b, "ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS1.2", "TLS1.2"},
    {0xc02f, "ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS1.2", "TLS1.2"},
    {0xc013, "ECDHE-RSA-AES128-SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS1.0", "TLS1.2"},
    {0x009c, "AES128-GCM-SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS1.2", "TLS1.2"},
    {0x002f, "AES128-SHA", "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS1.0", "TLS1.2"},
    {0xc02c, "ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS1.2", "TLS1.2"},
    {0xc030, "ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS1.2", "TLS1.2"},
    {0xc028, "ECDHE-RSA-AES256-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "TLS1.2", "TLS1.2"},
    {0x0035, "AES256-SHA", "TLS_RSA_WITH_AES_256_CBC_SHA", "TLS1.0", "TLS1.2"},
    {0x000a, "DES-CBC3-SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS1.0", "TLS1.0"},
}};
constexpr std::array<std::string_view, 3> cloudflare_groups{"X25519", "SECP256R1", "SECP384R1"};
constexpr std::array<std::string_view, 4> cloudflare_protocols{"TLS1.3", "TLS1.2", "TLS1.1", "TLS1.0"};

// "TLS1.0" < "TLS1.1" < "TLS1.2" < "TLS1.3" compare as text; anything else is not offered.
bool within(std::string_view protocol, const OfferedSuite& suite) {
    return protocol >= suite.min_protocol && protocol <= suite.max_protocol;
}

template <class Range>
bool contains(const Range& range, std::string_view value) {
    return std::find(range.begin(), range.end(), value) != range.end();
}

}  // namespace

const EdgeOffer& cloudflare_offer() {
    static const EdgeOffer offer{cloudflare_suites, cloudflare_groups, cloudflare_protocols};
    return offer;
}

std::optional<Reason> outside_offer(const EdgeOffer& offer, const TlsFacts& tls) {
    // The suite is known once the ServerHello came (cipher_id), even when the handshake then
    // failed; facts without the code point (reports read back) are matched by name, and only
    // when the handshake completed.
    if (tls.protocol.empty() || (!tls.handshake_completed && tls.cipher_id == 0)) return std::nullopt;
    if (!contains(offer.protocols, tls.protocol)) return Reason::no_shared_protocol;
    const bool suite_offered = std::any_of(offer.suites.begin(), offer.suites.end(), [&](const OfferedSuite& s) {
        const bool same = tls.cipher_id != 0 ? s.id == tls.cipher_id : s.iana == tls.cipher;
        return same && within(tls.protocol, s);
    });
    if (!suite_offered) return Reason::no_shared_cipher;
    if (!tls.group.empty() && !contains(offer.groups, tls.group)) return Reason::no_shared_cipher;
    return std::nullopt;
}

EdgeMode cloudflare_mode(OriginClass cls) {
    switch (cls) {
        case OriginClass::pin_matching:
        case OriginClass::ca_trusted: return EdgeMode::strict;
        case OriginClass::self_signed: return EdgeMode::full;
        case OriginClass::plaintext: return EdgeMode::flexible;
        case OriginClass::unreachable: return EdgeMode::none;
    }
    return EdgeMode::none;
}

}  // namespace originscan::rules
