// bench/dns_delay LISTEN_PORT UPSTREAM_PORT DELAY_MS [DROP_SUFFIX]: a UDP DNS relay on 127.0.0.1
// that holds every answer of the DNS server on 127.0.0.1:UPSTREAM_PORT for DELAY_MS before
// passing it on (this kernel has no netem to add latency), and never answers a query for a name
// ending in DROP_SUFFIX (it does not even forward it). Loopback only.
//
// It stands for a resolver on another machine, yet shares this machine's cores with the scanner
// it measures, so it must cost as little CPU as it can: one thread, one pass every 4 ms while
// busy, recvmmsg and sendmmsg in batches, large socket buffers (bench/run checks its rate with dnsperf, and reports
// the CPU it and dnsmasq used). Prints "ready" on stdout once listening; on SIGTERM,
// "relayed N dropped M" on stderr.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr int batch = 64;
constexpr std::size_t max_packet = 4096;
constexpr int buffer_bytes = 8 << 20;

volatile sig_atomic_t stopping = 0;

[[noreturn]] void die(const char* what) {
    std::perror(what);
    std::exit(1);
}

int udp_socket() {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    for (auto [force, plain] : {std::pair{SO_RCVBUFFORCE, SO_RCVBUF}, std::pair{SO_SNDBUFFORCE, SO_SNDBUF}}) {
        // Past net.core.rmem_max needs root (the bench runs as root in its namespace).
        if (setsockopt(fd, SOL_SOCKET, force, &buffer_bytes, sizeof buffer_bytes) != 0)
            setsockopt(fd, SOL_SOCKET, plain, &buffer_bytes, sizeof buffer_bytes);
    }
    return fd;
}

