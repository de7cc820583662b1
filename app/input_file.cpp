#include "app/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "app/usage_error.hpp"

namespace originscan::app {

InputFile::InputFile(const std::string& path) : path_(path) {
    if (path == "-") {
        fd_ = STDIN_FILENO;
        path_ = "<stdin>";
        return;
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw UsageError(path + ": " + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw UsageError(path + ": is a directory");
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw UsageError(path + ": " + std::strerror(errno));
}

InputFile::~InputFile() {
    if (fd_ > STDIN_FILENO) ::close(fd_);
}

std::size_t InputFile::read_some(char* buffer, std::size_t size) {
    for (;;) {
        const ssize_t n = ::read(fd_, buffer, size);
        if (n >= 0) return static_cast<std::size_t>(n);
        if (errno != EINTR) throw UsageError(path_ + ": read error: " + std::strerror(errno));
    }
}

std::string InputFile::read_all(const std::string& path, std::size_t limit) {
    InputFile file(path);
    std::string text;
    char buffer[1 << 16];
    while (const std::size_t n = file.read_some(buffer, sizeof buffer)) {
        text.append(buffer, n);
        if (text.size() > limit) throw UsageError(file.path_ + ": larger than " + std::to_string(limit >> 20) + " MiB");
    }
    return text;
}

}  // namespace originscan::app
