// A bounded pool of threads doing getaddrinfo, so one slow lookup never holds up the scan
// (Asio's resolver runs lookups one at a time and cannot cancel them). getaddrinfo cannot be
// cancelled either, so a lookup whose origin gave up is abandoned: skipped if still queued,
// and if already running it no longer counts against the pool's size, so abandoned slow
// lookups cannot starve the rest (a hard cap still bounds the threads). When the pool goes,
// idle threads are joined and those stuck inside getaddrinfo detached (they share the pool's
// state and exit after their lookup), so nothing waits for a stuck lookup.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace originscan::scanner {

// At most this many addresses of a name are kept (and probed): the first ones in getaddrinfo
// order. A name with more still reports how many it had.
constexpr std::size_t max_addresses = 16;

// Every A and AAAA address of a name, CNAMEs followed (getaddrinfo does both, AF_UNSPEC).
struct Resolution {
    std::vector<boost::asio::ip::address> addresses;  // in getaddrinfo order, duplicates removed,
                                                      // at most max_addresses
    std::size_t found = 0;                            // distinct addresses before the cap
    std::string error;                                // empty on success
};

class ResolverPool {
public:
    // A lookup in the pool; abandon() when its answer is no longer wanted.
    class Ticket;

    explicit ResolverPool(unsigned threads);
    ~ResolverPool();
    ResolverPool(const ResolverPool&) = delete;
    ResolverPool& operator=(const ResolverPool&) = delete;

    // `done` runs on a pool thread, unless the lookup was abandoned first. Threads start on
    // first use.
    std::shared_ptr<Ticket> resolve(std::string host, std::function<void(Resolution)> done);
    void abandon(const std::shared_ptr<Ticket>& ticket);

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace originscan::scanner
