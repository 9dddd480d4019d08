// A consumer of servicekit::servicekit alone (no CLI, no Boost): validates a
// config, asks the controller which backend it got, and runs in the foreground.
#include <servicekit/servicekit.hpp>

#include <cstdio>
#include <cstring>

namespace {

class echo : public servicekit::service {
public:
    void start(servicekit::context& ctx) override {
        ctx.log().info("servicekit {} on {}", SERVICEKIT_VERSION, backend_);
        for (const auto& a : ctx.arguments()) ctx.log().info("argument '{}'", a);
    }
    void stop(servicekit::context&) override {}
    std::string backend_;
};

}  // namespace

int main(int argc, char** argv) {
    servicekit::config cfg;
    cfg.name = "core-consumer";
    for (int i = 1; i < argc; ++i) cfg.arguments.emplace_back(argv[i]);

    servicekit::config bad = cfg;
    bad.name = "../etc";
    try {
        servicekit::validate(bad);
        std::fputs("validate() accepted a name with a path separator\n", stderr);
        return 1;
    } catch (const servicekit::error& e) {
        if (e.reason() != servicekit::errc::invalid_config) return 1;
    }

    echo svc;
    svc.backend_ = std::string(servicekit::controller(cfg).platform());
    return servicekit::run(cfg, svc);
}
