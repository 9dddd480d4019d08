// The smallest useful service: a worker thread that logs a tick.
//   ./minimal            run in the foreground; Ctrl+C stops it
//   sudo ./minimal install && sudo ./minimal start
#include <servicekit/cli.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

class ticker : public servicekit::service {
public:
    void start(servicekit::context& ctx) override {
        worker_ = std::thread([this, &ctx] {
            std::unique_lock lock(mutex_);
            for (int n = 1; !cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; }); ++n)
                ctx.log().info("tick {}", n);
        });
    }
    void stop(servicekit::context&) override {
        { std::lock_guard lock(mutex_); stopping_ = true; }
        cv_.notify_all();
        worker_.join();
    }

private:
    std::thread worker_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
};

int main(int argc, char** argv) {
    servicekit::config cfg;
    cfg.name = "minimal";
    cfg.description = "servicekit's minimal sample: logs a tick every second";
    ticker svc;
    return servicekit::cli::cli_main(argc, argv, cfg, svc);
}
