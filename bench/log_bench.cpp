// Logging cost: servicekit's logger against the raw calls a C programmer makes.
//
//   log_bench throughput journal|syslog THREADS COUNT
//                                             THREADS threads log COUNT messages through
//                                             servicekit and COUNT with the raw call, in
//                                             alternating blocks; prints messages per second
//                                             and the CPU the logging threads spent per
//                                             message, for each
//   log_bench latency journal|syslog COUNT    one thread logs COUNT messages through
//                                             servicekit and COUNT with the raw call,
//                                             alternating, one every 100 us; prints the
//                                             50th and 99th percentile time of each call
//
// servicekit: ctx.log().info, through the sink run() chose (journald under systemd,
// syslog(3) where journald's socket is missing). The raw call: journal, a native
// journal datagram per message (what sd_journal_send does); syslog, syslog(3).
// Every mode runs inside servicekit::run() on a thread the service starts, so the
// process is the same whatever is measured; run it with NOTIFY_SOCKET set to make
// run() pick the manager's log.
#include <servicekit/run.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

namespace {

using clock_type = std::chrono::steady_clock;

// This thread's CPU time (user + system). The kernel reports it exactly
// (scaled to the scheduler's runtime), in microseconds.
long long thread_cpu_ns() {
    rusage ru{};
    ::getrusage(RUSAGE_THREAD, &ru);
    return (static_cast<long long>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec +
            ru.ru_stime.tv_usec) * 1000LL;
}

struct options {
    std::string what, mode;
    int threads = 1;
    long count = 0;
};

class raw_journal {
public:
    raw_journal() {
        addr_.sun_family = AF_UNIX;
        std::strcpy(addr_.sun_path, "/run/systemd/journal/socket");
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        const int size = 8 << 20;  // what libsystemd's journal_fd() asks for
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
    ~raw_journal() { ::close(fd_); }
    raw_journal(const raw_journal&) = delete;
    raw_journal& operator=(const raw_journal&) = delete;
    void info(long i, int thread) const {
        char buf[256];
        const int n = std::snprintf(buf, sizeof buf,
                                    "MESSAGE=bench message %ld from thread %d\nPRIORITY=6\nSYSLOG_IDENTIFIER=logbench\n",
                                    i, thread);
        ::sendto(fd_, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&addr_),
                 sizeof addr_);
    }

private:
    int fd_ = -1;
    sockaddr_un addr_{};
};

class bench final : public servicekit::service {
public:
    explicit bench(options opt) : opt_(std::move(opt)) {}
    void start(servicekit::context& ctx) override {
        worker_ = std::thread([this, &ctx] {
            if (opt_.mode == "syslog") ::openlog("logbench", LOG_PID, LOG_DAEMON);
            if (opt_.what == "throughput") throughput(ctx);
            else latency(ctx);
            std::fflush(stdout);
            ctx.request_stop();
        });
    }
    void stop(servicekit::context&) override { worker_.join(); }

private:
    enum class via { servicekit, journal, syslog };
    static via parse_via(const std::string& mode) {
        return mode == "servicekit" ? via::servicekit : mode == "journal" ? via::journal : via::syslog;
    }

    void log_one(servicekit::context& ctx, via how, long i, int thread) {
        switch (how) {
            case via::servicekit: ctx.log().info("bench message {} from thread {}", i, thread); break;
            case via::journal: journal_.info(i, thread); break;
            case via::syslog: ::syslog(LOG_INFO, "bench message %ld from thread %d", i, thread); break;
        }
    }

    // Blocks of 2000 messages (all threads together) alternate between
    // servicekit's logger and the raw call, so that both meet the same
    // journald and the same machine load.
    void throughput(servicekit::context& ctx) {
        const via raw_via = parse_via(opt_.mode);
        const long per_thread = std::max(1L, 2000L / opt_.threads);
        const long blocks = std::max(1L, opt_.count / (per_thread * opt_.threads));
        double seconds[2] = {0, 0};
        long long cpu_ns[2] = {0, 0};
        for (long b = 0; b < 2 * blocks; ++b) {
            const int k = static_cast<int>(b % 2);  // 0: servicekit, 1: raw
            const via how = k == 0 ? via::servicekit : raw_via;
            std::atomic<int> waiting{opt_.threads};
            std::atomic<long long> cpu{0};
            std::vector<std::thread> threads;
            clock_type::time_point t0;
            for (int t = 0; t < opt_.threads; ++t)
                threads.emplace_back([&, t] {
                    if (--waiting == 0) t0 = clock_type::now();
                    while (waiting.load() > 0) {}
                    const long long before = thread_cpu_ns();
                    for (long i = 0; i < per_thread; ++i) log_one(ctx, how, i, t);
                    cpu += thread_cpu_ns() - before;
                });
            for (auto& t : threads) t.join();
            const std::chrono::duration<double> took = clock_type::now() - t0;
            seconds[k] += took.count();
            cpu_ns[k] += cpu.load();
        }
        const auto total = static_cast<double>(blocks * per_thread * opt_.threads);
        std::printf("servicekit_msgs_per_s=%.0f servicekit_cpu_ns_per_msg=%.0f raw_msgs_per_s=%.0f "
                    "raw_cpu_ns_per_msg=%.0f\n",
                    total / seconds[0], static_cast<double>(cpu_ns[0]) / total, total / seconds[1],
                    static_cast<double>(cpu_ns[1]) / total);
    }

    // servicekit's logger and the raw call alternate, one message every 100 us,
    // so that both see the same journald.
    void latency(servicekit::context& ctx) {
        std::vector<long long> ns[2];
        for (auto& v : ns) v.reserve(static_cast<std::size_t>(opt_.count));
        const via raw_via = parse_via(opt_.mode);
        auto next = clock_type::now();
        for (long i = 0; i < 2 * opt_.count; ++i) {
            next += std::chrono::microseconds(100);
            while (clock_type::now() < next) {}
            const bool raw = i % 2 == 1;
            const auto t0 = clock_type::now();
            log_one(ctx, raw ? raw_via : via::servicekit, i / 2, 0);
            ns[raw].push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - t0).count());
        }
        for (auto& v : ns) std::sort(v.begin(), v.end());
        const auto at = [](const std::vector<long long>& v, std::size_t pct) { return v[v.size() * pct / 100]; };
        std::printf("servicekit_p50_ns=%lld servicekit_p99_ns=%lld raw_p50_ns=%lld raw_p99_ns=%lld\n", at(ns[0], 50),
                    at(ns[0], 99), at(ns[1], 50), at(ns[1], 99));
    }

    options opt_;
    raw_journal journal_;
    std::thread worker_;
};

}  // namespace

int main(int argc, char** argv) {
    options opt;
    const auto usage = [] {
        std::fprintf(stderr, "usage: log_bench throughput journal|syslog THREADS COUNT\n"
                             "       log_bench latency journal|syslog COUNT\n");
        return 2;
    };
    if (argc < 4) return usage();
    opt.what = argv[1];
    opt.mode = argv[2];
    if (opt.mode != "journal" && opt.mode != "syslog") return usage();
    if (opt.what == "throughput" && argc == 5) {
        opt.threads = std::atoi(argv[3]);
        opt.count = std::atol(argv[4]);
    } else if (opt.what == "latency" && argc == 4) {
        opt.count = std::atol(argv[3]);
    } else {
        return usage();
    }
    if (opt.threads < 1 || opt.count < 1) return usage();
    servicekit::config cfg;
    cfg.name = "logbench";
    bench svc(opt);
    return servicekit::run(cfg, svc);
}
