#pragma once
// Reading `launchctl print <domain>/<label>`. Its output is not a stable
// format; only the top-level `state = ` and `pid = ` lines are read (nested
// blocks such as endpoints and event triggers have their own `state = active`).

#include <optional>
#include <string>
#include <string_view>

namespace servicekit::detail {

struct launchd_print_info {
    std::string state;             ///< "running", "not running", "waiting"…; empty when absent
    std::optional<long long> pid;  ///< the job's process, when it has one
};

/// Parses the output of `launchctl print` of one service. Pure.
launchd_print_info parse_launchctl_print(std::string_view out);

/// Reads the override of `label` from `launchctl print-disabled <domain>`:
/// lines `"<label>" => disabled` (or `=> true`, as older releases print it)
/// and `=> enabled` (`=> false`). True: disabled; false: enabled, or no
/// override (launchd loads a label it has none for). Nullopt when there is
/// no such block, or the line has a value it does not know. Pure.
std::optional<bool> parse_launchctl_disabled(std::string_view out, std::string_view label);

}  // namespace servicekit::detail
