// The stop timeout's POSIX timer (platform/linux/stop_alarm.cpp): disarmed in
// time it never fires, a SIGRTMAX that is not the timer's goes to the handler
// it replaced (once, if it had SA_RESETHAND), and a deadline that passes
// writes the last lines and ends the process with 124, 1 s later at the
// latest if a line cannot be written, and at the deadline even while the
// handler it replaced runs; disarm() stops the timer itself. And the terminal
// sink's last line does not wait on a stderr nobody reads (the journal and
// syslog sinks' last lines: systemd_runtime_test.cpp); and the lines the
// lifecycle arms the alarm with are rendered once the service is up where the
// sink needs no time.
#include <doctest/doctest.h>

#include "linux/stop_alarm.hpp"

#include <servicekit/config.hpp>
#include <servicekit/run.hpp>
#include <servicekit/service.hpp>

#include <spdlog/logger.h>
#include <spdlog/sinks/sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

using servicekit::detail::last_line_sink;
using servicekit::detail::stop_alarm;
using servicekit::detail::linux_alarm::alarm_signal;
using servicekit::detail::linux_alarm::timer_alarm;
using namespace std::chrono_literals;

namespace {

// A set holding alarm_signal() alone, for pthread_sigmask().
sigset_t alarm_signal_set() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, alarm_signal());
    return set;
}

std::atomic<int> passed_on{0};
void count(int) { ++passed_on; }

sigset_t mask_in_handler;
void record_mask(int) {
    ::pthread_sigmask(SIG_BLOCK, nullptr, &mask_in_handler);
    ++passed_on;
}

// A sink that logs nothing through spdlog: only its last line counts.
class last_line_only_sink : public spdlog::sinks::sink, public last_line_sink {
public:
    void log(const spdlog::details::log_msg&) override {}
    void flush() override {}
    void set_pattern(const std::string&) override {}
    void set_formatter(std::unique_ptr<spdlog::formatter>) override {}
};

// A sink whose last line goes to a file descriptor, or never returns.
class fd_sink final : public last_line_only_sink {
public:
    explicit fd_sink(int fd, bool stuck = false) : fd_(fd), stuck_(stuck) {}
    std::string render_last_line(std::string_view, std::string_view text,
                                 std::chrono::system_clock::time_point) override {
        return std::string(text) + "\n";
    }
    void write_last_line(const std::string& rendered) const noexcept override {
        while (stuck_) std::this_thread::sleep_for(1h);
        [[maybe_unused]] const auto n = ::write(fd_, rendered.data(), rendered.size());
    }

private:
    int fd_;
    bool stuck_;
};

// Makes `handler` the alarm signal's handler, with `also_blocked` (if not 0)
// in its mask; returns the one before.
struct sigaction handle_alarm_signal(void (*handler)(int), int flags = 0, int also_blocked = 0) {
    struct sigaction mine {}, before {};
    mine.sa_handler = handler;
    mine.sa_flags = flags;
    sigemptyset(&mine.sa_mask);
    if (also_blocked != 0) sigaddset(&mine.sa_mask, also_blocked);
    REQUIRE(::sigaction(alarm_signal(), &mine, &before) == 0);
    return before;
}

// Arms `alarm` with "the last line\n" for `fd`, or ends the child with 90.
void arm_with_line(timer_alarm& alarm, std::chrono::milliseconds timeout, int fd, bool stuck = false) {
    auto sink = std::make_shared<fd_sink>(fd, stuck);
    std::vector<stop_alarm::line> lines;
    lines.push_back({sink, sink.get(), sink->render_last_line("t", "the last line", {})});
    if (!alarm.arm(timeout, std::move(lines))) ::_exit(90);
}

struct ended {
    int status;
    std::chrono::steady_clock::duration after;
    std::string written;  // what the child wrote to `out`
};

// Runs body(out) in a child process, which must end it; `out` is a pipe's
// write end.
template <class Body>
ended in_child(Body body) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const auto t0 = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(fds[0]);
        body(fds[1]);
        ::_exit(91);
    }
    ::close(fds[1]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    ended e{status, std::chrono::steady_clock::now() - t0, {}};
    char buf[4096];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) e.written.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    return e;
}

