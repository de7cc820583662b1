// The scan engine. One io_context per thread, each running a share of the worker coroutines;
// workers take origins from the source. Per origin: one absolute deadline, enforced by closing
// the sockets (the watchdogs), covering resolve, connect, handshake and the HTTP probe of each
// of its addresses, which are probed concurrently (see the connection slots). An address the
// network failed (timeout, reset, refused, no route) before any TLS answer is tried again,
// each retry under a deadline of its own (probe_with_retries).
// GnuTLS runs over memory buffers and Asio does every read and write, so the first bytes from
// the peer can be looked at (HTTP on the TLS port) and closing the socket cancels everything.
#include "scanner/scanner.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "scanner/cpus.hpp"
#include "scanner/resolver.hpp"
#include "scanner/tls_context.hpp"

namespace originscan::scanner {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

// The one place socket errors become reasons.
Reason reason_for(const error_code& ec) {
    namespace err = asio::error;
    if (ec == err::connection_refused) return Reason::refused;
    if (ec == err::host_unreachable || ec == err::network_unreachable || ec == err::address_family_not_supported)
        return Reason::no_route;
    if (ec == err::timed_out) return Reason::timeout;
    return Reason::reset;  // connection_reset, broken_pipe, eof and the rest: the peer went away
}

// This host cannot reach the address's family at all (no IPv6 route or address, IPv6
// disabled). Not host_unreachable, which can be an ICMP answer from the path; and since an
// ICMPv6 "no route" from a router also comes back as ENETUNREACH, the kernel's own route
// lookup confirms it: connecting a UDP socket sends nothing, it only picks the route.
bool no_family_route_here(const asio::ip::address& address, const error_code& ec, const asio::any_io_executor& ex) {
    namespace err = asio::error;
    const auto local_refusal = [](const error_code& e) {
        return e == err::network_unreachable || e == err::address_family_not_supported ||
               e == boost::system::errc::address_not_available;
    };
    if (!address.is_v6() || !local_refusal(ec)) return false;
    asio::ip::udp::socket udp(ex);
    error_code udp_ec;
    udp.open(asio::ip::udp::v6(), udp_ec);
    if (!udp_ec) udp.connect(asio::ip::udp::endpoint(address, 443), udp_ec);
    return local_refusal(udp_ec);
}

// Errors of this machine, not of the origin: out of descriptors, memory or socket buffers when
// opening or connecting a socket. Never a reason; retried until the deadline, then fatal.
bool is_local_error(const error_code& ec) {
    using boost::system::errc::errc_t;
    return ec == errc_t::too_many_files_open || ec == errc_t::too_many_files_open_in_system ||
           ec == errc_t::not_enough_memory || ec == errc_t::no_buffer_space;
}

// How many sockets the open-file limit leaves for origins in flight, after raising the soft
// limit to the hard one. Kept back: what is open now (reports, spool, stdio), an epoll and an
// eventfd or two per io thread, each thread's DNS sockets (c-ares: a UDP socket per server,
// TCP for a truncated answer), and room for the report writers.
std::size_t open_file_allowance(unsigned threads, rlim_t& limit) {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return std::numeric_limits<std::size_t>::max();
    if (rl.rlim_cur != rl.rlim_max) {
        rlimit raised = rl;
        raised.rlim_cur = rl.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
    }
    limit = rl.rlim_cur;
    if (rl.rlim_cur == RLIM_INFINITY) return std::numeric_limits<std::size_t>::max();
    std::size_t open_now = 0;
    std::error_code ignored;
    for (std::filesystem::directory_iterator it("/proc/self/fd", ignored), end; !ignored && it != end;
         it.increment(ignored))
        ++open_now;
    const std::size_t reserve = open_now + 7 * std::size_t{threads} + 8;
    return rl.rlim_cur > reserve ? static_cast<std::size_t>(rl.rlim_cur - reserve) : 1;
}

std::string printable(const unsigned char* data, std::size_t size) {
    std::string out;
    for (std::size_t i = 0; i < size; ++i) {
        unsigned char c = data[i];
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            static constexpr char digits[] = "0123456789abcdef";
            out += "\\x";
            out += digits[c >> 4];
            out += digits[c & 15];
        }
    }
    return out;
}

struct ThreadState;

// Everything one origin holds while in flight. Shared with the watchdog's handler, so a late
// timer completion never touches a finished origin.
struct Conn {
    Conn(asio::io_context& io, ThreadState& ts);
    ~Conn();
    void abort(bool timeout);

    tcp::socket socket;
    asio::steady_timer watchdog;
    asio::steady_timer wake;  // waits for the resolver
    ThreadState& thread;
    bool timed_out = false;
    bool aborted = false;  // the whole scan is stopping
    unsigned armed = 0;    // counts watchdog arm/disarm, so a stale expiry is ignored
};

struct SlotWaiter;

// This thread's share of the --concurrency connection slots (see scan_origin).
struct ConnectionSlots {
    unsigned share = 1;      // slots this thread owns
    unsigned available = 1;  // not held by an origin
    std::deque<SlotWaiter*> waiting;  // origins waiting, first come first served
    void give_back(unsigned n);       // and hand them to waiting origins that fit, in order
};

struct ThreadState {
    explicit ThreadState(const ResolverConfig& dns) : resolver(io, dns) {}
    asio::io_context io{1};
    asio::steady_timer watch{io};  // the stop watcher's poll; the last worker cancels it
    Resolver resolver;             // this thread's c-ares channel, gone before `io`
    std::unordered_set<Conn*> live;
    unsigned workers = 0;
    ConnectionSlots slots;
    std::minstd_rand jitter{std::random_device{}()};  // spreads the pauses before retries

    // Closes every socket in flight on this thread (on this thread only).
    void abort_all() {
        for (Conn* c : std::vector<Conn*>(live.begin(), live.end())) c->abort(false);
    }
};

Conn::Conn(asio::io_context& io, ThreadState& ts) : socket(io), watchdog(io), wake(io), thread(ts) {
    thread.live.insert(this);
}
Conn::~Conn() { thread.live.erase(this); }

void Conn::abort(bool timeout) {
    (timeout ? timed_out : aborted) = true;
    error_code ignored;
    socket.close(ignored);
    wake.cancel();
}

// GnuTLS transport over two memory buffers; Asio moves the bytes.
struct MemoryTransport {
    gnutls_session_t session = nullptr;
    std::vector<unsigned char> in;
    std::size_t in_pos = 0;
    bool eof = false;
    std::vector<unsigned char> out;

