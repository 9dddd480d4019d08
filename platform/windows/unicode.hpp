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

/// The system's one-line text for a Win32 error code, "… (error 5)".
std::string win32_message(DWORD code);

}  // namespace servicekit::detail::scm
