// Owning handles for GnuTLS objects, and the one place GnuTLS error codes become text.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509-ext.h>
#include <gnutls/x509.h>

namespace originscan::scanner {

template <class T, void (*Free)(T)>
struct GnutlsDeleter {
    void operator()(T p) const noexcept { Free(p); }
};

inline void free_session(gnutls_session_t s) { gnutls_deinit(s); }
inline void free_crt(gnutls_x509_crt_t c) { gnutls_x509_crt_deinit(c); }
inline void free_trust(gnutls_x509_trust_list_t t) { gnutls_x509_trust_list_deinit(t, 1); }
inline void free_creds(gnutls_certificate_credentials_t c) { gnutls_certificate_free_credentials(c); }
inline void free_priority(gnutls_priority_t p) { gnutls_priority_deinit(p); }
inline void free_privkey(gnutls_privkey_t k) { gnutls_privkey_deinit(k); }

using SessionPtr = std::unique_ptr<gnutls_session_int, GnutlsDeleter<gnutls_session_t, free_session>>;
using CrtPtr = std::unique_ptr<gnutls_x509_crt_int, GnutlsDeleter<gnutls_x509_crt_t, free_crt>>;
using TrustPtr =
    std::unique_ptr<gnutls_x509_trust_list_st, GnutlsDeleter<gnutls_x509_trust_list_t, free_trust>>;
using CredsPtr = std::unique_ptr<gnutls_certificate_credentials_st,
                                 GnutlsDeleter<gnutls_certificate_credentials_t, free_creds>>;
using PriorityPtr =
    std::unique_ptr<gnutls_priority_st, GnutlsDeleter<gnutls_priority_t, free_priority>>;
using PrivkeyPtr =
    std::unique_ptr<gnutls_privkey_st, GnutlsDeleter<gnutls_privkey_t, free_privkey>>;

// GnuTLS's *_get_name() and strerror return NULL for codes they do not know (an alert
// description a hostile origin made up, say); std::string(nullptr) would throw. Never NULL here.
inline std::string gnutls_error_text(int code) {
    const char* text = gnutls_strerror(code);
    return text ? text : "unknown GnuTLS error " + std::to_string(code);
}

// "Handshake failed", or "unknown alert 255" for a description GnuTLS has no name for.
inline std::string alert_text(gnutls_alert_description_t description) {
    const char* name = gnutls_alert_get_name(description);
    return name ? name : "unknown alert " + std::to_string(static_cast<int>(description));
}

// Throws std::runtime_error naming `what` when a GnuTLS call failed.
inline void check_gnutls(int code, const char* what) {
    if (code < 0) throw std::runtime_error(std::string(what) + ": " + gnutls_error_text(code));
}

// Datum memory GnuTLS allocated for us.
struct GnutlsDatum {
    gnutls_datum_t d{nullptr, 0};
    GnutlsDatum() = default;
    GnutlsDatum(const GnutlsDatum&) = delete;
    GnutlsDatum& operator=(const GnutlsDatum&) = delete;
    ~GnutlsDatum() { gnutls_free(d.data); }
    std::string str() const { return d.data ? std::string(reinterpret_cast<char*>(d.data), d.size) : ""; }
};

}  // namespace originscan::scanner
