// The Windows command line and the SCM parameters: golden files, and a
// round trip of a tricky corpus through a parser that follows the
// CommandLineToArgvW rules on every host and, on Windows (or under Wine),
// through the real CommandLineToArgvW.
#include <doctest/doctest.h>

#include <servicekit/config.hpp>
#include <servicekit/error.hpp>

#include "windows/scm_parameters.hpp"

#include "../common/windows_command_line_rules.hpp"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#if defined(_WIN32)
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#include <shellapi.h>

#include "windows/unicode.hpp"
#endif

using namespace servicekit;
using namespace servicekit::detail::scm;
using servicekit::test::split_windows_command_line;

namespace {

std::string read_golden(const std::string& name) {
    std::ifstream in(std::string(SERVICEKIT_GOLDEN_DIR) + "/" + name, std::ios::binary);
    REQUIRE_MESSAGE(in, "missing golden file " << name);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The arguments the round trip must survive.
const std::vector<std::string>& corpus() {
    static const std::vector<std::string> c{
        "plain",
        "with space",
        "",
        "a\"b",
        "\"",
        "\"\"",
        "\\",
        "\\\\",
        "a\\b",
        "a\\\\b",
        "a\\\"b",
        "a\\\\\"b",
        "C:\\dir\\",
        "C:\\my dir\\",
        "\\\\server\\share\\",
        "end\\\\\\",
        "tab\there",
        "new\nline",
        "100%",
        "\xc3\xa9t\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
        "--help",
        "-x",
        "--",
        "run",
        "  leading and trailing  ",
        "&|<>^()",
        "'single'",
    };
    return c;
}

#if defined(_WIN32)
std::vector<std::string> command_line_to_argv(const std::string& line) {
    int n = 0;
    wchar_t** w = ::CommandLineToArgvW(detail::scm::to_wide(line).c_str(), &n);
    REQUIRE(w != nullptr);
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back(detail::scm::to_utf8(w[i]));
    ::LocalFree(w);
    return out;
}
#endif

config sample_config() {
    config c;
    c.name = "my-service";
    c.executable = "C:\\Program Files\\My App\\my app.exe";
    return c;
}

}  // namespace

TEST_CASE("windows_command_line: the executable is always quoted") {
    CHECK(windows_command_line("C:\\app.exe", {}) == "\"C:\\app.exe\"");
    CHECK(windows_command_line("C:\\Program Files\\a b\\app.exe", {"run"}) ==
          "\"C:\\Program Files\\a b\\app.exe\" run");
}

TEST_CASE("windows_command_line: golden corpus") {
    std::string text;
    for (const auto& a : corpus()) text += windows_command_line("C:\\x\\app.exe", {a}) + "\n";
    CHECK(text == read_golden("windows_command_line.txt"));
}

TEST_CASE("windows_command_line: the corpus round-trips through the CommandLineToArgvW rules") {
    const std::string exe = "C:\\Program Files\\\xc3\xa9 x\\app.exe";
    std::vector<std::string> all;
    for (const auto& a : corpus()) {
        CAPTURE(a);
        const auto line = windows_command_line(exe, {a});
        const std::vector<std::string> expected{exe, a};
        CHECK(split_windows_command_line(line) == expected);
        all.push_back(a);
#if defined(_WIN32)
        CHECK(command_line_to_argv(line) == expected);
#endif
    }
    const auto line = windows_command_line(exe, all);
    all.insert(all.begin(), exe);
    CHECK(split_windows_command_line(line) == all);
#if defined(_WIN32)
    CHECK(command_line_to_argv(line) == all);
#endif
}

TEST_CASE("windows_command_line: rejects what no Windows path holds") {
    CHECK_THROWS_AS(windows_command_line("", {}), error);
    CHECK_THROWS_AS(windows_command_line("C:\\a\"b.exe", {}), error);
    CHECK_THROWS_AS(windows_command_line("C:\\a\nb.exe", {}), error);
    try {
        windows_command_line("C:\\a\"b.exe", {});
    } catch (const error& e) {
        CHECK(e.reason() == errc::invalid_config);
    }
}

TEST_CASE("check_no_expansion: %NAME% would be expanded by the SCM, so it is rejected") {
    CHECK_NOTHROW(check_no_expansion("\"C:\\a.exe\" 100%"));
    CHECK_NOTHROW(check_no_expansion("\"C:\\a.exe\" %%"));
    CHECK_NOTHROW(check_no_expansion("\"C:\\a.exe\" a%%b"));
    // The SCM reads "%% 1%" as '%' then "% 1%", the variable " 1".
    CHECK_THROWS_AS(check_no_expansion("\"C:\\a.exe\" %% 1%"), error);
    CHECK_NOTHROW(check_no_expansion("\"C:\\a.exe\" %"));
    CHECK_THROWS_AS(check_no_expansion("\"C:\\a.exe\" %PATH%"), error);
    CHECK_THROWS_AS(check_no_expansion("\"C:\\a.exe\" 50% 100%"), error);
    CHECK_THROWS_AS(check_no_expansion("\"C:\\%SystemRoot%\\a.exe\""), error);
    CHECK_THROWS_AS(check_no_expansion("\"C:\\a.exe\" %%PATH%"), error);
    try {
        check_no_expansion("\"C:\\a.exe\" %PATH%");
        FAIL("accepted");
    } catch (const error& e) {
        CHECK(e.reason() == errc::invalid_config);
        CHECK(std::string(e.what()).find("%PATH%") != std::string::npos);
    }
}

TEST_CASE("make_scm_parameters: the binary path encodes exactly service_command_line(cfg)") {
    auto c = sample_config();
    c.arguments = corpus();
    c.log_level = spdlog::level::debug;
    const auto p = make_scm_parameters(c, c.executable.string());
    auto expected = service_command_line(c);
    CHECK(split_windows_command_line(p.binary_path) == expected);
#if defined(_WIN32)
    CHECK(command_line_to_argv(p.binary_path) == expected);
#endif
}

TEST_CASE("make_scm_parameters: defaults") {
    const auto c = sample_config();
    const auto p = make_scm_parameters(c, c.executable.string());
    CHECK(p.binary_path == "\"C:\\Program Files\\My App\\my app.exe\" run --name my-service --log-level info --");
    CHECK(p.display_name == "my-service");
    CHECK(p.start_type == service_auto_start);
    CHECK_FALSE(p.delayed_auto_start);
    CHECK(p.account.empty());  // LocalSystem
    CHECK(p.password.empty());
    // restart on_failure, 1 s delay: three restarts, non-crash failures too
    CHECK(p.failure_actions == std::vector<failure_action>(3, failure_action{sc_action_restart, 1000}));
    CHECK(p.failure_reset_period_s == 86400);
    CHECK(p.failure_actions_on_non_crash);
    CHECK(p.preshutdown_timeout_ms == 12000);  // the stop timeout and 2 s
    CHECK(p.event_source_key == "SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\my-service");
    CHECK(render_scm_parameters(p) == read_golden("scm_parameters_default.txt"));
}

TEST_CASE("make_scm_parameters: start types") {
    auto c = sample_config();
    c.start_type = start_type::delayed;
    auto p = make_scm_parameters(c, c.executable.string());
    CHECK(p.start_type == service_auto_start);
    CHECK(p.delayed_auto_start);
    c.start_type = start_type::manual;
    p = make_scm_parameters(c, c.executable.string());
    CHECK(p.start_type == service_demand_start);
    CHECK_FALSE(p.delayed_auto_start);
    c.start_type = start_type::disabled;
    CHECK(make_scm_parameters(c, c.executable.string()).start_type == service_disabled);
}

TEST_CASE("make_scm_parameters: accounts") {
    auto c = sample_config();
    const auto account = [&] { return make_scm_parameters(c, c.executable.string()).account; };
    c.windows.account = "LocalSystem";
    CHECK(account().empty());
    c.windows.account = "LocalService";
    CHECK(account() == "NT AUTHORITY\\LocalService");
    c.windows.account = "NetworkService";
    CHECK(account() == "NT AUTHORITY\\NetworkService");
    c.windows.account = "virtual";
    CHECK(account() == "NT SERVICE\\my-service");
    c.windows.account.clear();
    c.user = "svcuser";
    c.windows.password = "p\xc3\xa4ss word";
    CHECK(account() == ".\\svcuser");
    CHECK(make_scm_parameters(c, c.executable.string()).password == "p\xc3\xa4ss word");
    c.user = "DOMAIN\\svcuser";
    CHECK(account() == "DOMAIN\\svcuser");
    c.user = "svcuser@example.com";
    CHECK(account() == "svcuser@example.com");
}

TEST_CASE("make_scm_parameters: restart policy") {
    auto c = sample_config();
    c.restart = restart_policy::never;
    auto p = make_scm_parameters(c, c.executable.string());
    CHECK(p.failure_actions.empty());
    CHECK_FALSE(p.failure_actions_on_non_crash);
    c.restart = restart_policy::always;
    c.restart_delay = std::chrono::milliseconds(2500);
    c.windows.failure_reset_period = std::chrono::seconds(60);
    p = make_scm_parameters(c, c.executable.string());
    CHECK(p.failure_actions == std::vector<failure_action>(3, failure_action{sc_action_restart, 2500}));
    CHECK(p.failure_reset_period_s == 60);
    CHECK(p.failure_actions_on_non_crash);
}

TEST_CASE("make_scm_parameters: everything set (golden)") {
    auto c = sample_config();
    c.display_name = "My \xc3\x9cservice";
    c.description = "Serves \"things\" & more: 100% \xe6\x97\xa5\xe6\x9c\xac";
    c.arguments = {"--port", "8080", "a b", "C:\\data dir\\"};
    c.start_type = start_type::delayed;
    c.windows.account = "virtual";
    c.dependencies = {"Tcpip", "Dnscache"};
    c.environment = {{"MODE", "prod"}, {"GREETING", "hello world"}};
    c.stop_timeout = std::chrono::seconds(30);
    c.restart_delay = std::chrono::seconds(5);
    c.log_level = spdlog::level::warn;
    const auto p = make_scm_parameters(c, c.executable.string());
    CHECK(p.dependencies == c.dependencies);
    CHECK(p.environment == std::vector<std::string>{"GREETING=hello world", "MODE=prod"});
    CHECK(p.preshutdown_timeout_ms == 32000);
    CHECK(render_scm_parameters(p) == read_golden("scm_parameters_full.txt"));
}

TEST_CASE("make_scm_parameters: the password is never rendered") {
    auto c = sample_config();
    c.user = "svcuser";
    c.windows.password = "secret-password";
    const auto text = render_scm_parameters(make_scm_parameters(c, c.executable.string()));
    CHECK(text.find("secret-password") == std::string::npos);
    CHECK(text.find("password: (set)") != std::string::npos);
}

TEST_CASE("make_scm_parameters: user scope is not supported") {
    auto c = sample_config();
    c.scope = scope::user;
    try {
        make_scm_parameters(c, c.executable.string());
        FAIL("accepted");
    } catch (const error& e) {
        CHECK(e.reason() == errc::not_supported);
        CHECK(std::string(e.what()).find("elevated") != std::string::npos);
    }
}

TEST_CASE("make_scm_parameters: an argument the SCM would expand is rejected") {
    auto c = sample_config();
    c.arguments = {"%SystemRoot%"};
    try {
        make_scm_parameters(c, c.executable.string());
        FAIL("accepted");
    } catch (const error& e) {
        CHECK(e.reason() == errc::invalid_config);
    }
}

#if defined(_WIN32)
TEST_CASE("win32_message: inserts name the thing, escapes are said, one line") {
    CHECK(message_line("%1 is not a valid Win32 application.\r\n", "C:\\my app.exe") ==
          "C:\\my app.exe is not a valid Win32 application");
    CHECK(message_line("Bad EXE format for %1.\r\n", "the program") == "Bad EXE format for the program");
    CHECK(message_line("%2!s! and %10 then %3!d", "x") == "x and x then x");
    CHECK(message_line("100%% sure%.%nnext line\r\nlast%0 ignored", "x") == "100% sure. next line last");
    CHECK(message_line("%", "x") == "%");
    CHECK(message_line("", "x").empty());
    // Through FormatMessageW: ERROR_BAD_EXE_FORMAT's text has an insert on
    // Windows and under Wine; none may be left.
    const auto text = win32_message(ERROR_BAD_EXE_FORMAT, "C:\\x.exe");
    CHECK(text.find('%') == std::string::npos);
    CHECK(text.find("C:\\x.exe") != std::string::npos);
    CHECK(text.find("(error 193)") != std::string::npos);
}
#endif
