#include "signals.hpp"

#include "detail/process.hpp"

#include <servicekit/run.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <csignal>
#include <optional>
#include <span>
#include <system_error>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace servicekit::detail::posix {

void unblocked_signals::unblock(std::span<const int> signals) noexcept {
    sigset_t set;
    sigemptyset(&set);
    for (const int s : signals) sigaddset(&set, s);
    sigset_t before;
    sigemptyset(&reblock_);
    any_ = false;
    if (::pthread_sigmask(SIG_UNBLOCK, &set, &before) != 0) return;
    for (const int s : signals) {
        if (sigismember(&before, s) == 1) {
            sigaddset(&reblock_, s);
            any_ = true;
        }
    }
}

void unblocked_signals::reblock() noexcept {
    if (any_) ::pthread_sigmask(SIG_BLOCK, &reblock_, nullptr);
    any_ = false;
}

namespace {

// The signals run() handles, and the bit of each in `pending`.
constexpr std::array<int, 4> handled{SIGINT, SIGTERM, SIGHUP, SIGCHLD};
constexpr unsigned bit(int signo) {
    for (std::size_t i = 0; i < handled.size(); ++i)
        if (handled[i] == signo) return 1u << i;
    return 0;
}

// What the run loop has to look at: the signals that came, and `woken_bit`
// for a wake-up from another thread (request_stop(), a new periodic task).
// The self-pipe only wakes the loop: the first bit set since the loop last
// looked writes its one byte, so the pipe never holds more than that and
// nothing is lost with a byte.
constexpr unsigned woken_bit = 1u << handled.size();
std::atomic<unsigned> pending{0};
static_assert(std::atomic<unsigned>::is_always_lock_free, "the signal handler needs a lock-free atomic");
int wake_fd = -1;  // the write end of the self-pipe

// Async-signal-safe.
void wake(unsigned bits) noexcept {
    if (pending.fetch_or(bits) != 0) return;  // a byte is on its way already
    const char byte = 0;
    [[maybe_unused]] const auto n = ::write(wake_fd, &byte, 1);  // non-blocking
}

extern "C" void on_signal(int signo) {
    const int saved = errno;
    wake(bit(signo));
    errno = saved;
}

class signal_scope {
public:
    explicit signal_scope(bool reap) {
        if (!make_pipe(fds_, true))
            throw std::system_error(errno, std::generic_category(), "cannot create the signal pipe");
        wake_fd = fds_[1];
        struct sigaction sa {};
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        pending.store(0);
        std::array<int, handled.size()> ours{};
        std::size_t n = 0;
        for (std::size_t i = 0; i < handled.size(); ++i) {
            if (handled[i] == SIGCHLD && !reap) continue;
            ::sigaction(handled[i], &sa, &saved_[i]);
            installed_[i] = true;
            ours[n++] = handled[i];
        }
        // A parent may have blocked them (some container runtimes do). Only
        // those with a handler: SIGCHLD unblocked with no handler would be
        // discarded, not left pending for the program's own signalfd.
        unblocked_.unblock(std::span<const int>(ours.data(), n));
    }
    ~signal_scope() {
        // Those the parent had blocked first, then the dispositions: the
        // other order would leave a moment in which such a signal, unblocked
        // with its default action back, ends the process. A change the
        // service made to its thread's mask meanwhile stays.
        unblocked_.reblock();
        for (std::size_t i = 0; i < handled.size(); ++i)
            if (installed_[i]) ::sigaction(handled[i], &saved_[i], nullptr);
        wake_fd = -1;
        ::close(fds_[0]);
        ::close(fds_[1]);
    }
    signal_scope(const signal_scope&) = delete;
    signal_scope& operator=(const signal_scope&) = delete;

