#include "detail/backend.hpp"

#include <servicekit/error.hpp>

#if !defined(_WIN32)
#include "posix/signals.hpp"
#endif

namespace servicekit::detail {

namespace {

[[noreturn]] void unsupported(const char* verb) {
    throw error(errc::not_supported,
                std::string("cannot ") + verb +
                    ": not supported on this platform (servicekit was built without a service manager backend); "
                    "use `run` to run in the foreground");
}

class null_backend final : public backend {
public:
    std::string_view platform() const override { return "null"; }
    std::string render(const config&) const override { unsupported("render the service definition"); }
    void install(const config&, install_mode) override { unsupported("install"); }
    void uninstall(const config&) override { unsupported("uninstall"); }
    void start(const config&) override { unsupported("start"); }
    void stop(const config&) override { unsupported("stop"); }
    void restart(const config&) override { unsupported("restart"); }
    status_info query(const config&) const override { unsupported("query the status"); }
    int run(const config& cfg, service& svc) override {
#if defined(_WIN32)
        (void)cfg; (void)svc;
        unsupported("run");
#else
        terminal_link link;
        return posix::run_with_signals(cfg, svc, link, make_terminal_sink());
#endif
    }
};

}  // namespace

std::unique_ptr<backend> make_native_backend() { return std::make_unique<null_backend>(); }

}  // namespace servicekit::detail
