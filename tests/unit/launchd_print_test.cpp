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

using servicekit::detail::parse_launchctl_disabled;

TEST_CASE("launchctl print-disabled: both spellings, only the label's own line in its block") {
    const std::string newer =
        "\tdisabled services = {\n"
        "\t\t\"com.example.myd.helper\" => disabled\n"
        "\t\t\"com.example.myd\" => enabled\n"
        "\t\t\"com.example.off\" => disabled\n"
        "\t}\n"
        "\n"
        "\tlogin item associations = {\n"
        "\t\t\"com.example.other\" => com.example.myd\n"
        "\t}\n";
    CHECK(parse_launchctl_disabled(newer, "com.example.myd") == false);
    CHECK(parse_launchctl_disabled(newer, "com.example.off") == true);
    CHECK(parse_launchctl_disabled(newer, "com.example.myd.helper") == true);
    CHECK(parse_launchctl_disabled(newer, "com.example") == false);  // no override: enabled
    CHECK(parse_launchctl_disabled(newer, "com.example.other") == false);  // another block

    const std::string older = "disabled services = {\r\n\t\"a.b\" => true\r\n\t\"c.d\" => false\r\n}\r\n";
    CHECK(parse_launchctl_disabled(older, "a.b") == true);
    CHECK(parse_launchctl_disabled(older, "c.d") == false);

    CHECK_FALSE(parse_launchctl_disabled("disabled services = {\n\"a.b\" => maybe\n}\n", "a.b").has_value());
    CHECK_FALSE(parse_launchctl_disabled("", "a.b").has_value());
    CHECK_FALSE(parse_launchctl_disabled("\"a.b\" => disabled\n", "a.b").has_value());  // no block
}
