#pragma once
// Small string checks shared by validation and the renderers.

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>

namespace servicekit::detail {

/// True when s is well-formed UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF).
bool valid_utf8(std::string_view s) noexcept;

/// The first character XML 1.0 cannot carry (C0 controls other than TAB, LF,
/// CR; U+FFFE, U+FFFF), or npos. Assumes valid UTF-8.
std::size_t find_non_xml_char(std::string_view s) noexcept;

/// A path as UTF-8 on every platform (path::string() converts through the
/// ANSI code page under MSVC).
std::string utf8_path(const std::filesystem::path& p);

/// A name printed in front of a message (argv[0], --name, config::name),
/// which may be exactly the bad input being reported: `s` when it is
/// printable ASCII, else `fallback`, so a newline or an escape sequence
/// cannot forge a line. Inline: servicekit::cli, a library of its own, uses it
/// too, and detail functions are not exported from a shared libservicekit.
inline std::string printable_or(const std::string& s, const std::string& fallback) {
    const bool printable = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
    return printable ? s : fallback;
}

/// `message` with each command it suggests written out for the command line
/// that got it. The backends name a command by its verb in backticks
/// (`install --force`, `uninstall`); servicekit::cli knows what chose the
/// instance, and a hint without it would act on another service. Every
/// backticked span whose first word `is_verb` accepts becomes
/// `<program> <span><options>`, e.g. `web install --force --name web2 --user`;
/// any other backticked text (`launchctl bootstrap …`) and an unpaired
/// backtick stay as they are. Inline for the same reason as printable_or.
template <class IsVerb>
std::string spell_out_commands(std::string_view message, std::string_view program, std::string_view options,
                               IsVerb is_verb) {
    std::string out;
    std::size_t pos = 0;
    for (;;) {
        const auto open = message.find('`', pos);
        const auto close = open == std::string_view::npos ? open : message.find('`', open + 1);
        if (close == std::string_view::npos) return out.append(message.substr(pos));
        const auto command = message.substr(open + 1, close - open - 1);
        out.append(message.substr(pos, open + 1 - pos));
        if (is_verb(command.substr(0, command.find(' ')))) {
            out.append(program).append(" ").append(command).append(options);
        } else {
            out.append(command);
        }
        out += '`';
        pos = close + 1;
    }
}

/// s quoted for messages: "abc", with control characters and non-printing
/// bytes shown as \n, \x01…; long values shortened.
std::string quote_for_message(std::string_view s);

}  // namespace servicekit::detail
