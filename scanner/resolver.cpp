#include "scanner/resolver.hpp"

#include <ares.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace originscan::scanner {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// ADDR or ADDR:PORT, IPv6 as [ADDR] or [ADDR]:PORT (or bare, without a port).
struct ServerAddress {
    asio::ip::address address;
    unsigned port = 53;
};

std::string parse_server(const std::string& text, ServerAddress& out) {
    std::string host = text;
    std::string port;
    bool has_port = false;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos) return "an IPv6 address in brackets lacks its ']'";
        host = text.substr(1, close - 1);
        const std::string rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':' || rest.size() == 1) return "expected :PORT after the ']'";
            port = rest.substr(1);
            has_port = true;
        }
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
        host = text.substr(0, text.find(':'));
        port = text.substr(text.find(':') + 1);
        has_port = true;
    }
    error_code ec;
    out.address = asio::ip::make_address(host, ec);
    if (ec || (text.front() == '[' && !out.address.is_v6()))
        return "not an IP address (ADDR[:PORT], IPv6 as [ADDR]:PORT)";
    if (has_port) {
        unsigned value = 0;
        auto [end, why] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (why != std::errc{} || end != port.data() + port.size() || value < 1 || value > 65535)
            return "the port must be 1 to 65535";
        out.port = value;
    }
    return {};
}

// c-ares' status of a failed lookup, as the origin's failure detail says it.
std::string describe(int status) {
    switch (status) {
        case ARES_ENOTFOUND: return "no such name (NXDOMAIN)";
        case ARES_ENODATA: return "no address (the name has no A or AAAA record)";
        case ARES_ESERVFAIL: return "the DNS server failed (SERVFAIL)";
        case ARES_EREFUSED: return "the DNS server refused the query (REFUSED)";
        case ARES_ENOTIMP: return "the DNS server does not implement the query (NOTIMP)";
        case ARES_EFORMERR: return "the DNS server found the query malformed (FORMERR)";
        case ARES_EBADNAME: return "not a valid DNS name";
        // c-ares 1.18 tries the next server (and round) after a SERVFAIL, REFUSED or NOTIMP
        // answer, and when none is left ends the query ECONNREFUSED, not with that rcode.
        case ARES_ECONNREFUSED:
            return "no DNS server gave an answer (each said SERVFAIL, REFUSED or NOTIMP, or was unreachable)";
        case ARES_ETIMEOUT: return "no DNS answer (the resolver gave up)";
        default: return ares_strerror(status);
    }
}

// A name's addresses as the scanner probes them: duplicates removed, IPv6 first (RFC 6724's
// precedence puts global IPv6 before IPv4), then each family in numeric order, so that a name's
// probes (and which max_addresses a long answer keeps) are the same from run to run.
Resolution to_resolution(std::vector<asio::ip::address> addresses) {
    Resolution out;
    std::sort(addresses.begin(), addresses.end(), [](const asio::ip::address& a, const asio::ip::address& b) {
        if (a.is_v6() != b.is_v6()) return a.is_v6();
        return a < b;
    });
    addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
    if (addresses.empty()) out.error = describe(ARES_ENODATA);
    out.found = addresses.size();
    if (addresses.size() > max_addresses) addresses.resize(max_addresses);
    out.addresses = std::move(addresses);
    return out;
}

Resolution to_resolution(int status, const ares_addrinfo* result) {
    if (status != ARES_SUCCESS) {
        Resolution out;
        out.error = describe(status);
        out.timed_out = status == ARES_ETIMEOUT;
        return out;
    }
    // The A and AAAA answers come in whatever order they arrived (ARES_AI_NOSORT).
    std::vector<asio::ip::address> addresses;
    for (const ares_addrinfo_node* node = result ? result->nodes : nullptr; node; node = node->ai_next) {
        if (node->ai_family == AF_INET) {
            const auto* sin = reinterpret_cast<const sockaddr_in*>(node->ai_addr);
            asio::ip::address_v4::bytes_type bytes;
            std::copy_n(reinterpret_cast<const unsigned char*>(&sin->sin_addr), 4, bytes.begin());
            addresses.emplace_back(asio::ip::address_v4(bytes));
        } else if (node->ai_family == AF_INET6) {
            const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(node->ai_addr);
            asio::ip::address_v6::bytes_type bytes;
            std::copy_n(reinterpret_cast<const unsigned char*>(&sin6->sin6_addr), 16, bytes.begin());
            addresses.emplace_back(asio::ip::address_v6(bytes, sin6->sin6_scope_id));
        }
    }
    return to_resolution(std::move(addresses));
}

