// servicekit with nothing on top: a service whose start() and stop() do
// nothing, behind the same cli_main as samples/minimal. Against the floor it
// shows what the library itself costs; against minimal, what the sample's
// worker thread costs.
#include <servicekit/cli.hpp>

namespace {
class noop final : public servicekit::service {
public:
    void start(servicekit::context&) override {}
    void stop(servicekit::context&) override {}
};
}  // namespace

int main(int argc, char** argv) {
    servicekit::config cfg;
    cfg.name = "noop";
    noop svc;
    return servicekit::cli::cli_main(argc, argv, cfg, svc);
}
