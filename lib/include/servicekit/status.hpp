#pragma once
/// @file
/// The state of an installed service, as the platform's manager reports it.

#include <servicekit/export.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace servicekit {

/// The state of a service. `status` on the CLI exits 0 for running, 3 for
/// stopped (and every other state that is not running), 4 for not_installed.
enum class status {
    not_installed,  ///< the manager does not know the service
    stopped,        ///< installed, not running (also: failed; see status_info::detail)
    starting,       ///< the manager is starting it (systemd `activating`, SCM START_PENDING)
    running,        ///< running (for systemd: READY=1 was sent)
    stopping,       ///< being stopped (systemd `deactivating`, SCM STOP_PENDING)
    paused,         ///< paused (Windows only)
    unknown,        ///< the manager answered with a state servicekit does not know
};

/// "not-installed", "stopped", "starting", "running", "stopping", "paused", "unknown".
SERVICEKIT_EXPORT std::string_view to_string(status s) noexcept;

/// Everything `status` learns in one query.
struct status_info {
    /// The state.
    servicekit::status state = status::unknown;
    std::optional<long long> pid;  ///< the main process, when running and known
    std::string detail;            ///< the manager's own words, e.g. "failed (Result: exit-code)"
};

}  // namespace servicekit
