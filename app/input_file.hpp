// A file the user named (an origin list, the rules, a baseline), read with read(2): iostreams
// report a failed read (EIO) as an end of file, which would drop the rest of it silently.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>

namespace originscan::app {

// Thrown instead of waiting on when a signal interrupted open(2) or read(2) (a FIFO with no
// writer yet, a slow pipe) and `stop` says the run is to stop.
struct InputInterrupted {};

class InputFile {
public:
    // Throws UsageError: "PATH: No such file or directory", "PATH: is a directory", ...
    // With `stop`: InputInterrupted when a signal interrupts a wait and *stop is true.
    explicit InputFile(const std::string& path, const std::atomic<bool>* stop = nullptr);
    ~InputFile();
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;

    // Up to `size` bytes; 0 at the end. Throws UsageError on a read error.
    std::size_t read_some(char* buffer, std::size_t size);

    // The whole file ('-': all of stdin). Throws UsageError past `limit` bytes; with `stop`,
    // InputInterrupted as read_some does.
    static std::string read_all(const std::string& path, std::size_t limit, const std::atomic<bool>* stop = nullptr);

private:
    bool interrupted(int error) const;

    std::string path_;
    int fd_ = -1;
    const std::atomic<bool>* stop_ = nullptr;
};

}  // namespace originscan::app
