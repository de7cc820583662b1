#include "scanner/resolver.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>

namespace originscan::scanner {
namespace {

Resolution lookup(const std::string& host) {
    Resolution out;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &list); rc != 0) {
        out.error = ::gai_strerror(rc);
        return out;
    }
    for (addrinfo* ai = list; ai; ai = ai->ai_next) {
        boost::asio::ip::address address;
        if (ai->ai_family == AF_INET) {
            auto* sin = reinterpret_cast<const sockaddr_in*>(ai->ai_addr);
            boost::asio::ip::address_v4::bytes_type bytes;
            std::copy_n(reinterpret_cast<const unsigned char*>(&sin->sin_addr), 4, bytes.begin());
            address = boost::asio::ip::address_v4(bytes);
        } else if (ai->ai_family == AF_INET6) {
            auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr);
            boost::asio::ip::address_v6::bytes_type bytes;
            std::copy_n(reinterpret_cast<const unsigned char*>(&sin6->sin6_addr), 16, bytes.begin());
            address = boost::asio::ip::address_v6(bytes, sin6->sin6_scope_id);
        } else {
            continue;
        }
        if (std::find(out.addresses.begin(), out.addresses.end(), address) == out.addresses.end())
            out.addresses.push_back(address);
    }
    ::freeaddrinfo(list);
    if (out.addresses.empty()) out.error = "no address";
    return out;
}

}  // namespace

ResolverPool::~ResolverPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        jobs_.clear();
    }
    ready_.notify_all();
    for (auto& t : threads_) t.join();
}

void ResolverPool::resolve(std::string host, std::function<void(Resolution)> done) {
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back({std::move(host), std::move(done)});
        if (idle_ == 0 && threads_.size() < max_threads_) threads_.emplace_back([this] { run(); });
    }
    ready_.notify_one();
}

void ResolverPool::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        ++idle_;
        ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        --idle_;
        if (stopping_) return;
        Job job = std::move(jobs_.front());
        jobs_.pop_front();
        lock.unlock();
        job.done(lookup(job.host));
        lock.lock();
    }
}

}  // namespace originscan::scanner