    static ssize_t push(gnutls_transport_ptr_t p, const void* data, std::size_t size) {
        auto* t = static_cast<MemoryTransport*>(p);
        auto* bytes = static_cast<const unsigned char*>(data);
        t->out.insert(t->out.end(), bytes, bytes + size);
        return static_cast<ssize_t>(size);
    }
    static ssize_t pull(gnutls_transport_ptr_t p, void* data, std::size_t size) {
        auto* t = static_cast<MemoryTransport*>(p);
        std::size_t available = t->in.size() - t->in_pos;
        if (available == 0) {
            if (t->eof) return 0;
            gnutls_transport_set_errno(t->session, EAGAIN);
            return -1;
        }
        std::size_t n = std::min(size, available);
        std::memcpy(data, t->in.data() + t->in_pos, n);
        t->in_pos += n;
        if (t->in_pos == t->in.size()) {
            t->in.clear();
            t->in_pos = 0;
        }
        return static_cast<ssize_t>(n);
    }
    static int pull_timeout(gnutls_transport_ptr_t p, unsigned) {
        auto* t = static_cast<MemoryTransport*>(p);
        if (t->in.size() > t->in_pos || t->eof) return 1;
        gnutls_transport_set_errno(t->session, EAGAIN);
        return -1;
    }
};

// The one place a GnuTLS error that ended a handshake after the certificate becomes a reason.
// These are the client's own refusals: an edge doing the same checks refuses the same way.
Reason reason_for_tls(int code) {
    switch (code) {
        case GNUTLS_E_FATAL_ALERT_RECEIVED: return Reason::tls_alert;
        // The ServerKeyExchange (TLS 1.2) or CertificateVerify (1.3) does not verify under the
        // presented leaf's key: the origin shows a certificate whose key it does not hold.
        case GNUTLS_E_PK_SIG_VERIFY_FAILED: return Reason::bad_signature;
        // e.g. an ECDSA leaf whose keyUsage lacks digitalSignature (RFC 5280 4.2.1.3).
        case GNUTLS_E_KEY_USAGE_VIOLATION: return Reason::bad_key_usage;
        case GNUTLS_E_DH_PRIME_UNACCEPTABLE:
        case GNUTLS_E_INSUFFICIENT_SECURITY: return Reason::weak_key_exchange;
        default: return Reason::tls_error;
    }
}

// The cipher suite of a ServerHello body (RFC 8446 4.1.3, RFC 5246 7.4.1.3): version (2),
// random (32), session id (1 + n), then the suite (2). 0 when the message is too short.
std::uint16_t server_hello_suite(const unsigned char* body, std::size_t size) {
    constexpr std::size_t id_length_at = 2 + 32;
    if (size <= id_length_at) return 0;
    const std::size_t suite_at = id_length_at + 1 + body[id_length_at];
    if (size < suite_at + 2) return 0;
    return static_cast<std::uint16_t>(body[suite_at] << 8 | body[suite_at + 1]);
}

// Runs on each received handshake message before GnuTLS parses it (a PRE hook; a negative
// return ends the handshake with that error). The ServerHello's suite is kept: GnuTLS names
// the suite only once the handshake completed, and an origin that refuses the client
// afterwards (no client certificate) has chosen it all the same. A Certificate message over
// the limits in tls_context.hpp, which would cost GnuTLS seconds of CPU, is refused.
int inspect_server_messages(gnutls_session_t session, unsigned type, unsigned when, unsigned incoming,
                            const gnutls_datum_t* message) {
    if (when != GNUTLS_HOOK_PRE || !incoming || !message) return 0;
    auto& state = *static_cast<SessionState*>(gnutls_session_get_ptr(session));
    if (type == GNUTLS_HANDSHAKE_SERVER_HELLO) {
        state.server_suite = server_hello_suite(message->data, message->size);
        return 0;
    }
    if (type != GNUTLS_HANDSHAKE_CERTIFICATE_PKT) return 0;
    const bool tls13 = gnutls_protocol_get_version(session) == GNUTLS_TLS1_3;
    std::string why = certificate_message_refusal(message->data, message->size, tls13);
    if (why.empty()) return 0;
    state.refusal = std::move(why);
    return GNUTLS_E_CERTIFICATE_ERROR;
}

bool looks_like_tls(unsigned char first) { return first >= 0x14 && first <= 0x17; }

// Does this first answer to a request say the client certificate was refused? nginx
// (ngx_http_ssl_module, "Error processing") completes the handshake whatever certificate
// came and answers 400 with "No required SSL certificate was sent" or "The SSL certificate
// error" (its internal codes 496 and 495, which an error_page can make visible). Any other
// answer, including 4xx, is the application's own.
bool refuses_client_certificate(std::string_view answer) {
    const bool status_400 = answer.starts_with("HTTP/1.1 400") || answer.starts_with("HTTP/1.0 400");
    const bool nginx_code = answer.starts_with("HTTP/1.1 495") || answer.starts_with("HTTP/1.1 496") ||
                            answer.starts_with("HTTP/1.0 495") || answer.starts_with("HTTP/1.0 496");
    return nginx_code || (status_400 && (answer.find("No required SSL certificate was sent") != answer.npos ||
                                         answer.find("The SSL certificate error") != answer.npos));
}

// How much of the peer's first TLS record has come (RFC 8446 5.1: a 5-byte header whose last
// two bytes are the length). Whole, it is a ServerHello or an alert: the origin has answered.
struct FirstRecord {
    std::array<unsigned char, 5> header{};
    std::size_t seen = 0;
    void add(const unsigned char* data, std::size_t n) {
        for (std::size_t i = 0; i < n && seen + i < header.size(); ++i) header[seen + i] = data[i];
        seen += n;
    }
    bool whole() const { return seen >= header.size() && seen >= header.size() + (std::size_t{header[3]} << 8 | header[4]); }
};

bool starts_with_http(const std::vector<unsigned char>& bytes) {
    static constexpr char prefix[] = "HTTP/";
    return bytes.size() >= 5 && std::memcmp(bytes.data(), prefix, 5) == 0;
}

std::string status_line(const std::vector<unsigned char>& bytes) {
    std::size_t end = 0;
    while (end < bytes.size() && end < 200 && bytes[end] != '\r' && bytes[end] != '\n') ++end;
    return printable(bytes.data(), end);
}

// Connection slots: --concurrency counts connections in flight, not origins, so an origin
// with three addresses holds three slots. Each thread owns its share of the slots. An origin
// takes all it needs at once (up to the thread's share), first come first served, after its
// name is resolved; resolution needs no slot (a lookup costs no socket of its own).
//
// Waiting for slots is not charged to the origin's deadline: the watchdog is off while it
// waits and the deadline moves on by the time waited, so a busy scan delays an origin but
// never makes it time out. timings.total_ms is the time spent under the deadline (resolve,
// connect, handshake), not counting that wait. The wait is bounded all the same: every
// slot holder ends by its own deadline, or, retrying, by its last attempt's ((retries + 1)
// deadlines and the pauses). An origin with more addresses than the thread's share probes
// them a share at a time, each address's first attempt under the origin's one deadline.
// A retry stays on the slot of its lane (no second slot, no wait in the queue).
struct SlotWaiter {
    unsigned wanted = 0;
    asio::steady_timer* wake = nullptr;
    bool granted = false;
};

