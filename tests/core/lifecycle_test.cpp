// The foreground lifecycle, seen from outside: spawn the probe, signal it,
// check the order of its callbacks, its log and its exit code.
#include <doctest/doctest.h>

#include "child.hpp"

#include <servicekit/run.hpp>

#include <atomic>
#include <thread>

#include <sys/resource.h>

using test::child;
using test::read_file;
using test::temp_dir;
using test::wait_for_text;

namespace {

// The probe runs in the foreground: make sure no manager is detected.
const std::map<std::string, std::string> foreground_env{
    {"NOTIFY_SOCKET", ""}, {"INVOCATION_ID", ""}, {"SYSTEMD_EXEC_PID", ""}, {"XPC_SERVICE_NAME", ""}};

std::vector<std::string> probe(std::vector<std::string> service_args) {
    std::vector<std::string> argv{SERVICEKIT_PROBE, "run", "--"};
    argv.insert(argv.end(), service_args.begin(), service_args.end());
    return argv;
}

}  // namespace

TEST_CASE("SIGTERM and SIGINT stop the service: start, then stop, exit 0") {
    for (const int sig : {SIGTERM, SIGINT}) {
        CAPTURE(sig);
        temp_dir dir;
        const auto events = dir / "events";
        child c(probe({"--events", events.string()}), dir / "out", foreground_env);
        REQUIRE(wait_for_text(events, "start"));
        REQUIRE(wait_for_text(dir / "out", "started"));
        c.signal(sig);
        CHECK(c.wait() == servicekit::exit_success);
        CHECK(read_file(events) == "start [--events] [" + events.string() + "]\nstop\n");
        const auto out = c.output();
        CHECK(out.find("[probe] [info] started") != std::string::npos);
        CHECK(out.find("stopping") == std::string::npos);  // a debug line
        CHECK(out.find("[probe] [info] stopped") != std::string::npos);
    }
}

TEST_CASE("--log-level debug shows the steps of a start and a stop") {
    temp_dir dir;
    child c({SERVICEKIT_PROBE, "run", "--log-level", "debug"}, dir / "out", foreground_env);
    REQUIRE(wait_for_text(dir / "out", "started"));
    c.signal(SIGTERM);
    CHECK(c.wait() == servicekit::exit_success);
    const auto out = c.output();
    const auto starting = out.find("[probe] [debug] starting");
    const auto started = out.find("[probe] [info] started");
    const auto signal = out.find("[probe] [debug] signal SIGTERM: stopping");
    const auto stopping = out.find("[probe] [debug] stopping\n");
    const auto stopped = out.find("[probe] [info] stopped");
    REQUIRE(starting != std::string::npos);
    REQUIRE(started != std::string::npos);
    REQUIRE(signal != std::string::npos);
    REQUIRE(stopping != std::string::npos);
    REQUIRE(stopped != std::string::npos);
    CHECK(starting < started);
    CHECK(started < signal);
    CHECK(signal < stopping);
    CHECK(stopping < stopped);
}

TEST_CASE("SIGHUP calls reload and the service keeps running") {
    temp_dir dir;
    const auto events = dir / "events";
    child c(probe({"--events", events.string()}), dir / "out", foreground_env);
    REQUIRE(wait_for_text(events, "start"));
    c.signal(SIGHUP);
    REQUIRE(wait_for_text(events, "reload"));
    c.signal(SIGHUP);
    REQUIRE(wait_for_text(events, "reload\nreload\n"));
    CHECK(c.wait(std::chrono::milliseconds(200)) == -1);  // still running
    c.signal(SIGTERM);
    CHECK(c.wait() == 0);
    CHECK(read_file(events).ends_with("reload\nreload\nstop\n"));
}

