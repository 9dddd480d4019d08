// cli_main parsed in-process: exit codes, and what reaches the service.
#include <doctest/doctest.h>

#include <servicekit/cli.hpp>
#include <servicekit/controller.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

// Records what run() handed it and stops at once.
class recorder final : public servicekit::service {
public:
    void start(servicekit::context& ctx) override {
        started = true;
        arguments = ctx.arguments();
        name = ctx.cfg().name;
        scope = ctx.cfg().scope;
        level = ctx.cfg().log_level;
        interactive = ctx.interactive();
        ctx.request_stop();
    }
    void stop(servicekit::context&) override { stopped = true; }

    bool started = false, stopped = false, interactive = false;
    std::vector<std::string> arguments;
    std::string name;
    servicekit::scope scope = servicekit::scope::system;
    spdlog::level::level_enum level = spdlog::level::info;
};

servicekit::config base() {
    servicekit::config c;
    c.name = "clitest";
    c.arguments = {"--configured"};
    c.log_level = spdlog::level::off;  // keep the test output quiet
    return c;
}

int cli(std::vector<std::string> words, servicekit::service& svc, servicekit::config cfg = base()) {
    words.insert(words.begin(), "clitest");
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    return servicekit::cli::cli_main(static_cast<int>(words.size()), argv.data(), cfg, svc);
}

struct foreground {
    foreground() {
        for (const char* v : {"NOTIFY_SOCKET", "INVOCATION_ID", "SYSTEMD_EXEC_PID", "XPC_SERVICE_NAME"}) ::unsetenv(v);
    }
};

}  // namespace

TEST_CASE("usage errors exit 2") {
    const std::vector<std::vector<std::string>> bad{
        {"frobnicate"},
        {"status", "extra"},
        {"run", "extra"},
        {"run", "run"},
        {"run", "--bogus"},
        {"--bogus", "run"},
        {"--force", "status"},
        {"install", "--json"},
        {"--log-level", "loud"},
        {"restart", "--", "--port", "80"},  // arguments are installed, not handed to a restart
        {"stop", "--log-level", "debug"},
        {"--nam", "x"},          // no abbreviations: --nam is not --name
        {"--name"},              // missing value
        {"--bogus"},
        {"-z"},
    };
    for (const auto& words : bad) {
        CAPTURE(words.front());
        recorder svc;
        CHECK(cli(words, svc) == servicekit::cli::usage);
        CHECK_FALSE(svc.started);
    }
}

TEST_CASE("--help and --version exit 0 without running the service") {
    for (const char* w : {"--help", "-h", "--version"}) {
        recorder svc;
        CHECK(cli({w}, svc) == 0);
        CHECK_FALSE(svc.started);
    }
}

TEST_CASE("no verb means run; configured arguments are used when none are given") {
    foreground fg;
    recorder svc;
    CHECK(cli({}, svc) == 0);
    CHECK(svc.started);
    CHECK(svc.stopped);
    CHECK(svc.interactive);
    CHECK(svc.arguments == std::vector<std::string>{"--configured"});
}

// `run` and an empty command line take a path of their own, without the
// option parser: they must mean what the parser would make of them.
TEST_CASE("run without options keeps the configured name, scope and log level") {
    foreground fg;
    for (const std::vector<std::string>& words : {std::vector<std::string>{}, {"run"}, {"run", "--", "x"}}) {
        CAPTURE(words.size());
        auto cfg = base();
        cfg.scope = servicekit::scope::user;
        cfg.log_level = spdlog::level::critical;
        recorder svc;
        CHECK(cli(words, svc, cfg) == 0);
        CHECK(svc.started);
        CHECK(svc.stopped);
        CHECK(svc.name == "clitest");
        CHECK(svc.scope == servicekit::scope::user);
        CHECK(svc.level == spdlog::level::critical);
        CHECK(svc.arguments == (words.size() == 3 ? std::vector<std::string>{"x"} : std::vector<std::string>{"--configured"}));
    }
}

// The command line install writes takes that path too, and must mean what
// the parser makes of the same options in another order.
TEST_CASE("the installed command line is read without the parser, as the parser reads it") {
    foreground fg;
    const std::vector<std::vector<std::string>> same{
        {"run", "--name", "other", "--user", "--log-level", "critical", "--", "x"},
        {"--log-level", "critical", "--user", "--name", "other", "run", "--", "x"},
        {"run", "--name=other", "--user", "--log-level=critical", "--", "x"},
    };
    for (const auto& words : same) {
        CAPTURE(words.front());
        recorder svc;
        CHECK(cli(words, svc) == 0);
        CHECK(svc.name == "other");
        CHECK(svc.scope == servicekit::scope::user);
        CHECK(svc.level == spdlog::level::critical);
        CHECK(svc.arguments == std::vector<std::string>{"x"});
    }
    recorder plain;
    CHECK(cli({"run", "--name", "other", "--log-level", "warning", "--"}, plain) == 0);
    CHECK(plain.name == "other");
    CHECK(plain.scope == servicekit::scope::system);
    CHECK(plain.level == spdlog::level::warn);
    CHECK(plain.arguments.empty());
    // Near misses go to the parser, which refuses them as before.
    for (const std::vector<std::string>& words : {std::vector<std::string>{"run", "--name"},
                                                  {"run", "--name", "x", "--log-level", "loud"},
                                                  {"run", "--name", "x", "--user", "--user"},
                                                  {"run", "--name", "x", "extra"}}) {
        CAPTURE(words.back());
        recorder svc;
        CHECK(cli(words, svc) == servicekit::cli::usage);
        CHECK_FALSE(svc.started);
    }
}

