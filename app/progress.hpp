// A progress line on stderr while a scan runs: done/total, rate, ETA, counts by class. On a
// terminal it redraws one line (cleared at the end, before the summary); on a pipe or file
// (--progress) it prints a line every 10 s and a final one when the scan ends, never a
// carriage return or an escape sequence. A dumb terminal (TERM=dumb) gets carriage returns and
// spaces, no escape sequences.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "app/collector.hpp"
#include "app/terminal.hpp"

namespace originscan::app {

class Progress {
public:
    Progress(const LiveCounts& counts, std::size_t total, Display display);
    ~Progress();  // stops; clears the line on a terminal, prints the final line on a pipe
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

private:
    void run();
    std::string line(double elapsed_s) const;
    void show(const std::string& text);

    const LiveCounts& counts_;
    std::size_t total_;
    Display display_;
    std::chrono::steady_clock::time_point start_;
    std::size_t shown_width_ = 0;  // of the line on a terminal, to blank it
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace originscan::app