    int read_fd() const noexcept { return fds_[0]; }

private:
    std::array<struct sigaction, handled.size()> saved_{};
    std::array<bool, handled.size()> installed_{};
    unblocked_signals unblocked_;
    int fds_[2]{-1, -1};
};

// As PID 1 the children of processes that died become ours, and nobody else
// reaps them when they exit. A zombie is reaped once it has waited
// `orphan_grace`, not at once: it may be a child the service started itself
// and is about to wait for (waitpid(), pclose(), system()), and reaping it
// first would take its exit status away.
//
// waitid(WNOWAIT) shows one zombie without reaping it, the oldest; the ones
// behind it are looked at when it is gone. A process ID is not used again
// within the grace unless the system starts pid_max processes in it.
constexpr auto orphan_grace = std::chrono::seconds(5);

class orphan_reaper {
public:
    using clock = std::chrono::steady_clock;

    /// Reaps the zombies that have waited long enough; returns when to look
    /// again (nullopt: no zombie left).
    std::optional<clock::time_point> sweep(clock::time_point now) {
        for (;;) {
            siginfo_t info{};
            if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) {
                oldest_ = 0;
                return std::nullopt;
            }
            if (oldest_ != info.si_pid) {
                oldest_ = info.si_pid;
                since_ = now;
            }
            if (now - since_ < orphan_grace) return since_ + orphan_grace;
            ::waitpid(oldest_, nullptr, WNOHANG);  // if the service has just waited for it: no harm
            oldest_ = 0;
        }
    }

private:
    pid_t oldest_ = 0;         // the zombie seen last, 0 for none
    clock::time_point since_;  // when it was first seen
};

// A wait of `d` for poll(): whole milliseconds, rounded up, at most INT_MAX.
int poll_timeout(std::chrono::steady_clock::duration d) {
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(std::max(d, d.zero()));
    return static_cast<int>(std::min<long long>(ms.count(), INT_MAX));
}

}  // namespace

int run_with_signals(const config& cfg, service& svc, manager_link& link, spdlog::sink_ptr sink,
                     keepalive ka, stop_alarm* alarm) {
    using clock = std::chrono::steady_clock;
    // As PID 1 nobody else reaps orphans, and the kernel ignores signals that
    // have no handler; the handlers above are installed in any case.
    const bool pid1 = ::getpid() == 1;
    signal_scope signals(pid1);
    lifecycle lc(cfg, svc, link, make_logger(cfg, std::move(sink)), [] { wake(woken_bit); }, alarm);

    if (!lc.start()) return lc.exit_code();

    // The systemd watchdog is one more periodic task; its first beat is now.
    if (ka.period.count() > 0 && ka.beat) {
        ka.beat();
        lc.every(ka.period, [beat = std::move(ka.beat)](context&) { beat(); });
    }
    orphan_reaper reaper;
    std::optional<clock::time_point> next_sweep;
    bool running = !lc.stop_requested();
    while (running) {
        // Sleep until a signal, a request, the next periodic task or the next
        // look at the zombies.
        std::optional<clock::duration> wait = lc.time_to_next_task();
        if (next_sweep) wait = std::min(wait.value_or(clock::duration::max()), *next_sweep - clock::now());
        pollfd pfd{signals.read_fd(), POLLIN, 0};
        const int rc = ::poll(&pfd, 1, wait ? poll_timeout(*wait) : -1);
        if (rc < 0 && errno != EINTR) {
            lc.log().critical("poll() failed: {}; stopping", std::strerror(errno));
            lc.request_stop(exit_failure);  // not a clean stop: a manager's Restart=on-failure acts
            break;
        }
        // The byte first, the bits after: a bit set meanwhile writes a new byte.
        if (rc > 0) {
            std::array<char, 64> buf{};
            while (::read(signals.read_fd(), buf.data(), buf.size()) > 0) {}
        }
        const unsigned got = pending.exchange(0);
        for (const int s : {SIGTERM, SIGINT}) {
            if ((got & bit(s)) && running) {
                lc.log().debug("signal {}: stopping", s == SIGINT ? "SIGINT" : "SIGTERM");
                running = false;
            }
        }
        if (pid1 && ((got & bit(SIGCHLD)) || (next_sweep && clock::now() >= *next_sweep)))
            next_sweep = reaper.sweep(clock::now());
        if (lc.stop_requested()) running = false;
        if (running && (got & bit(SIGHUP))) lc.reload();
        if (running) lc.run_due_tasks();
    }
    lc.stop(event::stop);
    return lc.exit_code();
}

}  // namespace servicekit::detail::posix
