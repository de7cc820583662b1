// The loopback origins of tests/fixtures/origins, started once per test binary.
//
// LoopbackOrigins::get() runs `origins up` into a fresh directory under /tmp on first use and
// reads back what it wrote (DIR/env, DIR/expected.tsv, DIR/leaf-facts.tsv). shutdown() runs
// `origins down` and removes the directory; main.cpp's listener calls it when the run ends,
// also after a fatal signal, and the static's destructor does it again at exit (idempotent).
// Should all of that be skipped (SIGKILL), the fixture's silent peer stops nginx after
// kLifetime.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#ifndef ORIGINSCAN_SOURCE_DIR
#error "ORIGINSCAN_SOURCE_DIR must name the source tree (tests/CMakeLists.txt defines it)"
#endif

namespace originscan::testing {

// One row of DIR/expected.tsv: the origin and how PRODUCT.md classifies it.
struct ExpectedOrigin {
    std::string spec;
    std::string cls;
    std::vector<std::string> reasons;  // sorted
};

// One row of DIR/leaf-facts.tsv, computed by make-certs without the scanner.
struct LeafFacts {
    std::string sha256_fingerprint;  // lower-case hex
    std::string pin;                 // sha256/BASE64
};

inline std::vector<std::string> split(std::string_view text, char sep) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = text.find(sep, start);
        parts.emplace_back(text.substr(start, end - start));
        if (end == std::string_view::npos) return parts;
        start = end + 1;
    }
}

inline std::string shell_quote(const std::string& s) {
    std::string quoted = "'";
    for (char c : s) {
        if (c == '\'')
            quoted += "'\\''";
        else
            quoted += c;
    }
    return quoted + "'";
}

class LoopbackOrigins {
public:
    static constexpr int kLifetime = 1800;  // seconds; the watchdog, see above

    // Starts the origins on first call; throws std::runtime_error when they cannot start.
    static LoopbackOrigins& get() {
        static LoopbackOrigins instance;
        registry() = &instance;
        return instance;
    }

    // Stops the origins if they were started. Safe to call any number of times.
    static void shutdown_if_started() {
        if (LoopbackOrigins* origins = registry()) origins->shutdown();
    }

    const std::string& dir() const { return dir_; }
    std::string path(std::string_view file) const { return dir_ + "/" + std::string(file); }

    // A variable from DIR/env (e.g. "HTTP_PORT", "PORT_SNI"); throws when absent.
    const std::string& var(const std::string& key) const {
        const auto it = env_.find(key);
        if (it == env_.end()) throw std::runtime_error("fixture env has no " + key);
        return it->second;
    }
    std::uint16_t port(const std::string& key) const {
        return static_cast<std::uint16_t>(std::stoul(var(key)));
    }
    bool have_ipv6() const { return var("HAVE_IPV6") == "1"; }

    const std::vector<ExpectedOrigin>& expected() const { return expected_; }

    // The expected row whose spec starts with `prefix` (e.g. "sni-b."); throws when none.
    const ExpectedOrigin& row(std::string_view prefix) const {
        for (const auto& e : expected_)
            if (std::string_view(e.spec).substr(0, prefix.size()) == prefix) return e;
        throw std::runtime_error("no fixture origin starts with " + std::string(prefix));
    }

    // Facts of a leaf file such as "good-leaf.pem"; throws when absent.
    const LeafFacts& leaf(const std::string& file) const {
        const auto it = leaves_.find(file);
        if (it == leaves_.end()) throw std::runtime_error("no leaf facts for " + file);
        return it->second;
    }

    void shutdown() {
        std::lock_guard lock(mutex_);
        if (dir_.empty() || stopped_) return;
        stopped_ = true;
        run("down");
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    ~LoopbackOrigins() { shutdown(); }
    LoopbackOrigins(const LoopbackOrigins&) = delete;
    LoopbackOrigins& operator=(const LoopbackOrigins&) = delete;

private:
    LoopbackOrigins() {
        char templ[] = "/tmp/originscan-it.XXXXXX";
        if (::mkdtemp(templ) == nullptr) throw std::runtime_error("mkdtemp failed");
        dir_ = templ;
        ::setenv("ORIGINS_LIFETIME_S", std::to_string(kLifetime).c_str(), 1);
        if (run("up") != 0) {
            shutdown();
            throw std::runtime_error("tests/fixtures/origins up failed (its output is above)");
        }
        read_env();
        read_expected();
        read_leaves();
    }

    int run(const char* verb) const {
        const std::string cmd = shell_quote(std::string(ORIGINSCAN_SOURCE_DIR) + "/tests/fixtures/origins") +
                                " " + verb + " " + shell_quote(dir_);
        return std::system(cmd.c_str());
    }

    static std::vector<std::string> lines(const std::string& file) {
        std::ifstream in(file);
        if (!in) throw std::runtime_error("cannot read " + file);
        std::vector<std::string> out;
        for (std::string line; std::getline(in, line);)
            if (!line.empty()) out.push_back(line);
        return out;
    }

    void read_env() {
        for (const auto& line : lines(path("env"))) {
            const auto eq = line.find('=');
            if (eq != std::string::npos) env_[line.substr(0, eq)] = line.substr(eq + 1);
        }
    }

    void read_expected() {
        for (const auto& line : lines(path("expected.tsv"))) {
            const auto cols = split(line, '\t');
            if (cols.size() != 3) throw std::runtime_error("bad expected.tsv line: " + line);
            ExpectedOrigin e{cols[0], cols[1], {}};
            if (!cols[2].empty()) e.reasons = split(cols[2], ',');
            expected_.push_back(std::move(e));
        }
        if (expected_.empty()) throw std::runtime_error("expected.tsv is empty");
    }

    void read_leaves() {
        for (const auto& line : lines(path("leaf-facts.tsv"))) {
            const auto cols = split(line, '\t');
            if (cols.size() != 3) throw std::runtime_error("bad leaf-facts.tsv line: " + line);
            leaves_[cols[0]] = LeafFacts{cols[1], cols[2]};
        }
    }

    static LoopbackOrigins*& registry() {
        static LoopbackOrigins* started = nullptr;
        return started;
    }

    std::mutex mutex_;
    std::string dir_;
    bool stopped_ = false;
    std::map<std::string, std::string> env_;
    std::vector<ExpectedOrigin> expected_;
    std::map<std::string, LeafFacts> leaves_;
};

}  // namespace originscan::testing