// A host name as the hosts file is matched: case-insensitively, a trailing dot ignored.
std::string hosts_key(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    std::string key(name);
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    return key;
}

// The hosts file ($CARES_HOSTS, c-ares' own variable, else /etc/hosts), read once per Resolver:
// c-ares 1.18 rereads and parses it for every lookup (open, fstat, reads, close), which at
// thousands of lookups a second is a cost of its own. Like nscd's cache, an edit made during a
// scan is seen by the next scan. Every address listed for a name (either family) is its answer,
// as c-ares' file lookup gives them; a file that cannot be read is an empty table.
std::unordered_map<std::string, std::vector<asio::ip::address>> read_hosts() {
    std::unordered_map<std::string, std::vector<asio::ip::address>> table;
    const char* env = std::getenv("CARES_HOSTS");
    std::ifstream in(env && *env ? env : "/etc/hosts");
    std::string line;
    while (std::getline(in, line)) {
        if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
        std::istringstream fields(line);
        std::string address_text, name;
        if (!(fields >> address_text)) continue;
        error_code ec;
        const auto address = asio::ip::make_address(address_text, ec);
        if (ec) continue;
        while (fields >> name) table[hosts_key(name)].push_back(address);
    }
    return table;
}

void init_library() {
    // ares_library_init is not thread-safe (its manual page); on Linux it does nothing that
    // needs undoing, so it runs once and is never cleaned up.
    static std::once_flag once;
    std::call_once(once, [] {
        if (int rc = ares_library_init(ARES_LIB_INIT_ALL); rc != ARES_SUCCESS)
            throw std::runtime_error(std::string("c-ares: ") + ares_strerror(rc));
    });
}

}  // namespace

std::string resolver_address_error(const std::string& text) {
    if (text.empty()) return "an address is needed (ADDR[:PORT])";
    ServerAddress ignored;
    return parse_server(text, ignored);
}

class Resolver::Lookup {
public:
    explicit Lookup(std::function<void(Resolution)> d) : done(std::move(d)) {}
    std::function<void(Resolution)> done;  // empty once abandoned or answered
};

// Shared with the Asio handlers through weak pointers: a handler that runs after the Resolver
// is gone finds nothing and does nothing.
struct Resolver::State : std::enable_shared_from_this<State> {
    // One socket c-ares opened. Asio only waits for readiness on it; c-ares reads, writes and
    // closes it (the descriptor is released before c-ares closes the fd, never closed by Asio).
    struct Watch {
        explicit Watch(asio::io_context& io) : descriptor(io) {}
        asio::posix::stream_descriptor descriptor;
        bool want_read = false, want_write = false;
        bool reading = false, writing = false;  // a wait is pending
        bool gone = false;                      // c-ares is closing it
    };

    explicit State(asio::io_context& i) : io(i), timer(i) {}

    ~State() { stop(); }

    void stop() {
        if (channel) ares_destroy(channel);  // answers every query ARES_EDESTRUCTION, closes its sockets
        channel = nullptr;
        for (auto& [fd, watch] : watches) forget(*watch);
        watches.clear();
        timer.cancel();
        timer_armed = false;
        in_flight = 0;
    }

    asio::io_context& io;
    ares_channel channel = nullptr;
    asio::steady_timer timer;  // c-ares' next timeout (ares_timeout), or earlier
    bool timer_armed = false;   // a wait on `timer` is pending, not cancelled
    std::size_t in_flight = 0;  // ares_getaddrinfo calls not yet called back (abandoned ones too)
    std::chrono::milliseconds first_try{0};  // ARES_OPT_TIMEOUTMS: a query's first try
    std::unordered_map<std::string, std::vector<asio::ip::address>> hosts;  // read_hosts()
    std::unordered_map<ares_socket_t, std::shared_ptr<Watch>> watches;

    static void forget(Watch& watch) {
        watch.gone = true;
        if (watch.descriptor.is_open()) watch.descriptor.release();  // cancels the waits; does not close
    }

