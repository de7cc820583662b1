// In-process hostile (and a few healthy) TLS origins on 127.0.0.1, for test_hostile.cpp.
//
// Each peer is a TCP listener on 127.0.0.1 port 0 with one accept thread; every accepted
// connection runs a Behaviour on a thread of its own, or, without a behaviour, is held open
// silently by the accept thread itself (cheap enough for a thousand origins). The destructor
// raises a stop signal that every wait in here polls, joins every thread and closes every
// socket. Keys and certificates are generated in memory with GnuTLS (ECDSA P-256), never
// read from files. Nothing here binds or connects anything but 127.0.0.1.
#pragma once

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "model/origin.hpp"

namespace originscan::hostile {

// ---- Owned GnuTLS handles -------------------------------------------------------------

struct PrivkeyDeleter {
    void operator()(gnutls_x509_privkey_t k) const { gnutls_x509_privkey_deinit(k); }
};
struct CrtDeleter {
    void operator()(gnutls_x509_crt_t c) const { gnutls_x509_crt_deinit(c); }
};
struct CredentialsDeleter {
    void operator()(gnutls_certificate_credentials_t c) const { gnutls_certificate_free_credentials(c); }
};
using Privkey = std::unique_ptr<std::remove_pointer_t<gnutls_x509_privkey_t>, PrivkeyDeleter>;
using Crt = std::unique_ptr<std::remove_pointer_t<gnutls_x509_crt_t>, CrtDeleter>;
using Credentials = std::unique_ptr<std::remove_pointer_t<gnutls_certificate_credentials_t>, CredentialsDeleter>;

// ---- Certificates ----------------------------------------------------------------------

std::int64_t unix_now();

struct CertSpec {
    std::string common_name;
    std::vector<std::string> dns_names;  // subjectAltName dNSName entries, in this order
    bool is_ca = false;                  // basicConstraints CA:TRUE, keyCertSign
    std::int64_t not_before = unix_now() - 86'400;
    std::int64_t not_after = unix_now() + 30 * 86'400;
    unsigned key_usage = 0;  // GNUTLS_KEY_* bits; 0: as is_ca says
};

// A fresh ECDSA P-256 key.
Privkey generate_key();
// A fresh RSA key (for DHE-RSA and RSA key exchange peers).
Privkey generate_rsa_key(unsigned bits = 2048);

// A certificate for `key` as `spec` says, signed by issuer/issuer_key (SHA-256), or by `key`
// itself when issuer is null (self-signed). Throws std::runtime_error on any GnuTLS error.
Crt make_certificate(const CertSpec& spec, gnutls_x509_privkey_t key, gnutls_x509_crt_t issuer = nullptr,
                     gnutls_x509_privkey_t issuer_key = nullptr);

// A certificate authority: its key and its certificate.
struct Authority {
    Privkey key;
    Crt cert;
};

// A CA named `name` valid from not_before to not_after, for `key`: self-signed (a root) when
// issuer is null, else issued by it.
Authority make_authority(const std::string& name, const Authority* issuer, std::int64_t not_before,
                         std::int64_t not_after, Privkey key = generate_key());

// A leaf's spec: common name and the one dNSName `name`, the default validity.
CertSpec leaf_spec(const std::string& name);

// `crt` (DER) with the encoded Extension elements `more` appended to its extensions, re-signed
// by `signer` with ECDSA-SHA256. Built on the DER directly: GnuTLS's setter re-encodes every
// extension each time it adds one (quadratic: minutes for thousands).
std::vector<unsigned char> with_extensions(gnutls_x509_crt_t crt, gnutls_x509_privkey_t signer,
                                           const std::vector<unsigned char>& more);
// `count` extensions of 9 bytes each (a distinct 3-byte OID under 1.2, an empty value): about
// 122 KB for 13,500.
std::vector<unsigned char> tiny_extensions(std::size_t count);
// One non-critical extension with the dotted `oid` and a NULL value.
std::vector<unsigned char> extension_with_oid(const std::string& oid);

// A copy of `crt` read back from its DER: what a peer receives. GnuTLS compares issuer and
// subject by their raw DNs, which a certificate built in memory does not have yet.
Crt reimport(gnutls_x509_crt_t crt);

std::string to_pem(gnutls_x509_crt_t crt);
std::vector<unsigned char> to_der(gnutls_x509_crt_t crt);
Crt from_der(const std::vector<unsigned char>& der);
std::string sha256_hex(gnutls_x509_crt_t crt);  // lower-case hex of SHA-256(DER)

// What a TLS server presents: its key and its chain, leaf first.
struct Identity {
    Privkey key;
    std::vector<Crt> chain;
};

// Server credentials built once from an identity and shared read-only by the peer's threads.
class ServerCredentials {
public:
    explicit ServerCredentials(const Identity& identity);
    // The same, with these Diffie-Hellman parameters for DHE (copied into the credentials).
    ServerCredentials(const Identity& identity, gnutls_dh_params_t dh);
    // Presents identity.chain exactly in its order, unrelated certificates included: GnuTLS
    // sorts a chain given to gnutls_certificate_set_x509_key and drops what does not link.
    struct AsGiven {};
    ServerCredentials(const Identity& identity, AsGiven);
    ~ServerCredentials();
    ServerCredentials(const ServerCredentials&) = delete;
    ServerCredentials& operator=(const ServerCredentials&) = delete;
    gnutls_certificate_credentials_t get() const { return creds_.get(); }

private:
    static int retrieve(gnutls_session_t session, const gnutls_datum_t*, int, const gnutls_pk_algorithm_t*, int,
                        gnutls_pcert_st** pcert, unsigned* pcert_length, gnutls_privkey_t* key);
    Credentials creds_;
    std::vector<gnutls_pcert_st> pcerts_;  // AsGiven only
    gnutls_privkey_t privkey_ = nullptr;    // AsGiven only
};

// A PEM file under /tmp (a --ca-file for the scanner), removed with the object.
class TempPem {
public:
    explicit TempPem(const std::string& pem);
    ~TempPem();
    TempPem(const TempPem&) = delete;
    TempPem& operator=(const TempPem&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// ---- Sockets -----------------------------------------------------------------------------

// An owned file descriptor.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&& other) noexcept;
    ~Fd() { reset(); }
    int get() const { return fd_; }
    int release();
    void reset(int fd = -1);
    explicit operator bool() const { return fd_ >= 0; }

private:
    int fd_ = -1;
};

// Raised once by the owner; every wait of every peer thread polls its file descriptor.
class StopSignal {
public:
    StopSignal();
    void raise();
    bool raised() const { return raised_.load(); }
    int poll_fd() const { return read_end_.get(); }

private:
    Fd read_end_, write_end_;
    std::atomic<bool> raised_{false};
};

// One accepted connection, as a behaviour sees it. Every wait ends early when the peer is
// stopped; read_some/write_all fail then.
class Connection {
public:
    Connection(Fd fd, const StopSignal& stop) : fd_(std::move(fd)), stop_(stop) {}
    int fd() const { return fd_.get(); }
    bool stopping() const { return stop_.raised(); }

