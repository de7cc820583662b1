// What every handshake shares, built once and read-only afterwards: the client credentials,
// the priorities (the edge's offer, and a broad one to describe an origin that refuses it),
// and the trust list the presented chains are verified against.
#pragma once

#include <string>
#include <vector>

#include "model/observation.hpp"
#include "scanner/gnutls_handles.hpp"

namespace originscan::scanner {

class TlsContext {
public:
    // Throws TrustError (scanner.hpp) for an unreadable or certificate-less --ca-file, or
    // when no trust anchor at all would be loaded.
    TlsContext(const std::vector<std::string>& ca_files, bool system_trust);

    gnutls_certificate_credentials_t credentials() const { return creds_.get(); }
    gnutls_priority_t priority() const { return priority_.get(); }  // the edge's offer
    gnutls_priority_t broad_priority() const { return broad_priority_.get(); }  // what else an origin speaks

    // Verifies the presented chain (leaf first) for the TLS-server purpose; time and name are
    // not checked here (rules/ judges both). Fills trust, chain_in_order, and the path with
    // its anchor, whose dates rules/ judges.
    TrustFacts verify(const std::vector<CrtPtr>& chain) const;

private:
    CredsPtr creds_;
    PriorityPtr priority_;
    PriorityPtr broad_priority_;
    TrustPtr trust_;
};

// Facts of one certificate; `der` is the certificate as the origin sent it.
CertFacts cert_facts(gnutls_x509_crt_t crt, const gnutls_datum_t& der);
// The same, re-encoding the certificate to find its bytes.
CertFacts cert_facts(gnutls_x509_crt_t crt);

// Does the leaf match NAME (RFC 6125; an IP literal NAME against IP SANs)?
bool leaf_matches_name(gnutls_x509_crt_t leaf, const std::string& name, bool name_is_ip);

}  // namespace originscan::scanner
