#pragma once
// UTF-8 inside, UTF-16 at the Win32 boundary: the only conversions, and the
// text of a Win32 error code.

#include <windows.h>

#include <string>
#include <string_view>

namespace servicekit::detail::scm {

/// UTF-8 → UTF-16. Throws errc::invalid_config on invalid UTF-8 (validate()
/// has already rejected it for every config field).
std::wstring to_wide(std::string_view utf8);

/// UTF-16 → UTF-8; unpaired surrogates become U+FFFD.
std::string to_utf8(std::wstring_view utf16);

/// The system's one-line text for a Win32 error code, "… (error 5)"; see
/// message_line() for `insert`.
std::string win32_message(DWORD code, std::string_view insert = "the program");

/// A message text as FormatMessageW gives it with
/// FORMAT_MESSAGE_IGNORE_INSERTS, on one line: its inserts (`%1`, `%2!s!`:
/// "%1 is not a valid Win32 application") become `insert`, its escapes (`%%`,
/// `%n`, `%.`…) what they stand for, line breaks spaces; `%0` ends it, and a
/// trailing period goes.
std::string message_line(std::string_view raw, std::string_view insert);

}  // namespace servicekit::detail::scm
