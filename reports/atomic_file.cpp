#include "reports/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace originscan::reports {
namespace {

[[noreturn]] void fail(const std::string& path, int error) {
    throw OutputError(path + ": " + std::strerror(error));
}

std::string directory_of(const std::string& path) {
    const auto slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

// Where the bytes really go: a symlink is followed so that the link itself is kept.
std::string resolve_target(const std::string& path) {
    struct stat link {};
    if (::lstat(path.c_str(), &link) != 0 || !S_ISLNK(link.st_mode)) return path;
    char resolved[PATH_MAX];
    if (::realpath(path.c_str(), resolved) == nullptr) return path;  // dangling: replace the link
    return resolved;
}

// A device, FIFO or socket (e.g. /dev/stdout): written in place, there is nothing to rename.
bool is_special_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

}  // namespace

int write_all(int fd, std::string_view content) {
    while (!content.empty()) {
        const ssize_t n = ::write(fd, content.data(), content.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        content.remove_prefix(static_cast<std::size_t>(n));
    }
    return 0;
}

AtomicWriter::AtomicWriter(const std::string& path) : shown_(path) {
    if (path == "-") {
        std::fflush(stdout);  // whatever the program printed before comes first
        fd_ = STDOUT_FILENO;
        kind_ = Kind::stdout_stream;
        shown_ = "stdout";
        return;
    }
    target_ = resolve_target(path);
    if (is_special_file(target_)) {
        fd_ = ::open(target_.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd_ < 0) fail(shown_, errno);
        kind_ = Kind::in_place;
        return;
    }
    if (!target_.empty() && target_.back() == '/') fail(path, EISDIR);
    // A hidden name next to the target, so that rename() stays within one file system.
    static std::atomic<unsigned> counter{0};
    const std::string directory = directory_of(target_);
    const std::string base = target_.substr(target_.find_last_of('/') + 1);
    for (int attempt = 0; fd_ < 0; ++attempt) {
        const auto ticks = std::chrono::steady_clock::now().time_since_epoch().count();
        temp_ = directory + "/." + base + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
                "-" + std::to_string(ticks % 1000000);
        fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd_ < 0 && (errno != EEXIST || attempt > 100)) fail(path, errno);
    }
    kind_ = Kind::renamed;
}

AtomicWriter::~AtomicWriter() {
    if (kind_ == Kind::renamed && fd_ >= 0) {  // never committed: leave nothing behind
        ::close(fd_);
        ::unlink(temp_.c_str());
    } else if (kind_ == Kind::in_place && fd_ >= 0) {
        ::close(fd_);
    }
}

void AtomicWriter::abandon(int error) {
    if (kind_ == Kind::renamed) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        ::unlink(temp_.c_str());
    }
    fail(shown_, error);
}

void AtomicWriter::write(std::string_view content) {
    if (const int error = write_all(fd_, content)) abandon(error);
}

void AtomicWriter::commit() {
    if (kind_ == Kind::stdout_stream) return;
    if (kind_ == Kind::in_place) {
        const int result = ::close(fd_);
        fd_ = -1;
        if (result != 0) fail(shown_, errno);
        return;
    }
    if (::fsync(fd_) != 0) abandon(errno);
    const int closed = ::close(fd_);
    fd_ = -1;
    if (closed != 0) abandon(errno);
    if (::rename(temp_.c_str(), target_.c_str()) != 0) abandon(errno);
    // Make the rename itself durable; the report is complete either way, so failures here
    // (some file systems refuse to fsync a directory) are not errors.
    const std::string directory = directory_of(target_);
    if (const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
}

void write_file_atomically(const std::string& path, std::string_view content) {
    AtomicWriter writer(path);
    writer.write(content);
    writer.commit();
}

void check_writable(const std::string& path) {
    if (path == "-") return;
    if (path.empty()) fail(path, ENOENT);
    const std::string target = resolve_target(path);
    struct stat st {};
    if (::stat(target.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) fail(path, EISDIR);
        if (!S_ISREG(st.st_mode)) {
            if (::access(target.c_str(), W_OK) != 0) fail(path, errno);
            return;
        }
    }
    if (target.back() == '/') fail(path, EISDIR);
    const std::string directory = directory_of(target);
    if (::stat(directory.c_str(), &st) != 0) fail(path, errno);
    if (!S_ISDIR(st.st_mode)) fail(path, ENOTDIR);
    if (::access(directory.c_str(), W_OK | X_OK) != 0) fail(path, errno);
}

}  // namespace originscan::reports
