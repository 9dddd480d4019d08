// The smallest useful service: logs a tick every second.
//   ./minimal            run in the foreground; Ctrl+C stops it
//   sudo ./minimal install && sudo ./minimal start
//
// The tick is a periodic task (context::every): servicekit calls it on the
// thread that runs start() and stop(), so the service needs no thread of its
// own and nothing to stop. samples/heartbeat shows a service with its own
// worker thread.
#include <servicekit/cli.hpp>

#include <chrono>

class ticker : public servicekit::service {
public:
    void start(servicekit::context& ctx) override {
        ctx.every(std::chrono::seconds(1), [n = 0](servicekit::context& c) mutable { c.log().info("tick {}", ++n); });
    }
    void stop(servicekit::context&) override {}
};

int main(int argc, char** argv) {
    servicekit::config cfg;
    cfg.name = "minimal";
    cfg.description = "servicekit's minimal sample: logs a tick every second";
    ticker svc;
    return servicekit::cli::cli_main(argc, argv, cfg, svc);
}
