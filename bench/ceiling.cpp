// bench/ceiling.cpp — the benchmark's ceiling: the least a GnuTLS-based scanner must do per origin.
//
// One thread, non-blocking sockets, edge-triggered epoll, K handshakes in flight, SNI per origin,
// full chain + hostname verification against a trust list built once, no session resumption,
// close right after the handshake. Nothing else: no report, no classification beyond ok/failed.
//
//   ceiling --ca CA.pem --list ORIGINS [--k 256] [--timeout 10] [--priority STRING]
//
// ORIGINS: one `NAME@127.x.y.z:PORT` per line (the benchmark's own list format; loopback only).
// Prints one JSON object on stdout: counts, wall time, own CPU time (getrusage), peak RSS.
//
// Built by bench/run: g++ -std=c++20 -O2 ceiling.cpp $(pkg-config --cflags --libs gnutls)

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Target {
  std::string name;
  sockaddr_in addr{};
};

enum class State { idle, connecting, handshaking };

struct Slot {
  int fd = -1;
  gnutls_session_t session = nullptr;
  State state = State::idle;
  std::uint32_t generation = 0;
  std::size_t target = 0;
};

struct Deadline {
  Clock::time_point at;
  std::uint32_t slot;
  std::uint32_t generation;
};

struct Counts {
  std::size_t ok = 0;
  std::size_t verify_failed = 0;
  std::size_t connect_failed = 0;
  std::size_t tls_failed = 0;
  std::size_t timed_out = 0;
};

[[noreturn]] void die(const std::string& what) {
  std::cerr << "ceiling: " << what << '\n';
  std::exit(2);
}

// Parses `NAME@A.B.C.D:PORT`; refuses anything outside 127.0.0.0/8.
Target parse_target(const std::string& line, std::size_t lineno) {
  const auto at = line.find('@');
  const auto colon = line.rfind(':');
  if (at == std::string::npos || colon == std::string::npos || colon < at) {
    die("line " + std::to_string(lineno) + ": expected NAME@ADDRESS:PORT");
  }
  Target t;
  t.name = line.substr(0, at);
  const std::string address = line.substr(at + 1, colon - at - 1);
  const int port = std::atoi(line.c_str() + colon + 1);
  t.addr.sin_family = AF_INET;
  t.addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (port <= 0 || port > 65535 || inet_pton(AF_INET, address.c_str(), &t.addr.sin_addr) != 1) {
    die("line " + std::to_string(lineno) + ": bad address or port");
  }
  if ((ntohl(t.addr.sin_addr.s_addr) >> 24) != 127) {
    die("line " + std::to_string(lineno) + ": only loopback addresses are allowed");
  }
  return t;
}

std::vector<Target> read_targets(const std::string& path) {
  std::ifstream in(path);
  if (!in) die("cannot read " + path);
  std::vector<Target> targets;
  std::string line;
  std::size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    targets.push_back(parse_target(line, lineno));
  }
  return targets;
}

class Scanner {
 public:
  Scanner(const std::vector<Target>& targets, gnutls_certificate_credentials_t creds,
          gnutls_priority_t priority, std::size_t k, std::chrono::milliseconds timeout)
      : targets_(targets), creds_(creds), priority_(priority), slots_(k), timeout_(timeout) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) die("epoll_create1 failed");
    free_.reserve(k);
    for (std::size_t i = k; i-- > 0;) free_.push_back(static_cast<std::uint32_t>(i));
  }
  ~Scanner() { close(epoll_); }
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  Counts run() {
    std::vector<epoll_event> events(slots_.size());
    fill();
    while (in_flight_ > 0) {
      const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), wait_ms());
      if (n < 0 && errno != EINTR) die("epoll_wait failed");
      for (int i = 0; i < n; ++i) {
        const auto slot = static_cast<std::uint32_t>(events[i].data.u64 & 0xffffffffu);
        const auto generation = static_cast<std::uint32_t>(events[i].data.u64 >> 32);
        if (slots_[slot].state != State::idle && slots_[slot].generation == generation) step(slot);
      }
      expire();
      fill();
    }
    return counts_;
  }

 private:
  int wait_ms() {
    while (!deadlines_.empty()) {
      const Deadline& d = deadlines_.front();
      if (slots_[d.slot].state == State::idle || slots_[d.slot].generation != d.generation) {
        deadlines_.pop_front();  // finished before its deadline
        continue;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(d.at - Clock::now());
      return left.count() < 0 ? 0 : static_cast<int>(left.count()) + 1;
    }
    return -1;
  }

  // Every deadline is start + timeout and starts are in order, so a FIFO is a priority queue.
  void expire() {
    const auto now = Clock::now();
    while (!deadlines_.empty() && deadlines_.front().at <= now) {
      const Deadline d = deadlines_.front();
      deadlines_.pop_front();
      if (slots_[d.slot].state != State::idle && slots_[d.slot].generation == d.generation) {
        ++counts_.timed_out;
        finish(d.slot);
      }
    }
  }

  void fill() {
    while (next_ < targets_.size() && !free_.empty()) {
      const std::uint32_t slot = free_.back();
      free_.pop_back();
      start(slot, next_++);
    }
  }

  void start(std::uint32_t index, std::size_t target) {
    Slot& s = slots_[index];
    s.target = target;
    ++s.generation;
    ++in_flight_;
    s.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s.fd < 0) die("socket failed (raise ulimit -n?)");
    const sockaddr_in& a = targets_[target].addr;
    s.state = State::connecting;
    deadlines_.push_back({Clock::now() + timeout_, index, s.generation});
    if (connect(s.fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) < 0 && errno != EINPROGRESS) {
      ++counts_.connect_failed;
      finish(index);
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
    ev.data.u64 = (static_cast<std::uint64_t>(s.generation) << 32) | index;
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, s.fd, &ev) < 0) die("epoll_ctl failed");
  }

  void step(std::uint32_t index) {
    Slot& s = slots_[index];
    if (s.state == State::connecting) {
      int err = 0;
      socklen_t len = sizeof err;
      if (getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
        if (err == EINPROGRESS) return;
        ++counts_.connect_failed;
        finish(index);
        return;
      }
      if (!begin_tls(s)) {
        ++counts_.tls_failed;
        finish(index);
        return;
      }
    }
    const int rc = gnutls_handshake(s.session);
    if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) return;  // edge-triggered: wait
    if (rc == 0) {
      ++counts_.ok;
    } else if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
      ++counts_.verify_failed;
    } else {
      ++counts_.tls_failed;
    }
    finish(index);
  }

  bool begin_tls(Slot& s) {
    if (gnutls_init(&s.session, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_TICKETS) < 0) return false;
    s.state = State::handshaking;
    const std::string& name = targets_[s.target].name;
    return gnutls_priority_set(s.session, priority_) >= 0 &&
           gnutls_credentials_set(s.session, GNUTLS_CRD_CERTIFICATE, creds_) >= 0 &&
           gnutls_server_name_set(s.session, GNUTLS_NAME_DNS, name.data(), name.size()) >= 0 &&
           (gnutls_session_set_verify_cert(s.session, name.c_str(), 0), true) &&
           (gnutls_transport_set_int(s.session, s.fd), true);
  }

  void finish(std::uint32_t index) {
    Slot& s = slots_[index];
    if (s.session != nullptr) gnutls_deinit(s.session);
    s.session = nullptr;
    close(s.fd);  // also removes it from the epoll set
    s.fd = -1;
    s.state = State::idle;
    --in_flight_;
    free_.push_back(index);
  }

  const std::vector<Target>& targets_;
  gnutls_certificate_credentials_t creds_;
  gnutls_priority_t priority_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::deque<Deadline> deadlines_;
  std::chrono::milliseconds timeout_;
  std::size_t next_ = 0;
  std::size_t in_flight_ = 0;
  int epoll_ = -1;
  Counts counts_;
};

double seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; }

}  // namespace

int main(int argc, char** argv) {
  std::string ca;
  std::string list;
  std::size_t k = 256;
  double timeout = 10;
  // What a CDN edge offers an origin: X25519 first, then the NIST curves.
  std::string priority = "NORMAL:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:+GROUP-SECP521R1";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value for " + arg);
      return argv[++i];
    };
    if (arg == "--ca") ca = value();
    else if (arg == "--list") list = value();
    else if (arg == "--k") k = std::strtoul(value().c_str(), nullptr, 10);
    else if (arg == "--timeout") timeout = std::strtod(value().c_str(), nullptr);
    else if (arg == "--priority") priority = value();
    else die("usage: ceiling --ca CA.pem --list ORIGINS [--k N] [--timeout S] [--priority STRING]");
  }
  if (ca.empty() || list.empty() || k == 0 || timeout <= 0) die("need --ca, --list, --k > 0, --timeout > 0");

  const std::vector<Target> targets = read_targets(list);

  if (gnutls_global_init() < 0) die("gnutls_global_init failed");
  gnutls_x509_trust_list_t trust = nullptr;
  gnutls_certificate_credentials_t creds = nullptr;
  gnutls_priority_t prio = nullptr;
  if (gnutls_x509_trust_list_init(&trust, 0) < 0) die("trust list init failed");
  if (gnutls_x509_trust_list_add_trust_file(trust, ca.c_str(), nullptr, GNUTLS_X509_FMT_PEM, 0, 0) <= 0) {
    die("no CA certificate loaded from " + ca);
  }
  if (gnutls_certificate_allocate_credentials(&creds) < 0) die("credentials allocation failed");
  gnutls_certificate_set_trust_list(creds, trust, 0);  // creds own the trust list from here
  if (gnutls_priority_init(&prio, priority.c_str(), nullptr) < 0) die("bad priority string: " + priority);

  const auto t0 = Clock::now();
  Counts c;
  {
    Scanner scanner(targets, creds, prio, k, std::chrono::milliseconds(static_cast<long>(timeout * 1000)));
    c = scanner.run();
  }
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();

  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf(
      "{\"n\": %zu, \"ok\": %zu, \"verify_failed\": %zu, \"connect_failed\": %zu, \"tls_failed\": %zu, "
      "\"timed_out\": %zu, \"wall_s\": %.4f, \"user_s\": %.4f, \"sys_s\": %.4f, \"maxrss_kib\": %ld, "
      "\"k\": %zu, \"priority\": \"%s\"}\n",
      targets.size(), c.ok, c.verify_failed, c.connect_failed, c.tls_failed, c.timed_out, wall,
      seconds(ru.ru_utime), seconds(ru.ru_stime), ru.ru_maxrss, k, priority.c_str());

  gnutls_priority_deinit(prio);
  gnutls_certificate_free_credentials(creds);
  gnutls_global_deinit();
  return c.ok == targets.size() ? 0 : 1;
}
