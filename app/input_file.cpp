#include "app/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "app/usage_error.hpp"

namespace originscan::app {

InputFile::InputFile(const std::string& path, const std::atomic<bool>* stop) : path_(path), stop_(stop) {
    if (path == "-") {
        fd_ = STDIN_FILENO;
        path_ = "<stdin>";
        return;
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw UsageError(path + ": " + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw UsageError(path + ": is a directory");
    // A FIFO's open waits for a writer; the signal handlers are installed without SA_RESTART,
    // so SIGINT ends that wait with EINTR.
    while ((fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC)) < 0)
        if (!interrupted(errno)) throw UsageError(path + ": " + std::strerror(errno));
}

bool InputFile::interrupted(int error) const {
    if (error != EINTR) return false;
    if (stop_ && stop_->load()) throw InputInterrupted{};
    return true;  // another signal: try again
}

InputFile::~InputFile() {
    if (fd_ > STDIN_FILENO) ::close(fd_);
}

std::size_t InputFile::read_some(char* buffer, std::size_t size) {
    if (stop_ && stop_->load()) throw InputInterrupted{};  // a signal between two reads
    for (;;) {
        const ssize_t n = ::read(fd_, buffer, size);
        if (n >= 0) return static_cast<std::size_t>(n);
        if (!interrupted(errno)) throw UsageError(path_ + ": read error: " + std::strerror(errno));
    }
}

std::string InputFile::read_all(const std::string& path, std::size_t limit, const std::atomic<bool>* stop) {
    InputFile file(path, stop);
    std::string text;
    char buffer[1 << 16];
    while (const std::size_t n = file.read_some(buffer, sizeof buffer)) {
        text.append(buffer, n);
        if (text.size() > limit) throw UsageError(file.path_ + ": larger than " + std::to_string(limit >> 20) + " MiB");
    }
    return text;
}

}  // namespace originscan::app
