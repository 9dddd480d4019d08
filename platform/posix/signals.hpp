#pragma once
// The POSIX runtime: run a service until a signal or request_stop() ends it.

#include "detail/lifecycle.hpp"

#include <chrono>
#include <csignal>
#include <functional>
#include <span>

namespace servicekit::detail::posix {

/// Signals unblocked on the calling thread for a while (run()'s, the stop
/// alarm's): reblock() blocks again only those of them that were blocked
/// before unblock(), so that a change made to the thread's mask in between
/// stays. In the usual case, none was blocked, reblock() is no system call.
class unblocked_signals {
public:
    void unblock(std::span<const int> signals) noexcept;
    /// Once; a second call does nothing.
    void reblock() noexcept;

private:
    sigset_t reblock_{};
    bool any_ = false;
};

struct keepalive {
    std::chrono::milliseconds period{0};  ///< 0: none
    std::function<void()> beat;          ///< called every period on the main thread
};

/// Runs the lifecycle on the calling thread with no extra thread while idle:
/// SIGTERM and SIGINT stop, SIGHUP reloads, request_stop() stops; as PID 1
/// it also reaps orphaned children, each once it has been a zombie for 5 s
/// (a child of the service's own is the service's to wait for). The
/// async-signal-safe handlers, installed explicitly so they work as PID 1
/// too, record each signal in a flag and wake the loop through a self-pipe.
/// The handlers are restored when it returns. With an `alarm`, the stop
/// timeout needs no thread either.
int run_with_signals(const config& cfg, service& svc, manager_link& link, spdlog::sink_ptr sink,
                     keepalive ka = {}, stop_alarm* alarm = nullptr);

}  // namespace servicekit::detail::posix
