// The Cloudflare Origin CA: the private CA whose certificates Full (strict) accepts from an
// origin, though no system trust store holds its roots. The project cannot ship the roots'
// bytes; it knows them by name and by the SHA-256 of their DER, so that the scan can say
// "origin-ca-not-loaded" (and how to load them) instead of "unknown issuer".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/observation.hpp"

namespace originscan::rules {

struct KnownRoot {
    std::string_view file;                 // as Cloudflare names the download
    std::string_view url;                  // where Cloudflare's documentation links it
    std::string_view organizational_unit;  // OU of the subject (O = "CloudFlare, Inc.")
    std::string_view sha256;               // of the DER, upper-case hex as Cloudflare's docs print it
};

// Both roots (RSA-2048 and P-256), valid to 2029-08-15. Documented at
// https://developers.cloudflare.com/ssl/origin-configuration/origin-ca/ (section "Cloudflare
// Origin CA root certificate").
const std::vector<KnownRoot>& cloudflare_origin_ca_roots();

// The fingerprints of cloudflare_origin_ca_roots(), lower-case hex (CertFacts' spelling): what
// the scanner looks for among the loaded anchors (ScannerOptions::origin_ca_fingerprints).
std::vector<std::string> origin_ca_fingerprints();

// Whether a certificate's issuer DN (RFC 4514, as CertFacts::issuer) names one of the Origin
// CA roots: O=CloudFlare, Inc. and the OU of one of them.
bool issued_by_origin_ca(const CertFacts& cert);

// A chain that fails only for want of its issuer, which is the Origin CA, while no loaded
// anchor is an Origin CA root (TrustFacts::origin_ca_loaded).
bool origin_ca_not_loaded(const TlsFacts& tls);

// How to fix origin-ca-not-loaded, for the summary and the JUnit report.
std::string origin_ca_note();

}  // namespace originscan::rules
