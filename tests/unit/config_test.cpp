#include <doctest/doctest.h>

#include <servicekit/config.hpp>
#include <servicekit/error.hpp>

#include <functional>
#include <string>

using namespace servicekit;
using namespace std::chrono_literals;

namespace {

// An absolute path prefix: "/usr/bin/myd" is relative to the current drive on Windows.
#if defined(_WIN32)
#define ROOT "C:"
#else
#define ROOT ""
#endif

config good() {
    config c;
    c.name = "myd";
    c.executable = ROOT "/usr/bin/myd";
    return c;
}

struct rule_case {
    const char* what;
    std::function<void(config&)> edit;
    const char* message_part;  // nullptr: accepted
};

void check_case(const rule_case& rc) {
    CAPTURE(rc.what);
    config c = good();
    rc.edit(c);
    if (rc.message_part == nullptr) {
        CHECK_NOTHROW(validate(c));
        return;
    }
    try {
        validate(c);
        FAIL("accepted, expected rejection containing: " << rc.message_part);
    } catch (const error& e) {
        CHECK(e.reason() == errc::invalid_config);
        CHECK(e.code() == make_error_code(errc::invalid_config));
        const std::string msg = e.what();
        CAPTURE(msg);
        CHECK(msg.find(rc.message_part) != std::string::npos);
        CHECK(msg.find('\n') == std::string::npos);  // one line
    }
}

}  // namespace

