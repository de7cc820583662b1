// A scan whose thread throws (issue 13: no silent worker death): Scanner::scan rethrows the
// first exception, and ends at once, with the other origins in flight (silent loopback peers
// that would each hold a worker until its deadline) abandoned rather than waited for. The
// results delivered before the failure stay; the scanner is usable again afterwards.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <string>
#include <vector>

#include "model/observation.hpp"
#include "model/origin.hpp"
#include "scanner/scanner.hpp"
#include "tests/integration/hostile_peers.hpp"

namespace originscan {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Long enough that an origin waited for instead of abandoned is unmistakable.
constexpr milliseconds kDeadline{30'000};

Origin origin_at(const std::string& name, std::uint16_t port) {
    auto parsed = parse_origin_spec(name + "@127.0.0.1:" + std::to_string(port));
    REQUIRE(std::holds_alternative<Origin>(parsed));
    return std::get<Origin>(parsed);
}

// A port on 127.0.0.1 where nothing listens: connect is refused at once.
std::uint16_t closed_port() {
    hostile::LoopbackServer gone;
    return gone.port();
}  // closed when `gone` goes

scanner::ScannerOptions options(unsigned concurrency) {
    scanner::ScannerOptions o;
    o.concurrency = concurrency;
    o.timeout = kDeadline;
    o.http_port = 0;
    o.threads = 2;
    return o;
}

struct Failing : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Delivered {
    std::mutex mutex;
    std::set<std::size_t> indexes;
    void add(std::size_t i) {
        std::lock_guard lock(mutex);
        CHECK(indexes.insert(i).second);  // never twice
    }
};

TEST_CASE("scan: a throwing test hook stops the scan at once and is rethrown", "[scan-failure]") {
    hostile::LoopbackServer silent;
    const std::uint16_t refused = closed_port();
    // Refused ones first (they end at once and are delivered), then silent ones that hold
    // their workers, then the one whose hook throws, then more that must never be started.
    std::vector<Origin> origins;
    for (int i = 0; i < 4; ++i) origins.push_back(origin_at("refused" + std::to_string(i) + ".test", refused));
    for (int i = 0; i < 20; ++i) origins.push_back(origin_at("silent" + std::to_string(i) + ".test", silent.port()));
    const std::size_t throwing = origins.size();
    origins.push_back(origin_at("throws.test", refused));
    for (int i = 0; i < 20; ++i) origins.push_back(origin_at("after" + std::to_string(i) + ".test", refused));

    auto o = options(64);
    std::atomic<std::size_t> hook_calls{0};
    o.test_hook = [&](std::size_t index, const Origin&) {
        // The silent ones are in flight when the failing one comes: wait for their connects.
        if (index == throwing) {
            const auto until = Clock::now() + std::chrono::seconds(10);
            while (silent.accepted() < 20 && Clock::now() < until) std::this_thread::sleep_for(milliseconds(5));
            throw Failing("injected at " + std::to_string(index));
        }
        ++hook_calls;
    };
    scanner::Scanner scanner(o);
    Delivered delivered;
    const auto start = Clock::now();
    std::string what;
    try {
        scanner.scan(origins, [&](std::size_t i, Observation&&) { delivered.add(i); });
        FAIL("scan returned instead of throwing");
    } catch (const Failing& e) {
        what = e.what();
    }
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    CHECK(what == "injected at " + std::to_string(throwing));
    INFO("scan ended " << ms << " ms after it started; the silent origins' deadline is 30 s");
    CHECK(silent.accepted() == 20);
    // Waiting for any silent origin would take the whole deadline.
    CHECK(ms < kDeadline.count() / 3.0);
    // Nothing silent was delivered (they were abandoned), nor the failing one.
    std::lock_guard lock(delivered.mutex);
    for (std::size_t i : delivered.indexes) CHECK((i < 4 || i > throwing));
    CHECK(delivered.indexes.count(throwing) == 0);
}

TEST_CASE("scan: a throwing sink fails the scan; the next scan on the same Scanner works", "[scan-failure]") {
    hostile::LoopbackServer silent;
    const std::uint16_t refused = closed_port();
    std::vector<Origin> origins;
    for (int i = 0; i < 10; ++i) origins.push_back(origin_at("silent" + std::to_string(i) + ".test", silent.port()));
    origins.push_back(origin_at("refused.test", refused));

    scanner::Scanner scanner(options(32));
    const auto start = Clock::now();
    CHECK_THROWS_AS(scanner.scan(origins,
                                 [&](std::size_t i, Observation&&) {
                                     if (i == 10) throw std::bad_alloc();
                                 }),
                    std::bad_alloc);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    INFO("scan ended " << ms << " ms after it started");
    CHECK(ms < kDeadline.count() / 3.0);

    // The failure is not sticky: a clean scan delivers every origin.
    std::vector<Origin> again;
    for (int i = 0; i < 5; ++i) again.push_back(origin_at("again" + std::to_string(i) + ".test", refused));
    Delivered delivered;
    CHECK(scanner.scan(again, [&](std::size_t i, Observation&& o) {
        CHECK(o.probes.size() == 1);
        delivered.add(i);
    }) == again.size());
    CHECK(delivered.indexes.size() == again.size());
}

TEST_CASE("scan: a throwing origin source fails the scan and is rethrown", "[scan-failure]") {
    struct ThrowingSource final : scanner::OriginSource {
        std::size_t next_ = 0;
        std::uint16_t port = 0;
        bool next(std::size_t& index, Origin& origin) override {
            if (next_ == 3) throw std::runtime_error("list changed");
            index = next_++;
            origin = origin_at("source.test", port);
            return true;
        }
    };
    hostile::LoopbackServer silent;
    ThrowingSource source;
    source.port = silent.port();
    scanner::Scanner scanner(options(8));
    const auto start = Clock::now();
    CHECK_THROWS_WITH(scanner.scan(source, [](std::size_t, const Origin&, Observation&&) {}), "list changed");
    CHECK(std::chrono::duration<double, std::milli>(Clock::now() - start).count() < kDeadline.count() / 3.0);
}

}  // namespace
}  // namespace originscan