    // Up to n bytes once readable, waiting at most `wait`: > 0 bytes read, 0 at EOF, -1 on
    // error, timeout or stop.
    long read_some(void* data, std::size_t n, std::chrono::milliseconds wait);
    // Readable (or EOF) within `wait`: 1; timeout: 0; stop or error: -1.
    int wait_readable(std::chrono::milliseconds wait);
    // One whole TLS record (the client's first, i.e. the ClientHello); false on EOF, error,
    // stop, timeout, or when the first byte is not a TLS content type.
    bool read_record(std::vector<unsigned char>* record = nullptr,
                     std::chrono::milliseconds wait = std::chrono::seconds(10));
    // Everything, however long it blocks; false when the peer is gone or the peer stops.
    bool write_all(const void* data, std::size_t n);
    // Sleeps; false when stopped meanwhile.
    bool sleep(std::chrono::milliseconds duration);
    // Discards whatever arrives until the client closes or the peer stops.
    void hold();
    // SO_LINGER 0, then close: the client gets a RST, not a FIN.
    void reset();
    // A plain close: FIN.
    void close() { fd_.reset(); }

private:
    Fd fd_;
    const StopSignal& stop_;
};

using Behaviour = std::function<void(Connection&)>;

// A listener on 127.0.0.1:0 (or another address of 127/8) and its accept thread.
class LoopbackServer {
public:
    // Without a behaviour every connection is accepted and held open, silently, until the
    // client closes it (then it is closed too) or the server stops.
    explicit LoopbackServer(Behaviour behaviour = {}, const char* address = "127.0.0.1");
    ~LoopbackServer();
    LoopbackServer(const LoopbackServer&) = delete;
    LoopbackServer& operator=(const LoopbackServer&) = delete;

    std::uint16_t port() const { return port_; }
    std::size_t accepted() const { return accepted_.load(); }

private:
    void accept_loop();

