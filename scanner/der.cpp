#include "scanner/der.hpp"

namespace originscan::scanner {
namespace {

struct Tlv {
    std::uint8_t tag = 0;
    std::size_t header = 0;  // tag and length bytes
    std::size_t length = 0;  // content bytes
    std::size_t size() const { return header + length; }
};

// One element at the start of `in`; nullopt unless it is definite-length DER that fits in `in`.
std::optional<Tlv> read(std::span<const std::uint8_t> in) {
    if (in.size() < 2 || (in[0] & 0x1f) == 0x1f) return std::nullopt;  // multi-byte tags: not in X.509
    Tlv tlv{in[0], 2, in[1]};
    if (in[1] & 0x80) {
        const std::size_t n = in[1] & 0x7f;
        if (n == 0 || n > 4 || in.size() < 2 + n) return std::nullopt;  // indefinite or absurd
        tlv.length = 0;
        for (std::size_t i = 0; i < n; ++i) tlv.length = (tlv.length << 8) | in[2 + i];
        tlv.header = 2 + n;
    }
    if (tlv.length > in.size() - tlv.header) return std::nullopt;
    return tlv;
}

constexpr std::uint8_t sequence = 0x30;
constexpr std::uint8_t explicit_version = 0xa0;  // [0] EXPLICIT Version

}  // namespace

std::optional<std::span<const std::uint8_t>> find_spki(std::span<const std::uint8_t> der) {
    // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber,
    //   signature, issuer, validity, subject, subjectPublicKeyInfo, ... }, ... }   (RFC 5280 4.1)
    const auto certificate = read(der);
    if (!certificate || certificate->tag != sequence) return std::nullopt;
    auto rest = der.subspan(certificate->header, certificate->length);
    const auto tbs = read(rest);
    if (!tbs || tbs->tag != sequence) return std::nullopt;
    rest = rest.subspan(tbs->header, tbs->length);
    auto element = read(rest);
    if (element && element->tag == explicit_version) {
        rest = rest.subspan(element->size());
        element = read(rest);
    }
    for (int skip = 0; skip < 5; ++skip) {  // serialNumber, signature, issuer, validity, subject
        if (!element) return std::nullopt;
        rest = rest.subspan(element->size());
        element = read(rest);
    }
    if (!element || element->tag != sequence) return std::nullopt;
    return rest.first(element->size());
}

}  // namespace originscan::scanner
