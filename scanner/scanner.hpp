// The scan engine: connects to origins the way an edge does and records what it saw.
// The only layer that touches sockets, Asio or GnuTLS; its output is model/ facts.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/ip_range.hpp"
#include "model/observation.hpp"
#include "model/origin.hpp"

namespace originscan::scanner {

struct ScannerOptions {
    std::vector<std::string> ca_files;  // PEM bundles added to the trust store
    bool system_trust = true;           // include the system trust store
    // Presented when an origin asks for a client certificate (Authenticated Origin Pulls):
    // PEM files, both or neither.
    std::string client_cert;
    std::string client_key;
    // Per-origin client certificates (the rules' `client_cert`/`client_key`, per-hostname
    // Authenticated Origin Pulls): the PEM pairs, loaded once, and which one an origin
    // presents (an index into them; nullopt: the one above, if any). Called from every
    // scanner thread: it must be thread-safe (a pure lookup).
    std::vector<std::pair<std::string, std::string>> origin_client_identities;
    std::function<std::optional<std::size_t>(const Origin&)> client_identity_of;
    unsigned concurrency = 256;         // connections in flight, all threads together; an
                                        // origin probing 3 addresses at once takes 3
    std::chrono::milliseconds timeout{10'000};  // the deadline of each attempt (see retries)
    // More attempts for a probe (one address) the network ended before the origin said
    // anything in TLS: timeout, reset, refused, no-route. Each retry is a fresh connection
    // after retry_backoff(timeout), on the probe's own connection slot, with a full `timeout`
    // of its own; the first attempt runs under the origin's deadline (resolve included). So
    // an address that never answers costs (retries + 1) x timeout + retries x backoff. A TLS
    // answer (a ServerHello, an alert, a certificate), HTTP, not-tls and DNS failures are
    // never retried. 0: one attempt. The CLI's default is 1.
    unsigned retries = 0;
    std::uint16_t http_port = 80;       // probed when the TLS port refuses; 0: never
    unsigned threads = 0;               // event-loop threads; 0: usable_cpus() (scanner/cpus.hpp)
    // The DNS server, "ADDR[:PORT]" (--resolver; resolver_address_error() checks it); empty:
    // /etc/resolv.conf's. /etc/hosts is looked at first either way.
    std::string resolver;
    // The edge's own addresses (rules/edge_ranges.hpp): never connected to. A probe of one is
    // Failure{edge_address}. Empty: every address is probed.
    std::vector<IpRange> edge_ranges;
    // SHA-256 fingerprints (lower-case hex of the DER) of the Cloudflare Origin CA roots
    // (rules/origin_ca.hpp): TrustFacts::origin_ca_loaded says whether a loaded anchor has one.
    std::vector<std::string> origin_ca_fingerprints;
    // Other edges' offers (rules/edges.hpp), by edge id; the scanner has a GnuTLS priority for
    // "cloudfront" only (TlsContext::offer_priority: an unknown id is a std::invalid_argument).
    // After the default handshake of an address answered in TLS, one more handshake per offer
    // on a fresh connection, under the same deadline, when offer_needed(id, probe) says its
    // outcome could differ: recorded in Probe::offers. Empty: the default handshake only.
    std::vector<std::string> other_offers;
    std::function<bool(const std::string& offer, const Probe& probe)> offer_needed;
    // Edges that reach some origins without SNI (the rules' "akamai_origin_sni": false,
    // rules::edges_without_sni): for an origin with a DNS name for which this names edges,
    // after a default handshake answered in TLS, one more with the default offer and no
    // server_name extension, on a fresh connection under the same deadline, recorded in
    // Probe::offers under each edge named (after the other offers). Called from every scanner
    // thread: it must be thread-safe (a pure lookup). Empty: never.
    std::function<std::vector<std::string>(const Origin&)> edges_without_sni;
    // Tests only: called on a scanner thread before each origin is scanned, to inject a
    // failure (whatever it throws fails the scan as a throwing sink would). Empty in the app.
    std::function<void(std::size_t index, const Origin& origin)> test_hook;
    // Told once per scan() when the open-file limit lowers `concurrency`, e.g.
    // "--concurrency 256 lowered to 40 (open-file limit 64)".
    std::function<void(const std::string&)> notice;
};

// The longest pause before a retry: 250 ms, or a quarter of the timeout when that is less.
// Each pause is drawn at random from its upper 60 % (100 to 250 ms for a timeout of 1 s or
// more), so that the retries of origins that failed together do not arrive together.
std::chrono::milliseconds max_retry_backoff(std::chrono::milliseconds timeout);

// A local shortage (out of file descriptors, memory or socket buffers) that outlasted an
// origin's deadline: no origin can be judged by it, so the scan stops instead.
struct LocalResourceError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Thrown by the Scanner constructor when the trust store cannot be built (unreadable or
// malformed --ca-file, system store unavailable).
struct TrustError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Hands out the origins to scan, one at a time, with their input index. The scanner calls
// next() from its threads, never two at a time; false means there are no more.
class OriginSource {
public:
    virtual ~OriginSource() = default;
    virtual bool next(std::size_t& index, Origin& origin) = 0;
};

class Scanner {
public:
    explicit Scanner(ScannerOptions options);  // loads credentials and trust once
    ~Scanner();
    Scanner(const Scanner&) = delete;
    Scanner& operator=(const Scanner&) = delete;

    // Called once per origin as it completes, from any scanner thread but never two at a time.
    using ResultSink = std::function<void(std::size_t index, Observation&&)>;

    // Scans every origin, at most options.concurrency at once; returns when all are done or
    // `stop` turned true (in-flight ones are then abandoned: their sockets closed, no result).
    // Returns how many origins got a result.
    //
    // Should anything throw on a scanner thread (the sink, an origin source, a GnuTLS wrapper,
    // bad_alloc), the scan stops as if `stop` had turned: no origin is started, every socket in
    // flight is closed, all threads are joined; then the first exception is rethrown from here.
    // The results delivered to the sink before it stay valid; the origins without one got
    // none (the caller reports them as not scanned).
    std::size_t scan(const std::vector<Origin>& origins, const ResultSink& sink,
                     const std::atomic<bool>* stop = nullptr);

    // The same for origins that are never all held at once: each result comes with its origin.
    // This sink is called from the scanner threads concurrently: it does its own locking, so
    // that work done per result (judging, rendering) runs on both cores.
    using StreamSink = std::function<void(std::size_t index, const Origin& origin, Observation&&)>;
    std::size_t scan(OriginSource& source, const StreamSink& sink, const std::atomic<bool>* stop = nullptr);

    // The origins the last scan() had in flight at most: options.concurrency, lowered to what
    // the open-file limit leaves (after raising the soft limit to the hard one); 0 before any.
    std::size_t effective_concurrency() const;

    // Convenience for tests: one origin, synchronously.
    Observation scan_one(const Origin& origin);

private:
    std::size_t scan(OriginSource& source, const StreamSink& sink, const std::atomic<bool>* stop,
                     std::size_t expected);  // expected: an upper bound, to size the workers
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace originscan::scanner
