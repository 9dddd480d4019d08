// Placeholder until the systemd backend lands: every verb says so; run works in the foreground.
#include "linux/systemd_backend.hpp"

#include <servicekit/error.hpp>

#include "posix/signals.hpp"
#include <filesystem>

namespace servicekit::detail::systemd {

namespace {
[[noreturn]] void missing() { throw error(errc::not_supported, "the systemd backend is not built yet"); }
class placeholder final : public backend {
public:
    std::string_view platform() const override { return "systemd-placeholder"; }
    std::string render(const config&) const override { missing(); }
    void install(const config&, install_mode) override { missing(); }
    void uninstall(const config&) override { missing(); }
    void start(const config&) override { missing(); }
    void stop(const config&) override { missing(); }
    void restart(const config&) override { missing(); }
    status_info query(const config&) const override { missing(); }
    int run(const config& cfg, service& svc) override {
        terminal_link link;
        return posix::run_with_signals(cfg, svc, link, make_terminal_sink());
    }
};
}  // namespace

bool booted() { return std::filesystem::is_directory("/run/systemd/system"); }
std::unique_ptr<backend> make_backend() { return std::make_unique<placeholder>(); }

}  // namespace servicekit::detail::systemd
