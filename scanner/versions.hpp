// The versions of the libraries the scanner is built on, for `originscan --version` and bug
// reports. GnuTLS is a shared library: the one running may be newer than the one compiled
// against, so both are given. Boost (Asio, Program_options) is headers plus a library built
// from the same release, so its compile-time version is the one that counts.
#pragma once

#include <string>

namespace originscan::scanner {

struct LibraryVersions {
    std::string gnutls_runtime;   // gnutls_check_version(NULL): the library loaded now
    std::string gnutls_compiled;  // GNUTLS_VERSION: the headers built against
    std::string boost;            // BOOST_VERSION as MAJOR.MINOR.PATCH
};

LibraryVersions library_versions();

}  // namespace originscan::scanner
