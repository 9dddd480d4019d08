#pragma once
// The stop timeout without a thread, on Linux: a POSIX timer whose signal
// ends the process.

#include "detail/lifecycle.hpp"
#include "posix/signals.hpp"

#include <atomic>
#include <csignal>
#include <ctime>
#include <pthread.h>

namespace servicekit::detail::linux_alarm {

/// The signal the timer sends: the last real-time one, which programs rarely
/// use. The handler is installed only from arm() to the alarm's end (run()'s
/// return); a SIGRTMAX that does not come from the timer meanwhile is passed
/// to the handler it replaced, if that was a function (once, if it had
/// SA_RESETHAND, after which the alarm's end puts back SIG_DFL), and otherwise
/// ignored.
int alarm_signal() noexcept;

/// One per run(). The timer signals the thread that arms it (SIGEV_THREAD_ID),
/// the one that runs stop() and disarms it, so the handler never races
/// disarm() or the alarm's end, and a sigwait() elsewhere cannot take the
/// signal. When the deadline passes, the handler (SA_NODEFER) writes each
/// line through its sink and calls _Exit(exit_stop_timeout); if a write blocks
/// despite all, the timer's second expiry, 1 s later, ends the process
/// without it. Everything the handler does is async-signal-safe, so a stop()
/// that hangs holding a lock (malloc's, a sink's) cannot keep the process
/// alive or the line from servicekit's own sinks.
class timer_alarm final : public stop_alarm {
public:
    timer_alarm() = default;
    ~timer_alarm() override;
    timer_alarm(const timer_alarm&) = delete;
    timer_alarm& operator=(const timer_alarm&) = delete;

    bool prepare() noexcept override;
    bool arm(std::chrono::milliseconds timeout, std::vector<line> lines) noexcept override;
    void disarm() noexcept override;

private:
    static void on_alarm(int signo, siginfo_t* info, void* context) noexcept;
    // armed -> firing (the deadline passed) or armed -> disarmed (stop()
    // returned first); a handler that finds the alarm firing is the second
    // expiry.
    enum state : int { idle, armed, firing, disarmed };
    std::atomic<int> state_{idle};
    std::vector<line> lines_;  // freed with the alarm, never while armed
    timer_t timer_{};
    bool have_timer_ = false;
    pthread_t owner_{};  // the thread the timer signals, which made it
    bool have_handler_ = false;
    posix::unblocked_signals unblocked_;  // by arm(), on its thread; disarm() blocks it again
};

}  // namespace servicekit::detail::linux_alarm