    // ARES_OPT_SOCK_STATE_CB: c-ares says which sockets it wants watched, for what; (fd, 0, 0)
    // before it closes one.
    static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
        auto& self = *static_cast<State*>(data);
        auto it = self.watches.find(fd);
        if (!readable && !writable) {
            if (it != self.watches.end()) {
                forget(*it->second);
                self.watches.erase(it);
            }
            return;
        }
        if (it == self.watches.end()) {
            auto watch = std::make_shared<Watch>(self.io);
            error_code ec;
            watch->descriptor.assign(fd, ec);  // on failure the query ends by its timeout
            it = self.watches.emplace(fd, std::move(watch)).first;
        }
        it->second->want_read = readable;
        it->second->want_write = writable;
        self.arm(fd, it->second);
    }

    void arm(ares_socket_t fd, const std::shared_ptr<Watch>& watch) {
        if (!watch->descriptor.is_open()) return;
        if (watch->want_read && !watch->reading) wait(fd, watch, false);
        if (watch->want_write && !watch->writing) wait(fd, watch, true);
    }

    // One readiness wait (read or write); when it comes, c-ares does the reading or writing.
    void wait(ares_socket_t fd, const std::shared_ptr<Watch>& watch, bool write) {
        (write ? watch->writing : watch->reading) = true;
        const auto what = write ? asio::posix::descriptor_base::wait_write : asio::posix::descriptor_base::wait_read;
        watch->descriptor.async_wait(what, [self = weak_from_this(), fd, watch, write](error_code ec) {
            (write ? watch->writing : watch->reading) = false;
            auto state = self.lock();
            if (ec || watch->gone || !state) return;
            state->process(write ? ARES_SOCKET_BAD : fd, write ? fd : ARES_SOCKET_BAD);
            if (!watch->gone) state->arm(fd, watch);
        });
    }

    // Lets c-ares read, write and expire queries (ares_process_fd also handles the timeouts
    // due), then makes sure the timer is set.
    void process(ares_socket_t read_fd, ares_socket_t write_fd) {
        if (!channel) return;
        ares_process_fd(channel, read_fd, write_fd);
        schedule();
    }

    // Sets the timer to c-ares' next timeout unless it is set already. A query's first try times
    // out after `first_try`, its second after twice that: so a query sent later times out before
    // the one the timer was set for only when that one was on its second try, and resolve()
    // moves the timer up then (`sent()`). Otherwise a timer once set is never late, at worst
    // early (its query was answered): it fires, c-ares finds nothing due, and it is set again. Asking c-ares (ares_timeout walks
    // every query) and moving the timer (each move a timerfd_settime, as this timer is the
    // io_context's earliest) after every packet cost a system call per lookup before.
    void schedule() {
        if (!channel || in_flight == 0) {  // nothing to time out: no wait left to keep io running
            cancel_timer();
            return;
        }
        if (timer_armed) return;
        timeval next{};
        if (!ares_timeout(channel, nullptr, &next)) return;  // not reached while in_flight > 0
        timer_armed = true;
        timer.expires_after(std::chrono::seconds(next.tv_sec) + std::chrono::microseconds(next.tv_usec));
        timer.async_wait([self = weak_from_this()](error_code ec) {
            if (ec == asio::error::operation_aborted) return;  // cancel_timer() cleared timer_armed
            auto state = self.lock();
            if (!state) return;
            state->timer_armed = false;
            if (!ec) state->process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);
        });
    }

    // A query was just sent: its first try ends `first_try` from now; a timer set later than that
    // (for a query on its second try) is set anew.
    void sent() {
        if (timer_armed && timer.expiry() > std::chrono::steady_clock::now() + first_try) cancel_timer();
        schedule();
    }

    void cancel_timer() {
        if (!timer_armed) return;
        timer.cancel();
        timer_armed = false;
    }

    struct Pending {
        std::weak_ptr<State> state;
        std::shared_ptr<Lookup> lookup;
    };

    static void on_answer(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
        std::unique_ptr<Pending> pending(static_cast<Pending*>(arg));
        Resolution answer = to_resolution(status, result);
        if (result) ares_freeaddrinfo(result);
        auto state = pending->state.lock();
        if (state && state->in_flight > 0) --state->in_flight;
        // ARES_EDESTRUCTION: the channel is going (the Resolver too): nobody waits.
        if (status == ARES_EDESTRUCTION || !state || !pending->lookup->done) return;
        asio::post(state->io, [lookup = std::move(pending->lookup), answer = std::move(answer)]() mutable {
            if (auto done = std::move(lookup->done)) done(std::move(answer));
        });
    }
};

