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

std::string win32_message(DWORD code, std::string_view insert) {
    wchar_t* buf = nullptr;
    const DWORD n = ::FormatMessageW(
        FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, code,
        0, reinterpret_cast<wchar_t*>(&buf), 0, nullptr);
    std::string raw;
    if (n > 0 && buf != nullptr) raw = to_utf8(std::wstring_view(buf, n));
    if (buf != nullptr) ::LocalFree(buf);
    const std::string text = message_line(raw, insert);
    if (text.empty()) return fmt::format("error {}", code);
    return fmt::format("{} (error {})", text, code);
}

std::string message_line(std::string_view raw, std::string_view insert) {
    std::string text;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        const char c = raw[i];
        if (c == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') continue;  // CR LF: one space
        if (c == '\r' || c == '\n') {
            text += ' ';
        } else if (c != '%' || i + 1 == raw.size()) {
            text += c;
        } else if (const char next = raw[++i]; next >= '1' && next <= '9') {
            while (i + 1 < raw.size() && raw[i + 1] >= '0' && raw[i + 1] <= '9') ++i;  // %10 … %99
            if (i + 1 < raw.size() && raw[i + 1] == '!') i = raw.find('!', i + 2);      // %1!s!
            if (i == std::string::npos) i = raw.size();
            text += insert;
        } else if (next == 'n' || next == 'r' || next == 't') {
            text += ' ';
        } else if (next == '0') {
            break;  // the end of the message, without a newline
        } else {
            text += next;  // %% %. %! %space
        }
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '.')) text.pop_back();
    return text;
}

}  // namespace servicekit::detail::scm
