// Just enough DER to find the SubjectPublicKeyInfo inside a certificate's bytes, so that its
// pin is the hash of exactly what the origin sent (RFC 7469 2.4) without re-encoding it, and
// to walk the extensions and subjectAltName once, in linear time, before GnuTLS is given a
// certificate a hostile origin built to be slow (GnuTLS looks extensions up by index, each
// lookup a walk from the first: quadratic in their number).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace originscan::scanner {

using DerBytes = std::span<const std::uint8_t>;

// The bytes of the SubjectPublicKeyInfo (tag, length and content) inside a DER certificate;
// nullopt when the certificate is not well-formed DER of the X.509 shape.
std::optional<DerBytes> find_spki(DerBytes certificate);

// notBefore and notAfter in Unix seconds, negative before 1970 (RFC 5280 4.1.2.5: UTCTime
// YYMMDDHHMMSSZ, 50..99 meaning 19xx, or GeneralizedTime YYYYMMDDHHMMSSZ). GnuTLS's getters
// return 0 for any date before 1970. nullopt when not well-formed.
struct DerValidity {
    std::int64_t not_before = 0;
    std::int64_t not_after = 0;
};
std::optional<DerValidity> find_validity(DerBytes certificate);

// The certificate's extensions, walked once (RFC 5280 4.1: tbsCertificate [3] Extensions).
struct DerExtensions {
    std::size_t count = 0;                     // extensions present; 0 for a v1 certificate
    std::size_t longest_oid = 0;               // characters of the longest extnID, dotted
    std::optional<DerBytes> subject_alt_name;  // extnValue content of 2.5.29.17, if present
};
// nullopt when the certificate (or an extension) is not well-formed DER of the X.509 shape.
std::optional<DerExtensions> find_extensions(DerBytes certificate);

// One GeneralName of a subjectAltName (RFC 5280 4.2.1.6): its context tag number (2 dNSName,
// 7 iPAddress, ...) and its content bytes.
struct DerGeneralName {
    unsigned tag = 0;
    DerBytes value;
    DerBytes element;  // tag, length and value
};
struct DerAltNames {
    std::size_t count = 0;                // every GeneralName in the extension
    std::vector<DerGeneralName> entries;  // the first `keep` of them
};
// The GeneralNames of a subjectAltName extnValue; nullopt when it is not well-formed.
std::optional<DerAltNames> read_alt_names(DerBytes subject_alt_name, std::size_t keep);

// A minimal unsigned certificate (DER) whose only contents that matter are `spki` and a
// subjectAltName holding the `names` (each a GeneralName element, tag, length and content):
// GnuTLS's name checks read it like any certificate. Its signature is empty; never verify it.
std::vector<std::uint8_t> name_only_certificate(DerBytes spki, const std::vector<DerBytes>& names);

}  // namespace originscan::scanner
