#pragma once
/// @file
/// What a service is: its name, its command line, how the manager runs it.
/// One struct for every platform; platform-only settings live in typed
/// sub-structs that compile everywhere and are ignored where they do not apply.

#include <servicekit/export.hpp>

#include <spdlog/common.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace servicekit {

/// When the manager starts the service.
enum class start_type {
    automatic,  ///< at boot (systemd: enabled; launchd: RunAtLoad; SCM: SERVICE_AUTO_START)
    delayed,    ///< at boot, after the automatic ones (SCM delayed auto-start; elsewhere = automatic)
    manual,     ///< only on `start` (systemd: installed, not enabled; launchd: RunAtLoad false)
    disabled,   ///< not at boot; SCM: cannot be started until the start type changes; launchd: label disabled; systemd, SysV: not enabled, `start` still starts it
};

/// Whose service it is.
enum class scope {
    system,  ///< a system service: needs root / Administrator to install
    user,    ///< a per-user service (systemd --user, a launchd agent); not supported on Windows
};

/// What the manager does when the service ends on its own.
enum class restart_policy {
    never,       ///< leave it stopped
    on_failure,  ///< restart after a crash or a non-zero exit
    always,      ///< restart whenever it ends, unless stopped through the manager
};

/// How install() treats an existing service of the same name.
enum class install_mode {
    fail_if_exists,  ///< throw errc::already_installed
    replace,         ///< upgrade in place: stop, rewrite, reload, start again if it was running
};

/// Settings only systemd uses. Compiles everywhere, ignored elsewhere.
struct systemd_options {
    /// `WatchdogSec=`: when non-zero, run() sends WATCHDOG=1 every half of it
    /// and systemd kills and restarts a service that stops answering. 0: off.
    std::chrono::milliseconds watchdog{0};
    /// Dependencies become `Requires=` (stop with them) instead of `Wants=`.
    bool require_dependencies = false;
};

/// Settings only launchd uses. Compiles everywhere, ignored elsewhere.
struct launchd_options {
    /// The job's Label, reverse-DNS. Empty: "org.servicekit.<name>".
    std::string label;
    /// StandardOutPath: where launchd writes the job's stdout. Empty: dropped.
    std::filesystem::path standard_out_path;
    /// StandardErrorPath: where launchd writes the job's stderr. Empty: dropped.
    std::filesystem::path standard_error_path;
};

/// Settings only the Windows SCM uses. Compiles everywhere, ignored elsewhere.
struct windows_options {
    /// The account the service runs as, when config::user is empty:
    /// "" or "LocalSystem", "LocalService", "NetworkService", "virtual"
    /// (`NT SERVICE\<name>`). A config::user names any other account.
    std::string account;
    /// The password of config::user, when it is a real user account.
    std::string password;
    /// Accept PAUSE/CONTINUE. Pausing calls nothing on the service: it reports
    /// paused and the service keeps running; say so in your service's docs.
    bool accept_pause = false;
    /// After this long without a failure the SCM resets its failure count.
    std::chrono::seconds failure_reset_period{86400};
};

/// Everything servicekit needs to know about a service. Fill it in, then hand
/// it to cli::cli_main, run() or a controller; each validates it first (see
/// validate()) and rejects bad values before anything is written.
struct config {
    /// The service's name: unit name, SCM name, the last part of the launchd
    /// label. 1–64 characters from [A-Za-z0-9._-], starting with a letter or a
    /// digit; no "..", no trailing '.', not a Windows device name (CON, NUL, COM1…).
    std::string name;
    /// A human name (SCM display name, systemd Description= when description is empty).
    std::string display_name;
    /// One line saying what the service does.
    std::string description;
    /// The program to run; absolute. Empty: this program (the usual case).
    std::filesystem::path executable;
    /// Arguments handed to the service verbatim (context::arguments()), even
    /// ones that look like options: the installed command line is
    /// `<executable> run --name <name> [--user] --log-level <level> -- <arguments…>`.
    std::vector<std::string> arguments;
    /// Working directory; absolute. Empty: "/" on POSIX, the executable's folder on Windows.
    std::filesystem::path working_directory;
    /// Extra environment variables for the service.
    std::map<std::string, std::string> environment;
    /// Account to run as. Empty: the manager's default (root, LocalSystem,
    /// the user of a user-scope service).
    std::string user;
    /// Group to run as (systemd Group=, launchd GroupName, SysV --chuid
    /// user:group). Empty: the user's primary group. Ignored on Windows.
    std::string group;
    /// Services this one needs, started before it. Names as the platform knows
    /// them; on systemd a name without a suffix gets ".service".
    std::vector<std::string> dependencies;
    /// When the manager starts it. Default: at boot.
    servicekit::start_type start_type = start_type::automatic;
    /// A system service (root / Administrator) or a per-user one.
    servicekit::scope scope = scope::system;
    /// What the manager does when the service ends on its own. SysV init
    /// never restarts.
    restart_policy restart = restart_policy::on_failure;
    /// How long the manager waits before a restart. 0 … 1 h.
    std::chrono::milliseconds restart_delay{std::chrono::seconds(1)};
    /// How long stop() may take before the process is ended anyway: drives
    /// systemd TimeoutStopSec=, launchd ExitTimeOut, the SCM wait hint, and
    /// run() enforces it itself. 100 ms … 1 h.
    std::chrono::milliseconds stop_timeout{std::chrono::seconds(10)};
    /// The logger's level while running; `--log-level` overrides it.
    spdlog::level::level_enum log_level = spdlog::level::info;
    /// Settings only systemd uses.
    systemd_options systemd;
    /// Settings only launchd uses.
    launchd_options launchd;
    /// Settings only the Windows SCM uses.
    windows_options windows;
};

/// Checks every rule above, the same way on every platform, without touching
/// the filesystem. Throws servicekit::error(errc::invalid_config) naming the
/// field, the value and the rule. Thread-safe.
SERVICEKIT_EXPORT void validate(const config& cfg);

/// "automatic", "delayed", "manual", "disabled".
SERVICEKIT_EXPORT std::string_view to_string(start_type t) noexcept;
/// "system", "user".
SERVICEKIT_EXPORT std::string_view to_string(scope s) noexcept;
/// "never", "on-failure", "always".
SERVICEKIT_EXPORT std::string_view to_string(restart_policy r) noexcept;

/// The launchd label of cfg: cfg.launchd.label, else "org.servicekit.<name>".
SERVICEKIT_EXPORT std::string launchd_label(const config& cfg);

/// The command line the manager runs, argv[0] first:
/// `{executable, "run", "--name", name, ["--user",] "--log-level", level, "--", arguments…}`
/// ("--user" for user scope; "--log-level" and "--" always, so the installed
/// level and arguments are the ones that run). cli_main understands it; a
/// program that drives run() without cli_main must parse it itself.
SERVICEKIT_EXPORT std::vector<std::string> service_command_line(const config& cfg);

}  // namespace servicekit