TEST_CASE("run() puts the signals back as it found them, and keeps the service's own change to its mask") {
    // The probe's main() gives SIGHUP a handler and blocks SIGHUP, SIGCHLD and
    // SIGUSR1 before cli_main(); its start() blocks SIGUSR2 on the run thread.
    temp_dir dir;
    const auto events = dir / "events", report = dir / "signals";
    auto env = foreground_env;
    env["PROBE_SIGNALS"] = report.string();
    child c(probe({"--events", events.string(), "--block-usr2"}), dir / "out", env);
    REQUIRE(wait_for_text(events, "start"));
    c.signal(SIGHUP);  // blocked by the program, unblocked while run() runs
    REQUIRE(wait_for_text(events, "reload"));
    c.signal(SIGTERM);
    CHECK(c.wait() == 0);
    // SIGCHLD has no handler of run()'s (not PID 1): it stays blocked, for
    // the program's own signalfd, rather than be discarded.
    CHECK(read_file(events).find("blocked in start(): SIGCHLD\n") != std::string::npos);
    CHECK(read_file(report) ==
          "SIGINT dfl SIGTERM dfl SIGHUP own SIGCHLD dfl SIGRTMAX dfl; blocked: SIGHUP SIGCHLD SIGUSR1 SIGUSR2\n");
}

TEST_CASE("run() blocks a signal the parent had blocked again before its default action is back") {
    // Each child inherits SIGTERM blocked, runs a service that stops at once
    // and ends with _exit(0), while this process sends it SIGTERM without
    // pause. SIGTERM is blocked before run() and after it, and handled during
    // it: only a moment with SIGTERM unblocked and its default action back
    // could end a child by it (the other order of run()'s clean-up did, in
    // some 8 % of such children), or a thread of servicekit's own that took
    // the unblocked mask with it and outlives run(). Every other child has no
    // POSIX timer to be had (RLIMIT_SIGPENDING 0), so that the stop timeout
    // takes its thread instead, as it does on every platform but Linux.
    struct quick final : servicekit::service {
        void start(servicekit::context& ctx) override { ctx.request_stop(); }
        void stop(servicekit::context&) override {}
    };
    sigset_t term, before;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    REQUIRE(::pthread_sigmask(SIG_BLOCK, &term, &before) == 0);
    int killed = 0, exited = 0;
    constexpr int children = 60;
    for (int i = 0; i < children; ++i) {
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
#if defined(__linux__)
            if (i % 2 == 1) {
                const rlimit none{0, 0};
                ::setrlimit(RLIMIT_SIGPENDING, &none);
            }
#endif
            servicekit::config cfg;
            cfg.name = "blocked-again";
            cfg.executable = "/bin/true";
            cfg.log_level = spdlog::level::off;
            quick svc;
            (void)servicekit::run(cfg, svc);
            ::_exit(0);
        }
        std::atomic<bool> done{false};
        std::thread flood([&] {
            while (!done) ::kill(pid, SIGTERM);
        });
        siginfo_t info{};  // seen ended, not yet reaped: the flood cannot reach another process
        ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT);
        done = true;
        flood.join();
        int status = 0;
        ::waitpid(pid, &status, 0);
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) ++killed;
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ++exited;
    }
    ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
    CHECK(killed == 0);
    CHECK(exited == children);
}

TEST_CASE("a stop() that hangs: the process exits with exit_stop_timeout after the stop timeout") {
    temp_dir dir;
    const auto events = dir / "events";
    auto env = foreground_env;
    env["PROBE_STOP_TIMEOUT_MS"] = "300";
    child c(probe({"--events", events.string(), "--stop-hang"}), dir / "out", env);
    REQUIRE(wait_for_text(events, "start"));
    c.signal(SIGTERM);
    CHECK(c.wait() == servicekit::exit_stop_timeout);
    CHECK(c.output().find("stop() did not return within the stop timeout (300 ms)") != std::string::npos);
}

TEST_CASE("request_stop() from another thread ends the service with its exit code") {
    temp_dir dir;
    const auto events = dir / "events";
    child c(probe({"--events", events.string(), "--request-stop", "100:7"}), dir / "out", foreground_env);
    CHECK(c.wait() == 7);
    CHECK(read_file(events).ends_with("stop\n"));
}