Resolver::Resolver(asio::io_context& io, const ResolverConfig& config) : state_(std::make_shared<State>(io)) {
    init_library();
    ares_options options{};
    // Not ARES_FLAG_STAYOPEN: c-ares then closes the server's UDP socket whenever no query is
    // pending, but one socket kept for every lookup of a thread overflowed its receive buffer
    // (capped at rmem_max) at 256 lookups in flight: answers lost, each retried after half the
    // deadline (10,000 names: 3.4 s instead of 2.0 s).
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS | ARES_OPT_SOCK_RCVBUF;
    options.sock_state_cb = &State::on_socket_state;
    options.sock_state_cb_data = state_.get();
    // Two tries: timeout/2, then (c-ares doubles it for the second round) timeout: 1.5 x the
    // origin's deadline per server in all, so the deadline ends a silent lookup first.
    options.timeout = static_cast<int>(std::max<long long>(1, (config.timeout.count() + 1) / 2));
    options.tries = 2;
    state_->first_try = std::chrono::milliseconds(options.timeout);
    // One UDP socket carries every lookup of this thread: room for the answers of a few
    // thousand at once while the thread is busy in TLS (the kernel caps it at rmem_max).
    options.socket_receive_buffer_size = 1 << 20;
    // The hosts file first (read_hosts(), our own cache of it), then "b" DNS, whatever
    // nsswitch.conf says.
    state_->hosts = read_hosts();
    char lookups[] = "b";
    options.lookups = lookups;
    if (int rc = ares_init_options(&state_->channel, &options, mask); rc != ARES_SUCCESS) {
        state_->channel = nullptr;
        throw std::runtime_error(std::string("c-ares: cannot set up a resolver: ") + ares_strerror(rc));
    }
    if (!config.server.empty()) {
        ServerAddress server;
        if (std::string why = parse_server(config.server, server); !why.empty())
            throw std::runtime_error("--resolver " + config.server + ": " + why);
        const std::string csv = (server.address.is_v6() ? "[" + server.address.to_string() + "]"
                                                        : server.address.to_string()) +
                                ":" + std::to_string(server.port);
        if (int rc = ares_set_servers_ports_csv(state_->channel, csv.c_str()); rc != ARES_SUCCESS)
            throw std::runtime_error("--resolver " + config.server + ": " + ares_strerror(rc));
    }
}

Resolver::~Resolver() = default;  // the last owner of the State: ~State destroys the channel

std::shared_ptr<Resolver::Lookup> Resolver::resolve(const std::string& host, std::function<void(Resolution)> done) {
    auto lookup = std::make_shared<Lookup>(std::move(done));
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_UNSPEC;  // A and AAAA, both queries sent at once
    hints.ai_socktype = SOCK_STREAM;
    // NOSORT: c-ares' RFC 6724 sort opens, connects and closes a UDP socket per address to
    // learn its source address (4 system calls each); every address is probed anyway, in the
    // order to_resolution() gives them.
    hints.ai_flags = ARES_AI_NOSORT;
    const auto answer_now = [&](Resolution answer) {
        asio::post(state_->io, [lookup, answer = std::move(answer)]() mutable {
            if (auto done = std::move(lookup->done)) done(std::move(answer));
        });
        return lookup;
    };
    if (!state_->channel) {
        Resolution stopped;
        stopped.error = "the resolver is stopped";
        return answer_now(std::move(stopped));
    }
    if (const auto hosted = state_->hosts.find(hosts_key(host)); hosted != state_->hosts.end())
        return answer_now(to_resolution(hosted->second));
    auto* pending = new State::Pending{state_, lookup};
    ++state_->in_flight;  // first: c-ares may call back from within ares_getaddrinfo
    ares_getaddrinfo(state_->channel, host.c_str(), nullptr, &hints, &State::on_answer, pending);
    state_->sent();
    return lookup;
}

void Resolver::abandon(const std::shared_ptr<Lookup>& lookup) { lookup->done = nullptr; }

void Resolver::stop() { state_->stop(); }

}  // namespace originscan::scanner
