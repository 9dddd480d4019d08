// A service whose behaviour the lifecycle tests choose through its arguments:
//   --events FILE        append one line per callback (start, reload, stop) and the arguments
//   --start-throw        start() throws
//   --stop-throw         stop() throws
//   --stop-hang          stop() never returns
//   --request-stop MS:C  a thread calls request_stop(C) after MS milliseconds
//   --spawn-orphan       start() forks a child that forks a grandchild and exits
//   --every MS           start() schedules a task every MS ms (context::every) that
//                        records "task N", plus " off the run thread" if it is not
//                        called on the thread that called start()
//   --every-from-thread MS  the same, scheduled 200 ms after start() from a thread
//   --every-cancel N     the task cancels itself in its Nth call
//   --every-throw N      the task throws in its Nth call
//   --every-slow MS      the task's first call takes MS ms; later calls also record
//                        "gap G": ms from the end of the previous call
//   --stop-sleep MS      stop() takes MS ms
//   --block-usr2         start() blocks SIGUSR2 on its thread
//   --every-max          start() schedules a task every milliseconds::max()
//   --poll-fails         start() sets RLIMIT_NOFILE to 0, so the run loop's
//                        poll() fails (EINVAL)
// PROBE_STOP_TIMEOUT_MS sets config::stop_timeout.
// PROBE_SIGNALS=FILE: before cli_main(), main() gives SIGHUP a handler of its
// own and blocks SIGHUP, SIGCHLD and SIGUSR1, as a parent or a program may;
// start() records which of SIGHUP and SIGCHLD are blocked while run() runs;
// after it, main() writes to FILE the dispositions and the mask that run()
// left behind.
#include <servicekit/cli.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <sys/resource.h>
#include <unistd.h>

namespace {

class probe final : public servicekit::service {
public:
    void start(servicekit::context& ctx) override {
        const auto& a = ctx.arguments();
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (a[i] == "--events" && i + 1 < a.size()) events_ = a[++i];
            else if (a[i] == "--start-throw") start_throw_ = true;
            else if (a[i] == "--stop-throw") stop_throw_ = true;
            else if (a[i] == "--stop-hang") stop_hang_ = true;
            else if (a[i] == "--request-stop" && i + 1 < a.size()) request_ = a[++i];
            else if (a[i] == "--spawn-orphan") spawn_orphan_ = true;
            else if (a[i] == "--every" && i + 1 < a.size()) every_ms_ = std::stoi(a[++i]);
            else if (a[i] == "--every-from-thread" && i + 1 < a.size()) every_thread_ms_ = std::stoi(a[++i]);
            else if (a[i] == "--every-cancel" && i + 1 < a.size()) cancel_at_ = std::stoi(a[++i]);
            else if (a[i] == "--every-throw" && i + 1 < a.size()) throw_at_ = std::stoi(a[++i]);
            else if (a[i] == "--every-slow" && i + 1 < a.size()) slow_ms_ = std::stoi(a[++i]);
            else if (a[i] == "--stop-sleep" && i + 1 < a.size()) stop_sleep_ms_ = std::stoi(a[++i]);
            else if (a[i] == "--every-max") every_max_ = true;
            else if (a[i] == "--poll-fails") poll_fails_ = true;
            else if (a[i] == "--block-usr2") {
                sigset_t usr2;
                sigemptyset(&usr2);
                sigaddset(&usr2, SIGUSR2);
                ::pthread_sigmask(SIG_BLOCK, &usr2, nullptr);
            }
        }
        run_thread_ = std::this_thread::get_id();
        if (std::getenv("PROBE_SIGNALS") != nullptr) {
            sigset_t mask;
            ::pthread_sigmask(SIG_BLOCK, nullptr, &mask);
            record(std::string("blocked in start():") + (sigismember(&mask, SIGHUP) == 1 ? " SIGHUP" : "") +
                   (sigismember(&mask, SIGCHLD) == 1 ? " SIGCHLD" : ""));
        }
        std::string line = "start";
        for (const auto& s : a) line += " [" + s + "]";
        record(line);
        if (start_throw_) throw std::runtime_error("probe asked to fail");
        if (!request_.empty()) {
            const auto colon = request_.find(':');
            const int ms = std::stoi(request_.substr(0, colon));
            const int code = colon == std::string::npos ? 0 : std::stoi(request_.substr(colon + 1));
            stopper_ = std::thread([&ctx, ms, code] {
                std::this_thread::sleep_for(std::chrono::milliseconds(ms));
                ctx.request_stop(code);
            });
        }
        if (every_ms_ >= 0) schedule(ctx, every_ms_);
        if (every_max_) ctx.every(std::chrono::milliseconds::max(), [this](servicekit::context&) { record("task"); });
        if (poll_fails_) {
            const rlimit none{0, 0};
            ::setrlimit(RLIMIT_NOFILE, &none);
        }
        if (every_thread_ms_ >= 0) {
            adder_ = std::thread([this, &ctx] {
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
                schedule(ctx, every_thread_ms_);
            });
        }
        if (spawn_orphan_ && ::fork() == 0) {
            if (::fork() == 0) {
                ::sleep(1);
                std::_Exit(0);
            }
            std::_Exit(0);
        }
    }
    void reload(servicekit::context&) override { record("reload"); }
    void stop(servicekit::context&) override {
        record("stop");
        if (stopper_.joinable()) stopper_.join();
        if (adder_.joinable()) adder_.join();
        std::this_thread::sleep_for(std::chrono::milliseconds(stop_sleep_ms_));
        if (stop_throw_) throw std::runtime_error("probe asked to fail stopping");
        while (stop_hang_) std::this_thread::sleep_for(std::chrono::seconds(1));
    }

private:
    void schedule(servicekit::context& ctx, int ms) {
        task_ = ctx.every(std::chrono::milliseconds(ms), [this](servicekit::context& c) { tick(c); });
    }
    void tick(servicekit::context& ctx) {
        using clock = std::chrono::steady_clock;
        const auto begin = clock::now();
        ++calls_;
        record("task " + std::to_string(calls_) + (std::this_thread::get_id() == run_thread_ ? "" : " off the run thread"));
        if (calls_ > 1 && slow_ms_ > 0)
            record("gap " + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(begin - last_end_).count()));
        if (calls_ == cancel_at_) ctx.cancel(task_);
        if (calls_ == throw_at_) throw std::runtime_error("probe's task asked to fail");
        if (calls_ == 1 && slow_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms_));
        last_end_ = clock::now();
    }
    void record(const std::string& line) {
        if (events_.empty()) return;
        std::ofstream(events_, std::ios::app) << line << '\n';
    }
    std::string events_, request_;
    bool every_max_ = false, poll_fails_ = false;
    bool start_throw_ = false, stop_throw_ = false, stop_hang_ = false, spawn_orphan_ = false;
    std::thread stopper_, adder_;
    int every_ms_ = -1, every_thread_ms_ = -1, cancel_at_ = 0, throw_at_ = 0, slow_ms_ = 0, stop_sleep_ms_ = 0;
    int calls_ = 0;
    servicekit::task_id task_{};
    std::thread::id run_thread_;
    std::chrono::steady_clock::time_point last_end_;
};

