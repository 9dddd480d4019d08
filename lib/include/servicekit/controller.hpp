#pragma once
/// @file
/// Installing and controlling a service through the platform's manager.

#include <servicekit/config.hpp>
#include <servicekit/export.hpp>
#include <servicekit/status.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace servicekit {

namespace detail { class backend; }

/// Acts on the installed service described by a config, through the native
/// manager (systemctl, launchctl, the SCM API). Every call blocks until the
/// manager has done it or a bound passed, and throws servicekit::error on
/// failure. The methods may be called from several threads at once.
class SERVICEKIT_EXPORT controller {
public:
    /// Validates cfg (throws errc::invalid_config) and resolves an empty
    /// executable to this program's own path.
    explicit controller(config cfg);
    ~controller();
    /// A controller can be moved, not copied.
    controller(controller&&) noexcept;
    /// A controller can be moved, not copied.
    controller& operator=(controller&&) noexcept;

    /// Writes the unit / init script / plist / SCM entry and enables it per
    /// start_type. Fails with already_installed unless mode is replace; rolls
    /// back what it did when a step fails. Does not start the service.
    void install(install_mode mode = install_mode::fail_if_exists);
    /// Stops the service (bounded by stop_timeout) and removes every trace of it.
    void uninstall();
    /// Starts the service and waits until the manager reports it running.
    void start();
    /// Stops the service and waits until it has stopped (bounded).
    void stop();
    /// Stops and starts again (a new process).
    void restart();
    /// The state as the manager reports it.
    servicekit::status status() const;
    /// The state, the main PID and the manager's own words.
    status_info query() const;
    /// Exactly what install() would write (a unit, a script, a plist, or the
    /// SCM parameters), without touching anything.
    std::string render() const;
    /// "linux-systemd", "unix-sysv", "darwin-launchd", "windows-scm", or "null".
    std::string_view platform() const;
    /// The validated config, executable resolved.
    const config& cfg() const noexcept;

private:
    config cfg_;
    std::unique_ptr<detail::backend> backend_;
};

}  // namespace servicekit
