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

/// s quoted for messages: "abc", with control characters and non-printing
/// bytes shown as \n, \x01…; long values shortened.
std::string quote_for_message(std::string_view s);

}  // namespace servicekit::detail
