// The c-ares resolver (scanner/resolver.cpp) and the scanner's use of it, against a DNS server
// on 127.0.0.1 that the test controls (tests/integration/dns_server.hpp), named with
// ResolverConfig::server / ScannerOptions::resolver as --resolver names one.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "model/observation.hpp"
#include "model/origin.hpp"
#include "scanner/resolver.hpp"
#include "scanner/scanner.hpp"
#include "tests/integration/dns_server.hpp"
#include "tests/integration/hostile_peers.hpp"

namespace originscan {
namespace {

namespace asio = boost::asio;
using scanner::Resolution;
using scanner::Resolver;
using scanner::ResolverConfig;
using std::chrono::milliseconds;
using testdns::Behaviour;
using testdns::DnsServer;
using Clock = std::chrono::steady_clock;

std::map<std::string, testdns::Name> zone() {
    std::map<std::string, testdns::Name> names;
    names["both.test"] = {{"127.0.0.3", "127.0.0.4"}, {"::1"}, {}, Behaviour::answer};
    names["v6.test"] = {{}, {"::1"}, {}, Behaviour::answer};
    names["alias.test"] = {{}, {}, "mid.test", Behaviour::answer};
    names["mid.test"] = {{}, {}, "end.test", Behaviour::answer};
    names["end.test"] = {{"127.0.0.5"}, {}, {}, Behaviour::answer};
    names["empty.test"] = {{}, {}, {}, Behaviour::answer};
    names["fail.test"] = {{}, {}, {}, Behaviour::servfail};
    names["silent.test"] = {{}, {}, {}, Behaviour::silent};
    testdns::Name many;
    for (int i = 1; i <= 18; ++i) many.a.push_back("127.0.1." + std::to_string(i));
    names["m.test"] = many;
    return names;
}

// One lookup on its own io_context, run until answered (or the io_context has no work left).
std::optional<Resolution> lookup(const DnsServer& server, const std::string& host, milliseconds timeout = milliseconds(5000)) {
    asio::io_context io;
    Resolver resolver(io, ResolverConfig{server.address(), timeout});
    std::optional<Resolution> answer;
    resolver.resolve(host, [&](Resolution r) { answer = std::move(r); });
    io.run();
    return answer;
}

std::set<std::string> texts(const Resolution& r) {
    std::set<std::string> out;
    for (const auto& a : r.addresses) out.insert(a.to_string());
    return out;
}

// A hosts file of the test's own, named by $CARES_HOSTS until unnamed (or the end of scope),
// removed at the end of scope.
struct HostsFile {
    explicit HostsFile(const std::string& text) {
        const int fd = ::mkstemp(path);
        REQUIRE(fd >= 0);
        ::close(fd);
        write(text);
        ::setenv("CARES_HOSTS", path, 1);
    }
    ~HostsFile() {
        unname();
        std::remove(path);
    }
    HostsFile(const HostsFile&) = delete;
    HostsFile& operator=(const HostsFile&) = delete;
    void write(const std::string& text) { std::ofstream(path) << text; }
    void unname() { ::unsetenv("CARES_HOSTS"); }
    char path[32] = "/tmp/originscan-hosts.XXXXXX";
};

std::size_t thread_count() {
    std::size_t n = 0;
    if (DIR* d = ::opendir("/proc/self/task")) {
        while (dirent* e = ::readdir(d))
            if (e->d_name[0] != '.') ++n;
        ::closedir(d);
    }
    return n;
}

scanner::ScannerOptions options_for(const DnsServer& server, milliseconds timeout) {
    scanner::ScannerOptions o;
    o.resolver = server.address();
    o.timeout = timeout;
    o.http_port = 0;
    o.threads = 1;
    return o;
}

Origin named(const std::string& spec) {
    auto parsed = parse_origin_spec(spec);
    REQUIRE(std::holds_alternative<Origin>(parsed));
    return std::get<Origin>(parsed);
}

const Failure& failure_of(const Observation& o) {
    REQUIRE(o.probes.size() == 1);
    const auto* f = std::get_if<Failure>(&o.probes[0].outcome);
    REQUIRE(f);
    return *f;
}

TEST_CASE("resolver: A and AAAA asked at once, every address returned", "[resolver]") {
    // Every answer waits 300 ms: both queries must be in before the first answer leaves.
    DnsServer server(zone(), milliseconds(300));
    auto answer = lookup(server, "both.test");
    REQUIRE(answer);
    CHECK(answer->error.empty());
    CHECK(texts(*answer) == std::set<std::string>{"127.0.0.3", "127.0.0.4", "::1"});
    CHECK(answer->found == 3);
    // In one order whatever order the answers came in: IPv6 first, then numeric.
    std::vector<std::string> order;
    for (const auto& a : answer->addresses) order.push_back(a.to_string());
    CHECK(order == std::vector<std::string>{"::1", "127.0.0.3", "127.0.0.4"});
    auto queries = server.queries();
    std::set<std::uint16_t> types;
    for (const auto& q : queries)
        if (q.name == "both.test") types.insert(q.type);
    CHECK(types == std::set<std::uint16_t>{1, 28});
    auto answered = server.answered();
    REQUIRE(!answered.empty());
    Clock::time_point last_query{};
    for (const auto& q : queries) last_query = std::max(last_query, q.received);
    CHECK(last_query < *std::min_element(answered.begin(), answered.end()));

    auto v6 = lookup(server, "v6.test");
    REQUIRE(v6);
    CHECK(texts(*v6) == std::set<std::string>{"::1"});
}

TEST_CASE("resolver: a CNAME chain is followed to its addresses", "[resolver]") {
    DnsServer server(zone());
    auto answer = lookup(server, "alias.test");
    REQUIRE(answer);
    CHECK(answer->error.empty());
    CHECK(texts(*answer) == std::set<std::string>{"127.0.0.5"});
}

TEST_CASE("resolver: at most 16 addresses kept, the count found kept", "[resolver]") {
    DnsServer server(zone());
    auto answer = lookup(server, "m.test");
    REQUIRE(answer);
    CHECK(answer->error.empty());
    CHECK(answer->addresses.size() == scanner::max_addresses);
    CHECK(answer->found == 18);
    // The 16 kept are the first in that order, the same from run to run.
    CHECK(std::is_sorted(answer->addresses.begin(), answer->addresses.end(),
                         [](const auto& a, const auto& b) { return a.is_v6() != b.is_v6() ? a.is_v6() : a < b; }));
}

TEST_CASE("resolver: NXDOMAIN, SERVFAIL and no address are errors, not timeouts", "[resolver]") {
    DnsServer server(zone());
    auto nx = lookup(server, "nosuch.test");
    REQUIRE(nx);
    CHECK(nx->error.find("NXDOMAIN") != std::string::npos);
    CHECK(!nx->timed_out);
    CHECK(nx->addresses.empty());
    auto fail = lookup(server, "fail.test");
    REQUIRE(fail);
    // c-ares 1.18 retries a SERVFAIL, then says ECONNREFUSED: the detail names SERVFAIL all the same.
    INFO(fail->error);
    CHECK(fail->error.find("SERVFAIL") != std::string::npos);
    const auto queries = server.queries();
    CHECK(std::count_if(queries.begin(), queries.end(), [](const testdns::Query& q) { return q.name == "fail.test"; }) >= 2);
    CHECK(!fail->timed_out);
    auto empty = lookup(server, "empty.test");
    REQUIRE(empty);
    CHECK(!empty->error.empty());
    CHECK(!empty->timed_out);
}

TEST_CASE("resolver: /etc/hosts first (here the file $CARES_HOSTS names), no query sent", "[resolver]") {
    DnsServer server(zone());
    HostsFile hosts("127.0.0.9 fromhosts.test\n127.0.0.10 both.test\n");
    auto hosted = lookup(server, "fromhosts.test");
    auto shadowed = lookup(server, "both.test");
    REQUIRE(hosted);
    CHECK(texts(*hosted) == std::set<std::string>{"127.0.0.9"});
    REQUIRE(shadowed);
    CHECK(texts(*shadowed) == std::set<std::string>{"127.0.0.10"});
    CHECK(server.queries().empty());
}

TEST_CASE("resolver: the hosts file, read once per resolver: aliases, any case, a trailing dot, both families", "[resolver]") {
    DnsServer server(zone());
    HostsFile hosts(
        "# a comment line\n"
        "127.0.0.11 Primary.Test alias.hosts.test  # and a comment after\n"
        "::1 primary.test\n"
        "not-an-address broken.test\n");
    asio::io_context io;
    std::optional<Resolution> mixed, alias, dotted, broken, after_edit;
    {
        Resolver resolver(io, ResolverConfig{server.address(), milliseconds(5000)});
        hosts.unname();
        resolver.resolve("PRIMARY.test", [&](Resolution r) { mixed = std::move(r); });
        resolver.resolve("alias.hosts.test", [&](Resolution r) { alias = std::move(r); });
        resolver.resolve("primary.test.", [&](Resolution r) { dotted = std::move(r); });
        resolver.resolve("broken.test", [&](Resolution r) { broken = std::move(r); });
        io.run();
        // An edit after the resolver was made is not seen by it.
        hosts.write("127.0.0.12 primary.test\n");
        io.restart();
        resolver.resolve("primary.test", [&](Resolution r) { after_edit = std::move(r); });
        io.run();
    }
    REQUIRE(mixed);
    CHECK(mixed->error.empty());
    CHECK(mixed->addresses.size() == 2);
    CHECK(mixed->addresses.front().to_string() == "::1");  // IPv6 first, as from DNS
    CHECK(texts(*mixed) == std::set<std::string>{"127.0.0.11", "::1"});
    REQUIRE(alias);
    CHECK(texts(*alias) == std::set<std::string>{"127.0.0.11"});
    REQUIRE(dotted);
    CHECK(texts(*dotted) == texts(*mixed));
    REQUIRE(after_edit);
    CHECK(texts(*after_edit) == texts(*mixed));
    // A line whose address does not parse is skipped: the name goes to DNS, which has no such name.
    REQUIRE(broken);
    CHECK(!broken->error.empty());
    CHECK(server.queries().size() >= 1);
    for (const auto& q : server.queries()) CHECK(q.name.find("broken.test") != std::string::npos);
}

TEST_CASE("resolver: an abandoned lookup never answers; destroying the resolver ends every lookup", "[resolver]") {
    DnsServer server(zone());
    const std::size_t threads_before = thread_count();
    asio::io_context io;
    bool called = false;
    {
        Resolver resolver(io, ResolverConfig{server.address(), milliseconds(10'000)});
        auto abandoned = resolver.resolve("silent.test", [&](Resolution) { called = true; });
        resolver.resolve("silent.test", [&](Resolution) { called = true; });  // still pending at the end
        auto answered_abandoned = resolver.resolve("both.test", [&](Resolution) { called = true; });
        CHECK(thread_count() == threads_before);  // c-ares runs no thread of its own
        resolver.abandon(abandoned);
        resolver.abandon(answered_abandoned);
        // The answers to both.test come (and are dropped) while the io_context runs.
        io.run_for(milliseconds(300));
        CHECK(server.answered().size() == 2);
        CHECK(!called);
    }
    io.restart();
    io.run();  // whatever the resolver left (cancelled waits) runs now: no answer among it
    CHECK(!called);
    CHECK(thread_count() == threads_before);
}

TEST_CASE("scanner: names through --resolver, DNS failures' reasons", "[resolver][scanner]") {
    DnsServer server(zone());
    const std::uint16_t refused = [] {
        hostile::LoopbackServer gone;
        return gone.port();
    }();
    scanner::Scanner scan(options_for(server, milliseconds(5000)));
    const std::string port = ":" + std::to_string(refused);

    auto good = scan.scan_one(named("both.test" + port));
    REQUIRE(good.probes.size() == 3);  // every address probed (refused: nothing listens)
    CHECK(good.addresses_total == 3);
    std::set<std::string> probed;
    for (const auto& p : good.probes) probed.insert(p.address);
    CHECK(probed == std::set<std::string>{"127.0.0.3", "127.0.0.4", "::1"});

    auto capped = scan.scan_one(named("m.test" + port));
    CHECK(capped.probes.size() == scanner::max_addresses);
    CHECK(capped.addresses_total == 18);
    CHECK(capped.addresses_capped);

    CHECK(failure_of(scan.scan_one(named("nosuch.test" + port))).reason == Reason::dns);
    CHECK(failure_of(scan.scan_one(named("fail.test" + port))).reason == Reason::dns);
    // The ADDRESS is what is looked up, NAME only the SNI.
    auto via = scan.scan_one(named("nosuch.test@end.test" + port));
    REQUIRE(via.probes.size() == 1);
    CHECK(via.probes[0].address == "127.0.0.5");
}

TEST_CASE("scanner: a DNS server that never answers ends at the origin's deadline", "[resolver][scanner]") {
    DnsServer server(zone());
    constexpr milliseconds deadline{2000};
    scanner::Scanner scan(options_for(server, deadline));
    // A few silent lookups among good ones, on one thread: the good ones do not wait.
    std::vector<Origin> origins;
    for (int i = 0; i < 3; ++i) origins.push_back(named("silent.test:1"));
    origins.push_back(named("nosuch.test:1"));
    std::vector<Observation> results(origins.size());
    scan.scan(origins, [&](std::size_t i, Observation&& o) { results[i] = std::move(o); });
    for (int i = 0; i < 3; ++i) {
        const Failure& f = failure_of(results[i]);
        CHECK(f.reason == Reason::timeout);
        // The scanner's own overrun past the deadline; c-ares would give up at 1.5 x it, so
        // the bound sits halfway, out of reach of load, within reach of waiting for c-ares.
        const double overrun = results[i].probes[0].timings.total_ms - static_cast<double>(deadline.count());
        INFO("overrun " << overrun << " ms");
        CHECK(overrun >= -20);
        CHECK(overrun < deadline.count() / 4.0);
    }
    const Failure& nx = failure_of(results[3]);
    CHECK(nx.reason == Reason::dns);
    CHECK(results[3].probes[0].timings.total_ms < deadline.count() / 2.0);
}

TEST_CASE("scanner: a scan stopped while lookups hang ends at once, nothing left running", "[resolver][scanner]") {
    DnsServer server(zone());
    const std::size_t threads_before = thread_count();
    scanner::Scanner scan(options_for(server, milliseconds(30'000)));
    std::vector<Origin> origins(8, named("silent.test:1"));
    std::atomic<bool> stop{false};
    std::thread stopper([&] {
        while (server.queries().size() < 8) std::this_thread::sleep_for(milliseconds(10));
        stop = true;
    });
    std::size_t delivered = 0;
    const auto start = Clock::now();
    scan.scan(origins, [&](std::size_t, Observation&&) { ++delivered; }, &stop);
    const auto took = Clock::now() - start;
    stopper.join();
    CHECK(delivered == 0);  // abandoned, not reported
    CHECK(took < std::chrono::seconds(15));  // half the deadline: not waited for
    CHECK(thread_count() == threads_before);
}

TEST_CASE("resolver_address_error: what --resolver accepts", "[resolver]") {
    for (const char* good : {"127.0.0.1", "127.0.0.1:5353", "::1", "[::1]", "[::1]:53", "10.0.0.1:65535"}) {
        INFO(good);
        CHECK(scanner::resolver_address_error(good).empty());
    }
    for (const char* bad : {"", "dns.example", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:x", "[::1", "[::1]53",
                            "[127.0.0.1]:53", "127.0.0.1:", "1.2.3.4:53:53"}) {
        INFO(bad);
        CHECK(!scanner::resolver_address_error(bad).empty());
    }
}

}  // namespace
}  // namespace originscan
