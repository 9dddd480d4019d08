#pragma once
// The Windows console runtime, the counterpart of posix::run_with_signals:
// run a service in the foreground until Ctrl+C, Ctrl+Break, closing the
// console window, logoff/shutdown or request_stop() ends it.

#include "detail/lifecycle.hpp"

namespace servicekit::detail::scm {

/// Runs the lifecycle on the calling thread, idle in one wait on an event.
/// The console control handler (SetConsoleCtrlHandler) runs on a thread the
/// system creates; it only sets the event, except for close, logoff and
/// shutdown, where it also waits for stop() to finish (bounded by the stop
/// timeout), because the process is ended when the handler returns. The
/// handler is removed when it returns.
int run_with_console_ctrl(const config& cfg, service& svc, manager_link& link, spdlog::sink_ptr sink);

/// How long a run loop may wait on its event: until the next periodic task
/// (context::every), INFINITE when there is none. Both run loops (the
/// console's and the SCM's ServiceMain) use it.
unsigned long task_wait_ms(const lifecycle& lc);

}  // namespace servicekit::detail::scm
