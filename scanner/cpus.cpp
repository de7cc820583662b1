#include "scanner/cpus.hpp"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace originscan::scanner {
namespace {

std::optional<long long> number(std::string_view text) {
    long long value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::string read_small(const std::string& path) {
    std::ifstream in(path);
    std::string text;
    std::getline(in, text);
    return text;
}

// The process's cgroup v2 path ("0::/PATH" in /proc/self/cgroup), or its v1 cpu controller's
// ("N:cpu,cpuacct:/PATH"); empty when none is found.
std::string cgroup_path(bool& v2) {
    std::ifstream in("/proc/self/cgroup");
    std::string v1;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("0::", 0) == 0) {
            v2 = true;
            return line.substr(3);
        }
        const std::size_t first = line.find(':'), second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos) continue;
        std::stringstream controllers(line.substr(first + 1, second - first - 1));
        for (std::string c; std::getline(controllers, c, ',');)
            if (c == "cpu") v1 = line.substr(second + 1);
    }
    v2 = false;
    return v1;
}

// The smallest quota from the cgroup up to the root of the mounted hierarchy.
std::optional<unsigned> cgroup_quota() {
    bool v2 = false;
    std::string path = cgroup_path(v2);
    if (path.empty() || path[0] != '/') return std::nullopt;
    const std::string root = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/cpu";
    std::optional<unsigned> least;
    for (;;) {
        std::optional<unsigned> here;
        const std::string dir = root + (path == "/" ? "" : path);
        if (v2) {
            here = quota_cpus(read_small(dir + "/cpu.max"));
        } else {
            const auto quota = number(read_small(dir + "/cpu.cfs_quota_us"));
            const auto period = number(read_small(dir + "/cpu.cfs_period_us"));
            if (quota && period && *quota > 0 && *period > 0)
                here = quota_cpus(std::to_string(*quota) + " " + std::to_string(*period));
        }
        if (here) least = least ? std::min(*least, *here) : *here;
        if (path == "/" || path.empty()) break;
        const std::size_t slash = path.rfind('/');
        path = slash == 0 ? "/" : path.substr(0, slash);
    }
    return least;
}

}  // namespace

std::optional<unsigned> quota_cpus(std::string_view cpu_max) {
    while (!cpu_max.empty() && (cpu_max.back() == '\n' || cpu_max.back() == ' ')) cpu_max.remove_suffix(1);
    const std::size_t space = cpu_max.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    const auto quota = number(cpu_max.substr(0, space));
    const auto period = number(cpu_max.substr(space + 1));
    if (!quota || !period || *quota <= 0 || *period <= 0) return std::nullopt;  // "max": no quota
    const long long cpus = (*quota + *period - 1) / *period;
    return static_cast<unsigned>(std::clamp<long long>(cpus, 1, 1 << 16));
}

unsigned usable_cpus() {
    unsigned cpus = 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = static_cast<unsigned>(CPU_COUNT(&set));
    if (cpus == 0) cpus = std::thread::hardware_concurrency();
    if (const auto quota = cgroup_quota()) cpus = std::min(cpus == 0 ? *quota : cpus, *quota);
    return std::max(1u, cpus);
}

}  // namespace originscan::scanner
