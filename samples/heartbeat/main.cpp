// A worker with a config file: logs a heartbeat message at an interval, both
// read from a file that `reload` (SIGHUP, `systemctl reload`, SCM PARAMCHANGE)
// reads again without a restart. Its status line (`systemctl status`) says how
// many beats it has sent, and the systemd watchdog is on.
//
//   ./heartbeat run -- heartbeat.conf         foreground; kill -HUP <pid> reloads
//   sudo ./heartbeat install -- /etc/heartbeat.conf
#include <servicekit/cli.hpp>

#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

struct settings {
    std::chrono::milliseconds interval{1000};
    std::string message = "alive";
};

std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

// The file: `key = value` lines, `#` comments. Keys: interval_ms (10 to
// 3600000), message. Throws with the file, the line and what is wrong, so a
// bad file never replaces good settings.
settings load(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(fmt::format("cannot read {}", path));
    settings s;
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        line = trim(line);
        if (line.empty() || line.front() == '#') continue;
        const auto eq = line.find('=');
        const std::string key = trim(line.substr(0, eq));
        const std::string value = eq == std::string::npos ? "" : trim(line.substr(eq + 1));
        if (eq == std::string::npos) {
            throw std::runtime_error(fmt::format("{} line {}: expected 'key = value'", path, n));
        } else if (key == "interval_ms") {
            std::size_t used = 0;
            long long ms = -1;
            try { ms = std::stoll(value, &used); } catch (const std::exception&) {}
            if (used != value.size() || ms < 10 || ms > 3'600'000)
                throw std::runtime_error(fmt::format("{} line {}: interval_ms '{}' is not a number from 10 to 3600000", path, n, value));
            s.interval = std::chrono::milliseconds(ms);
        } else if (key == "message") {
            s.message = value;
        } else {
            throw std::runtime_error(fmt::format("{} line {}: unknown key '{}' (use interval_ms, message)", path, n, key));
        }
    }
    return s;
}

class heartbeat : public servicekit::service {
public:
    void start(servicekit::context& ctx) override {
        path_ = ctx.arguments().empty() ? "/etc/heartbeat.conf" : ctx.arguments().front();
        apply(ctx, load(path_));  // a bad file at start: start() throws, run() exits 1
        worker_ = std::thread([this, &ctx] { beat(ctx); });
    }

    void reload(servicekit::context& ctx) override {
        apply(ctx, load(path_));  // throws on a bad file: servicekit logs it, the old settings stay
        cv_.notify_all();         // a shorter interval takes effect now
    }

    void stop(servicekit::context&) override {
        { std::lock_guard lock(mutex_); stopping_ = true; }
        cv_.notify_all();
        worker_.join();
    }

private:
    void apply(servicekit::context& ctx, settings s) {
        ctx.log().info("configuration loaded: every {} ms, message '{}'", s.interval.count(), s.message);
        std::lock_guard lock(mutex_);
        settings_ = std::move(s);
    }

    void beat(servicekit::context& ctx) {
        std::unique_lock lock(mutex_);
        long long n = 0;
        for (;;) {
            const auto interval = settings_.interval;
            if (cv_.wait_for(lock, interval, [&] { return stopping_ || settings_.interval != interval; })) {
                if (stopping_) return;
                continue;  // reloaded with a new interval: start the wait again
            }
            ++n;
            ctx.log().info("{} (beat {})", settings_.message, n);
            ctx.set_status(fmt::format("beat {}, every {} ms", n, settings_.interval.count()));
        }
    }

    std::string path_;
    std::thread worker_;
    std::mutex mutex_;
    std::condition_variable cv_;
    settings settings_;
    bool stopping_ = false;
};

}  // namespace

int main(int argc, char** argv) {
    servicekit::config cfg;
    cfg.name = "heartbeat";
    cfg.description = "servicekit's heartbeat sample: logs a message at an interval read from a config file";
    cfg.arguments = {"/etc/heartbeat.conf"};  // `-- FILE` on the command line replaces it
    // systemd kills and restarts the service when run()'s loop stops sending
    // WATCHDOG=1 (every 15 s here). Ignored by the other managers.
    cfg.systemd.watchdog = std::chrono::seconds(30);
    heartbeat svc;
    return servicekit::cli::cli_main(argc, argv, cfg, svc);
}
