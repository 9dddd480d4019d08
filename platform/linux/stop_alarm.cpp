#include "linux/stop_alarm.hpp"

#include <servicekit/run.hpp>

#include <cstdlib>
#include <pthread.h>
#include <unistd.h>

namespace servicekit::detail::linux_alarm {

namespace {

// The armed alarm, for the handler; and the handler it replaced.
std::atomic<timer_alarm*> current{nullptr};
struct sigaction replaced {};
// A replaced handler with SA_RESETHAND has been called: the kernel would have
// put SIG_DFL back as it delivered the signal, so the alarm's end does.
std::atomic<bool> reset_to_default{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free atomic");

// A SIGRTMAX from anyone but the timer goes where it went before, called with
// its sa_mask blocked, as the kernel would have called it. The one difference:
// the signal itself stays unblocked even without SA_NODEFER, because the
// timer's own expiry must reach on_alarm() while that handler runs. A
// disposition of SIG_DFL or SIG_IGN (whatever the flags say) ignores it; a
// default that would have ended the process is not followed. A handler with
// SA_RESETHAND is called once, as the kernel would call it, and the signals
// after it meet SIG_DFL.
void pass_on(int signo, siginfo_t* info, void* context) noexcept {
    if (replaced.sa_handler == SIG_DFL || replaced.sa_handler == SIG_IGN) return;
    if ((replaced.sa_flags & SA_RESETHAND) != 0 && reset_to_default.exchange(true)) return;
    sigset_t block = replaced.sa_mask;
    sigdelset(&block, signo);
    // The mask from before the signal comes back as on_alarm() returns.
    ::pthread_sigmask(SIG_BLOCK, &block, nullptr);
    if ((replaced.sa_flags & SA_SIGINFO) != 0) replaced.sa_sigaction(signo, info, context);
    else replaced.sa_handler(signo);
}

}  // namespace

int alarm_signal() noexcept { return SIGRTMAX; }

void timer_alarm::on_alarm(int signo, siginfo_t* info, void* context) noexcept {
    timer_alarm* const alarm = current.load();
    if (alarm == nullptr || info == nullptr || info->si_code != SI_TIMER || info->si_value.sival_ptr != alarm) {
        pass_on(signo, info, context);
        return;
    }
    int expected = armed;
    if (!alarm->state_.compare_exchange_strong(expected, firing)) {
        // The second expiry: the first is stuck writing a line.
        if (expected == firing) std::_Exit(exit_stop_timeout);
        return;  // stop() returned in time
    }
    itimerspec backstop{};
    backstop.it_value.tv_sec = 1;
    ::timer_settime(alarm->timer_, 0, &backstop, nullptr);
    // A stderr or socket with no reader gives EPIPE, not a SIGPIPE that
    // would end the process with a signal instead of exit_stop_timeout.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    for (const auto& l : alarm->lines_) l.writer->write_last_line(l.text);
    std::_Exit(exit_stop_timeout);
}

timer_alarm::~timer_alarm() {
    if (have_timer_) ::timer_delete(timer_);
    if (have_handler_) {
        struct sigaction back = replaced;
        if (reset_to_default.load()) {
            back = {};
            back.sa_handler = SIG_DFL;
        }
        ::sigaction(alarm_signal(), &back, nullptr);
    }
    timer_alarm* self = this;
    current.compare_exchange_strong(self, nullptr);
}

bool timer_alarm::prepare() noexcept {
    // pthread_self() first: arm() calls this at every stop, and it is no
    // system call, where gettid() is one.
    if (have_timer_ && ::pthread_equal(owner_, ::pthread_self()) != 0) return true;
    const pid_t self = ::gettid();
    if (have_timer_) ::timer_delete(timer_);  // made on another thread
    have_timer_ = false;
    sigevent ev{};
    ev.sigev_notify = SIGEV_THREAD_ID;
#if defined(sigev_notify_thread_id)
    ev.sigev_notify_thread_id = self;
#else
    ev._sigev_un._tid = self;  // glibc before 2.38 has no name for it
#endif
    ev.sigev_signo = alarm_signal();
    ev.sigev_value.sival_ptr = this;
    if (::timer_create(CLOCK_MONOTONIC, &ev, &timer_) != 0) return false;
    have_timer_ = true;
    owner_ = ::pthread_self();
    return true;
}

bool timer_alarm::arm(std::chrono::milliseconds timeout, std::vector<line> lines) noexcept {
    const int signo = alarm_signal();
    if (!prepare()) return false;
    if (!have_handler_) {
        struct sigaction sa {};
        sa.sa_sigaction = on_alarm;
        sigemptyset(&sa.sa_mask);
        // SA_NODEFER: the second expiry must reach a handler stuck in a write.
        sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESTART;
        reset_to_default.store(false);
        if (::sigaction(signo, &sa, &replaced) != 0) return false;
        have_handler_ = true;
    }
    lines_ = std::move(lines);
    current.store(this);
    state_.store(armed);
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    itimerspec when{};
    when.it_value.tv_sec = static_cast<time_t>(s.count());
    when.it_value.tv_nsec = static_cast<long>(std::chrono::nanoseconds(timeout - s).count());
    if (::timer_settime(timer_, 0, &when, nullptr) != 0) {
        state_.store(idle);
        return false;
    }
    // A program may block signals on the thread that calls stop(); the
    // signal must not wait for that (a stop timeout is at least 100 ms).
    const int signals[] = {signo};
    unblocked_.unblock(signals);
    return true;
}

// The handler runs on this thread and never returns once the deadline has
// passed, so a disarm() that runs finds the alarm armed; a signal sent between
// the state's change and the timer's end is delivered as timer_delete()
// returns, and the handler ignores it. The timer is deleted rather than
// stopped: a stop arms the alarm once, and deleting it now spares the run's
// end a system call (a later arm() makes a new one).
void timer_alarm::disarm() noexcept {
    int expected = armed;
    if (!state_.compare_exchange_strong(expected, disarmed)) return;
    ::timer_delete(timer_);
    have_timer_ = false;
    unblocked_.reblock();
}

}  // namespace servicekit::detail::linux_alarm
