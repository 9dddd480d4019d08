#pragma once
// The SysV init renderer: config in, LSB init script out. Pure (no OS calls),
// built on every host so that the script is unit-tested everywhere.

#include <servicekit/config.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace servicekit::detail::sysv {

/// The variable the init script sets for the service process; run() logs to
/// syslog and reports readiness to start-stop-daemon when it reads "sysv".
inline constexpr std::string_view init_marker_variable = "SERVICEKIT_INIT";
inline constexpr std::string_view init_marker_value = "sysv";

/// How long `start` waits for the service's readiness (start() returned)
/// before it gives up and stops what it started.
inline constexpr std::chrono::seconds start_timeout{60};

/// After the stop timeout the script sends SIGKILL and waits this long more.
inline constexpr std::chrono::seconds kill_grace{5};

/// How the script's own "did not start" line ends: it already says where the
/// log is, so the backend's error adds only the syslog identifier.
inline constexpr std::string_view see_syslog = "; see syslog";

/// `s` as one POSIX shell word in single quotes: every byte stands for
/// itself, `'` becomes `'\''`. Empty gives `''`.
std::string shell_quote(std::string_view s);

/// Whether `head`, the start of an init script, is one render_sysv_script()
/// wrote (its comment says so): install --force, uninstall, start, stop and
/// restart act only on such a script, never on another daemon's.
bool written_by_servicekit(std::string_view head);

/// The script's path relative to the filesystem root: "etc/init.d/<name>".
std::string script_path(const config& cfg);

/// The pid file relative to the filesystem root: "run/servicekit-<name>.pid".
/// The prefix keeps a service named like another daemon (`sshd`) off that
/// daemon's /run/<name>.pid, which start-stop-daemon --make-pidfile would
/// overwrite.
std::string pid_file_path(const config& cfg);

/// The name the kernel gives the service process (the executable's file
/// name, cut to 15 bytes), which stop and status match besides the pid file.
std::string process_name(const config& cfg);

/// The runlevels the service starts in per start_type ("2 3 4 5", or none
/// for manual and disabled) and stops in ("0 1 6").
std::string_view default_start(const config& cfg);
std::string_view default_stop(const config& cfg);

/// The LSB init script for a valid config (system scope): start, stop,
/// restart, try-restart, reload, force-reload and status through
/// start-stop-daemon, with the LSB exit codes. Throws
/// servicekit::error(invalid_config) for what an init script cannot express
/// (a dependency on a systemd unit that is not a service or a known target).
std::string render_sysv_script(const config& cfg);

}  // namespace servicekit::detail::sysv
