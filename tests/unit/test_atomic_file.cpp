// reports/atomic_file: writes in a temporary directory.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "reports/atomic_file.hpp"

using originscan::reports::check_writable;
using originscan::reports::OutputError;
using originscan::reports::write_file_atomically;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char pattern[] = "/tmp/originscan-atomic-XXXXXX";
        REQUIRE(mkdtemp(pattern) != nullptr);
        path = pattern;
    }
    ~TempDir() {
        chmod(path.c_str(), 0700);
        const std::string command = "rm -rf '" + path + "'";
        if (std::system(command.c_str()) != 0) WARN("could not remove " << path);
    }
    std::string operator/(const std::string& name) const { return path + "/" + name; }
};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<std::string> entries(const std::string& directory) {
    std::vector<std::string> names;
    DIR* dir = opendir(directory.c_str());
    REQUIRE(dir != nullptr);
    while (const dirent* entry = readdir(dir)) {
        const std::string name = entry->d_name;
        if (name != "." && name != "..") names.push_back(name);
    }
    closedir(dir);
    return names;
}

std::string error_of(void (*action)(const std::string&), const std::string& path) {
    try {
        action(path);
    } catch (const OutputError& e) {
        return e.what();
    }
    return "no error";
}

std::string write_error(const std::string& path) {
    try {
        write_file_atomically(path, "x");
    } catch (const OutputError& e) {
        return e.what();
    }
    return "no error";
}

bool running_as_root() { return geteuid() == 0; }

}  // namespace

TEST_CASE("atomic file: writes, replaces, leaves no temporary behind", "[atomic_file]") {
    TempDir dir;
    const std::string path = dir / "report.json";
    write_file_atomically(path, "first\n");
    CHECK(read_file(path) == "first\n");
    write_file_atomically(path, std::string(1 << 20, 'x'));
    CHECK(read_file(path) == std::string(1 << 20, 'x'));
    write_file_atomically(path, "");
    CHECK(read_file(path).empty());
    CHECK(entries(dir.path) == std::vector<std::string>{"report.json"});

    // Ordinary permissions (0666 minus the umask), not mkstemp's 0600.
    const mode_t mask = umask(0);
    umask(mask);
    struct stat st {};
    REQUIRE(stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == (0666 & ~mask));
}

TEST_CASE("atomic file: a relative path lands in the current directory", "[atomic_file]") {
    TempDir dir;
    char old_cwd[4096];
    REQUIRE(getcwd(old_cwd, sizeof old_cwd) != nullptr);
    REQUIRE(chdir(dir.path.c_str()) == 0);
    write_file_atomically("plain.xml", "<x/>");
    REQUIRE(chdir(old_cwd) == 0);
    CHECK(read_file(dir / "plain.xml") == "<x/>");
}

TEST_CASE("atomic file: a symlink is followed, not replaced", "[atomic_file]") {
    TempDir dir;
    write_file_atomically(dir / "real.json", "old");
    REQUIRE(symlink("real.json", (dir / "link.json").c_str()) == 0);
    write_file_atomically(dir / "link.json", "new");
    CHECK(read_file(dir / "real.json") == "new");
    struct stat st {};
    REQUIRE(lstat((dir / "link.json").c_str(), &st) == 0);
    CHECK(S_ISLNK(st.st_mode));
}

TEST_CASE("atomic file: '-' is stdout", "[atomic_file]") {
    TempDir dir;
    const std::string captured = dir / "stdout";
    std::fflush(stdout);
    const int saved = dup(STDOUT_FILENO);
    const int fd = open(captured.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    write_file_atomically("-", "to stdout\n");
    dup2(saved, STDOUT_FILENO);
    close(saved);
    CHECK(read_file(captured) == "to stdout\n");
    CHECK(entries(dir.path) == std::vector<std::string>{"stdout"});
}

TEST_CASE("atomic file: errors name the path and say why", "[atomic_file]") {
    TempDir dir;
    REQUIRE(mkdir((dir / "sub").c_str(), 0700) == 0);
    write_file_atomically(dir / "file", "x");
    struct Case {
        std::string path, message;
    };
    const Case cases[] = {
        {dir / "missing/report.json", dir / "missing/report.json: No such file or directory"},
        {dir / "sub", dir / "sub: Is a directory"},
        {dir / "sub/", dir / "sub/: Is a directory"},
        {dir / "file/report.json", dir / "file/report.json: Not a directory"},
    };
    for (const Case& c : cases) {
        INFO(c.path);
        CHECK(error_of(check_writable, c.path) == c.message);
        CHECK(write_error(c.path) == c.message);
    }
    CHECK(entries(dir / "sub").empty());
}

TEST_CASE("atomic file: check_writable accepts what can be written", "[atomic_file]") {
    TempDir dir;
    CHECK_NOTHROW(check_writable("-"));
    CHECK_NOTHROW(check_writable(dir / "new.json"));
    write_file_atomically(dir / "existing.json", "x");
    CHECK_NOTHROW(check_writable(dir / "existing.json"));
    CHECK_NOTHROW(check_writable("/dev/null"));
    CHECK(entries(dir.path) == std::vector<std::string>{"existing.json"});  // checking writes nothing

    write_file_atomically("/dev/null", "discarded");  // a device is written in place
    struct stat st {};
    REQUIRE(stat("/dev/null", &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
}

TEST_CASE("atomic file: a read-only directory is refused up front", "[atomic_file]") {
    if (running_as_root()) {
        WARN("running as root: permissions are not enforced, skipped");
        return;
    }
    TempDir dir;
    REQUIRE(mkdir((dir / "ro").c_str(), 0500) == 0);
    CHECK(error_of(check_writable, dir / "ro/report.json") == dir / "ro/report.json: Permission denied");
    CHECK(write_error(dir / "ro/report.json") == dir / "ro/report.json: Permission denied");
}
