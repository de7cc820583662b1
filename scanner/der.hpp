// Just enough DER to find the SubjectPublicKeyInfo inside a certificate's bytes, so that its
// pin is the hash of exactly what the origin sent (RFC 7469 2.4) without re-encoding it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace originscan::scanner {

// The bytes of the SubjectPublicKeyInfo (tag, length and content) inside a DER certificate;
// nullopt when the certificate is not well-formed DER of the X.509 shape.
std::optional<std::span<const std::uint8_t>> find_spki(std::span<const std::uint8_t> certificate);

}  // namespace originscan::scanner
