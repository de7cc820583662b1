// A progress line on stderr while a scan runs: done/total, rate, ETA, counts by class. On a
// terminal it redraws one line; forced onto a pipe (--progress) it prints a line every 10 s.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "app/collector.hpp"

namespace originscan::app {

class Progress {
public:
    Progress(const LiveCounts& counts, std::size_t total, bool terminal);
    ~Progress();  // stops and clears the line
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

private:
    void run();
    void draw(double elapsed_s);

    const LiveCounts& counts_;
    std::size_t total_;
    bool terminal_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace originscan::app
