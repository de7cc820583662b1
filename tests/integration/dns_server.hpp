// A DNS server on 127.0.0.1 (UDP, a port of its own) that the test controls: names with A and
// AAAA records, CNAME chains (answered whole, as a recursive resolver does), NXDOMAIN for any
// other name, SERVFAIL, names it never answers, and an optional delay before every answer.
// It records each query it received (name, type, when) and when each answer went out.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace originscan::testdns {

using Clock = std::chrono::steady_clock;

enum class Behaviour { answer, servfail, silent };

struct Name {
    std::vector<std::string> a;     // dotted quads
    std::vector<std::string> aaaa;  // IPv6 text
    std::string cname;              // an alias of this name (its records are ignored)
    Behaviour behaviour = Behaviour::answer;
};

struct Query {
    std::string name;
    std::uint16_t type = 0;  // 1 A, 28 AAAA
    Clock::time_point received;
};

class DnsServer {
public:
    // `names`: lower-case, no trailing dot. Every answer waits `delay` first.
    explicit DnsServer(std::map<std::string, Name> names, std::chrono::milliseconds delay = {});
    ~DnsServer();
    DnsServer(const DnsServer&) = delete;
    DnsServer& operator=(const DnsServer&) = delete;

    std::uint16_t port() const { return port_; }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }  // for --resolver
    std::vector<Query> queries() const;
    std::vector<Clock::time_point> answered() const;  // when each answer was sent

private:
    void run();
    std::map<std::string, Name> names_;
    std::chrono::milliseconds delay_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    std::vector<Query> queries_;
    std::vector<Clock::time_point> answered_;
    std::thread thread_;
};

}  // namespace originscan::testdns
