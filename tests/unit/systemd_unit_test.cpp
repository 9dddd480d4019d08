// The systemd unit renderer against golden files (tests/unit/golden/*.service),
// and what it must refuse. Set SERVICEKIT_UPDATE_GOLDEN=1 to rewrite the
// golden files after an intended change, then review the diff.
#include <doctest/doctest.h>

#include <servicekit/config.hpp>
#include <servicekit/error.hpp>

#include "linux/systemd_unit.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

using namespace servicekit;
using namespace std::chrono_literals;
namespace sd = servicekit::detail::systemd;

namespace {

void check_golden(const std::string& file, const std::string& actual) {
    const std::string path = std::string(SERVICEKIT_GOLDEN_DIR) + "/" + file;
    if (std::getenv("SERVICEKIT_UPDATE_GOLDEN") != nullptr) {
        std::ofstream(path, std::ios::binary) << actual;
        return;
    }
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "missing golden file " << path << " (SERVICEKIT_UPDATE_GOLDEN=1 writes it)");
    std::ostringstream expected;
    expected << in.rdbuf();
    CHECK(actual == expected.str());
}

config base() {
    config c;
    c.name = "myd";
    c.executable = "/usr/bin/myd";
    return c;
}

void check_rejected(const config& c, const char* part) {
    CAPTURE(part);
    try {
        (void)detail::render_systemd_unit(c);
        FAIL("rendered, expected a rejection containing: " << part);
    } catch (const error& e) {
        CHECK(e.reason() == errc::invalid_config);
        const std::string msg = e.what();
        CAPTURE(msg);
        CHECK(msg.find(part) != std::string::npos);
        CHECK(msg.find('\n') == std::string::npos);
    }
}

}  // namespace

TEST_CASE("systemd unit: the defaults") {
    check_golden("systemd_minimal.service", detail::render_systemd_unit(base()));
}

TEST_CASE("systemd unit: every field, and arguments that need quoting") {
    config c = base();
    c.name = "my-daemon_2";
    c.display_name = "My Daemon";
    c.description = "Serves 100% of \"requests\" for $USER; \\o/ ünïcödé";
    c.executable = "/opt/my app/bin/my daemon";
    c.arguments = {"plain", "with space", "double\"quote", "single'quote", "back\\slash", "trailing\\",
                   "100%", "%n", "$HOME", "${X}", "$$", "a;b", "ünï €", "", "--help", "-x",
                   "line\nbreak", "tab\there", "cr\rhere"};
    c.working_directory = "/srv/my dir/%h $X";
    c.environment = {{"PLAIN", "value"}, {"SPACED", "a b  c"}, {"TRICKY", "%h $HOME ${X} \\ \" ' ;\n\t"},
                     {"EMPTY", ""}};
    c.user = "svc-user";
    c.group = "svc.group";
    c.dependencies = {"network-online.target", "postgresql", "foo@bar.service", "var-lib.mount"};
    c.restart = restart_policy::always;
    c.restart_delay = 1500ms;
    c.stop_timeout = 30s;
    c.log_level = spdlog::level::debug;
    c.systemd.watchdog = 20s;
    check_golden("systemd_full.service", detail::render_systemd_unit(c));
}

TEST_CASE("systemd unit: user scope, manual start, Requires=, no restart") {
    config c = base();
    c.scope = scope::user;
    c.start_type = start_type::manual;
    c.restart = restart_policy::never;
    c.restart_delay = 0ms;
    c.stop_timeout = 250ms;
    c.display_name = "Only a display name";
    c.dependencies = {"dbus.socket"};
    c.systemd.require_dependencies = true;
    check_golden("systemd_user.service", detail::render_systemd_unit(c));
}

TEST_CASE("systemd unit: an executable path with '$' uses the @path argv0 form") {
    config c = base();
    c.executable = "/opt/a$b/100%/myd";
    const auto unit = detail::render_systemd_unit(c);
    CHECK(unit.find("ExecStart=@\"/opt/a$b/100%%/myd\" \"/opt/a$$b/100%%/myd\" \"run\"") != std::string::npos);
}

