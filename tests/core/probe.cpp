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
// PROBE_STOP_TIMEOUT_MS sets config::stop_timeout.
#include <servicekit/cli.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
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
        }
        run_thread_ = std::this_thread::get_id();
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
    bool start_throw_ = false, stop_throw_ = false, stop_hang_ = false, spawn_orphan_ = false;
    std::thread stopper_, adder_;
    int every_ms_ = -1, every_thread_ms_ = -1, cancel_at_ = 0, throw_at_ = 0, slow_ms_ = 0, stop_sleep_ms_ = 0;
    int calls_ = 0;
    servicekit::task_id task_{};
    std::thread::id run_thread_;
    std::chrono::steady_clock::time_point last_end_;
};

}  // namespace

int main(int argc, char** argv) {
    servicekit::config cfg;
    cfg.name = "probe";
    if (const char* ms = std::getenv("PROBE_STOP_TIMEOUT_MS")) cfg.stop_timeout = std::chrono::milliseconds(std::atoi(ms));
    probe svc;
    return servicekit::cli::cli_main(argc, argv, cfg, svc);
}
