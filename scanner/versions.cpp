#include "scanner/versions.hpp"

#include <gnutls/gnutls.h>

#include <boost/version.hpp>

namespace originscan::scanner {

LibraryVersions library_versions() {
    // gnutls_check_version(NULL) returns the version string of the library in use (never NULL
    // for a NULL argument, per its manual page).
    const char* runtime = gnutls_check_version(nullptr);
    return {
        runtime ? runtime : "unknown",
        GNUTLS_VERSION,
        std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000) + "." +
            std::to_string(BOOST_VERSION % 100),
    };
}

}  // namespace originscan::scanner
