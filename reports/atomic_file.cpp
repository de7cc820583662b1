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

// 0 or the errno of the failed write.
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

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    // Closes now and reports close's errno (0 when fine): a late NFS write error shows here.
    int close() {
        const int result = ::close(fd_);
        fd_ = -1;
        return result == 0 ? 0 : errno;
    }

private:
    int fd_;
};

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

void write_in_place(const std::string& shown, const std::string& path, std::string_view content) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (fd.get() < 0) fail(shown, errno);
    if (const int error = write_all(fd.get(), content)) fail(shown, error);
    if (const int error = fd.close()) fail(shown, error);
}

void write_stdout(std::string_view content) {
    std::fflush(stdout);  // whatever the program printed before comes first
    if (const int error = write_all(STDOUT_FILENO, content)) fail("stdout", error);
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view content) {
    if (path == "-") return write_stdout(content);
    const std::string target = resolve_target(path);
    if (is_special_file(target)) return write_in_place(path, target, content);
    if (!target.empty() && target.back() == '/') fail(path, EISDIR);

    // A hidden name next to the target, so that rename() stays within one file system.
    static std::atomic<unsigned> counter{0};
    const std::string directory = directory_of(target);
    const std::string base = target.substr(target.find_last_of('/') + 1);
    std::string temp;
    int raw_fd = -1;
    for (int attempt = 0; raw_fd < 0; ++attempt) {
        const auto ticks = std::chrono::steady_clock::now().time_since_epoch().count();
        temp = directory + "/." + base + ".tmp-" + std::to_string(::getpid()) + "-" +
               std::to_string(counter++) + "-" + std::to_string(ticks % 1000000);
        raw_fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (raw_fd < 0 && (errno != EEXIST || attempt > 100)) fail(path, errno);
    }
    Fd fd(raw_fd);

    const auto abandon = [&](int error) {
        ::unlink(temp.c_str());
        fail(path, error);
    };
    if (const int error = write_all(fd.get(), content)) abandon(error);
    if (::fsync(fd.get()) != 0) abandon(errno);
    if (const int error = fd.close()) abandon(error);
    if (::rename(temp.c_str(), target.c_str()) != 0) abandon(errno);

    // Make the rename itself durable; the report is complete either way, so failures here
    // (some file systems refuse to fsync a directory) are not errors.
    if (const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
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