void ConnectionSlots::give_back(unsigned n) {
    available += n;
    while (!waiting.empty() && available >= waiting.front()->wanted) {
        SlotWaiter* next = waiting.front();
        waiting.pop_front();
        available -= next->wanted;
        next->granted = true;
        next->wake->cancel();
    }
}

void arm_watchdog(const std::shared_ptr<Conn>& conn, Clock::time_point deadline) {
    conn->watchdog.expires_at(deadline);
    conn->watchdog.async_wait([c = conn, armed = ++conn->armed](error_code ec) {
        if (!ec && c->armed == armed) c->abort(true);  // not re-armed or disarmed since
    });
}

void disarm_watchdog(Conn& conn) {
    ++conn.armed;
    conn.watchdog.cancel();
}

// The origin's deadline again, for the next address of a lane after an address's retries
// ran past it: timed out at once when it has passed.
void rearm_watchdog(const std::shared_ptr<Conn>& conn, Clock::time_point deadline) {
    disarm_watchdog(*conn);
    conn->timed_out = Clock::now() >= deadline;
    if (!conn->timed_out) arm_watchdog(conn, deadline);
}

// Retries (ScannerOptions::retries): the failures the network makes, which a moment later
// may be gone. Every other outcome is the origin's answer, and a second look would see it
// again; a `local` no-route is this host's lack of IPv6, which a retry cannot change.
bool network_failure(const Probe& probe) {
    const auto* failure = std::get_if<Failure>(&probe.outcome);
    if (!failure || failure->local) return false;
    const Reason r = failure->reason;
    return r == Reason::timeout || r == Reason::reset || r == Reason::refused || r == Reason::no_route;
}

Clock::duration retry_backoff(std::chrono::milliseconds timeout, std::minstd_rand& jitter) {
    const long long most = std::chrono::microseconds(max_retry_backoff(timeout)).count();
    return std::chrono::microseconds(std::uniform_int_distribution<long long>(most * 2 / 5, most)(jitter));
}

// What the lanes of one origin share: the addresses to probe and where their results go.
struct AddressWork {
    const Origin& origin;
    const std::vector<asio::ip::address>& addresses;
    std::vector<Probe>& probes;
    Clock::time_point start;  // of the time under the deadline
    double resolve_ms = 0;
    std::size_t next = 0;  // the next address no lane has taken
};

}  // namespace

struct Scanner::Impl {
    explicit Impl(ScannerOptions o)
        : options(std::move(o)),
          tls(options.ca_files, options.system_trust, options.origin_ca_fingerprints, options.client_cert,
              options.client_key, options.origin_client_identities) {}

    awaitable<void> worker(ThreadState& ts);
    awaitable<void> stop_watch(ThreadState& ts);
    bool stopping() const {
        return failed.load(std::memory_order_relaxed) || (stop && stop->load(std::memory_order_relaxed));
    }
    // Keeps the first exception a worker, a watcher or a handler let out, and stops the scan:
    // no thread takes another origin, each thread's watcher closes its sockets in flight.
    // Called on `ts`'s thread, whose sockets it closes at once.
    void fail(ThreadState& ts, std::exception_ptr e);
    // One thread's event loop, run until its workers and watcher are done, whatever throws.
    void run_loop(ThreadState& ts);
    awaitable<Observation> scan_origin(ThreadState& ts, const Origin& origin);
    awaitable<std::optional<Resolution>> resolve(std::shared_ptr<Conn> conn, const std::string& host);
    awaitable<void> lane(std::shared_ptr<Conn> conn, AddressWork& work);
    awaitable<void> probe_with_retries(std::shared_ptr<Conn> conn, AddressWork& work, std::size_t i);
    // One attempt; true when it is worth another (a network failure before any TLS answer).
    awaitable<bool> probe_address(Conn& conn, const Origin& origin, const asio::ip::address& address, Probe& probe,
                                  bool last_attempt);
    // The edge's handshake on the connected socket; when the origin refuses the edge's offer,
    // also broad_handshake() to say what it speaks. True when the origin answered in TLS.
    awaitable<bool> handshake(Conn& conn, const Origin& origin, Probe& probe) {
        return run_handshake(conn, origin, probe, tls.priority(), true);
    }
    // send_sni false: no server_name extension, whatever the origin's name (an edge set so).
    awaitable<bool> run_handshake(Conn& conn, const Origin& origin, Probe& probe, gnutls_priority_t priority,
                                  bool describe_refusal, bool send_sni = true);
    awaitable<Probe> broad_handshake(Conn& conn, const Origin& origin, const tcp::endpoint& endpoint, bool send_sni) {
        return fresh_handshake(conn, origin, endpoint, tls.broad_priority(), false, send_sni);
    }
    // A handshake with `priority` on a fresh connection to the same address.
    awaitable<Probe> fresh_handshake(Conn& conn, const Origin& origin, const tcp::endpoint& endpoint,
                                     gnutls_priority_t priority, bool describe_refusal, bool send_sni = true);
    // The other edges' offers that could fare differently (ScannerOptions::other_offers), and
    // the handshake without SNI of the edges that send none (ScannerOptions::edges_without_sni).
    awaitable<void> other_offers(Conn& conn, const Origin& origin, const tcp::endpoint& endpoint, Probe& probe);
    awaitable<std::string> client_certificate_refusal(Conn& conn, const Origin& origin, gnutls_session_t session,
                                                      MemoryTransport& io);
    awaitable<error_code> connect(Conn& conn, const tcp::endpoint& endpoint);
    awaitable<bool> probe_http(Conn& conn, const Origin& origin, const tcp::endpoint& endpoint, Probe& probe);

    ScannerOptions options;
    TlsContext tls;

    // per scan() call
    OriginSource* source = nullptr;
    std::mutex source_mutex;
    std::atomic<std::size_t> delivered{0};
    std::atomic<std::size_t> effective_concurrency{0};
    const std::atomic<bool>* stop = nullptr;
    const StreamSink* sink = nullptr;
    std::mutex failure_mutex;
    std::exception_ptr failure;  // the first one
    std::atomic<bool> failed{false};
};

std::chrono::milliseconds max_retry_backoff(std::chrono::milliseconds timeout) {
    return std::min(std::chrono::milliseconds(250), timeout / 4);
}

Scanner::Scanner(ScannerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
    for (const auto& offer : impl_->options.other_offers)
        if (impl_->tls.offer_priority(offer) == nullptr)
            throw std::invalid_argument("no offer of the edge '" + offer + "'");
}
Scanner::~Scanner() = default;

