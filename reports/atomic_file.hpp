// Reports are written atomically: a temporary file in the target's directory, fsync, rename
// over the target. A killed scan leaves the old report or the new one, never half of one.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace originscan::reports {

// what(): "PATH: strerror", e.g. "out/report.json: No such file or directory".
struct OutputError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Writes `content` to `path` atomically; "-" writes to stdout instead. The new file gets the
// usual permissions (0666 minus the umask). Throws OutputError.
void write_file_atomically(const std::string& path, std::string_view content);

// The same for content written in pieces: nothing appears at `path` until commit(); a writer
// destroyed without commit() (an exception, say) removes its temporary file. A device or FIFO
// is written in place; "-" is stdout.
class AtomicWriter {
public:
    explicit AtomicWriter(const std::string& path);  // throws OutputError
    ~AtomicWriter();
    AtomicWriter(const AtomicWriter&) = delete;
    AtomicWriter& operator=(const AtomicWriter&) = delete;
    void write(std::string_view content);  // throws OutputError
    void commit();                         // throws OutputError

private:
    [[noreturn]] void abandon(int error);
    enum class Kind { stdout_stream, in_place, renamed };
    std::string shown_, target_, temp_;
    int fd_ = -1;
    Kind kind_ = Kind::renamed;
};

// Writes all of `content` to `fd` (retrying short writes and EINTR): 0, or the errno of the
// write that failed. One call per NDJSON line, so a reader sees whole lines as they complete.
int write_all(int fd, std::string_view content);

// Checks, before a scan starts, that `path` can be written later: its directory exists and is
// writable, and `path` is not a directory. "-" always passes. Throws OutputError.
void check_writable(const std::string& path);

}  // namespace originscan::reports