sockaddr_in loopback(unsigned port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

// The question's name, lower case, or empty for a packet that is not a query we can read.
std::string qname(const unsigned char* p, std::size_t n) {
    std::string name;
    for (std::size_t i = 12; i < n;) {
        const unsigned len = p[i];
        if (len == 0) return name;
        if (len > 63 || i + 1 + len > n) return {};
        if (!name.empty()) name += '.';
        for (std::size_t j = 0; j < len; ++j) name += static_cast<char>(std::tolower(p[i + 1 + j]));
        i += 1 + len;
    }
    return {};
}

struct Client {
    sockaddr_in address{};
    std::uint16_t id = 0;
    bool used = false;
};

struct Due {
    Clock::time_point when;
    sockaddr_in address;
    std::vector<unsigned char> packet;
};

// Receive buffers for one recvmmsg batch.
struct Batch {
    std::array<std::array<unsigned char, max_packet>, batch> data{};
    std::array<sockaddr_in, batch> from{};
    std::array<iovec, batch> iov{};
    std::array<mmsghdr, batch> msgs{};

    int receive(int fd) {
        for (int i = 0; i < batch; ++i) {
            iov[i] = {data[i].data(), max_packet};
            msgs[i] = {};
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = &from[i];
            msgs[i].msg_hdr.msg_namelen = sizeof from[i];
        }
        const int got = recvmmsg(fd, msgs.data(), batch, MSG_DONTWAIT, nullptr);
        return got < 0 ? 0 : got;
    }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: dns_delay LISTEN_PORT UPSTREAM_PORT DELAY_MS [DROP_SUFFIX]\n");
        return 2;
    }
    const auto delay = std::chrono::microseconds(static_cast<long long>(std::atof(argv[3]) * 1000));
    std::string drop = argc > 4 ? argv[4] : "";
    std::transform(drop.begin(), drop.end(), drop.begin(), [](unsigned char c) { return std::tolower(c); });
    while (!drop.empty() && drop.back() == '.') drop.pop_back();

    struct sigaction sa{};
    sa.sa_handler = [](int) { stopping = 1; };
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);

    const int front = udp_socket(), back = udp_socket();
    const sockaddr_in listen_at = loopback(static_cast<unsigned>(std::atoi(argv[1])));
    const sockaddr_in upstream = loopback(static_cast<unsigned>(std::atoi(argv[2])));
    if (bind(front, reinterpret_cast<const sockaddr*>(&listen_at), sizeof listen_at) != 0) die("bind");
    if (connect(back, reinterpret_cast<const sockaddr*>(&upstream), sizeof upstream) != 0) die("connect");

    // A fresh 16-bit ID upstream for each query: two clients' IDs may collide.
    std::vector<Client> pending(65536);
    std::uint16_t next_id = 0;
    std::deque<Due> due;  // one delay for all, so in time order
    unsigned long long relayed = 0, dropped = 0;
    Batch in;
    std::array<mmsghdr, batch> out{};
    std::array<iovec, batch> out_iov{};

    std::printf("ready\n");
    std::fflush(stdout);
    // While busy, one pass every 4 ms (absolute ticks): each pass drains both sockets and sends
    // what is due in batches, so that a system call carries many packets rather than one. Per
    // query at 3,000 queries/s the relay's CPU was 53 us polling packet by packet, 24 us at a
    // 1 ms tick, 12 us at 4 ms: CPU the scanner it measures needs, on the same 2 cores. So a
    // query is forwarded up to 4 ms late and an answer leaves up to 4 ms after its delay: every
    // answer is at least DELAY_MS late (dnsperf: 52-66 ms at 50). Idle for 100 ms, it sleeps in
    // poll until the next query.
    constexpr auto tick = std::chrono::milliseconds(4);
    auto last_activity = Clock::now() - std::chrono::seconds(1);
    timespec next_tick{};
    while (!stopping) {
        if (due.empty() && Clock::now() - last_activity > std::chrono::milliseconds(100)) {
            pollfd fds[2] = {{front, POLLIN, 0}, {back, POLLIN, 0}};
            if (poll(fds, 2, 100) < 0 && errno != EINTR) die("poll");
            clock_gettime(CLOCK_MONOTONIC, &next_tick);
        } else {
            next_tick.tv_nsec += std::chrono::nanoseconds(tick).count();
            if (next_tick.tv_nsec >= 1'000'000'000) {
                next_tick.tv_nsec -= 1'000'000'000;
                ++next_tick.tv_sec;
            }
            timespec now_ts{};
            clock_gettime(CLOCK_MONOTONIC, &now_ts);
            if (now_ts.tv_sec > next_tick.tv_sec || (now_ts.tv_sec == next_tick.tv_sec && now_ts.tv_nsec > next_tick.tv_nsec))
                next_tick = now_ts;  // fell behind: no burst of catch-up passes
            else
                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next_tick, nullptr);
        }
        bool active = false;

        // Queries in: forwarded under a fresh ID.
        for (int got; (got = in.receive(front)) > 0;) {
            active = true;
            int n = 0;
            for (int i = 0; i < got; ++i) {
                const auto len = in.msgs[i].msg_len;
                unsigned char* p = in.data[i].data();
                if (len < 12) continue;
                if (!drop.empty()) {
                    const std::string name = qname(p, len);
                    if (name.size() >= drop.size() && name.compare(name.size() - drop.size(), drop.size(), drop) == 0) {
                        ++dropped;
                        continue;
                    }
                }
                for (int tries = 0; tries < 65536 && pending[next_id].used; ++tries) ++next_id;
                Client& c = pending[next_id];
                c = {in.from[i], static_cast<std::uint16_t>(p[0] << 8 | p[1]), true};
                p[0] = static_cast<unsigned char>(next_id >> 8);
                p[1] = static_cast<unsigned char>(next_id & 0xFF);
                ++next_id;
                out_iov[n] = {p, len};
                out[n] = {};
                out[n].msg_hdr.msg_iov = &out_iov[n];
                out[n].msg_hdr.msg_iovlen = 1;
                ++n;
            }
            if (n > 0) sendmmsg(back, out.data(), static_cast<unsigned>(n), MSG_DONTWAIT);
            if (got < batch) break;
        }
        // Answers back: held for the delay, under the client's own ID.
        const auto arrived = Clock::now();
        for (int got; (got = in.receive(back)) > 0;) {
            active = true;
            for (int i = 0; i < got; ++i) {
                const auto len = in.msgs[i].msg_len;
                const unsigned char* p = in.data[i].data();
                if (len < 12) continue;
                Client& c = pending[static_cast<std::uint16_t>(p[0] << 8 | p[1])];
                if (!c.used) continue;
                c.used = false;
                ++relayed;
                Due d{arrived + delay, c.address, std::vector<unsigned char>(p, p + len)};
                d.packet[0] = static_cast<unsigned char>(c.id >> 8);
                d.packet[1] = static_cast<unsigned char>(c.id & 0xFF);
                due.push_back(std::move(d));
            }
            if (got < batch) break;
        }
        // What is due goes out.
        const auto now = Clock::now();
        while (!due.empty() && due.front().when <= now) {
            int n = 0;
            for (auto it = due.begin(); it != due.end() && n < batch && it->when <= now; ++it, ++n) {
                out_iov[n] = {it->packet.data(), it->packet.size()};
                out[n] = {};
                out[n].msg_hdr.msg_iov = &out_iov[n];
                out[n].msg_hdr.msg_iovlen = 1;
                out[n].msg_hdr.msg_name = &it->address;
                out[n].msg_hdr.msg_namelen = sizeof it->address;
            }
            sendmmsg(front, out.data(), static_cast<unsigned>(n), MSG_DONTWAIT);  // a full buffer drops, as UDP may
            due.erase(due.begin(), due.begin() + n);
        }
        if (active) last_activity = now;
    }
    std::fprintf(stderr, "relayed %llu dropped %llu\n", relayed, dropped);
    close(front);
    close(back);
    return 0;
}
