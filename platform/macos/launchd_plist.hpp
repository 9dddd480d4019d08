#pragma once
// The launchd property list of a service: pure (config in, XML out), built on
// every host so that Linux CI tests the macOS output too.

#include <servicekit/config.hpp>

#include <span>
#include <string>
#include <string_view>

namespace servicekit::detail {

/// The plist `install` writes to /Library/LaunchDaemons/<label>.plist (or
/// ~/Library/LaunchAgents). Every string is XML-escaped (&, <, >, and CR as
/// &#13; so that XML's line-end normalisation cannot turn it into LF); a
/// string XML 1.0 cannot carry (invalid UTF-8, C0 controls other than TAB,
/// LF, CR, U+FFFE/U+FFFF) throws errc::invalid_config naming the field, as
/// does UserName/GroupName on a user-scope service (an agent runs as its owner).
/// The plist starts with a comment saying servicekit wrote it, which
/// written_by_servicekit() looks for.
std::string render_launchd_plist(const config& cfg);

/// True when `plist` (a file's text) has the comment render_launchd_plist()
/// writes before its <dict>: install --force, uninstall, start, stop and
/// restart touch no job whose plist another program wrote.
bool written_by_servicekit(std::string_view plist) noexcept;

/// True when `plist`, one render_launchd_plist() wrote, runs the instance
/// `name` (its ProgramArguments say `run --name <name>`). Instances given
/// the same config::launchd.label share one plist path; each acts only on
/// its own.
bool runs_instance(std::string_view plist, std::string_view name);

/// The value types of the keys render_launchd_plist() writes.
enum class plist_type {
    string,            ///< <string>
    boolean,           ///< <true/> or <false/>
    integer,           ///< <integer>
    string_array,      ///< <array> of <string>
    string_dictionary, ///< <dict> of <string>
    keep_alive,        ///< <true/>/<false/>, or <dict> with the boolean SuccessfulExit
};

struct plist_key {
    std::string_view key;
    plist_type type;
};

/// Every key render_launchd_plist() may write, with the type launchd expects
/// (launchd.plist(5)); tests check each rendered plist against it.
std::span<const plist_key> launchd_plist_keys() noexcept;

/// "string", "boolean", "integer", "string-array", "string-dictionary", "keep-alive".
std::string_view to_string(plist_type t) noexcept;

/// ThrottleInterval: the restart delay in whole seconds, rounded up, at least 1
/// (launchd takes whole seconds; 0 would let a crashing job respawn in a tight loop).
long long launchd_throttle_interval(const config& cfg) noexcept;

/// ExitTimeOut: manager_stop_limit() (the stop timeout plus 2 s) in whole
/// seconds, rounded up, so that launchd's SIGKILL comes after run()'s own
/// stop timeout, its line and exit 124.
long long launchd_exit_timeout(const config& cfg) noexcept;

}  // namespace servicekit::detail
