#include "app/progress.hpp"

#include <chrono>
#include <cstdio>

namespace originscan::app {

namespace {
double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

Progress::Progress(const LiveCounts& counts, std::size_t total, Display display)
    : counts_(counts), total_(total), display_(display), start_(std::chrono::steady_clock::now()),
      thread_([this] { run(); }) {}

Progress::~Progress() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    switch (display_) {
        case Display::lines: show(line(seconds_since(start_))); break;
        case Display::dumb_terminal: std::fprintf(stderr, "\r%*s\r", static_cast<int>(shown_width_), ""); break;
        case Display::ansi_terminal: std::fputs("\r\033[K", stderr); break;
    }
    std::fflush(stderr);
}

void Progress::run() {
    const auto period = display_ == Display::lines ? std::chrono::milliseconds(10'000) : std::chrono::milliseconds(500);
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, period, [this] { return stopping_; })) show(line(seconds_since(start_)));
}

std::string Progress::line(double elapsed_s) const {
    const std::size_t done = counts_.done.load(std::memory_order_relaxed);
    const double rate = elapsed_s > 0 ? done / elapsed_s : 0;
    char buf[96];
    std::snprintf(buf, sizeof buf, "%zu/%zu (%.0f%%) %.0f/s ", done, total_, total_ ? 100.0 * done / total_ : 100.0,
                  rate);
    std::string text = buf;
    if (done >= total_) {
        std::snprintf(buf, sizeof buf, "in %.1f s", elapsed_s);
        text += buf;
    } else if (rate > 0) {
        const auto left = static_cast<long>((total_ - done) / rate);
        std::snprintf(buf, sizeof buf, "ETA %ld:%02ld:%02ld", left / 3600, left / 60 % 60, left % 60);
        text += buf;
    } else {
        text += "ETA -";
    }
    text += " |";
    for (const OriginClass c : all_origin_classes) {
        text += ' ';
        text += to_string(c);
        text += ' ';
        text += std::to_string(counts_.by_class[static_cast<std::size_t>(c)].load(std::memory_order_relaxed));
    }
    return text;
}

// A pipe gets whole lines; a terminal one line redrawn in place (a dumb one blanked with
// spaces, since it takes no "erase line" sequence).
void Progress::show(const std::string& text) {
    switch (display_) {
        case Display::lines: std::fprintf(stderr, "%s\n", text.c_str()); break;
        case Display::dumb_terminal: {
            const int blank = shown_width_ > text.size() ? static_cast<int>(shown_width_ - text.size()) : 0;
            std::fprintf(stderr, "\r%s%*s", text.c_str(), blank, "");
            shown_width_ = text.size();
            break;
        }
        case Display::ansi_terminal: std::fprintf(stderr, "\r\033[K%s", text.c_str()); break;
    }
    std::fflush(stderr);
}

}  // namespace originscan::app
