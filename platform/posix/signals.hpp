#pragma once
// The POSIX runtime: run a service until a signal or request_stop() ends it.

#include "detail/lifecycle.hpp"

#include <chrono>
#include <functional>

namespace servicekit::detail::posix {

struct keepalive {
    std::chrono::milliseconds period{0};  ///< 0: none
    std::function<void()> beat;          ///< called every period on the main thread
};

/// Runs the lifecycle on the calling thread with no extra thread while idle:
/// SIGTERM and SIGINT stop, SIGHUP reloads, request_stop() stops; as PID 1
/// it also reaps orphaned children. Signals reach the loop through a
/// self-pipe written by async-signal-safe handlers, installed explicitly so
/// they work as PID 1 too. The handlers are restored when it returns.
int run_with_signals(const config& cfg, service& svc, manager_link& link, spdlog::sink_ptr sink,
                     keepalive ka = {});

}  // namespace servicekit::detail::posix
