// Asynchronous name resolution on the scanner's own io_context: c-ares (ares_getaddrinfo), its
// sockets watched by Asio and its timeouts on an Asio timer, so a lookup costs no thread and a
// slow one holds up nothing but its own origin. One Resolver (one c-ares channel) per
// io_context, used only from that io_context's thread.
//
// A lookup whose answer is no longer wanted is abandoned: its answer is dropped, never
// delivered. c-ares 1.18 cancels only a whole channel (ares_cancel), not one query, so the
// query itself stays in the channel until its own answer or timeout (ResolverConfig::timeout
// x 1.5 at most per server), costing a few bytes and nothing else; destroying the Resolver
// ends every query still running (ares_destroy), with no answer delivered.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

namespace originscan::scanner {

// At most this many addresses of a name are kept (and probed): the first ones in the
// resolver's order (RFC 6724, as getaddrinfo). A name with more still reports how many it had.
constexpr std::size_t max_addresses = 16;

// Every A and AAAA address of a name, CNAMEs followed.
struct Resolution {
    std::vector<boost::asio::ip::address> addresses;  // duplicates removed, at most max_addresses
    std::size_t found = 0;                            // distinct addresses before the cap
    std::string error;                                // empty on success
    bool timed_out = false;  // no answer: the resolver gave up waiting (an error too)
};

struct ResolverConfig {
    // One DNS server, "ADDR[:PORT]" (IPv6 in brackets when a port follows; port 53 when
    // none): --resolver. Empty: the servers, search list and options of /etc/resolv.conf.
    std::string server;
    // The origin's deadline: a query is tried twice (timeout/2, then timeout), so a silent
    // server ends it after the origin's own deadline, never before.
    std::chrono::milliseconds timeout{10'000};
};

// Empty when `text` is a valid ResolverConfig::server (--resolver), else why not.
std::string resolver_address_error(const std::string& text);

class Resolver {
public:
    // A lookup in flight; abandon() it when its answer is no longer wanted.
    class Lookup;

    // Throws std::runtime_error when c-ares cannot set up a channel (config unreadable,
    // out of memory, a bad server).
    Resolver(boost::asio::io_context& io, const ResolverConfig& config);
    ~Resolver();  // ends every lookup; no answer is delivered after
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;

    // Looks `host` up in /etc/hosts first (or the file $CARES_HOSTS names, c-ares' own
    // variable; read once, when the Resolver was made), then in DNS, A and AAAA in parallel. `done` is posted to the io_context
    // (never called from within resolve()), once, unless the lookup was abandoned first or
    // the Resolver destroyed.
    std::shared_ptr<Lookup> resolve(const std::string& host, std::function<void(Resolution)> done);
    void abandon(const std::shared_ptr<Lookup>& lookup);

    // Ends every lookup (no answer delivered) and closes the resolver's sockets, so that
    // nothing of it keeps the io_context running: its waits count as work, and c-ares keeps
    // a query it was not asked to cancel, or an idle socket, for a while. Later lookups fail
    // at once ("the resolver is stopped"). The destructor stops it too.
    void stop();

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace originscan::scanner
