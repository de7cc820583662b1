// scanner/cpus.hpp: the default thread count is the CPUs the process may use.
#include <catch2/catch.hpp>

#include <sched.h>

#include <thread>

#include "scanner/cpus.hpp"

using originscan::scanner::quota_cpus;
using originscan::scanner::usable_cpus;

TEST_CASE("cpus: a cgroup v2 cpu.max line as whole CPUs, rounded up", "[cpus]") {
    CHECK(quota_cpus("200000 100000") == 2u);
    CHECK(quota_cpus("200000 100000\n") == 2u);
    CHECK(quota_cpus("150000 100000") == 2u);  // 1.5 CPUs: two threads, one half idle
    CHECK(quota_cpus("50000 100000") == 1u);
    CHECK(quota_cpus("100000 100000") == 1u);
    CHECK_FALSE(quota_cpus("max 100000"));  // no quota
    CHECK_FALSE(quota_cpus(""));
    CHECK_FALSE(quota_cpus("100000"));
    CHECK_FALSE(quota_cpus("-1 100000"));  // cgroup v1's "no quota", rendered as a line
    CHECK_FALSE(quota_cpus("100000 0"));
    CHECK_FALSE(quota_cpus("1e5 100000"));
}

TEST_CASE("cpus: the affinity mask bounds the default, whatever the machine has", "[cpus]") {
    const unsigned all = usable_cpus();
    CHECK(all >= 1);
    CHECK(all <= std::max(1u, std::thread::hardware_concurrency()));
    // sched_setaffinity(0) is the calling thread's: a thread bound to one CPU counts one.
    unsigned bound = 0;
    bool set = false;
    std::thread([&] {
        cpu_set_t one;
        CPU_ZERO(&one);
        cpu_set_t mine;
        CPU_ZERO(&mine);
        if (sched_getaffinity(0, sizeof mine, &mine) != 0) return;
        for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
            if (CPU_ISSET(cpu, &mine)) {
                CPU_SET(cpu, &one);
                break;
            }
        set = sched_setaffinity(0, sizeof one, &one) == 0;
        bound = usable_cpus();
    }).join();
    REQUIRE(set);
    CHECK(bound == 1);
}