    Behaviour behaviour_;
    StopSignal stop_;
    Fd listener_;
    std::uint16_t port_ = 0;
    std::atomic<std::size_t> accepted_{0};
    std::vector<std::thread> handlers_;  // touched by the accept thread only, until it is joined
    std::thread acceptor_;
};

// listen(fd, 0), never accepted, its accept queue filled by connections of its own: a
// further SYN is dropped by the kernel, so a client's connect hangs until its own deadline.
class FullBacklogListener {
public:
    explicit FullBacklogListener(int fillers = 4);
    std::uint16_t port() const { return port_; }
    // A fresh connect attempt that does not complete within `wait`: the backlog is full.
    bool connect_hangs(std::chrono::milliseconds wait = std::chrono::milliseconds(300)) const;

private:
    Fd listener_;
    std::uint16_t port_ = 0;
    std::vector<Fd> fillers_;
};

// ---- Behaviours ----------------------------------------------------------------------------
// Credentials of `id`, shared read-only by a peer's threads.
std::shared_ptr<const ServerCredentials> credentials(const Identity& id);

// NAME:PORT@127.0.0.1, parsed as the scanner takes it (throws on a bad NAME).
Origin origin_at(const std::string& name, std::uint16_t port);

namespace behaviour {

// Sends `bytes` one at a time, one every `period`, cycling forever; reads nothing.
Behaviour slow_drip(std::string bytes, std::chrono::milliseconds period = std::chrono::seconds(1));
// Reads the ClientHello, answers `bytes`, then holds the connection open.
Behaviour answer_and_hold(std::vector<unsigned char> bytes);
// Reads the ClientHello, answers `bytes`, then closes (FIN).
Behaviour answer_and_close(std::vector<unsigned char> bytes);
// A RST at once, before reading anything.
Behaviour reset_at_once();
// Reads the ClientHello and closes (FIN) without a word.
Behaviour close_after_client_hello();
// Accepts and never sends: discards what arrives until the client closes.
Behaviour hold();
// The first connection gets behaviours[0], the second behaviours[1], and so on; every
// connection after the last behaviour gets the last one again. For origins that fail once and
// then answer (the scanner's retries).
Behaviour by_connection(std::vector<Behaviour> behaviours);
// Reads the ClientHello, then an HTTP/1.1 200 response whose body never ends.
Behaviour endless_http();
// A GnuTLS server (default priorities): completes the handshake, then holds until the client
// closes. Also the hostile huge-chain and many-names peers, given such an identity.
Behaviour tls_server(std::shared_ptr<const ServerCredentials> credentials);
// Not GnuTLS (whose server gives up on chains of a few hundred KiB): reads the ClientHello,
// answers a TLS 1.2 ServerHello (no session id, the first TLS 1.2 suite the client offered,
// an empty renegotiation_info), then one Certificate message of at least `message_bytes`:
// `certificate_der` repeated, in full-size handshake records. Then holds the connection.
// `sent` (if given) is set to the number of bytes of the Certificate message written.
Behaviour oversized_certificate(std::vector<unsigned char> certificate_der, std::size_t message_bytes,
                                std::shared_ptr<std::atomic<std::size_t>> sent = nullptr);
// A GnuTLS server (default priorities) whose transport passes exactly its first record to
// the client and then fails; 100 ms later the connection is reset (RST). That first record
// is the ServerHello (TLS 1.3: the only plaintext handshake record of the server's flight);
// `passed_server_hello` turns true when it was one (content type 22, message type 2).
Behaviour tls_reset_after_server_hello(std::shared_ptr<const ServerCredentials> credentials,
                                       std::shared_ptr<std::atomic<bool>> passed_server_hello);

// A GnuTLS server with this priority string instead of the default (e.g. DHE-RSA only):
// completes the handshake if it can, then holds until the client closes.
Behaviour tls_server_with_priority(std::shared_ptr<const ServerCredentials> credentials, std::string priority);

// The same, but the server requires a client certificate (GNUTLS_CERT_REQUIRE): a client
// without one gets the alert GnuTLS finds fitting, after the server's whole first flight.
Behaviour tls_server_requiring_client_cert(std::shared_ptr<const ServerCredentials> credentials, std::string priority);

// The same, judging the certificate the client presents: `accept`, and the request that
// follows gets "200 OK"; else the handshake ends in bad_certificate (after the client's
// Finished at TLS 1.3, as the client sees it: once its own handshake completed).
Behaviour tls_server_judging_client_cert(std::shared_ptr<const ServerCredentials> credentials, std::string priority,
                                         bool accept);
// A GnuTLS server (default priorities) choosing its certificate by the ClientHello's SNI (a
// post-client-hello callback): `named` when the client sent a server_name, `without_sni`
// when it sent none. Completes the handshake, then holds until the client closes.
Behaviour tls_server_by_sni(std::shared_ptr<const ServerCredentials> named,
                            std::shared_ptr<const ServerCredentials> without_sni);
// An impostor: a GnuTLS server held to TLS 1.2 (so its flight travels in clear) whose
// Certificate handshake message is replaced on the wire by one carrying `presented` (DER,
// leaf first), record and handshake lengths rewritten. Everything else, the ServerKeyExchange
// signature included, is the server's own, made with its own key; a failed handshake ends
// with the server's alert (decrypt_error when the Finished messages differ).
Behaviour spliced_certificate(std::shared_ptr<const ServerCredentials> credentials,
                              std::vector<std::vector<unsigned char>> presented);

}  // namespace behaviour

// Deterministic bytes from a fixed seed.
std::vector<unsigned char> pseudo_random_bytes(std::size_t n, std::uint32_t seed);

}  // namespace originscan::hostile