namespace {

class VectorSource final : public OriginSource {
public:
    explicit VectorSource(const std::vector<Origin>& origins) : origins_(origins) {}
    bool next(std::size_t& index, Origin& origin) override {
        if (next_ == origins_.size()) return false;
        index = next_;
        origin = origins_[next_++];
        return true;
    }

private:
    const std::vector<Origin>& origins_;
    std::size_t next_ = 0;
};

}  // namespace

std::size_t Scanner::scan(const std::vector<Origin>& origins, const ResultSink& sink, const std::atomic<bool>* stop) {
    VectorSource source(origins);
    std::mutex one_at_a_time;  // this sink's promise: never two calls at once
    return scan(source,
                StreamSink([&](std::size_t i, const Origin&, Observation&& o) {
                    std::lock_guard lock(one_at_a_time);
                    sink(i, std::move(o));
                }),
                stop, origins.size());
}

std::size_t Scanner::scan(OriginSource& source, const StreamSink& sink, const std::atomic<bool>* stop) {
    return scan(source, sink, stop, std::numeric_limits<std::size_t>::max());
}

std::size_t Scanner::scan(OriginSource& source, const StreamSink& sink, const std::atomic<bool>* stop,
                          std::size_t expected) {
    Impl& impl = *impl_;
    impl.source = &source;
    impl.delivered = 0;
    impl.stop = stop;
    impl.sink = &sink;
    if (expected == 0) return 0;

    unsigned threads = impl.options.threads ? impl.options.threads : usable_cpus();
    const std::size_t requested = std::min<std::size_t>(std::max(1u, impl.options.concurrency), expected);
    rlim_t fd_limit = 0;
    const std::size_t allowance = open_file_allowance(threads, fd_limit);
    const std::size_t concurrency = std::min(requested, allowance);
    impl.effective_concurrency = concurrency;
    if (concurrency < requested && impl.options.notice)
        impl.options.notice("--concurrency " + std::to_string(impl.options.concurrency) + " lowered to " +
                            std::to_string(concurrency) + " (open-file limit " + std::to_string(fd_limit) + ")");
    threads = static_cast<unsigned>(std::min<std::size_t>(threads, concurrency));
    // Slots, not capped by `expected` (an origin may take several), but by the open files.
    const unsigned connections =
        static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>(impl.options.concurrency, allowance)));

    impl.failure = nullptr;
    impl.failed = false;
    std::vector<std::unique_ptr<ThreadState>> states;
    for (unsigned t = 0; t < threads; ++t) {
        auto& ts = *states.emplace_back(std::make_unique<ThreadState>(ResolverConfig{impl.options.resolver, impl.options.timeout}));
        ts.workers = static_cast<unsigned>(concurrency / threads + (t < concurrency % threads ? 1 : 0));
        ts.slots.share = ts.slots.available = std::max(1u, connections / threads + (t < connections % threads ? 1 : 0));
        // Each coroutine ends here, normally or by an exception: a worker always counts itself
        // out (the watcher ends when none is left), and what it threw stops the whole scan.
        for (unsigned w = 0; w < ts.workers; ++w)
            asio::co_spawn(ts.io, impl.worker(ts), [&impl, &ts](std::exception_ptr e) {
                if (--ts.workers == 0) {
                    ts.watch.cancel();    // the watcher ends now, not at its next poll
                    ts.resolver.stop();   // abandoned lookups and its sockets would keep io.run() going
                }
                if (e) impl.fail(ts, e);
            });
        asio::co_spawn(ts.io, impl.stop_watch(ts), [&impl, &ts](std::exception_ptr e) {
            if (e) impl.fail(ts, e);
        });
    }
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back([&impl, &ts = *states[t]] { impl.run_loop(ts); });
    impl.run_loop(*states[0]);
    for (auto& th : pool) th.join();
    if (impl.failure) std::rethrow_exception(impl.failure);
    return impl.delivered;
}

void Scanner::Impl::fail(ThreadState& ts, std::exception_ptr e) {
    {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = e;
    }
    failed.store(true);
    ts.abort_all();
}

void Scanner::Impl::run_loop(ThreadState& ts) {
    for (;;) {
        try {
            ts.io.run();
            return;
        } catch (...) {
            // A plain handler threw out of run(). Asio allows run() again without restart():
            // the workers and the watcher still pending finish, now aborted.
            fail(ts, std::current_exception());
        }
    }
}

std::size_t Scanner::effective_concurrency() const { return impl_->effective_concurrency; }

Observation Scanner::scan_one(const Origin& origin) {
    Observation result;
    std::vector<Origin> one{origin};
    scan(one, [&](std::size_t, Observation&& o) { result = std::move(o); });
    return result;
}

awaitable<void> Scanner::Impl::worker(ThreadState& ts) {
    Origin origin;
    for (;;) {
        if (stopping()) break;
        std::size_t i = 0;
        {
            std::lock_guard lock(source_mutex);
            if (!source->next(i, origin)) break;
        }
        if (options.test_hook) options.test_hook(i, origin);
        Observation observation = co_await scan_origin(ts, origin);
        if (observation.probes.empty()) break;  // abandoned: the scan is stopping
        (*sink)(i, origin, std::move(observation));
        delivered.fetch_add(1, std::memory_order_relaxed);
    }
}

// Polls the stop flag (and a failure on another thread); when either turns, closes every
// socket in flight on this thread. Ends with the last worker.
awaitable<void> Scanner::Impl::stop_watch(ThreadState& ts) {
    while (ts.workers > 0) {
        if (stopping()) ts.abort_all();
        ts.watch.expires_after(std::chrono::milliseconds(50));
        co_await ts.watch.async_wait(use_tuple);
    }
}

awaitable<std::optional<Resolution>> Scanner::Impl::resolve(std::shared_ptr<Conn> conn, const std::string& host) {
    // Shared with the answer, which may come after this origin ended: `conn` is only touched
    // while the origin waits (on this thread, where the resolver posts its answers).
    struct Slot {
        std::optional<Resolution> answer;
        Conn* conn = nullptr;
    };
    auto slot = std::make_shared<Slot>();
    slot->conn = conn.get();
    conn->wake.expires_at(Clock::time_point::max());
    Resolver& resolver = conn->thread.resolver;
    auto lookup = resolver.resolve(host, [slot](Resolution r) {
        if (!slot->conn) return;  // the origin stopped waiting
        slot->answer = std::move(r);
        slot->conn->wake.cancel();
    });
    if (!conn->timed_out && !conn->aborted) co_await conn->wake.async_wait(use_tuple);
    slot->conn = nullptr;
    if (!slot->answer) resolver.abandon(lookup);
    co_return std::move(slot->answer);
}

awaitable<void> Scanner::Impl::lane(std::shared_ptr<Conn> conn, AddressWork& work) {
    while (work.next < work.addresses.size() && !conn->aborted) {
        const std::size_t i = work.next++;
        co_await probe_with_retries(conn, work, i);
        Probe& probe = work.probes[i];
        probe.timings.resolve_ms = work.resolve_ms;
        probe.timings.total_ms = ms_between(work.start, Clock::now());
    }
}

