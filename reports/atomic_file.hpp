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

// Checks, before a scan starts, that `path` can be written later: its directory exists and is
// writable, and `path` is not a directory. "-" always passes. Throws OutputError.
void check_writable(const std::string& path);

}  // namespace originscan::reports