// Arms an alarm of `timeout` in a child process whose stop() never returns;
// `blocked`: on a thread that blocks the alarm's signal, as a program may.
ended hang_in_child(std::chrono::milliseconds timeout, bool stuck, bool blocked = false) {
    return in_child([&](int out) {
        if (blocked) {
            const sigset_t set = alarm_signal_set();
            ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
        }
        timer_alarm alarm;
        arm_with_line(alarm, timeout, out, stuck);
        for (;;) std::this_thread::sleep_for(1h);  // stop() hangs
    });
}

}  // namespace

TEST_CASE("stop alarm: disarmed in time it never fires; others' SIGRTMAX goes to the handler it replaced") {
    const struct sigaction before = handle_alarm_signal(count);
    passed_on = 0;
    {
        timer_alarm alarm;
        // A deadline far enough off that a busy machine cannot pass it
        // before disarm(): that would end the whole test program with 124.
        REQUIRE(alarm.arm(300ms, {}));
        ::raise(alarm_signal());  // not the timer's
        CHECK(passed_on.load() == 1);
        alarm.disarm();
        std::this_thread::sleep_for(450ms);  // past the deadline, and still here
    }
    struct sigaction now {};
    REQUIRE(::sigaction(alarm_signal(), nullptr, &now) == 0);
    CHECK((now.sa_handler == &count));  // restored by the alarm's end
    ::raise(alarm_signal());
    CHECK(passed_on.load() == 2);
    ::sigaction(alarm_signal(), &before, nullptr);
}

TEST_CASE("stop alarm: the handler it replaced runs with its own signal mask, the timer's signal unblocked") {
    const struct sigaction before = handle_alarm_signal(record_mask, 0, SIGUSR2);
    passed_on = 0;
    {
        timer_alarm alarm;
        REQUIRE(alarm.arm(1h, {}));
        ::raise(alarm_signal());  // not the timer's
        REQUIRE(passed_on.load() == 1);
        CHECK(sigismember(&mask_in_handler, SIGUSR2) == 1);
#if !defined(__SANITIZE_THREAD__)  // TSan blocks every signal in a handler
        CHECK(sigismember(&mask_in_handler, alarm_signal()) == 0);  // the timer's expiry must get through
#endif
        alarm.disarm();
    }
    ::sigaction(alarm_signal(), &before, nullptr);
}

TEST_CASE("stop alarm: a replaced handler with SA_RESETHAND is called once, and SIG_DFL is put back") {
    const struct sigaction before = handle_alarm_signal(count, SA_RESETHAND);
    passed_on = 0;
    {
        timer_alarm alarm;
        REQUIRE(alarm.arm(1h, {}));
        ::raise(alarm_signal());
        ::raise(alarm_signal());  // the kernel would have found SIG_DFL
        CHECK(passed_on.load() == 1);
        alarm.disarm();
    }
    struct sigaction now {};
    REQUIRE(::sigaction(alarm_signal(), nullptr, &now) == 0);
    CHECK((now.sa_handler == SIG_DFL));
    ::sigaction(alarm_signal(), &before, nullptr);
    {
        // A new alarm over the same handler calls it again.
        handle_alarm_signal(count, SA_RESETHAND);
        timer_alarm alarm;
        REQUIRE(alarm.arm(1h, {}));
        ::raise(alarm_signal());
        CHECK(passed_on.load() == 2);
        alarm.disarm();
    }
    ::sigaction(alarm_signal(), &before, nullptr);
}

TEST_CASE("stop alarm: a replaced SIG_IGN is ignored, whatever its flags say") {
    const auto e = in_child([](int) {
        handle_alarm_signal(SIG_IGN, SA_SIGINFO);  // SIG_IGN is not a function to call
        timer_alarm alarm;
        if (!alarm.arm(1h, {})) ::_exit(90);
        ::raise(alarm_signal());
        alarm.disarm();
        ::_exit(0);
    });
    CHECK(WIFEXITED(e.status));
    CHECK(WEXITSTATUS(e.status) == 0);
}

TEST_CASE("stop alarm: disarm() stops the timer, not only its handler") {
    // With the signal blocked (disarm() blocks it again), an expiry after
    // disarm() would stay pending. In a child: should a busy machine pass the
    // deadline before disarm(), only the child ends.
    const auto e = in_child([](int out) {
        const sigset_t set = alarm_signal_set();
        ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
        timer_alarm alarm;
        if (!alarm.arm(300ms, {})) ::_exit(90);
        alarm.disarm();
        std::this_thread::sleep_for(500ms);
        sigset_t pending;
        ::sigpending(&pending);
        const std::string_view verdict = sigismember(&pending, alarm_signal()) == 1 ? "pending" : "none";
        [[maybe_unused]] const auto n = ::write(out, verdict.data(), verdict.size());
        ::_exit(0);
    });
    REQUIRE(WIFEXITED(e.status));
    CHECK(WEXITSTATUS(e.status) == 0);
    CHECK(e.written == "none");
}

