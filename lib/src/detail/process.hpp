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

#if !defined(_WIN32)
/// pipe(2) with both ends close-on-exec, and non-blocking if asked; where the
/// system has pipe2() (Linux, the BSDs) in one call, so that another thread's
/// fork and exec cannot come between and pass the ends to its child (which
/// would then hold a reader's EOF back). False with errno set if it failed.
/// Defined in platform/posix/process.cpp.
bool make_pipe(int fds[2], bool nonblocking) noexcept;
#endif

}  // namespace servicekit::detail
