// How many event-loop threads a scan should run when --threads does not say: the CPUs this
// process may actually use, not the machine's. In a container or a Kubernetes pod with a CPU
// limit, std::thread::hardware_concurrency() still counts every core of the node, and one
// thread per node core on a 2-CPU quota only adds switching (the shards of one run, each on its
// own pod, are the usual case).
#pragma once

#include <optional>
#include <string_view>

namespace originscan::scanner {

// The calling thread's affinity mask (sched_getaffinity), lowered by the CPU quota of its
// cgroup and the cgroups above it (v2 cpu.max; v1 cpu.cfs_quota_us / cpu.cfs_period_us),
// rounded up; at least 1.
unsigned usable_cpus();

// A cgroup v2 cpu.max line ("QUOTA PERIOD" in microseconds, QUOTA "max" for none) as whole
// CPUs, rounded up: "200000 100000" -> 2, "150000 100000" -> 2, "max 100000" -> nullopt.
// nullopt also for text that is not such a line.
std::optional<unsigned> quota_cpus(std::string_view cpu_max);

}  // namespace originscan::scanner