TEST_CASE("systemd unit: quoting of single words") {
    CHECK(sd::quote_exec_word("") == "\"\"");
    CHECK(sd::quote_exec_word("a b") == "\"a b\"");
    CHECK(sd::quote_exec_word("%h$X") == "\"%%h$$X\"");
    CHECK(sd::quote_exec_word("x\\") == "\"x\\\\\"");
    CHECK(sd::quote_exec_word("q\"") == "\"q\\\"\"");
    CHECK(sd::quote_exec_word("\n\t\r\x01") == "\"\\n\\t\\r\\x01\"");
    CHECK(sd::quote_exec_word("ü") == "\"ü\"");
    CHECK(sd::quote_environment("K", "%$\\\"") == "\"K=%%$\\\\\\\"\"");
}

TEST_CASE("systemd unit: names, dependencies and time spans") {
    CHECK(sd::unit_name(base()) == "myd.service");
    CHECK(sd::dependency_unit("postgresql") == "postgresql.service");
    CHECK(sd::dependency_unit("network.target") == "network.target");
    CHECK(sd::dependency_unit("a.socket") == "a.socket");
    CHECK(sd::dependency_unit("x.y") == "x.y.service");
    CHECK(sd::dependency_unit(".target") == ".target.service");
    CHECK(sd::time_span(0ms) == "0");
    CHECK(sd::time_span(3s) == "3s");
    CHECK(sd::time_span(1500ms) == "1500ms");
}

TEST_CASE("systemd unit: what systemd cannot take is refused") {
    auto with = [](auto edit) {
        config c = base();
        edit(c);
        return c;
    };
    check_rejected(with([](config& c) { c.user = "1abc"; }), "config.user");
    check_rejected(with([](config& c) { c.user = "a b"; }), "numeric id or a name");
    check_rejected(with([](config& c) { c.user = "a%b"; }), "config.user");
    check_rejected(with([](config& c) { c.user = "65535"; }), "not a valid numeric id");
    check_rejected(with([](config& c) { c.user = "4294967295"; }), "not a valid numeric id");
    check_rejected(with([](config& c) { c.group = "gr/oup"; }), "config.group");
    check_rejected(with([](config& c) { c.description = "ends in a backslash\\"; }), "continues the line");
    check_rejected(with([](config& c) { c.description = " leading space"; }), "whitespace");
    check_rejected(with([](config& c) { c.description = "trailing space "; }), "whitespace");
    check_rejected(with([](config& c) { c.display_name = "shown\\"; }), "config.display_name");
    check_rejected(with([](config& c) { c.working_directory = "/srv/../etc"; }), "\"..\"");
    check_rejected(with([](config& c) { c.working_directory = "/srv/x "; }), "whitespace");
    check_rejected(with([](config& c) { c.executable = "relative/myd"; }), "absolute");
    // systemd reads an all-digit value as an id only without leading zeros,
    // and refuses it as a name.
    check_rejected(with([](config& c) { c.user = "01"; }), "leading zeros");
    check_rejected(with([](config& c) { c.group = "007"; }), "leading zeros");
    // Dependencies systemd would drop with only a warning.
    check_rejected(with([](config& c) { c.dependencies = {"@bar"}; }), "cannot start with '@'");
    check_rejected(with([](config& c) { c.dependencies = {"getty@"}; }), "name an instance");
    check_rejected(with([](config& c) { c.dependencies = {"getty@.service"}; }), "name an instance");
    check_rejected(with([](config& c) { c.dependencies = {std::string(250, 'a')}; }), "longer than 255");
    CHECK_NOTHROW((void)detail::render_systemd_unit(with([](config& c) {
        c.dependencies = {"getty@tty1", std::string(247, 'a'), "network-online.target"};
    })));
    // "Executable name contains special characters"
    for (const char* exe : {"/opt/it's/myd", "/opt/a\"b/myd", "/opt/a\\b/myd", "/opt/a\tb/myd", "/opt/a\x7f/myd"})
        check_rejected(with([&](config& c) { c.executable = exe; }), "move or rename the program");

    CHECK_NOTHROW((void)detail::render_systemd_unit(with([](config& c) { c.user = "0"; c.group = "4294967294"; })));
    CHECK_NOTHROW((void)detail::render_systemd_unit(with([](config& c) { c.user = "_apt"; c.group = "machine$"; })));
    CHECK_NOTHROW((void)detail::render_systemd_unit(with([](config& c) { c.description = "a\\b %i"; })));
}
