#include "signals.hpp"

#include <servicekit/run.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace servicekit::detail::posix {

namespace {

int wake_fd = -1;  // the write end of the self-pipe, for the signal handlers

extern "C" void on_signal(int signo) {
    const int saved = errno;
    const auto byte = static_cast<char>(signo);
    [[maybe_unused]] const auto n = ::write(wake_fd, &byte, 1);  // non-blocking; a full pipe already wakes us
    errno = saved;
}

constexpr char wake_byte = 0;  // request_stop(); no signal is 0

void make_pipe(int fds[2]) {
    if (::pipe(fds) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
    for (int i = 0; i < 2; ++i) {
        ::fcntl(fds[i], F_SETFD, FD_CLOEXEC);
        ::fcntl(fds[i], F_SETFL, ::fcntl(fds[i], F_GETFL) | O_NONBLOCK);
    }
}

class signal_scope {
public:
    explicit signal_scope(bool reap) {
        make_pipe(fds_);
        wake_fd = fds_[1];
        struct sigaction sa {};
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        for (std::size_t i = 0; i < signals_.size(); ++i) {
            if (signals_[i] == SIGCHLD && !reap) continue;
            ::sigaction(signals_[i], &sa, &saved_[i]);
            installed_[i] = true;
        }
        // A parent may have blocked them (some container runtimes do).
        sigset_t set;
        sigemptyset(&set);
        for (const int s : signals_) sigaddset(&set, s);
        ::pthread_sigmask(SIG_UNBLOCK, &set, &saved_mask_);
    }
    ~signal_scope() {
        for (std::size_t i = 0; i < signals_.size(); ++i)
            if (installed_[i]) ::sigaction(signals_[i], &saved_[i], nullptr);
        ::pthread_sigmask(SIG_SETMASK, &saved_mask_, nullptr);
        wake_fd = -1;
        ::close(fds_[0]);
        ::close(fds_[1]);
    }
    signal_scope(const signal_scope&) = delete;
    signal_scope& operator=(const signal_scope&) = delete;

    int read_fd() const noexcept { return fds_[0]; }
    int write_fd() const noexcept { return fds_[1]; }

private:
    static constexpr std::array<int, 4> signals_{SIGINT, SIGTERM, SIGHUP, SIGCHLD};
    std::array<struct sigaction, 4> saved_{};
    std::array<bool, 4> installed_{};
    sigset_t saved_mask_{};
    int fds_[2]{-1, -1};
};

void reap_children() {
    int st = 0;
    while (::waitpid(-1, &st, WNOHANG) > 0) {}
}

}  // namespace

int run_with_signals(const config& cfg, service& svc, manager_link& link, spdlog::sink_ptr sink,
                     keepalive ka) {
    // As PID 1 nobody else reaps orphans, and the kernel ignores signals that
    // have no handler; the handlers above are installed in any case.
    const bool pid1 = ::getpid() == 1;
    signal_scope signals(pid1);
    const int wfd = signals.write_fd();
    lifecycle lc(cfg, svc, link, make_logger(cfg, std::move(sink)), [wfd] {
        [[maybe_unused]] const auto n = ::write(wfd, &wake_byte, 1);
    });

    if (!lc.start()) return lc.exit_code();

    // The systemd watchdog is one more periodic task; its first beat is now.
    if (ka.period.count() > 0 && ka.beat) {
        ka.beat();
        lc.every(ka.period, [beat = std::move(ka.beat)](context&) { beat(); });
    }
    event why = event::stop;
    bool running = !lc.stop_requested();
    while (running) {
        // Sleep until a signal, a request or the next periodic task.
        const auto wait = lc.time_to_next_task();
        const int timeout = wait ? static_cast<int>(std::min<long long>(wait->count(), INT_MAX)) : -1;
        pollfd pfd{signals.read_fd(), POLLIN, 0};
        const int rc = ::poll(&pfd, 1, timeout);
        if (rc < 0 && errno != EINTR) {
            lc.log().critical("poll() failed: {}; stopping", std::strerror(errno));
            break;
        }
        bool reload = false;
        if (rc > 0) {
            std::array<char, 64> buf{};
            ssize_t n;
            while ((n = ::read(signals.read_fd(), buf.data(), buf.size())) > 0) {
                for (ssize_t i = 0; i < n; ++i) {
                    switch (buf[static_cast<std::size_t>(i)]) {
                        case SIGINT:
                        case SIGTERM:
                            lc.log().debug("signal {}: stopping", buf[static_cast<std::size_t>(i)] == SIGINT ? "SIGINT" : "SIGTERM");
                            running = false;
                            break;
                        case SIGHUP: reload = true; break;
                        case SIGCHLD: reap_children(); break;
                        default: break;  // wake_byte
                    }
                }
            }
        }
        if (lc.stop_requested()) running = false;
        if (running && reload) lc.reload();
        if (running) lc.run_due_tasks();
    }
    lc.stop(why);
    if (pid1) reap_children();
    return lc.exit_code();
}

}  // namespace servicekit::detail::posix
