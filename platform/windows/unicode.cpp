#include "windows/unicode.hpp"

#include <servicekit/error.hpp>

#include "detail/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace servicekit::detail::scm {

std::wstring to_wide(std::string_view utf8) {
    if (utf8.empty()) return {};
    if (utf8.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw error(errc::invalid_config, "a string is too long for a Windows API call");
    const int len = static_cast<int>(utf8.size());
    const int n = ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), len, nullptr, 0);
    if (n <= 0)
        throw error(errc::invalid_config, fmt::format("{} is not valid UTF-8", quote_for_message(utf8)));
    std::wstring out(static_cast<std::size_t>(n), L'\0');
    ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), len, out.data(), n);
    return out;
}

std::string to_utf8(std::wstring_view utf16) {
    if (utf16.empty()) return {};
    const int len = static_cast<int>(std::min<std::size_t>(utf16.size(), std::numeric_limits<int>::max()));
    const int n = ::WideCharToMultiByte(CP_UTF8, 0, utf16.data(), len, nullptr, 0, nullptr, nullptr);
    if (n <= 0) return {};
    std::string out(static_cast<std::size_t>(n), '\0');
    ::WideCharToMultiByte(CP_UTF8, 0, utf16.data(), len, out.data(), n, nullptr, nullptr);
    return out;
}

std::string win32_message(DWORD code) {
    wchar_t* buf = nullptr;
    const DWORD n = ::FormatMessageW(
        FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, code,
        0, reinterpret_cast<wchar_t*>(&buf), 0, nullptr);
    std::string text;
    if (n > 0 && buf != nullptr) text = to_utf8(std::wstring_view(buf, n));
    if (buf != nullptr) ::LocalFree(buf);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' || text.back() == '.'))
        text.pop_back();
    for (auto& c : text)
        if (c == '\r' || c == '\n') c = ' ';
    if (text.empty()) return fmt::format("error {}", code);
    return fmt::format("{} (error {})", text, code);
}

}  // namespace servicekit::detail::scm
