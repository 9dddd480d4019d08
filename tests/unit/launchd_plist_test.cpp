#include <doctest/doctest.h>

#include <servicekit/config.hpp>
#include <servicekit/error.hpp>

#include "macos/launchd_plist.hpp"
#include "test_support.hpp"

#include <filesystem>
#include <set>
#include <sstream>
#include <string>

using namespace servicekit;
using namespace std::chrono_literals;

namespace {

config daemon() {
    config c;
    c.name = "myd";
    c.executable = "/usr/local/bin/myd";
    return c;
}

void check_rejected(const config& c, const std::string& part) {
    test::check_throws(errc::invalid_config, part, [&] { (void)detail::render_launchd_plist(c); });
}

// The top-level keys of a plist rendered by us (one tab of indent).
std::set<std::string> top_level_keys(const std::string& plist) {
    std::set<std::string> keys;
    std::istringstream in(plist);
    for (std::string line; std::getline(in, line);)
        if (line.starts_with("\t<key>")) keys.insert(line.substr(6, line.size() - 6 - 6));
    return keys;
}

}  // namespace

TEST_CASE("launchd plist: a default daemon") {
    const auto c = daemon();
    REQUIRE_NOTHROW(validate(c));
    test::check_golden("launchd_daemon.plist", detail::render_launchd_plist(c));
}

TEST_CASE("launchd plist: every key, with strings that need escaping") {
    auto c = daemon();
    c.executable = "/Applications/My App & Co/bin/my<d>";
    c.arguments = {"--help", "-x", "a b", "\"q\" 'q'", "<&>", "]]>", "back\\slash", "%n $HOME ${X}",
                   "ünï €", "", "tab\there", "line1\nline2", "cr\rlf\r\n"};
    c.working_directory = "/var/lib/my d";
    c.environment = {{"A_B", "x&y<z>"}, {"EMPTY", ""}, {"CRLF", "a\r\nb"}};
    c.user = "_myd";
    c.group = "staff";
    c.start_type = start_type::manual;
    c.restart = restart_policy::always;
    c.restart_delay = 1500ms;
    c.stop_timeout = 2500ms;
    c.log_level = spdlog::level::debug;
    c.launchd.label = "com.example.my-d";
    c.launchd.standard_out_path = "/var/log/my d/out.log";
    c.launchd.standard_error_path = "/var/log/my d/err.log";
    REQUIRE_NOTHROW(validate(c));
    const auto text = detail::render_launchd_plist(c);
    test::check_golden("launchd_every_key.plist", text);
    CHECK(text.find("<string>]]&gt;</string>") != std::string::npos);
    CHECK(text.find("cr&#13;lf&#13;\n</string>") != std::string::npos);
    CHECK(text.find('\r') == std::string::npos);
}

TEST_CASE("launchd plist: an agent that is never restarted") {
    auto c = daemon();
    c.scope = scope::user;
    c.restart = restart_policy::never;
    c.start_type = start_type::disabled;
    c.stop_timeout = 100ms;
    c.restart_delay = 0ms;
    test::check_golden("launchd_agent.plist", detail::render_launchd_plist(c));
}

TEST_CASE("launchd plist: start type and restart policy") {
    auto c = daemon();
    for (auto t : {start_type::automatic, start_type::delayed}) {
        c.start_type = t;
        CHECK(detail::render_launchd_plist(c).find("<key>RunAtLoad</key>\n\t<true/>") != std::string::npos);
    }
    for (auto t : {start_type::manual, start_type::disabled}) {
        c.start_type = t;
        CHECK(detail::render_launchd_plist(c).find("<key>RunAtLoad</key>\n\t<false/>") != std::string::npos);
    }
    c.restart = restart_policy::on_failure;
    CHECK(detail::render_launchd_plist(c).find(
              "<key>KeepAlive</key>\n\t<dict>\n\t\t<key>SuccessfulExit</key>\n\t\t<false/>\n\t</dict>") !=
          std::string::npos);
    c.restart = restart_policy::always;
    CHECK(detail::render_launchd_plist(c).find("<key>KeepAlive</key>\n\t<true/>") != std::string::npos);
    c.restart = restart_policy::never;
    CHECK(detail::render_launchd_plist(c).find("<key>KeepAlive</key>\n\t<false/>") != std::string::npos);
}

TEST_CASE("launchd plist: durations in whole seconds, rounded up; ExitTimeOut 2 s after the stop timeout") {
    auto c = daemon();
    c.stop_timeout = 100ms;
    CHECK(detail::launchd_exit_timeout(c) == 3);
    c.stop_timeout = 1000ms;
    CHECK(detail::launchd_exit_timeout(c) == 3);
    c.stop_timeout = 1001ms;
    CHECK(detail::launchd_exit_timeout(c) == 4);
    c.stop_timeout = 1h;
    CHECK(detail::launchd_exit_timeout(c) == 3602);
    c.restart_delay = 0ms;
    CHECK(detail::launchd_throttle_interval(c) == 1);
    c.restart_delay = 10s;
    CHECK(detail::launchd_throttle_interval(c) == 10);
    c.restart_delay = 10001ms;
    CHECK(detail::launchd_throttle_interval(c) == 11);
    CHECK(detail::render_launchd_plist(c).find("<key>ThrottleInterval</key>\n\t<integer>11</integer>") !=
          std::string::npos);
}

TEST_CASE("launchd plist: strings XML 1.0 cannot carry are rejected") {
    auto c = daemon();
    c.arguments = {std::string("a\x01z")};
    check_rejected(c, "config.arguments");
    c.arguments = {std::string("\xff\xfe")};
    check_rejected(c, "not valid UTF-8");
    c.arguments = {"\xEF\xBF\xBE"};  // U+FFFE
    check_rejected(c, "XML 1.0");
    c.arguments = {std::string("nul\0here", 8)};
    check_rejected(c, "XML 1.0");
    c.arguments.clear();
    c.environment = {{"V", "esc\x1b[0m"}};
    check_rejected(c, "config.environment[V]");
    c.environment.clear();
    c.executable = "/bin/a\x7f";  // DEL is legal XML: written verbatim
    CHECK(detail::render_launchd_plist(c).find("<string>/bin/a\x7f</string>") != std::string::npos);
}

TEST_CASE("launchd plist: an agent cannot have UserName/GroupName") {
    auto c = daemon();
    c.scope = scope::user;
    c.user = "nobody";
    check_rejected(c, "agent");
    c.user.clear();
    c.group = "staff";
    check_rejected(c, "agent");
}

TEST_CASE("launchd plist: only keys of the key table, each once") {
    std::set<std::string> table;
    for (const auto& k : detail::launchd_plist_keys()) {
        CHECK(table.insert(std::string(k.key)).second);
        CHECK(detail::to_string(k.type) != "unknown");
    }
    const std::filesystem::path dir = SERVICEKIT_GOLDEN_DIR;
    for (const char* golden : {"launchd_daemon.plist", "launchd_every_key.plist", "launchd_agent.plist"}) {
        for (const auto& k : top_level_keys(test::read_all(dir / golden))) {
            CAPTURE(golden);
            CAPTURE(k);
            CHECK(table.count(k) == 1);
        }
    }
    // The full example uses every key in the table.
    CHECK(top_level_keys(test::read_all(dir / "launchd_every_key.plist")) == table);
}
