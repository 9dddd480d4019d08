// A service whose behaviour the lifecycle tests choose through its arguments:
//   --events FILE        append one line per callback (start, reload, stop) and the arguments
//   --start-throw        start() throws
//   --stop-throw         stop() throws
//   --stop-hang          stop() never returns
//   --request-stop MS:C  a thread calls request_stop(C) after MS milliseconds
//   --spawn-orphan       start() forks a child that forks a grandchild and exits
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
        if (stop_throw_) throw std::runtime_error("probe asked to fail stopping");
        while (stop_hang_) std::this_thread::sleep_for(std::chrono::seconds(1));
    }

private:
    void record(const std::string& line) {
        if (events_.empty()) return;
        std::ofstream(events_, std::ios::app) << line << '\n';
    }
    std::string events_, request_;
    bool start_throw_ = false, stop_throw_ = false, stop_hang_ = false, spawn_orphan_ = false;
    std::thread stopper_;
};

}  // namespace

int main(int argc, char** argv) {
    servicekit::config cfg;
    cfg.name = "probe";
    if (const char* ms = std::getenv("PROBE_STOP_TIMEOUT_MS")) cfg.stop_timeout = std::chrono::milliseconds(std::atoi(ms));
    probe svc;
    return servicekit::cli::cli_main(argc, argv, cfg, svc);
}
