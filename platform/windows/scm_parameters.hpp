#pragma once
// What the SCM backend hands to CreateServiceW, ChangeServiceConfig2W and the
// registry, computed from a config without any Windows call: it builds on
// every host so that the Linux CI unit-tests it with golden files, and the
// backend only converts these values to UTF-16 at the API boundary.

#include <servicekit/config.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace servicekit::detail::scm {

/// One Windows command line: `exe` always in double quotes (an unquoted path
/// with spaces lets `C:\Program.exe` run instead), then each argument encoded
/// so that CommandLineToArgvW and the C runtime's argv parser both give it
/// back exactly: quoted when empty or holding a space, tab, newline,
/// vertical tab or '"'; inside quotes a '"' becomes \" and the backslashes
/// before a '"' (or the closing quote) are doubled. UTF-8 in, UTF-8 out.
/// Throws errc::invalid_config when `exe` is empty or holds a '"' or a
/// control character (no Windows path can).
std::string windows_command_line(std::string_view exe, const std::vector<std::string>& args);

/// Throws errc::invalid_config when the SCM would change `binary_path` before
/// running it: the SCM stores it as REG_EXPAND_SZ and expands every
/// `%NAME%` of a defined variable, and there is no escape for '%'. Any
/// `%…%` with text between is rejected; a lone '%' and "%%" pass.
void check_no_expansion(std::string_view binary_path);

/// SCM constants (winsvc.h), spelled out so this header builds everywhere.
inline constexpr std::uint32_t service_auto_start = 2;    // SERVICE_AUTO_START
inline constexpr std::uint32_t service_demand_start = 3;  // SERVICE_DEMAND_START
inline constexpr std::uint32_t service_disabled = 4;      // SERVICE_DISABLED
inline constexpr std::uint32_t sc_action_none = 0;        // SC_ACTION_NONE
inline constexpr std::uint32_t sc_action_restart = 1;     // SC_ACTION_RESTART

/// One SC_ACTION.
struct failure_action {
    std::uint32_t type = sc_action_none;
    std::uint32_t delay_ms = 0;
    friend bool operator==(const failure_action&, const failure_action&) = default;
};

/// Everything install writes, as plain values.
struct scm_parameters {
    std::string name;                 ///< lpServiceName
    std::string display_name;         ///< lpDisplayName (the name when none is configured)
    std::string description;          ///< SERVICE_CONFIG_DESCRIPTION; empty: not set
    std::string binary_path;          ///< lpBinaryPathName: windows_command_line(service_command_line(cfg))
    std::uint32_t start_type = service_auto_start;  ///< dwStartType
    bool delayed_auto_start = false;  ///< SERVICE_CONFIG_DELAYED_AUTO_START_INFO
    std::string account;              ///< lpServiceStartName; empty: LocalSystem (nullptr)
    std::string password;             ///< lpPassword; empty: none (nullptr)
    std::vector<std::string> dependencies;  ///< lpDependencies (a double-NUL-terminated list)
    std::vector<failure_action> failure_actions;  ///< SERVICE_CONFIG_FAILURE_ACTIONS
    std::uint32_t failure_reset_period_s = 0;     ///< dwResetPeriod
    bool failure_actions_on_non_crash = false;    ///< SERVICE_CONFIG_FAILURE_ACTIONS_FLAG
    std::uint32_t preshutdown_timeout_ms = 0;     ///< SERVICE_CONFIG_PRESHUTDOWN_INFO
    std::vector<std::string> environment;  ///< "KEY=value" for the service key's Environment (REG_MULTI_SZ)
    /// Under HKEY_LOCAL_MACHINE: the Event Log source, so that Event Viewer
    /// shows the messages and not "description not found".
    std::string event_source_key;
    /// The message file the event source names (EventMessageFile): the
    /// Event Log's own generic one, %SystemRoot% expanded by Event Viewer.
    std::string event_message_file;
};

/// The parameters of `cfg` (validated, executable resolved). `exe` is the
/// executable as UTF-8 (on Windows: converted from the path's UTF-16).
/// Throws errc::not_supported for scope::user and errc::invalid_config for a
/// command line the SCM would expand.
scm_parameters make_scm_parameters(const config& cfg, std::string_view exe);

/// The parameters as text, one `key: value` per line, the password hidden:
/// what `print-config` shows.
std::string render_scm_parameters(const scm_parameters& p);

}  // namespace servicekit::detail::scm