TEST_CASE("request_stop() from inside start() stops right after start") {
    temp_dir dir;
    const auto events = dir / "events";
    child c(probe({"--events", events.string(), "--request-stop", "0:0"}), dir / "out", foreground_env);
    CHECK(c.wait() == 0);
    CHECK(read_file(events).ends_with("stop\n"));
}

TEST_CASE("start() throwing is logged, stop() is not called, exit 1") {
    temp_dir dir;
    const auto events = dir / "events";
    child c(probe({"--events", events.string(), "--start-throw"}), dir / "out", foreground_env);
    CHECK(c.wait() == servicekit::exit_failure);
    CHECK(read_file(events).find("stop") == std::string::npos);
    CHECK(c.output().find("start() failed: probe asked to fail") != std::string::npos);
}

TEST_CASE("stop() throwing is logged and the exit code is 1") {
    temp_dir dir;
    const auto events = dir / "events";
    child c(probe({"--events", events.string(), "--stop-throw"}), dir / "out", foreground_env);
    REQUIRE(wait_for_text(events, "start"));
    c.signal(SIGTERM);
    CHECK(c.wait() == servicekit::exit_failure);
    CHECK(c.output().find("stop() failed: probe asked to fail stopping") != std::string::npos);
}

TEST_CASE("arguments that look like options reach the service verbatim") {
    temp_dir dir;
    const auto events = dir / "events";
    child c(probe({"--events", events.string(), "--request-stop", "0:0", "--help", "-x", "", "a b", "--", "run"}),
            dir / "out", foreground_env);
    CHECK(c.wait() == 0);
    CHECK(read_file(events).starts_with("start [--events] [" + events.string() +
                                        "] [--request-stop] [0:0] [--help] [-x] [] [a b] [--] [run]\n"));
}

TEST_CASE("context::every: the task runs on the run thread until stopping begins, never after") {
    temp_dir dir;
    const auto events = dir / "events";
    child c(probe({"--events", events.string(), "--every", "30", "--stop-sleep", "200"}), dir / "out", foreground_env);
    REQUIRE(wait_for_text(events, "task 3\n"));
    c.signal(SIGTERM);
    CHECK(c.wait() == 0);
    const auto log = read_file(events);
    CHECK(log.find("off the run thread") == std::string::npos);
    // stop() took 200 ms, over six periods: no task ran during or after it.
    CHECK(log.ends_with("\nstop\n"));
    CHECK(log.find("task", log.find("\nstop\n")) == std::string::npos);
}

TEST_CASE("context::every from another thread wakes the run loop, which had nothing to wait for") {
    temp_dir dir;
    const auto events = dir / "events";
    child c(probe({"--events", events.string(), "--every-from-thread", "20"}), dir / "out", foreground_env);
    // Without a wake the loop would sleep in poll() with no timeout, for ever.
    CHECK(wait_for_text(events, "task 2\n", std::chrono::seconds(5)));
    c.signal(SIGTERM);
    CHECK(c.wait() == 0);
    CHECK(read_file(events).find("off the run thread") == std::string::npos);
}

TEST_CASE("context::cancel from inside the task: it is not called again") {
    temp_dir dir;
    const auto events = dir / "events";
    child c(probe({"--events", events.string(), "--every", "20", "--every-cancel", "2"}), dir / "out", foreground_env);
    REQUIRE(wait_for_text(events, "task 2\n"));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // fifteen periods
    c.signal(SIGTERM);
    CHECK(c.wait() == 0);
    CHECK(read_file(events).find("task 3") == std::string::npos);
}

