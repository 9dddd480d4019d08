#pragma once
// A reference for the tests: how Windows splits a command line, written from
// the documented rules, so that the tests can check servicekit's quoting on
// every host (the unit tests and the Windows renderer's fuzz target; the
// property test and the Windows unit tests also ask the real
// CommandLineToArgvW).

#include <string>
#include <string_view>
#include <vector>

namespace servicekit::test {

// CommandLineToArgvW's rules (the post-2008 ones, which the C runtime's argv
// parser shares for everything windows_command_line produces): the program
// name ends at the next space, or at the closing quote, with no escapes;
// then 2n backslashes + '"' give n backslashes and toggle quoting, 2n+1
// backslashes + '"' give n backslashes and a '"', other backslashes are
// literal, and "" inside quotes gives a '"'.
inline std::vector<std::string> split_windows_command_line(std::string_view s) {
    std::vector<std::string> argv;
    std::size_t i = 0;
    std::string arg0;
    if (i < s.size() && s[i] == '"') {
        ++i;
        while (i < s.size() && s[i] != '"') arg0 += s[i++];
        if (i < s.size()) ++i;
    } else {
        while (i < s.size() && s[i] != ' ' && s[i] != '\t') arg0 += s[i++];
    }
    argv.push_back(arg0);
    for (;;) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
        if (i >= s.size()) break;
        std::string arg;
        bool quoted = false;
        while (i < s.size()) {
            const char c = s[i];
            if (!quoted && (c == ' ' || c == '\t')) break;
            if (c == '\\') {
                std::size_t n = 0;
                while (i < s.size() && s[i] == '\\') ++n, ++i;
                if (i < s.size() && s[i] == '"') {
                    arg.append(n / 2, '\\');
                    if (n % 2 == 1) {
                        arg += '"';
                        ++i;
                    }
                } else {
                    arg.append(n, '\\');
                }
                continue;
            }
            if (c == '"') {
                if (quoted && i + 1 < s.size() && s[i + 1] == '"') {
                    arg += '"';
                    i += 2;
                    continue;
                }
                quoted = !quoted;
                ++i;
                continue;
            }
            arg += c;
            ++i;
        }
        argv.push_back(arg);
    }
    return argv;
}

}  // namespace servicekit::test