TEST_CASE("config validation: every rule, accepted and rejected") {
    const rule_case cases[] = {
        {"default sample config", [](config&) {}, nullptr},
        {"name with dots, dashes, underscores", [](config& c) { c.name = "my-d_1.2"; }, nullptr},
        {"name of 64 chars", [](config& c) { c.name = std::string(64, 'a'); }, nullptr},
        {"empty name", [](config& c) { c.name = ""; }, "config.name is empty"},
        {"name too long", [](config& c) { c.name = std::string(65, 'a'); }, "longer than 64"},
        {"name with slash", [](config& c) { c.name = "../x"; }, "path separator"},
        {"name with backslash", [](config& c) { c.name = "a\\b"; }, "path separator"},
        {"name ..", [](config& c) { c.name = "a..b"; }, "\"..\""},
        {"name leading dash", [](config& c) { c.name = "-x"; }, "must not start with '-'"},
        {"name with space", [](config& c) { c.name = "my d"; }, "whitespace"},
        {"name with tab", [](config& c) { c.name = "my\td"; }, "whitespace"},
        {"name with control", [](config& c) { c.name = "my\x01" "d"; }, "control"},
        {"name with @", [](config& c) { c.name = "my@d"; }, "'@' is not allowed"},
        {"name with UTF-8", [](config& c) { c.name = "caf\xC3\xA9"; }, "is not allowed"},
        {"name leading dot", [](config& c) { c.name = ".hidden"; }, "starting with a letter or digit"},
        {"name trailing dot", [](config& c) { c.name = "myd."; }, "must not end with '.'"},
        {"name.service", [](config& c) { c.name = "myd.service"; }, "must not end with \".service\" (systemd's unit is <name>.service); use \"myd\""},
        {"name CON", [](config& c) { c.name = "con"; }, "reserved Windows device name"},
        {"name COM1.x", [](config& c) { c.name = "COM1.svc"; }, "reserved Windows device name"},
        {"name console is fine", [](config& c) { c.name = "console"; }, nullptr},
        {"description newline", [](config& c) { c.description = "a\nb"; }, "config.description"},
        {"description CR", [](config& c) { c.description = "a\rb"; }, "one line"},
        {"description bad UTF-8", [](config& c) { c.description = "\xC3"; }, "UTF-8"},
        {"description UTF-8 ok", [](config& c) { c.description = "d\xC3\xA9mon \xE2\x80\x94 100% $HOME"; }, nullptr},
        {"description leading space", [](config& c) { c.description = " x"; }, "start or end with a space"},
        {"description trailing space", [](config& c) { c.description = "x "; }, "start or end with a space"},
        {"description trailing backslash", [](config& c) { c.description = "x\\"; }, "backslash"},
        {"description inner backslash", [](config& c) { c.description = "C:\\x y"; }, nullptr},
        {"display name trailing space", [](config& c) { c.display_name = "My D "; }, "start or end with a space"},
        {"display name newline", [](config& c) { c.display_name = "x\ny"; }, "config.display_name"},
        {"display name too long", [](config& c) { c.display_name = std::string(300, 'x'); }, "longer than 256"},
        {"relative executable", [](config& c) { c.executable = "bin/myd"; }, "absolute path"},
        {"executable with newline", [](config& c) { c.executable = ROOT "/usr/bin/my\nd"; }, "config.executable"},
        {"empty executable is this program", [](config& c) { c.executable.clear(); }, nullptr},
        {"relative working dir", [](config& c) { c.working_directory = "var"; }, "config.working_directory"},
        {"absolute working dir", [](config& c) { c.working_directory = ROOT "/var/lib/myd"; }, nullptr},
        {"arguments with anything printable", [](config& c) { c.arguments = {"--help", "-x", "", " a b ", "%h$X\\\"'", "l1\nl2\tt"}; }, nullptr},
        {"argument NUL", [](config& c) { c.arguments = {std::string("a\0b", 3)}; }, "NUL"},
        {"argument ESC", [](config& c) { c.arguments = {"\x1b[0m"}; }, "control character"},
        {"argument bad UTF-8", [](config& c) { c.arguments = {"\xFF"}; }, "UTF-8"},
        {"argument U+FFFF", [](config& c) { c.arguments = {"\xEF\xBF\xBF"}; }, "U+FFFE"},
        {"argument too long", [](config& c) { c.arguments = {std::string(5000, 'a')}; }, "longer than 4096"},
        {"command line too long", [](config& c) { c.arguments.assign(8, std::string(4000, 'a')); }, "too long"},
        {"env key good", [](config& c) { c.environment = {{"_A1", "v a l\n"}}; }, nullptr},
        {"env key empty", [](config& c) { c.environment = {{"", "v"}}; }, "variable name"},
        {"env key digit", [](config& c) { c.environment = {{"1A", "v"}}; }, "variable name"},
        {"env key with =", [](config& c) { c.environment = {{"A=B", "v"}}; }, "variable name"},
        {"env key with space", [](config& c) { c.environment = {{"A B", "v"}}; }, "variable name"},
        {"env value NUL", [](config& c) { c.environment = {{"A", std::string("\0", 1)}}; }, "environment[A]"},
        {"user ok", [](config& c) { c.user = "nobody"; c.group = "nogroup"; }, nullptr},
        {"windows account with space and backslash", [](config& c) { c.user = "NT AUTHORITY\\LocalService"; }, nullptr},
        {"user newline", [](config& c) { c.user = "a\nb"; }, "config.user"},
        {"user leading dash", [](config& c) { c.user = "-r"; }, "must not start with '-'"},
        {"group with colon", [](config& c) { c.group = "a:b"; }, "':'"},
        {"user blank", [](config& c) { c.user = "  "; }, "blank"},
        {"user with user scope", [](config& c) { c.scope = scope::user; c.user = "x"; }, "user-scope"},
        {"dependency ok", [](config& c) { c.dependencies = {"network-online.target", "dbus", "getty@tty1.service"}; }, nullptr},
        {"dependency empty", [](config& c) { c.dependencies = {""}; }, "empty name"},
        {"dependency slash", [](config& c) { c.dependencies = {"../etc/x"}; }, "config.dependencies"},
        {"dependency space", [](config& c) { c.dependencies = {"a b"}; }, "config.dependencies"},
        {"dependency on itself", [](config& c) { c.dependencies = {"myd"}; }, "itself"},
        {"dependency leading dash", [](config& c) { c.dependencies = {"-x"}; }, "must start with"},
        {"stop timeout zero", [](config& c) { c.stop_timeout = 0ms; }, "config.stop_timeout"},
        {"stop timeout negative", [](config& c) { c.stop_timeout = -5s; }, "between 100 ms"},
        {"stop timeout huge", [](config& c) { c.stop_timeout = 2h; }, "config.stop_timeout"},
        {"stop timeout 100ms", [](config& c) { c.stop_timeout = 100ms; }, nullptr},
        {"restart delay negative", [](config& c) { c.restart_delay = -1ms; }, "config.restart_delay"},
        {"restart delay zero", [](config& c) { c.restart_delay = 0ms; }, nullptr},
        {"watchdog too short", [](config& c) { c.systemd.watchdog = 10ms; }, "config.systemd.watchdog"},
        {"watchdog 30s", [](config& c) { c.systemd.watchdog = 30s; }, nullptr},
        {"bad start type", [](config& c) { c.start_type = static_cast<start_type>(9); }, "config.start_type"},
        {"bad scope", [](config& c) { c.scope = static_cast<scope>(9); }, "config.scope"},
        {"bad restart", [](config& c) { c.restart = static_cast<restart_policy>(9); }, "config.restart"},
        {"bad log level", [](config& c) { c.log_level = static_cast<spdlog::level::level_enum>(42); }, "config.log_level"},
        {"launchd label ok", [](config& c) { c.launchd.label = "com.example.myd"; }, nullptr},
        {"launchd label slash", [](config& c) { c.launchd.label = "com/x"; }, "config.launchd.label"},
        {"launchd label ..", [](config& c) { c.launchd.label = "com..x"; }, "config.launchd.label"},
        {"launchd relative stdout", [](config& c) { c.launchd.standard_out_path = "log.txt"; }, "standard_out_path"},
        {"windows account virtual", [](config& c) { c.windows.account = "virtual"; }, nullptr},
        {"windows account unknown", [](config& c) { c.windows.account = "Admin"; }, "config.windows.account"},
        {"windows account and user", [](config& c) { c.windows.account = "LocalService"; c.user = "bob"; }, "choose one"},
        {"windows password without user", [](config& c) { c.windows.password = "pw"; }, "without config.user"},
    };
    for (const auto& rc : cases) check_case(rc);
}