// One address, attempted again after a network failure while retries are left. The first
// attempt runs under the origin's deadline; each retry on a fresh connection, after a pause
// with no deadline running, under a deadline of its own (a full timeout). The lane keeps its
// connection slot throughout: a retry never waits for one, nor takes another.
awaitable<void> Scanner::Impl::probe_with_retries(std::shared_ptr<Conn> conn, AddressWork& work, std::size_t i) {
    Probe& probe = work.probes[i];
    const asio::ip::address& address = work.addresses[i];
    probe.address = address.to_string();
    // Before any connection, whatever the time left: the edge would answer for the origin with
    // its own certificate. Never attempted, so never retried.
    if (const IpRange* edge = find_range(options.edge_ranges, probe.address)) {
        probe.attempts = 0;
        probe.outcome = Failure{Reason::edge_address,
                                probe.address + " is in the edge's range " + edge->to_string() + ": not connected to"};
        co_return;
    }
    if (conn->timed_out) {
        probe.attempts = 0;
        probe.outcome = Failure{Reason::timeout, "the deadline passed before " + probe.address + " had its turn"};
        co_return;
    }
    Clock::time_point deadline = work.start + options.timeout;  // the first attempt's: the origin's
    for (unsigned attempt = 1;; ++attempt) {
        const bool last = attempt > options.retries;
        Probe tried;
        const bool again = co_await probe_address(*conn, work.origin, address, tried, last);
        tried.attempts = attempt;
        probe = std::move(tried);
        if (last || !again || conn->aborted) break;
        // The pause counts from the attempt's end: its deadline when it timed out, so that a
        // late watchdog (a loaded machine) is not carried into the next attempt's deadline.
        const Clock::time_point resume = (conn->timed_out ? deadline : Clock::now()) +
                                         retry_backoff(options.timeout, conn->thread.jitter);
        disarm_watchdog(*conn);
        error_code ignored;
        conn->socket.close(ignored);
        conn->wake.expires_at(resume);
        co_await conn->wake.async_wait(use_tuple);  // abort() (SIGINT) cancels it
        if (conn->aborted) break;
        conn->timed_out = false;
        deadline = resume + options.timeout;
        arm_watchdog(conn, deadline);
    }
    if (probe.attempts > 1 && !conn->aborted) rearm_watchdog(conn, work.start + options.timeout);
}

awaitable<Observation> Scanner::Impl::scan_origin(ThreadState& ts, const Origin& origin) {
    auto conn = std::make_shared<Conn>(ts.io, ts);
    auto start = Clock::now();
    arm_watchdog(conn, start + options.timeout);

    Observation observation;
    double resolve_ms = 0;
    auto fail = [&](Reason reason, std::string detail) -> Observation {
        disarm_watchdog(*conn);
        if (conn->aborted) return {};
        Probe& probe = observation.probes.emplace_back();
        probe.outcome = Failure{reason, std::move(detail)};
        probe.timings.resolve_ms = resolve_ms;
        probe.timings.total_ms = ms_between(start, Clock::now());
        return std::move(observation);
    };

    // Where to connect: the ADDRESSes, else NAME. IP literals (one, or several from a spec
    // NAME@A,B,...) are the addresses as given; a host name (only ever alone) is resolved to
    // all of its addresses (up to max_addresses). Each is probed with SNI = NAME.
    const std::string& host = origin.addresses.empty() ? origin.name : origin.addresses.front();
    std::vector<asio::ip::address> addresses;
    error_code parse_ec;
    for (const std::string& text : origin.addresses.empty() ? std::vector{host} : origin.addresses) {
        const auto literal = asio::ip::make_address(text, parse_ec);
        if (parse_ec) break;
        addresses.push_back(literal);
    }
    if (parse_ec) {
        auto answer = co_await resolve(conn, host);
        resolve_ms = ms_between(start, Clock::now());
        if (!answer || conn->timed_out || answer->timed_out) co_return fail(Reason::timeout, "no DNS answer for " + host + " before the deadline");
        if (!answer->error.empty()) co_return fail(Reason::dns, host + ": " + answer->error);
        addresses = std::move(answer->addresses);
        observation.addresses_total = answer->found;
        observation.addresses_capped = answer->found > addresses.size();
    }

    const unsigned wanted = static_cast<unsigned>(std::min<std::size_t>(addresses.size(), ts.slots.share));
    if (ts.slots.waiting.empty() && ts.slots.available >= wanted) {
        ts.slots.available -= wanted;
    } else {
        disarm_watchdog(*conn);
        const auto wait_start = Clock::now();
        SlotWaiter me{wanted, &conn->wake};
        ts.slots.waiting.push_back(&me);
        conn->wake.expires_at(Clock::time_point::max());
        while (!me.granted && !conn->aborted) co_await conn->wake.async_wait(use_tuple);
        if (!me.granted) {  // the scan is stopping
            ts.slots.waiting.erase(std::find(ts.slots.waiting.begin(), ts.slots.waiting.end(), &me));
            ts.slots.give_back(0);  // those behind it may fit now
            co_return Observation{};
        }
        start += Clock::now() - wait_start;
        arm_watchdog(conn, start + options.timeout);
    }

    // One lane per slot, each probing addresses until none is left; this coroutine runs the
    // first lane itself (a single address costs no extra coroutine or socket).
    observation.probes.resize(addresses.size());
    AddressWork work{origin, addresses, observation.probes, start, resolve_ms};
    std::vector<std::shared_ptr<Conn>> others;
    asio::steady_timer all_done(ts.io, Clock::time_point::max());
    std::size_t running = 0;
    std::exception_ptr lane_error;
    for (unsigned l = 1; l < wanted; ++l) {
        auto& other = others.emplace_back(std::make_shared<Conn>(ts.io, ts));
        arm_watchdog(other, start + options.timeout);
        ++running;
        asio::co_spawn(ts.io, lane(other, work), [&](std::exception_ptr e) {
            if (e && !lane_error) lane_error = e;
            if (--running == 0) all_done.cancel();
        });
    }
    co_await lane(conn, work);
    while (running > 0) co_await all_done.async_wait(use_tuple);
    ts.slots.give_back(wanted);
    disarm_watchdog(*conn);
    bool aborted = conn->aborted;
    for (auto& other : others) {
        disarm_watchdog(*other);
        aborted = aborted || other->aborted;
    }
    if (lane_error) std::rethrow_exception(lane_error);
    if (aborted) co_return Observation{};
    co_return observation;
}

