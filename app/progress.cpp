#include "app/progress.hpp"

#include <chrono>
#include <cstdio>
#include <string>

namespace originscan::app {

Progress::Progress(const LiveCounts& counts, std::size_t total, bool terminal)
    : counts_(counts), total_(total), terminal_(terminal), thread_([this] { run(); }) {}

Progress::~Progress() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    if (terminal_) std::fputs("\r\033[K", stderr);
}

void Progress::run() {
    const auto start = std::chrono::steady_clock::now();
    const auto period = terminal_ ? std::chrono::milliseconds(500) : std::chrono::milliseconds(10'000);
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, period, [this] { return stopping_; }))
        draw(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

void Progress::draw(double elapsed_s) {
    const std::size_t done = counts_.done.load(std::memory_order_relaxed);
    const double rate = elapsed_s > 0 ? done / elapsed_s : 0;
    std::string eta = "-";
    if (rate > 0 && done < total_) {
        const auto left = static_cast<long>((total_ - done) / rate);
        char buf[32];
        std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", left / 3600, left / 60 % 60, left % 60);
        eta = buf;
    }
    std::string classes;
    for (const OriginClass c : all_origin_classes) {
        classes += ' ';
        classes += to_string(c);
        classes += ' ';
        classes += std::to_string(counts_.by_class[static_cast<std::size_t>(c)].load(std::memory_order_relaxed));
    }
    std::fprintf(stderr, "%s%zu/%zu (%.0f%%) %.0f/s ETA %s |%s%s", terminal_ ? "\r\033[K" : "", done, total_,
                 total_ ? 100.0 * done / total_ : 100.0, rate, eta.c_str(), classes.c_str(), terminal_ ? "" : "\n");
    std::fflush(stderr);
}

}  // namespace originscan::app
