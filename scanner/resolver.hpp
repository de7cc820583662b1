// A bounded pool of threads doing getaddrinfo, so one slow lookup never holds up the scan
// (Asio's resolver runs lookups one at a time and cannot cancel them). Lookups that outlive
// their origin's deadline finish in the background and are dropped.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace originscan::scanner {

struct Resolution {
    std::vector<boost::asio::ip::address> addresses;  // in getaddrinfo order, duplicates removed
    std::string error;                                // empty on success
};

class ResolverPool {
public:
    explicit ResolverPool(unsigned threads) : max_threads_(threads ? threads : 1) {}
    ~ResolverPool();
    ResolverPool(const ResolverPool&) = delete;
    ResolverPool& operator=(const ResolverPool&) = delete;

    // `done` runs on a pool thread. Threads start on first use.
    void resolve(std::string host, std::function<void(Resolution)> done);

private:
    struct Job {
        std::string host;
        std::function<void(Resolution)> done;
    };
    void run();

    unsigned max_threads_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<Job> jobs_;
    std::vector<std::thread> threads_;
    unsigned idle_ = 0;
    bool stopping_ = false;
};

}  // namespace originscan::scanner
