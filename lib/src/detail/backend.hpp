#pragma once
// The one seam between the portable core and a platform. Exactly one
// make_native_backend() is linked into a build (platform/<os>/backend.cpp or
// platform/null/backend.cpp). The core validates the config before it calls
// any of these, so a backend may assume a valid config with an absolute
// executable.

#include <servicekit/config.hpp>
#include <servicekit/service.hpp>
#include <servicekit/status.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace servicekit::detail {

class backend {
public:
    virtual ~backend() = default;

    virtual std::string_view platform() const = 0;
    virtual std::string render(const config& cfg) const = 0;
    virtual void install(const config& cfg, install_mode mode) = 0;
    virtual void uninstall(const config& cfg) = 0;
    virtual void start(const config& cfg) = 0;
    virtual void stop(const config& cfg) = 0;
    virtual void restart(const config& cfg) = 0;
    virtual status_info query(const config& cfg) const = 0;

    /// Runs the service in this process: under the manager that started it,
    /// or in the foreground. Returns the exit code. See servicekit::run.
    virtual int run(const config& cfg, service& svc) = 0;
};

std::unique_ptr<backend> make_native_backend();

/// How long after config::stop_timeout a manager's own SIGKILL comes: run()
/// ends a stop() that overran the stop timeout itself, with 124 and its log
/// line (written within 1 s), and this leaves it the time to. The manager
/// counts from its stop request, run() from the start of stop(), a little
/// later.
inline constexpr std::chrono::seconds stop_kill_margin{2};

/// How long a manager may wait for a stop before it kills the service:
/// systemd's TimeoutStopSec=, the SysV script's STOP_SCHEDULE, launchd's
/// ExitTimeOut, the SCM's pre-shutdown timeout.
inline std::chrono::milliseconds manager_stop_limit(const config& cfg) noexcept {
    return cfg.stop_timeout + stop_kill_margin;
}

/// Whether the manager starts the service at boot (start types automatic
/// and delayed).
inline bool starts_at_boot(const config& cfg) noexcept {
    return cfg.start_type == start_type::automatic || cfg.start_type == start_type::delayed;
}

/// This program's absolute path (/proc/self/exe, _NSGetExecutablePath,
/// GetModuleFileNameW). Defined per platform.
std::filesystem::path current_executable();

}  // namespace servicekit::detail