// One attempt at one address: connect; when the TLS port refuses on the last attempt, the
// HTTP port of the same address; else the handshake with SNI = NAME.
awaitable<bool> Scanner::Impl::probe_address(Conn& conn, const Origin& origin, const asio::ip::address& address,
                                             Probe& probe, bool last_attempt) {
    probe.address = address.to_string();
    auto fail = [&](Reason reason, std::string detail) {  // the network's failures: worth another attempt
        probe.outcome = Failure{reason, std::move(detail)};
        return true;
    };
    const auto connect_start = Clock::now();
    tcp::endpoint endpoint(address, origin.port);
    error_code ec;
    conn.socket.close(ec);
    const error_code connect_ec = co_await connect(conn, endpoint);
    probe.timings.connect_ms = ms_between(connect_start, Clock::now());
    if (connect_ec) {
        if (conn.timed_out) co_return fail(Reason::timeout, "connect to " + probe.address + " timed out");
        if (no_family_route_here(address, connect_ec, conn.socket.get_executor())) {
            probe.outcome = Failure{Reason::no_route, no_ipv6_route_detail, true};
            co_return false;
        }
        const Reason reason = reason_for(connect_ec);
        // The TLS port is retried before the HTTP port is asked: a TLS port that refuses for a
        // moment (a restart) must not make the origin look plaintext. A port closed for good
        // costs one more refused connect per retry, and the pause.
        if (reason == Reason::refused && last_attempt && options.http_port != 0 && !conn.aborted) {
            tcp::endpoint http(address, options.http_port);
            if (co_await probe_http(conn, origin, http, probe)) co_return false;
            if (conn.timed_out) co_return fail(Reason::timeout, "HTTP probe of port " + std::to_string(options.http_port) + " timed out");
        }
        co_return fail(reason, connect_ec.message());
    }
    conn.socket.set_option(tcp::no_delay(true), ec);
    const bool answered = co_await handshake(conn, origin, probe);
    if (answered && (!options.other_offers.empty() || options.edges_without_sni))
        co_await other_offers(conn, origin, endpoint, probe);
    co_return !answered && network_failure(probe);
}

// async_connect (which opens the socket), with this machine's shortages retried after a short
// back-off for as long as the origin's deadline allows; throws LocalResourceError when one
// outlasts it. Every other error is the origin's, returned.
awaitable<error_code> Scanner::Impl::connect(Conn& conn, const tcp::endpoint& endpoint) {
    auto backoff = std::chrono::milliseconds(10);
    for (;;) {
        auto [ec] = co_await conn.socket.async_connect(endpoint, use_tuple);
        if (!is_local_error(ec) || conn.aborted) co_return ec;
        error_code ignored;
        conn.socket.close(ignored);
        if (!conn.timed_out) {
            conn.wake.expires_after(backoff);
            co_await conn.wake.async_wait(use_tuple);
            backoff = std::min(backoff * 2, std::chrono::milliseconds(200));
        }
        if (conn.aborted) co_return ec;
        if (conn.timed_out)
            throw LocalResourceError("connecting to " + endpoint.address().to_string() + ": " + ec.message() +
                                     " until the origin's deadline (a local limit, not the origin's fault)");
    }
}

awaitable<bool> Scanner::Impl::probe_http(Conn& conn, const Origin& origin, const tcp::endpoint& endpoint,
                                          Probe& probe) {
    error_code ec;
    conn.socket.close(ec);
    if (co_await connect(conn, endpoint)) co_return false;
    std::string host = origin.name;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    const std::string request = "HEAD / HTTP/1.1\r\nHost: " + host +
                                "\r\nUser-Agent: originscan/" ORIGINSCAN_VERSION "\r\nConnection: close\r\n\r\n";
    auto [write_ec, written] = co_await asio::async_write(conn.socket, asio::buffer(request), use_tuple);
    if (write_ec) co_return false;
    std::vector<unsigned char> answer;
    std::array<unsigned char, 512> buf;
    while (answer.size() < 5) {
        auto [read_ec, n] = co_await conn.socket.async_read_some(asio::buffer(buf), use_tuple);
        answer.insert(answer.end(), buf.begin(), buf.begin() + n);
        if (read_ec) break;
    }
    if (!starts_with_http(answer)) co_return false;
    probe.address = endpoint.address().to_string();
    probe.outcome = HttpFacts{false, endpoint.port(), status_line(answer)};
    co_return true;
}

// A second handshake, on a fresh connection to the same address: with a broad offer only for
// an origin that refused the edge's offer, to say what it does speak; with another edge's
// offer when its outcome could differ.
awaitable<Probe> Scanner::Impl::fresh_handshake(Conn& conn, const Origin& origin, const tcp::endpoint& endpoint,
                                                gnutls_priority_t priority, bool describe_refusal, bool send_sni) {
    Probe probe;
    error_code ec;
    conn.socket.close(ec);
    if (conn.timed_out || conn.aborted) {
        probe.outcome = Failure{Reason::timeout, "no time left"};
        co_return probe;
    }
    const error_code connect_ec = co_await connect(conn, endpoint);
    if (connect_ec) {
        probe.outcome = Failure{reason_for(connect_ec), connect_ec.message()};
        co_return probe;
    }
    co_await run_handshake(conn, origin, probe, priority, describe_refusal, send_sni);
    co_return probe;
}

// One handshake per offer whose outcome could differ from the default one's (the rules say
// which: offer_needed); the facts of each are kept apart, judged by the edge that offers it.
awaitable<void> Scanner::Impl::other_offers(Conn& conn, const Origin& origin, const tcp::endpoint& endpoint,
                                            Probe& probe) {
    for (const auto& offer : options.other_offers) {
        if (!options.offer_needed || !options.offer_needed(offer, probe)) continue;
        Probe other = co_await fresh_handshake(conn, origin, endpoint, tls.offer_priority(offer), true);
        probe.offers.push_back({offer, std::move(other.outcome)});
    }
    // An IP name sends no SNI in the default handshake already: it stands for theirs.
    if (!options.edges_without_sni || origin.name_is_ip) co_return;
    const std::vector<std::string> edges = options.edges_without_sni(origin);
    if (edges.empty()) co_return;
    Probe other = co_await fresh_handshake(conn, origin, endpoint, tls.priority(), true, false);
    for (const auto& edge : edges) probe.offers.push_back({edge, other.outcome});
}

// The edge's offer refused before any certificate: with what the broad offer got, either
// no-shared-cipher/-protocol with what the origin speaks, or the refusal as it was.
Failure refusal_with(Failure refusal, bool protocol_refused, const Probe& broad) {
    if (const auto* facts = std::get_if<TlsFacts>(&broad.outcome)) {
        std::string speaks = "speaks only " + facts->protocol + " " + facts->cipher;
        if (!facts->group.empty()) speaks += " (" + facts->group + ")";
        if (facts->failure)
            speaks += ", and the client refuses even that: " + std::string(to_string(*facts->failure)) + " (" +
                      facts->error + ")";
        return Failure{protocol_refused ? Reason::no_shared_protocol : Reason::no_shared_cipher,
                       speaks + "; to the edge's offer: " + refusal.detail};
    }
    if (const auto* failure = std::get_if<Failure>(&broad.outcome))
        refusal.detail += "; a broad offer too: " + std::string(to_string(failure->reason)) + " (" + failure->detail + ")";
    return refusal;
}