TEST_CASE("run without options still validates the configuration (exit 6)") {
    foreground fg;
    for (const std::vector<std::string>& words : {std::vector<std::string>{}, {"run"}, {"run", "--"}}) {
        CAPTURE(words.size());
        auto cfg = base();
        cfg.name = "../x";
        recorder svc;
        CHECK(cli(words, svc, cfg) == servicekit::cli::invalid_config);
        CHECK_FALSE(svc.started);
    }
}

TEST_CASE("everything after -- reaches the service verbatim, even options and verbs") {
    foreground fg;
    recorder svc;
    CHECK(cli({"run", "--", "--help", "-x", "", "install", "--", "a b"}, svc) == 0);
    CHECK(svc.arguments == std::vector<std::string>{"--help", "-x", "", "install", "--", "a b"});
}

TEST_CASE("-- with nothing after it means no arguments") {
    foreground fg;
    recorder svc;
    CHECK(cli({"run", "--"}, svc) == 0);
    CHECK(svc.arguments.empty());
}

TEST_CASE("--name, --user and --log-level change the effective config") {
    foreground fg;
    recorder svc;
    CHECK(cli({"--name", "other", "run", "--user", "--log-level", "debug"}, svc) == 0);
    CHECK(svc.name == "other");
    CHECK(svc.scope == servicekit::scope::user);
    CHECK(svc.level == spdlog::level::debug);
}

TEST_CASE("an invalid --name is an invalid configuration (exit 6) for every verb") {
    for (const char* verb : {"run", "install", "status", "print-config", "start"}) {
        CAPTURE(verb);
        recorder svc;
        CHECK(cli({"--name", "../x", verb}, svc) == servicekit::cli::invalid_config);
        CHECK_FALSE(svc.started);
    }
}

#if !defined(_WIN32)
#include <servicekit/run.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <iostream>

namespace {

// File descriptor `fd` (1 or 2) goes to `to` until this goes out of scope.
class redirect {
public:
    redirect(int fd, int to) : fd_(fd), saved_(::dup(fd)) {
        std::fflush(nullptr);
        ::dup2(to, fd_);
    }
    ~redirect() {
        std::fflush(nullptr);
        ::dup2(saved_, fd_);
        ::close(saved_);
    }
    redirect(const redirect&) = delete;
    redirect& operator=(const redirect&) = delete;
    bool ok() const noexcept { return saved_ >= 0; }

private:
    int fd_, saved_;
};

}  // namespace

TEST_CASE("run() with an invalid config: one line, the bad name not echoed raw, exit 1") {
    recorder svc;
    servicekit::config cfg = base();
    cfg.name = "a\nb\x1b[2J";
    std::FILE* capture = std::tmpfile();
    REQUIRE(capture != nullptr);
    int code = 0;
    {
        const redirect to_capture(2, ::fileno(capture));
        REQUIRE(to_capture.ok());
        code = servicekit::run(cfg, svc);
    }
    std::string out(4096, '\0');
    std::rewind(capture);
    out.resize(std::fread(out.data(), 1, out.size(), capture));
    std::fclose(capture);

    CHECK(code == servicekit::exit_failure);
    CHECK_FALSE(svc.started);
    CHECK(out.rfind("servicekit: config.name \"a\\nb\\x1b[2J\" is not valid", 0) == 0);
    CHECK(out.find('\n') == out.size() - 1);
    CHECK(out.find('\x1b') == std::string::npos);
}

TEST_CASE("output that cannot be written is an I/O error (exit 1), not a success") {
    recorder svc;
    const int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
    REQUIRE(full >= 0);
    int help = 0, version = 0, print = 0;
    {
        const redirect to_full(1, full);
        REQUIRE(to_full.ok());
        help = cli({"--help"}, svc);
        version = cli({"--version"}, svc);
        print = cli({"print-config"}, svc);
    }
    ::close(full);
    std::clearerr(stdout);
    std::cout.clear();
    CHECK(help == servicekit::cli::failure);
    CHECK(version == servicekit::cli::failure);
    // Without a service manager backend print-config has nothing to print.
    const bool renders = servicekit::controller(base()).platform() != "null";
    CHECK(print == (renders ? servicekit::cli::failure : servicekit::cli::not_supported));
    CHECK(cli({"--version"}, svc) == servicekit::cli::ok);  // stdout works again
}
#endif
