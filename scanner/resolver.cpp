#include "scanner/resolver.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <thread>

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
    out.found = out.addresses.size();
    if (out.addresses.size() > max_addresses) out.addresses.resize(max_addresses);
    return out;
}

}  // namespace

class ResolverPool::Ticket {
public:
    Ticket(std::string h, std::function<void(Resolution)> d) : host(std::move(h)), done(std::move(d)) {}
    std::string host;
    std::function<void(Resolution)> done;
    bool running = false;    // guarded by State::mutex
    bool abandoned = false;  // guarded by State::mutex
};

struct ResolverPool::State : std::enable_shared_from_this<State> {
    struct Worker {
        std::thread thread;
        bool in_lookup = false;
        bool finished = false;
    };

    std::mutex mutex;
    std::condition_variable ready;
    std::condition_variable worker_done;
    std::deque<std::shared_ptr<Ticket>> queue;
    std::list<Worker> workers;  // stable addresses: each thread keeps a pointer to its own
    unsigned max_useful = 1;    // threads doing wanted lookups
    unsigned hard_cap = 8;      // threads in all, abandoned lookups included
    unsigned threads = 0;       // not finished
    unsigned idle = 0;
    unsigned running_abandoned = 0;
    bool stopping = false;

    // Under mutex: start a thread if work waits, none is idle, and the caps allow.
    void maybe_spawn() {
        if (stopping || queue.empty() || idle > 0 || threads - running_abandoned >= max_useful || threads >= hard_cap) return;
        ++threads;
        Worker& worker = workers.emplace_back();
        worker.thread = std::thread([self = shared_from_this(), &worker] { self->run(worker); });
    }

    void run(Worker& me) {
        std::unique_lock lock(mutex);
        for (;;) {
            ++idle;
            ready.wait(lock, [this] { return stopping || !queue.empty(); });
            --idle;
            if (stopping) break;
            std::shared_ptr<Ticket> ticket = std::move(queue.front());
            queue.pop_front();
            if (ticket->abandoned) continue;  // nobody waits for it: no lookup at all
            ticket->running = true;
            me.in_lookup = true;
            lock.unlock();
            Resolution answer = lookup(ticket->host);
            lock.lock();
            me.in_lookup = false;
            ticket->running = false;
            if (ticket->abandoned) {
                --running_abandoned;
                maybe_spawn();  // this thread counts again; others may wait
                continue;
            }
            auto done = std::move(ticket->done);
            lock.unlock();
            done(std::move(answer));
            lock.lock();
        }
        --threads;
        me.finished = true;
        worker_done.notify_all();
    }
};

ResolverPool::ResolverPool(unsigned threads) : state_(std::make_shared<State>()) {
    state_->max_useful = std::max(1u, threads);
    state_->hard_cap = state_->max_useful * 8;
}

ResolverPool::~ResolverPool() {
    std::vector<std::thread> idle;
    {
        std::unique_lock lock(state_->mutex);
        state_->stopping = true;
        state_->queue.clear();
        state_->ready.notify_all();
        // Idle threads leave at once and are joined (so glibc frees their resolver state);
        // a thread inside getaddrinfo cannot be interrupted: it is detached, finishes the
        // lookup on its own and exits, holding the state.
        state_->worker_done.wait(lock, [&] {
            for (const auto& w : state_->workers)
                if (!w.finished && !w.in_lookup) return false;
            return true;
        });
        for (auto& w : state_->workers) {
            if (!w.thread.joinable()) continue;
            if (w.finished)
                idle.push_back(std::move(w.thread));
            else
                w.thread.detach();
        }
    }
    for (auto& t : idle) t.join();
}

std::shared_ptr<ResolverPool::Ticket> ResolverPool::resolve(std::string host, std::function<void(Resolution)> done) {
    auto ticket = std::make_shared<Ticket>(std::move(host), std::move(done));
    std::lock_guard lock(state_->mutex);
    state_->queue.push_back(ticket);
    state_->maybe_spawn();
    state_->ready.notify_one();
    return ticket;
}

void ResolverPool::abandon(const std::shared_ptr<Ticket>& ticket) {
    std::lock_guard lock(state_->mutex);
    if (ticket->abandoned) return;
    ticket->abandoned = true;
    ticket->done = nullptr;  // drop what it captured now
    if (ticket->running) {
        ++state_->running_abandoned;
        state_->maybe_spawn();
    }
}

}  // namespace originscan::scanner
