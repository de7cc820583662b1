// A file the user named (an origin list, the rules, a baseline), read with read(2): iostreams
// report a failed read (EIO) as an end of file, which would drop the rest of it silently.
#pragma once

#include <cstddef>
#include <string>

namespace originscan::app {

class InputFile {
public:
    // Throws UsageError: "PATH: No such file or directory", "PATH: is a directory", ...
    explicit InputFile(const std::string& path);
    ~InputFile();
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;

    // Up to `size` bytes; 0 at the end. Throws UsageError on a read error.
    std::size_t read_some(char* buffer, std::size_t size);

    // The whole file ('-': all of stdin). Throws UsageError past `limit` bytes.
    static std::string read_all(const std::string& path, std::size_t limit);

private:
    std::string path_;
    int fd_ = -1;
};

}  // namespace originscan::app
