#pragma once
// Running the managers' command-line tools (systemctl, launchctl,
// update-rc.d…) without a shell: argv in, exit code and output out.
// The runner is a seam: tests replace it to inject failures.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace servicekit::detail {

struct command_result {
    int exit_code = -1;  ///< the exit status; 128+N when killed by signal N; 127 when it could not be run
    std::string out, err;
    bool ok() const noexcept { return exit_code == 0; }
};

/// Runs argv[0] (looked up in PATH when it has no '/'), stdin from /dev/null,
/// captures stdout and stderr, waits at most `timeout` (then SIGKILL, exit_code 137).
using command_runner = std::function<command_result(const std::vector<std::string>& argv)>;

/// The real runner (posix_spawn; defined in platform/posix/process.cpp).
command_result run_command(const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout = std::chrono::seconds(120));

/// "systemctl --user start 'my unit'": for messages only, never executed.
std::string describe_command(const std::vector<std::string>& argv);

}  // namespace servicekit::detail