void own_handler(int) {}

// "SIGINT dfl SIGTERM dfl SIGHUP own SIGRTMAX dfl; blocked: SIGHUP SIGUSR1"
std::string signals_left() {
    const std::pair<int, const char*> named[] = {
        {SIGINT, "SIGINT"}, {SIGTERM, "SIGTERM"}, {SIGHUP, "SIGHUP"}, {SIGCHLD, "SIGCHLD"},
        {SIGUSR1, "SIGUSR1"}, {SIGUSR2, "SIGUSR2"}, {SIGRTMAX, "SIGRTMAX"}};
    std::string dispositions, blocked;
    sigset_t mask;
    ::pthread_sigmask(SIG_BLOCK, nullptr, &mask);
    for (const auto& [signo, name] : named) {
        struct sigaction sa {};
        ::sigaction(signo, nullptr, &sa);
        const bool dfl = (sa.sa_flags & SA_SIGINFO) == 0 && sa.sa_handler == SIG_DFL;
        const bool own = (sa.sa_flags & SA_SIGINFO) == 0 && sa.sa_handler == own_handler;
        if (signo != SIGUSR1 && signo != SIGUSR2)
            dispositions += std::string(dispositions.empty() ? "" : " ") + name + (dfl ? " dfl" : own ? " own" : " other");
        if (sigismember(&mask, signo) == 1) blocked += std::string(" ") + name;
    }
    return dispositions + "; blocked:" + blocked;
}

}  // namespace

int main(int argc, char** argv) {
    servicekit::config cfg;
    cfg.name = "probe";
    if (const char* ms = std::getenv("PROBE_STOP_TIMEOUT_MS")) cfg.stop_timeout = std::chrono::milliseconds(std::atoi(ms));
    const char* report_env = std::getenv("PROBE_SIGNALS");
    const std::string report = report_env != nullptr ? report_env : "";
    if (!report.empty()) {
        struct sigaction sa {};
        sa.sa_handler = own_handler;
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGHUP, &sa, nullptr);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGUSR1);
        ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    }
    probe svc;
    const int code = servicekit::cli::cli_main(argc, argv, cfg, svc);
    if (!report.empty()) std::ofstream(report) << signals_left() << '\n';
    return code;
}