TEST_CASE("stop alarm: the deadline passes: the line is written and the process ends with 124") {
    for (const bool blocked : {false, true}) {
        CAPTURE(blocked);
        const auto e = hang_in_child(200ms, false, blocked);
        REQUIRE(WIFEXITED(e.status));
        CHECK(WEXITSTATUS(e.status) == servicekit::exit_stop_timeout);
        CHECK(e.written == "the last line\n");
        CHECK(e.after >= 190ms);
    }
}

TEST_CASE("stop alarm: disarm() puts back the signal mask that arm() found") {
    const sigset_t set = alarm_signal_set();
    sigset_t before, now;
    REQUIRE(::pthread_sigmask(SIG_BLOCK, &set, &before) == 0);
    {
        timer_alarm alarm;
        REQUIRE(alarm.arm(1h, {}));
        REQUIRE(::pthread_sigmask(SIG_BLOCK, nullptr, &now) == 0);
        CHECK(sigismember(&now, alarm_signal()) == 0);  // unblocked while armed
        alarm.disarm();
        REQUIRE(::pthread_sigmask(SIG_BLOCK, nullptr, &now) == 0);
        CHECK(sigismember(&now, alarm_signal()) == 1);
    }
    ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
}

TEST_CASE("stop alarm: a line to a pipe nobody reads: EPIPE, not SIGPIPE, and still 124") {
    const auto e = in_child([](int) {
        int fds[2];
        if (::pipe(fds) != 0) ::_exit(90);
        ::close(fds[0]);
        timer_alarm alarm;
        arm_with_line(alarm, 200ms, fds[1]);
        for (;;) std::this_thread::sleep_for(1h);  // stop() hangs
    });
    CHECK_FALSE(WIFSIGNALED(e.status));
    REQUIRE(WIFEXITED(e.status));
    CHECK(WEXITSTATUS(e.status) == servicekit::exit_stop_timeout);
}

// GCC's TSan runtime blocks every signal while a handler runs (SA_NODEFER
// has no effect under it), so the second expiry cannot reach the stuck one,
// nor the first a handler the alarm replaced that is still running.
#if !defined(__SANITIZE_THREAD__)
TEST_CASE("stop alarm: the deadline holds while the handler it replaced runs") {
    const auto e = in_child([](int out) {
        handle_alarm_signal([](int) { std::this_thread::sleep_for(5s); });
        timer_alarm alarm;
        arm_with_line(alarm, 200ms, out);
        ::raise(alarm_signal());  // someone else's, whose handler takes 5 s
        ::_exit(92);
    });
    REQUIRE(WIFEXITED(e.status));
    CHECK(WEXITSTATUS(e.status) == servicekit::exit_stop_timeout);
    CHECK(e.written == "the last line\n");
    CHECK(e.after < 3s);
}

TEST_CASE("stop alarm: a line that cannot be written: the process still ends, 1 s later") {
    const auto e = hang_in_child(200ms, true);
    REQUIRE(WIFEXITED(e.status));
    CHECK(WEXITSTATUS(e.status) == servicekit::exit_stop_timeout);
    CHECK(e.written.empty());
    CHECK(e.after >= 1150ms);
}
#endif

TEST_CASE("the terminal sink's last line: a stderr that nobody reads holds it up 1 s, not for ever") {
    auto sink = servicekit::detail::make_terminal_sink();
    auto* writer = dynamic_cast<last_line_sink*>(sink.get());
    REQUIRE(writer != nullptr);
    const std::string line = writer->render_last_line("t", "the last line", std::chrono::system_clock::now());
    CHECK(line.find("[t] [") != std::string::npos);  // with colour codes around the level on a terminal
    CHECK(line.find("critical") != std::string::npos);
    CHECK(line.find("] the last line\n") != std::string::npos);

    const auto e = in_child([&](int out) {
        // stderr: a pipe filled to the brim, never read
        ::fcntl(out, F_SETFL, O_NONBLOCK);
        const std::string block(4096, 'x');
        while (::write(out, block.data(), block.size()) > 0) {}
        while (::write(out, block.data(), 1) > 0) {}
        ::fcntl(out, F_SETFL, 0);
        ::dup2(out, STDERR_FILENO);
        writer->write_last_line(line);
        ::_exit(0);
    });
    CHECK(WIFEXITED(e.status));
    CHECK(WEXITSTATUS(e.status) == 0);
    CHECK(e.written.find("critical") == std::string::npos);
    CHECK(e.after >= 900ms);
    CHECK(e.after < 5s);
}

