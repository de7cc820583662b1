// What every handshake shares, built once and read-only afterwards: the client credentials,
// the priorities (the edge's offer, and a broad one to describe an origin that refuses it),
// and the trust list the presented chains are verified against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/observation.hpp"
#include "scanner/gnutls_handles.hpp"

namespace originscan::scanner {

// The certificate the client presents when an origin asks (Authenticated Origin Pulls,
// --client-cert/--client-key): the chain as GnuTLS sends it, and its key.
struct ClientIdentity {
    ClientIdentity() = default;
    ClientIdentity(const ClientIdentity&) = delete;
    ClientIdentity& operator=(const ClientIdentity&) = delete;
    ~ClientIdentity();
    std::vector<gnutls_pcert_st> chain;
    PrivkeyPtr key;
};

// What one session's callbacks share through gnutls_session_get_ptr: the handshake hook
// (scanner.cpp) and the client-certificate callback (tls_context.cpp).
struct SessionState {
    std::string refusal;             // why the presented certificates were not examined
    std::uint16_t server_suite = 0;  // the suite the (last) ServerHello chose
    const ClientIdentity* client = nullptr;  // presented when asked; none: an empty Certificate
    bool client_cert_presented = false;
};

class TlsContext {
public:
    // Throws TrustError (scanner.hpp) for an unreadable or certificate-less --ca-file, or
    // when no trust anchor at all would be loaded; for an unreadable or mismatched client
    // certificate and key (both given, or neither).
    // `origin_ca_fingerprints`: SHA-256 of the DER (lower-case hex) of the Cloudflare Origin CA
    // roots; whether any loaded anchor has one goes into every TrustFacts (origin_ca_loaded).
    TlsContext(const std::vector<std::string>& ca_files, bool system_trust,
               const std::vector<std::string>& origin_ca_fingerprints = {}, const std::string& client_cert = {},
               const std::string& client_key = {},
               const std::vector<std::pair<std::string, std::string>>& origin_client_identities = {});

    gnutls_certificate_credentials_t credentials() const { return creds_.get(); }
    gnutls_priority_t priority() const { return priority_.get(); }  // the edge's offer
    gnutls_priority_t broad_priority() const { return broad_priority_.get(); }  // what else an origin speaks
    // Another edge's offer ("cloudfront"); nullptr for an edge without one of its own.
    gnutls_priority_t offer_priority(std::string_view edge) const;
    // The client certificate to present; null when none was configured.
    const ClientIdentity* client_identity() const { return client_.chain.empty() ? nullptr : &client_; }
    // One of `origin_client_identities` (by index); nullopt or out of range: client_identity().
    const ClientIdentity* client_identity(std::optional<std::size_t> which) const {
        return which && *which < origin_clients_.size() ? origin_clients_[*which].get() : client_identity();
    }

    // Verifies the presented chain (leaf first) for the TLS-server purpose; time and name are
    // not checked here (rules/ judges both). Fills trust, chain_in_order, and the path with
    // its anchor, whose dates rules/ judges.
    TrustFacts verify(const std::vector<CrtPtr>& chain) const;

private:
    CredsPtr creds_;
    PriorityPtr priority_;
    PriorityPtr broad_priority_;
    PriorityPtr cloudfront_priority_;
    TrustPtr trust_;
    ClientIdentity client_;
    std::vector<std::unique_ptr<ClientIdentity>> origin_clients_;
    bool origin_ca_loaded_ = false;
};

// What the scanner examines of a presented chain. GnuTLS's certificate code looks extensions
// and names up by index, each lookup a walk from the first, so its cost grows with the square
// of their number (a leaf with 13,500 tiny extensions: seconds of CPU on an io thread, where
// no deadline can interrupt it). Certificates beyond these limits are refused before GnuTLS
// parses them (`certificate_message_refusal`); an origin presenting one is a tls-error.
inline constexpr std::size_t max_extensions = 100;      // per certificate; real ones have < 20
inline constexpr std::size_t max_alt_names = 5000;      // GeneralNames per subjectAltName
inline constexpr std::size_t max_recorded_names = 1000;  // dNSName + iPAddress kept in CertFacts
inline constexpr std::size_t max_chain = 16;             // certificates examined (GnuTLS's depth)
// GnuTLS reads extension OIDs into 128-byte buffers (MAX_OID_SIZE) and refuses a certificate
// with a longer one, even inside its handshake; said plainly instead of "buffer too short".
inline constexpr std::size_t max_oid_characters = 127;

// Why a Certificate handshake message (RFC 5246 7.4.2; RFC 8446 4.4.2 when `tls13`) is refused:
// a certificate over the limits above, or not DER of the X.509 shape. Empty when it is not.
// Linear in the message's size.
std::string certificate_message_refusal(const unsigned char* message, std::size_t size, bool tls13);

// Facts of one certificate; `der` is the certificate as the origin sent it.
CertFacts cert_facts(gnutls_x509_crt_t crt, const gnutls_datum_t& der);
// The same, re-encoding the certificate to find its bytes.
CertFacts cert_facts(gnutls_x509_crt_t crt);

// Does the leaf match NAME (RFC 6125; an IP literal NAME against IP SANs)?
bool leaf_matches_name(gnutls_x509_crt_t leaf, const std::string& name, bool name_is_ip);

}  // namespace originscan::scanner
