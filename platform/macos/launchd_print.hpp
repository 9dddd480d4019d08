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

}  // namespace servicekit::detail