TEST_CASE("error carries its code and an exact message") {
    const error e(errc::not_installed, "myd is not installed: run `myd install` first");
    CHECK(std::string(e.what()) == "myd is not installed: run `myd install` first");
    CHECK(e.reason() == errc::not_installed);
    CHECK(e.code().category().name() == std::string("servicekit"));
    CHECK(std::string(to_string(errc::permission_denied)) == "permission_denied");
    const std::error_code ec = errc::timeout;
    CHECK(ec.message() == "timeout");
}

TEST_CASE("service_command_line protects the arguments with --") {
    config c = good();
    // The level and "--" even for the defaults: run must not fall back on
    // the program's compiled-in ones.
    CHECK(service_command_line(c) ==
          std::vector<std::string>{ROOT "/usr/bin/myd", "run", "--name", "myd", "--log-level", "info", "--"});
    c.arguments = {"--help", "-x", ""};
    c.scope = scope::user;
    c.log_level = spdlog::level::debug;
    CHECK(service_command_line(c) ==
          std::vector<std::string>{ROOT "/usr/bin/myd", "run", "--name", "myd", "--user", "--log-level", "debug", "--", "--help", "-x", ""});
}

TEST_CASE("launchd_label defaults to org.servicekit.<name>") {
    config c = good();
    CHECK(launchd_label(c) == "org.servicekit.myd");
    c.launchd.label = "com.example.x";
    CHECK(launchd_label(c) == "com.example.x");
}