TEST_CASE("context::every: a late call is made once, not caught up") {
    temp_dir dir;
    const auto events = dir / "events";
    // The first call takes 350 ms, three and a half periods: one call comes
    // at once (late), the next a whole period after it, not a burst of three.
    child c(probe({"--events", events.string(), "--every", "100", "--every-slow", "350"}), dir / "out", foreground_env);
    REQUIRE(wait_for_text(events, "task 3\n"));
    c.signal(SIGTERM);
    CHECK(c.wait() == 0);
    const auto log = read_file(events);
    const auto third = log.find("task 3\ngap ");
    REQUIRE(third != std::string::npos);
    const int gap = std::stoi(log.substr(third + 11));
    CHECK(gap >= 80);
}

TEST_CASE("context::every: a task that throws is logged and stops the service with exit 1") {
    temp_dir dir;
    const auto events = dir / "events";
    child c(probe({"--events", events.string(), "--every", "20", "--every-throw", "2"}), dir / "out", foreground_env);
    CHECK(c.wait() == servicekit::exit_failure);
    CHECK(read_file(events).ends_with("task 2\nstop\n"));
    CHECK(c.output().find("a periodic task failed: probe's task asked to fail; stopping") != std::string::npos);
}

TEST_CASE("context::every with a period of centuries: the task is never due, not due at once") {
    temp_dir dir;
    const auto events = dir / "events";
    child c(probe({"--events", events.string(), "--every-max"}), dir / "out", foreground_env);
    REQUIRE(wait_for_text(events, "start"));
    CHECK(c.wait(std::chrono::milliseconds(300)) == -1);
    c.signal(SIGTERM);
    CHECK(c.wait() == 0);
    CHECK(read_file(events).find("task") == std::string::npos);
}

// The probe makes poll() fail by leaving no file descriptor to have. The
// ASan+UBSan build cannot run so: UBSan checks a virtual call's object
// through a pipe, finds none to make, and reports a false "invalid vptr".
// The ci and TSan builds run it.
#if defined(SERVICEKIT_TEST_ASAN)
constexpr bool sanitizer_needs_descriptors = true;
#else
constexpr bool sanitizer_needs_descriptors = false;
#endif

TEST_CASE("the run loop's poll() failing is a failure: logged, the service stopped, exit 1" *
          doctest::skip(sanitizer_needs_descriptors)) {
    temp_dir dir;
    const auto events = dir / "events";
    child c(probe({"--events", events.string(), "--poll-fails"}), dir / "out", foreground_env);
    CHECK(c.wait() == servicekit::exit_failure);
    CHECK(c.output().find("poll() failed: Invalid argument; stopping") != std::string::npos);
    CHECK(c.output().find("stopped") != std::string::npos);  // stop() ran (the probe can open no file to say so)
}

TEST_CASE("context::every with a period that is not positive: start() fails with a clear message") {
    temp_dir dir;
    child c(probe({"--every", "0"}), dir / "out", foreground_env);
    CHECK(c.wait() == servicekit::exit_failure);
    CHECK(c.output().find("start() failed: context::every: the period must be positive, not 0 ms") != std::string::npos);
}

TEST_CASE("samples/minimal: --help lists the verbs, frobnicate is a usage error, Ctrl+C stops it") {
    temp_dir dir;
    {
        child c({SERVICEKIT_MINIMAL, "--help"}, dir / "help");
        REQUIRE(c.wait() == 0);
        const auto help = c.output();
        for (const char* verb : {"install", "uninstall", "start", "stop", "restart", "status", "run", "print-config"})
            CHECK(help.find(std::string("\n  ") + verb + " ") != std::string::npos);
    }
    {
        child c({SERVICEKIT_MINIMAL, "frobnicate"}, dir / "bad");
        CHECK(c.wait() == 2);
        CHECK(c.output() == "minimal: unknown command 'frobnicate'; try 'minimal --help'\n");
    }
    {
        child c({SERVICEKIT_MINIMAL, "run"}, dir / "run", foreground_env);
        REQUIRE(wait_for_text(dir / "run", "tick 1"));
        c.signal(SIGINT);
        CHECK(c.wait() == 0);
        const auto out = c.output();
        CHECK(out.find("started") != std::string::npos);
        CHECK(out.find("stopped") != std::string::npos);
    }
}
