// Property: for any config validate() accepts, cli_main parses the installed
// command line (service_command_line) back into the same name, scope, log
// level and service arguments, byte for byte — whatever the arguments look
// like ("--name", "--", "-h", quotes, UTF-8…). A config validate() rejects is
// rejected with invalid_config, and cli_main then exits 6. Fixed seeds,
// thousands of cases, in-process (the real run() with a service that stops
// as soon as it starts).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "string_generator.hpp"

#include <servicekit/cli.hpp>
#include <servicekit/config.hpp>
#include <servicekit/error.hpp>

#include <algorithm>
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

using namespace servicekit;

namespace {

class recorder final : public service {
public:
    void start(context& ctx) override {
        ran = true;
        seen = ctx.cfg();
        arguments = ctx.arguments();
        ctx.request_stop(0);
    }
    void stop(context&) override {}

    bool ran = false;
    config seen;
    std::vector<std::string> arguments;
};

// The service logs to stderr at the level the case chose; keep the test's output readable.
class quiet_stderr {
public:
    quiet_stderr() : saved_(::dup(2)) {
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, 2);
        ::close(null);
    }
    ~quiet_stderr() {
        std::fflush(stderr);
        ::dup2(saved_, 2);
        ::close(saved_);
    }
    quiet_stderr(const quiet_stderr&) = delete;
    quiet_stderr& operator=(const quiet_stderr&) = delete;

private:
    int saved_;
};

int run_cli(const std::vector<std::string>& words, recorder& svc) {
    std::vector<std::string> copy = words;
    std::vector<char*> argv;
    for (auto& w : copy) argv.push_back(w.data());
    argv.push_back(nullptr);
    config base;  // what the program was compiled with: the command line must win
    base.name = "compiled-in";
    base.arguments = {"compiled", "in"};
    base.log_level = spdlog::level::debug;
    quiet_stderr quiet;
    return cli::cli_main(static_cast<int>(copy.size()), argv.data(), base, svc);
}

}  // namespace

TEST_CASE("cli_main reads back the installed command line exactly") {
    constexpr int cases = 3000;
    property::string_generator gen(20261121);
    int accepted = 0, rejected = 0;
    for (int i = 0; i < cases; ++i) {
        config cfg;
        cfg.name = gen.name();
        cfg.executable = "/opt/app/bin/app";
        cfg.arguments = gen.arguments();
        cfg.scope = gen.one_in(3) ? scope::user : scope::system;
        cfg.log_level = static_cast<spdlog::level::level_enum>(gen.below(7));

        bool valid = true;
        try {
            validate(cfg);
        } catch (const error& e) {
            REQUIRE_MESSAGE(e.reason() == errc::invalid_config, e.what());
            valid = false;
        }
        // An argv word is a C string: one with a NUL cannot be handed over at all.
        if (std::any_of(cfg.arguments.begin(), cfg.arguments.end(),
                        [](const std::string& a) { return a.find('\0') != std::string::npos; }))
            continue;
        const auto argv = service_command_line(cfg);
        recorder svc;
        const int rc = run_cli(argv, svc);
        CAPTURE(i);
        CAPTURE(cfg.name);
        if (!valid) {
            ++rejected;
            CHECK(rc == cli::invalid_config);
            CHECK_FALSE(svc.ran);
            continue;
        }
        ++accepted;
        REQUIRE(rc == 0);
        REQUIRE(svc.ran);
        CHECK(svc.seen.name == cfg.name);
        CHECK(svc.seen.scope == cfg.scope);
        CHECK(svc.seen.log_level == cfg.log_level);
        CHECK(svc.arguments == cfg.arguments);  // none means none, not the compiled-in ones
    }
    MESSAGE(accepted << " accepted and read back exactly, " << rejected << " rejected");
    CHECK(accepted > cases / 2);
    CHECK(rejected > 0);
}