// True when the origin answered in TLS: its first record (a ServerHello, or an alert) came
// whole. From then on how the handshake ends is the origin's TLS verdict, never retried.
awaitable<bool> Scanner::Impl::run_handshake(Conn& conn, const Origin& origin, Probe& probe, gnutls_priority_t priority,
                                             bool describe_refusal, bool send_sni) {
    const auto start = Clock::now();
    error_code endpoint_ec;
    const tcp::endpoint endpoint = conn.socket.remote_endpoint(endpoint_ec);
    gnutls_session_t raw = nullptr;
    if (int r = gnutls_init(&raw, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_TICKETS); r < 0) {
        probe.outcome = Failure{Reason::tls_error, gnutls_error_text(r)};
        co_return false;
    }
    SessionPtr session(raw);
    MemoryTransport io;
    io.session = raw;
    gnutls_priority_set(raw, priority);
    gnutls_credentials_set(raw, GNUTLS_CRD_CERTIFICATE, tls.credentials());
    if (!origin.name_is_ip && send_sni)
        gnutls_server_name_set(raw, GNUTLS_NAME_DNS, origin.name.data(), origin.name.size());
    gnutls_transport_set_ptr(raw, &io);
    gnutls_transport_set_push_function(raw, &MemoryTransport::push);
    gnutls_transport_set_pull_function(raw, &MemoryTransport::pull);
    gnutls_transport_set_pull_timeout_function(raw, &MemoryTransport::pull_timeout);
    gnutls_handshake_set_timeout(raw, 0);  // the origin deadline is the only clock
    SessionState hooked;
    hooked.client = tls.client_identity(options.client_identity_of ? options.client_identity_of(origin)
                                                                   : std::optional<std::size_t>{});
    std::string& refusal = hooked.refusal;
    gnutls_session_set_ptr(raw, &hooked);
    gnutls_handshake_set_hook_function(raw, GNUTLS_HANDSHAKE_ANY, GNUTLS_HOOK_PRE, &inspect_server_messages);

    std::array<unsigned char, 16 * 1024> buf;
    bool sniffed = false;  // have the first bytes been recognised as TLS?
    std::vector<unsigned char> first;
    FirstRecord first_record;
    error_code net_error;
    int tls_result = 0;
    for (;;) {
        const std::size_t pending_before = io.in.size() - io.in_pos;
        tls_result = gnutls_handshake(raw);
        if (!io.out.empty()) {
            auto [ec, n] = co_await asio::async_write(conn.socket, asio::buffer(io.out), use_tuple);
            io.out.clear();
            if (ec) {
                net_error = ec;
                break;
            }
        }
        if (tls_result == GNUTLS_E_SUCCESS) break;
        if (tls_result != GNUTLS_E_AGAIN && tls_result != GNUTLS_E_INTERRUPTED) {
            if (!gnutls_error_is_fatal(tls_result)) continue;  // a warning alert: carry on
            break;
        }
        // GnuTLS takes one record per call: a handshake message spanning several records (a
        // chain over 16 KiB) returns AGAIN with the rest already buffered. Feed it first.
        const std::size_t pending = io.in.size() - io.in_pos;
        if (pending > 0 && pending < pending_before) continue;
        auto [ec, n] = co_await conn.socket.async_read_some(asio::buffer(buf), use_tuple);
        if (ec == asio::error::eof) {
            io.eof = true;
            net_error = ec;
            if (!sniffed) break;
            continue;  // let GnuTLS see the end of the stream
        }
        if (ec) {
            net_error = ec;
            break;
        }
        first_record.add(buf.data(), n);
        if (!sniffed) {
            // Before GnuTLS sees anything: is this TLS at all, or HTTP on the TLS port?
            first.insert(first.end(), buf.begin(), buf.begin() + n);
            if (looks_like_tls(first.front())) {
                sniffed = true;
                io.in.insert(io.in.end(), first.begin(), first.end());
                first.clear();
                continue;
            }
            if (first.size() < 5 && std::string_view("HTTP/").starts_with(
                                        std::string_view(reinterpret_cast<char*>(first.data()), first.size())))
                continue;  // could still be "HTTP/": read on
            probe.timings.handshake_ms = ms_between(start, Clock::now());
            if (starts_with_http(first))
                probe.outcome = HttpFacts{true, origin.port, status_line(first)};
            else
                probe.outcome = Failure{Reason::not_tls, "first bytes: " + printable(first.data(), std::min<std::size_t>(first.size(), 16))};
            co_return false;
        }
        io.in.insert(io.in.end(), buf.begin(), buf.begin() + n);
    }
    probe.timings.handshake_ms = ms_between(start, Clock::now());
    const bool answered = sniffed && first_record.whole();

    unsigned count = 0;
    const gnutls_datum_t* peers = gnutls_certificate_get_peers(raw, &count);
    const bool certificate_seen = peers && count > 0;
    // Network failures (deadline, reset, close) leave the origin unreachable even after a
    // certificate: an edge could not use it. TLS-level failures after the certificate are
    // recorded with their reason (reason_for_tls); rules/ decides what they mean.
    if (conn.timed_out) {
        probe.outcome = Failure{Reason::timeout, certificate_seen ? "handshake did not finish before the deadline"
                                                                  : "no TLS answer before the deadline"};
        co_return answered;
    }
    // GnuTLS's own verdict (done, or a TLS error such as an alert it read) beats the socket's:
    // an alert followed by a close is a tls-alert, not a reset.
    const bool tls_concluded =
        tls_result == GNUTLS_E_SUCCESS || (tls_result < 0 && tls_result != GNUTLS_E_AGAIN &&
                                           tls_result != GNUTLS_E_INTERRUPTED && tls_result != GNUTLS_E_PREMATURE_TERMINATION);
    if (net_error && !tls_concluded) {
        probe.outcome = Failure{reason_for(net_error), net_error == asio::error::eof ? "connection closed by peer"
                                                                                   : net_error.message()};
        co_return answered;
    }
    auto tls_failure_text = [&] {
        if (!refusal.empty()) return refusal;
        if (tls_result == GNUTLS_E_FATAL_ALERT_RECEIVED) return alert_text(gnutls_alert_get(raw));
        return gnutls_error_text(tls_result);
    };
    if (!certificate_seen) {
        Failure refusal{tls_result == GNUTLS_E_FATAL_ALERT_RECEIVED ? Reason::tls_alert : Reason::tls_error,
                        tls_result == 0 ? "no certificate presented" : tls_failure_text()};
        const int alert = tls_result == GNUTLS_E_FATAL_ALERT_RECEIVED ? static_cast<int>(gnutls_alert_get(raw)) : -1;
        const bool protocol_refused = alert == GNUTLS_A_PROTOCOL_VERSION;
        // What an origin says, or the client finds, when nothing in the offer suits it.
        const bool offer_refused = protocol_refused || alert == GNUTLS_A_HANDSHAKE_FAILURE ||
                                   alert == GNUTLS_A_INSUFFICIENT_SECURITY || tls_result == GNUTLS_E_UNKNOWN_CIPHER_SUITE ||
                                   tls_result == GNUTLS_E_NO_CIPHER_SUITES || tls_result == GNUTLS_E_NO_COMMON_KEY_SHARE;
        if (describe_refusal && offer_refused && !endpoint_ec) {
            const Probe broad = co_await broad_handshake(conn, origin, endpoint, send_sni);
            refusal = refusal_with(std::move(refusal), protocol_refused, broad);
        }
        probe.outcome = std::move(refusal);
        co_return answered;
    }

    TlsFacts facts;
    facts.handshake_completed = tls_result == GNUTLS_E_SUCCESS;
    if (!facts.handshake_completed) {
        facts.error = tls_failure_text();
        facts.failure = reason_for_tls(tls_result);
    }
    const gnutls_protocol_t version = gnutls_protocol_get_version(raw);
    if (const char* name = gnutls_protocol_get_name(version)) facts.protocol = name;
    facts.legacy_protocol = version == GNUTLS_SSL3 || version == GNUTLS_TLS1_0 || version == GNUTLS_TLS1_1;
    facts.cipher_id = hooked.server_suite;
    if (const char* suite = gnutls_ciphersuite_get(raw)) {
        facts.cipher = suite;
    } else if (facts.cipher_id != 0) {
        char code[8];
        std::snprintf(code, sizeof code, "0x%04X", facts.cipher_id);
        facts.cipher = code;
    }
    if (const char* group = gnutls_group_get_name(gnutls_group_get(raw))) facts.group = group;
    facts.client_cert_requested = gnutls_certificate_client_get_request_status(raw) != 0;

    // Facts for at most max_chain certificates (GnuTLS's own verification depth); hostile
    // origins send more, and the report says how many.
    facts.chain_presented = count;
    facts.chain_truncated = count > max_chain;
    std::vector<CrtPtr> chain;
    for (unsigned i = 0; i < std::min<std::size_t>(count, max_chain); ++i) {
        gnutls_x509_crt_t crt;
        if (gnutls_x509_crt_init(&crt) < 0) break;
        CrtPtr owned(crt);
        if (gnutls_x509_crt_import(crt, &peers[i], GNUTLS_X509_FMT_DER) < 0) break;
        facts.chain.push_back(cert_facts(crt, peers[i]));
        chain.push_back(std::move(owned));
    }
    if (chain.empty()) {
        probe.outcome = Failure{Reason::tls_error, "unparsable certificate"};
        co_return answered;
    }
    facts.trust = tls.verify(chain);
    facts.name_matches = leaf_matches_name(chain.front().get(), origin.name, origin.name_is_ip);
    probe.timings.handshake_ms = ms_between(start, Clock::now());
    facts.client_cert_presented = hooked.client_cert_presented;
    if (facts.client_cert_presented && facts.failure == Reason::tls_alert) {
        facts.client_cert_rejected = true;  // TLS 1.2: the origin's alert ended the handshake
    } else if (facts.client_cert_presented && facts.handshake_completed) {
        // TLS 1.3 ends the client's handshake before the origin has judged the certificate,
        // and some servers judge it only when a request comes: ask, as the edge would.
        const std::string refusal_text = co_await client_certificate_refusal(conn, origin, raw, io);
        if (!refusal_text.empty()) {
            facts.client_cert_rejected = true;
            facts.error = refusal_text;
        }
    }
    probe.outcome = std::move(facts);
    co_return answered;
}

