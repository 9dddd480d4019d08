#include <doctest/doctest.h>

#include "macos/launchd_print.hpp"

using servicekit::detail::parse_launchctl_print;

TEST_CASE("launchctl print: only the top-level state and pid count") {
    const auto info = parse_launchctl_print(
        "system/com.example.myd = {\n"
        "\tactive count = 1\n"
        "\tpath = /Library/LaunchDaemons/com.example.myd.plist\n"
        "\tevent triggers = {\n"
        "\t\tcom.example.trigger => {\n"
        "\t\t\tstate = active\n"
        "\t\t\tpid = 7\n"
        "\t\t}\n"
        "\t}\n"
        "\tendpoints = {\n"
        "\t\tstate = active\n"
        "\t}\n"
        "\tstate = running\n"
        "\n"
        "\tprogram = /usr/local/bin/myd\n"
        "\tpid = 4242\n"
        "\tstate = not running\n"
        "}\n");
    CHECK(info.state == "running");
    REQUIRE(info.pid.has_value());
    CHECK(*info.pid == 4242);
}

TEST_CASE("launchctl print: not running, no pid, odd lines") {
    auto info = parse_launchctl_print("gui/501/x = {\r\n\tstate = not running\r\n\tpid = abc\r\n}\r\n");
    CHECK(info.state == "not running");
    CHECK_FALSE(info.pid.has_value());
    info = parse_launchctl_print("");
    CHECK(info.state.empty());
    info = parse_launchctl_print("state = running\n \tstate = running\n\t state = running\n\tpid = 0\n");
    CHECK(info.state.empty());
    CHECK_FALSE(info.pid.has_value());
}
