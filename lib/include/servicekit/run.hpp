#pragma once
/// @file
/// Running a service: under its manager, or in the foreground.

#include <servicekit/config.hpp>
#include <servicekit/export.hpp>
#include <servicekit/service.hpp>

namespace servicekit {

/// run() returned after a clean stop.
inline constexpr int exit_success = 0;
/// start(), stop() or a periodic task threw, the config is invalid, run()
/// could not set up (no file descriptor for its signal pipe), or the service
/// asked for it.
inline constexpr int exit_failure = 1;
/// stop() did not return within config::stop_timeout; the process ends with
/// this code without running destructors (the service is hung).
inline constexpr int exit_stop_timeout = 124;

/// Runs `svc` until it is told to stop, and returns the process's exit code.
///
/// Under a service manager (detected from the environment: systemd's
/// NOTIFY_SOCKET / INVOCATION_ID / SYSTEMD_EXEC_PID, the SysV init script's
/// SERVICEKIT_INIT=sysv, launchd's XPC_SERVICE_NAME, the Windows SCM) it reports readiness and stopping to the
/// manager and logs to the platform's log. Otherwise it logs to the terminal
/// and stops on Ctrl+C / SIGINT / SIGTERM (Ctrl+Break on Windows); SIGHUP
/// calls reload(). Works as PID 1 of a container (handlers are installed
/// explicitly; as PID 1 it also reaps orphaned children, each once it has
/// been a zombie for 5 s, so that the service's own children stay its to
/// wait for).
///
/// On POSIX systems run() installs its handlers for SIGINT, SIGTERM and SIGHUP
/// (and SIGCHLD as PID 1), and unblocks them on the calling thread if a parent
/// had blocked them; on Linux, from the stop until it returns, SIGRTMAX carries
/// the stop timeout. As it returns it puts the dispositions back and blocks
/// again those of the signals it unblocked that were blocked before; a change
/// the service made to its thread's mask meanwhile stays. A thread
/// servicekit starts itself (the stop timeout's, where there is no POSIX
/// timer) blocks every signal, so a signal sent to the process reaches only
/// the program's own threads.
///
/// Blocks the calling thread, which must be the main thread; call it once per
/// process. The service's callbacks run on this thread, except under the
/// Windows SCM, where they run on the SCM's service thread (ServiceMain) while
/// this one dispatches controls.
SERVICEKIT_EXPORT int run(const config& cfg, service& svc);

}  // namespace servicekit
