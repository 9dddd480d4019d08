#pragma once
// The systemd backend: units in /etc/systemd/system (user scope:
// ~/.config/systemd/user), driven through systemctl.

#include "detail/backend.hpp"
#include "detail/process.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace servicekit::detail::systemd {

/// True when systemd is the running init system (/run/systemd/system exists).
bool booted();

/// The backend for this machine.
std::unique_ptr<backend> make_backend();

/// Runs systemctl: argv without a shell, bounded by the timeout.
using timed_runner =
    std::function<command_result(const std::vector<std::string>& argv, std::chrono::milliseconds timeout)>;

/// Looks up an environment variable (HOME, XDG_CONFIG_HOME); nullopt when unset.
using env_lookup = std::function<std::optional<std::string>(const char* name)>;

/// Everything the driver touches outside itself, so tests can replace it.
struct driver_seams {
    timed_runner run;             ///< systemctl; default: run_command
    std::filesystem::path root;   ///< prefix of every file path; default "/"
    env_lookup getenv;            ///< default: std::getenv, with HOME from the password database
};

/// The seams of the real machine.
driver_seams real_seams();

/// The backend with injected seams (tests: a fake systemctl, a scratch root).
std::unique_ptr<backend> make_backend(driver_seams seams);

/// The directory units of `s` go to: <root>/etc/systemd/system, or
/// <root>/$XDG_CONFIG_HOME/systemd/user (default ~/.config/systemd/user).
/// Throws errc::invalid_config when the user scope has no home directory.
std::filesystem::path unit_directory(scope s, const driver_seams& seams);

/// The state in the output of
/// `systemctl show -p LoadState,ActiveState,SubState,MainPID,Result,StatusText`.
status_info parse_show(std::string_view show_output);

/// True when systemd started this process: $NOTIFY_SOCKET is set, or
/// $SYSTEMD_EXEC_PID is this process (set but another PID: inherited, false),
/// or, from systemd older than 248, $INVOCATION_ID is set and stderr is not a
/// terminal (a terminal opened from a desktop session inherits INVOCATION_ID
/// from the session's own unit; `run` there is interactive).
bool started_by_systemd();

/// backend::run: under systemd (started_by_systemd()) it sends READY=1,
/// RELOADING=1/READY=1, STOPPING=1, STATUS= and WATCHDOG=1 (every half of
/// $WATCHDOG_USEC) and logs to the journal (to syslog without journald's
/// socket, to stderr without /dev/log either: a container); otherwise it
/// runs in the foreground, logging to the terminal. The SysV backend's run()
/// comes here too when the init script did not start it.
int run_under_systemd(const config& cfg, service& svc);

}  // namespace servicekit::detail::systemd