// --- The lifecycle's lines for the alarm (lib/src/lifecycle.cpp): a sink that
// renders its line without the time has it rendered once, after start(); the
// others as stop() begins; a sink added later, or one whose level leaves out
// critical, is seen at the stop.
namespace {

// Counts its renders; `timeless` says whether it uses the time.
class counting_sink final : public last_line_only_sink {
public:
    explicit counting_sink(bool timeless) : timeless_(timeless) {}
    std::string render_last_line(std::string_view name, std::string_view text,
                                 std::chrono::system_clock::time_point when) override {
        ++renders;
        rendered_for = when;
        return std::string(name) + ": " + std::string(text);
    }
    bool renders_without_time() const noexcept override { return timeless_; }
    void write_last_line(const std::string&) const noexcept override {}

    int renders = 0;
    std::chrono::system_clock::time_point rendered_for{};

private:
    bool timeless_;
};

// An alarm that records the lines it is armed with.
class recording_alarm final : public stop_alarm {
public:
    bool prepare() noexcept override { return true; }
    bool arm(std::chrono::milliseconds, std::vector<line> given) noexcept override {
        lines = std::move(given);
        return true;
    }
    void disarm() noexcept override {}
    std::vector<line> lines;
};

class idle_service final : public servicekit::service {
public:
    void start(servicekit::context&) override {}
    void stop(servicekit::context&) override {}
};

std::string text_for(const recording_alarm& alarm, const counting_sink& sink) {
    for (const auto& l : alarm.lines)
        if (l.writer == &sink) return l.text;
    return "(no line)";
}

}  // namespace

TEST_CASE("the stop timeout's lines: rendered after start() where the time is not needed, else at the stop") {
    namespace detail = servicekit::detail;
    const std::string want = "svc: stop() did not return within the stop timeout (250 ms); exiting with 124";
    auto timeless = std::make_shared<counting_sink>(true);
    auto timed = std::make_shared<counting_sink>(false);
    auto logger = std::make_shared<spdlog::logger>("svc", spdlog::sinks_init_list{timeless, timed});
    servicekit::config cfg;
    cfg.stop_timeout = 250ms;
    idle_service svc;
    detail::terminal_link link;
    recording_alarm alarm;
    const auto previous = spdlog::default_logger();  // the lifecycle replaces it
    struct restore {
        std::shared_ptr<spdlog::logger> logger;
        ~restore() { spdlog::set_default_logger(logger); }
    } restore_default{previous};
    detail::lifecycle lc(cfg, svc, link, logger, [] {}, &alarm);

    REQUIRE(lc.start());
    CHECK(timeless->renders == 1);  // once the service is up
    CHECK(timed->renders == 0);

    SUBCASE("the same sinks at the stop") {
        const auto before = std::chrono::system_clock::now();
        lc.stop(detail::event::stop);
        CHECK(timeless->renders == 1);  // not again
        CHECK(timed->renders == 1);
        CHECK(timed->rendered_for >= before + 250ms);
        CHECK(timed->rendered_for <= std::chrono::system_clock::now() + 250ms);
        REQUIRE(alarm.lines.size() == 2);
        CHECK(text_for(alarm, *timeless) == want);
        CHECK(text_for(alarm, *timed) == want);
    }
    SUBCASE("a sink added after start(), and one whose level leaves out critical") {
        auto added = std::make_shared<counting_sink>(true);
        logger->sinks().push_back(added);
        timed->set_level(spdlog::level::off);
        lc.stop(detail::event::stop);
        CHECK(added->renders == 1);
        CHECK(text_for(alarm, *added) == want);
        CHECK(text_for(alarm, *timeless) == want);
        CHECK(text_for(alarm, *timed) == "(no line)");
        CHECK(alarm.lines.size() == 2);
    }
    SUBCASE("a logger whose level leaves out critical: no lines") {
        logger->set_level(spdlog::level::off);
        lc.stop(detail::event::stop);
        CHECK(alarm.lines.empty());
    }
}
