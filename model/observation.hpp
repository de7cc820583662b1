// What the scanner observed about one origin: facts only, no judgement. rules/ derives the
// class, reasons and edge mode from these; other edge profiles are other predicates over them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "model/enums.hpp"

namespace originscan {

struct CertFacts {
    std::string subject;  // RFC 4514 distinguished names
    std::string issuer;
    std::vector<std::string> dns_names;     // subjectAltName dNSName entries
    std::vector<std::string> ip_addresses;  // subjectAltName iPAddress entries, printed
    std::size_t san_count = 0;              // GeneralNames in subjectAltName, of every type
    bool names_truncated = false;           // more dNSName/iPAddress entries than were recorded
    std::int64_t not_before = 0;            // Unix seconds
    std::int64_t not_after = 0;
    std::string sha256_fingerprint;   // lower-case hex of the DER, no separators
    std::string spki_sha256;          // base64 of SHA-256(SubjectPublicKeyInfo); pin = "sha256/" + this
    std::string signature_algorithm;  // e.g. "RSA-SHA256"
    std::string public_key;           // algorithm-bits as GnuTLS names it, e.g. "RSA-2048", "EC/ECDSA-256"
    bool is_ca = false;               // basicConstraints CA:TRUE
    bool self_issued = false;         // subject == issuer
    bool self_signed = false;         // self-issued and its own key verifies its signature
};

// The presented chain checked against the trust store for the TLS-server purpose, with
// time and name checks left out: both are judged in rules/ against the scan time and NAME.
struct TrustFacts {
    bool trusted = false;  // verifies to an anchor
    bool signer_not_found = false;
    bool signer_not_ca = false;
    bool insecure_algorithm = false;
    bool purpose_mismatch = false;
    bool invalid_signature = false;
    bool revoked = false;
    bool chain_in_order = true;  // every presented certificate is issued by the next one
    // The path the chain verifies along (when not trusted: as far as it goes among the
    // presented certificates): indices into TlsFacts::chain, leaf (0) first, then each
    // issuer. Presented certificates no path uses (an expired cross-certificate, junk) are
    // not in it. Empty only in reports written before the path was recorded.
    std::vector<std::size_t> path;
    // The trust anchor the path ends at, from the trust store; empty when none was reached.
    std::optional<CertFacts> anchor;
    // A loaded trust anchor is one of the Cloudflare Origin CA roots (by the SHA-256 of its
    // DER, ScannerOptions::origin_ca_fingerprints): the same for every probe of a scan. Not
    // in the JSON report (read back: false); the reason it decides (origin-ca-not-loaded) is.
    bool origin_ca_loaded = false;
};

struct TlsFacts {
    std::string protocol;  // "TLS1.3", "TLS1.2", ...
    std::string cipher;    // e.g. "TLS_AES_256_GCM_SHA384"; "0xC0A9" when GnuTLS names none
    std::uint16_t cipher_id = 0;  // the IANA code point the ServerHello chose; 0 when unknown
    std::string group;     // key exchange group, e.g. "X25519"; empty when none
    bool handshake_completed = false;
    bool legacy_protocol = false;        // negotiated below TLS 1.2
    bool client_cert_requested = false;  // CertificateRequest seen
    bool client_cert_presented = false;  // and the configured --client-cert sent
    // The origin refused the certificate presented (an alert, or an answer saying so; the
    // text in `error`): no TLS mode works, the edge presents the same one.
    bool client_cert_rejected = false;
    std::string error;                   // alert or error after the certificate, if any
    // Why the handshake did not complete, when it did not: tls-alert (an alert from the
    // origin), bad-signature, bad-key-usage, weak-key-exchange (the client refused the
    // origin's handshake), tls-error (anything else). Only an alert after a CertificateRequest
    // leaves the origin classed by its certificate (rules/classify.cpp).
    std::optional<Reason> failure;
    std::vector<CertFacts> chain;        // as presented, leaf first; never empty
    std::size_t chain_presented = 0;     // certificates the origin sent
    bool chain_truncated = false;        // more than the scanner examines: `chain` has the first
    TrustFacts trust;
    bool name_matches = false;  // leaf matches NAME per RFC 6125 (IP SANs for an IP NAME)
};

// HTTP answered: on the TLS port, or on the HTTP port after the TLS port refused.
struct HttpFacts {
    bool on_tls_port = false;
    std::uint16_t port = 0;
    std::string status_line;  // first line of the answer, sanitised
};

// Nothing usable. reason is one of dns, refused, no-route, reset, timeout, not-tls, tls-alert,
// tls-error, not-scanned.
struct Failure {
    Reason reason = Reason::timeout;
    std::string detail;  // human text: errno string, alert name, first bytes seen...
    bool local = false;  // not probed from here: this host has no route or address for the
                         // address's family (no-route); says nothing about the origin
};
inline constexpr const char* no_ipv6_route_detail = "no IPv6 route from this host; the edge may still use this address";

struct Timings {
    double resolve_ms = 0;
    double connect_ms = 0;
    double handshake_ms = 0;
    double total_ms = 0;
};

// A further handshake with another edge's offer (rules/edges.hpp), on a fresh connection to
// the same address, made only when its outcome could differ from the default one's.
struct OfferOutcome {
    std::string offer;  // the edge whose ClientHello it was, e.g. "cloudfront"
    std::variant<Failure, HttpFacts, TlsFacts> outcome;
};

// One address of the origin, as its last attempt found it.
struct Probe {
    std::string address;  // the address connected to; empty when none was reached
    Timings timings;      // of the last attempt; total_ms covers them all
    std::variant<Failure, HttpFacts, TlsFacts> outcome;
    // Connections tried (the first and its retries; a DNS failure: the one lookup); 0 when the
    // origin's deadline passed before this address had its turn.
    unsigned attempts = 1;
    // Handshakes with other edges' offers (ScannerOptions::other_offers), in that order.
    std::vector<OfferOutcome> offers;
};

// Everything observed for one origin: one probe per address it may be reached at (NAME@IP: that
// one; a host name: each of its A and AAAA addresses, up to a cap), in resolution order. The
// weakest decides (rules/classify.hpp).
struct Observation {
    std::vector<Probe> probes;
    std::size_t addresses_total = 0;  // distinct addresses the name resolved to, before the cap;
                                      // 0 when nothing was resolved (an IP literal, a failure)
    bool addresses_capped = false;    // addresses_total > probes.size(): only the first ones probed
};

}  // namespace originscan