// After a handshake in which the client presented its certificate: one GET /, and the
// origin's first answer (at most 4 KiB, within the origin's deadline). Why the origin refused
// the certificate (an alert, or nginx's answer), or empty when it did not say so.
awaitable<std::string> Scanner::Impl::client_certificate_refusal(Conn& conn, const Origin& origin,
                                                                 gnutls_session_t session, MemoryTransport& io) {
    constexpr std::size_t answer_limit = 4096;
    const std::string host = origin.name.find(':') != std::string::npos ? "[" + origin.name + "]" : origin.name;
    const std::string request = "GET / HTTP/1.1\r\nHost: " + host +
                                "\r\nUser-Agent: originscan\r\nConnection: close\r\n\r\n";
    if (gnutls_record_send(session, request.data(), request.size()) < 0) co_return std::string();
    std::string answer;
    std::array<unsigned char, 4096> buf;
    std::array<char, 4096> plain;
    for (;;) {
        if (!io.out.empty()) {
            auto [ec, n] = co_await asio::async_write(conn.socket, asio::buffer(io.out), use_tuple);
            io.out.clear();
            if (ec) co_return std::string();
        }
        const std::size_t pending_before = io.in.size() - io.in_pos;
        const ssize_t got = gnutls_record_recv(session, plain.data(), plain.size());
        if (got > 0) {
            answer.append(plain.data(), std::min<std::size_t>(static_cast<std::size_t>(got), answer_limit - answer.size()));
            if (answer.size() >= answer_limit) break;
            continue;
        }
        if (got == 0) break;  // the origin closed: its answer is complete
        if (got == GNUTLS_E_FATAL_ALERT_RECEIVED)
            co_return "the origin refused the client certificate: " + alert_text(gnutls_alert_get(session));
        if (got != GNUTLS_E_AGAIN && got != GNUTLS_E_INTERRUPTED) {
            if (!gnutls_error_is_fatal(static_cast<int>(got))) continue;
            break;
        }
        // Buffered bytes GnuTLS took part of: feed it the rest before reading (never spin on
        // bytes it does not take).
        const std::size_t pending = io.in.size() - io.in_pos;
        if (pending > 0 && pending < pending_before) continue;
        if (io.eof) break;
        auto [ec, n] = co_await conn.socket.async_read_some(asio::buffer(buf), use_tuple);
        if (ec == asio::error::eof) {
            io.eof = true;
            continue;
        }
        if (ec) break;  // the deadline or a reset: the answer is what came
        io.in.insert(io.in.end(), buf.begin(), buf.begin() + n);
    }
    if (!refuses_client_certificate(answer)) co_return std::string();
    const std::size_t line_end = std::min({answer.find_first_of("\r\n"), answer.size(), std::size_t{200}});
    co_return "the origin refused the client certificate: " +
        printable(reinterpret_cast<const unsigned char*>(answer.data()), line_end);
}

}  // namespace originscan::scanner
