#include "tests/integration/dns_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <deque>
#include <stdexcept>

namespace originscan::testdns {
namespace {

constexpr std::uint16_t type_a = 1, type_cname = 5, type_aaaa = 28;
constexpr unsigned rcode_nxdomain = 3, rcode_servfail = 2;

void put16(std::vector<unsigned char>& out, unsigned v) {
    out.push_back(static_cast<unsigned char>(v >> 8));
    out.push_back(static_cast<unsigned char>(v & 0xff));
}

void put_name(std::vector<unsigned char>& out, const std::string& name) {
    std::size_t start = 0;
    while (start < name.size()) {
        std::size_t dot = name.find('.', start);
        if (dot == std::string::npos) dot = name.size();
        out.push_back(static_cast<unsigned char>(dot - start));
        out.insert(out.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
        start = dot + 1;
    }
    out.push_back(0);
}

void put_record(std::vector<unsigned char>& out, const std::string& owner, std::uint16_t type,
                const std::vector<unsigned char>& data) {
    put_name(out, owner);
    put16(out, type);
    put16(out, 1);  // IN
    put16(out, 0);
    put16(out, 60);  // TTL
    put16(out, static_cast<unsigned>(data.size()));
    out.insert(out.end(), data.begin(), data.end());
}

struct Parsed {
    std::uint16_t id = 0, flags = 0, type = 0;
    std::string name;
    std::vector<unsigned char> question;  // the question section as received
};

bool parse(const unsigned char* p, std::size_t n, Parsed& out) {
    if (n < 12) return false;
    out.id = static_cast<std::uint16_t>(p[0] << 8 | p[1]);
    out.flags = static_cast<std::uint16_t>(p[2] << 8 | p[3]);
    std::size_t i = 12;
    while (i < n && p[i] != 0) {
        const std::size_t len = p[i];
        if (len > 63 || i + 1 + len > n) return false;
        if (!out.name.empty()) out.name += '.';
        for (std::size_t k = 0; k < len; ++k) out.name += static_cast<char>(std::tolower(p[i + 1 + k]));
        i += 1 + len;
    }
    if (i + 5 > n) return false;
    out.type = static_cast<std::uint16_t>(p[i + 1] << 8 | p[i + 2]);
    out.question.assign(p + 12, p + i + 5);
    return true;
}

}  // namespace

DnsServer::DnsServer(std::map<std::string, Name> names, std::chrono::milliseconds delay)
    : names_(std::move(names)), delay_(delay) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("dns server: socket");
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sin;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sin), &len) != 0) {
        ::close(fd_);
        throw std::runtime_error("dns server: bind 127.0.0.1");
    }
    port_ = ntohs(sin.sin_port);
    thread_ = std::thread([this] { run(); });
}

DnsServer::~DnsServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
}

std::vector<Query> DnsServer::queries() const {
    std::lock_guard lock(mutex_);
    return queries_;
}

std::vector<Clock::time_point> DnsServer::answered() const {
    std::lock_guard lock(mutex_);
    return answered_;
}

void DnsServer::run() {
    struct Due {
        Clock::time_point at;
        std::vector<unsigned char> bytes;
        sockaddr_in to;
    };
    std::deque<Due> due;  // in arrival order; one delay for all, so also in time order
    while (!stop_) {
        int wait_ms = 20;
        if (!due.empty())
            wait_ms = static_cast<int>(std::clamp<long long>(
                std::chrono::duration_cast<std::chrono::milliseconds>(due.front().at - Clock::now()).count(), 0, 20));
        pollfd pfd{fd_, POLLIN, 0};
        if (::poll(&pfd, 1, wait_ms) > 0) {
            unsigned char buf[1500];
            sockaddr_in from{};
            socklen_t from_len = sizeof from;
            const ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
            Parsed q;
            if (n > 0 && parse(buf, static_cast<std::size_t>(n), q)) {
                {
                    std::lock_guard lock(mutex_);
                    queries_.push_back({q.name, q.type, Clock::now()});
                }
                // Follow the CNAME chain within the zone; the records of its end answer.
                std::vector<unsigned char> answers;
                unsigned count = 0, rcode = 0;
                bool silent = false;
                std::string name = q.name;
                for (int hops = 0; hops < 10; ++hops) {
                    auto it = names_.find(name);
                    if (it == names_.end()) {
                        if (count == 0) rcode = rcode_nxdomain;
                        break;
                    }
                    const Name& entry = it->second;
                    if (entry.behaviour == Behaviour::silent) silent = true;
                    if (entry.behaviour == Behaviour::servfail) rcode = rcode_servfail;
                    if (entry.behaviour != Behaviour::answer) break;
                    if (!entry.cname.empty()) {
                        std::vector<unsigned char> target;
                        put_name(target, entry.cname);
                        put_record(answers, name, type_cname, target);
                        ++count;
                        name = entry.cname;
                        continue;
                    }
                    for (const auto& text : q.type == type_a ? entry.a : q.type == type_aaaa ? entry.aaaa
                                                                                             : std::vector<std::string>{}) {
                        std::vector<unsigned char> data(q.type == type_a ? 4 : 16);
                        ::inet_pton(q.type == type_a ? AF_INET : AF_INET6, text.c_str(), data.data());
                        put_record(answers, name, q.type, data);
                        ++count;
                    }
                    break;
                }
                if (!silent) {
                    std::vector<unsigned char> out;
                    put16(out, q.id);
                    // QR, the query's opcode and RD, AA, RA, the rcode.
                    put16(out, 0x8000u | (q.flags & 0x7900u) | 0x0400u | 0x0080u | (rcode & 0xfu));
                    put16(out, 1);
                    put16(out, rcode ? 0 : count);
                    put16(out, 0);
                    put16(out, 0);
                    out.insert(out.end(), q.question.begin(), q.question.end());
                    if (!rcode) out.insert(out.end(), answers.begin(), answers.end());
                    due.push_back({Clock::now() + delay_, std::move(out), from});
                }
            }
        }
        while (!due.empty() && due.front().at <= Clock::now()) {
            const Due& d = due.front();
            ::sendto(fd_, d.bytes.data(), d.bytes.size(), 0, reinterpret_cast<const sockaddr*>(&d.to), sizeof d.to);
            {
                std::lock_guard lock(mutex_);
                answered_.push_back(Clock::now());
            }
            due.pop_front();
        }
    }
}

}  // namespace originscan::testdns
