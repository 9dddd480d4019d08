#include "detail/text.hpp"

#include <fmt/format.h>

namespace servicekit::detail {

namespace {

// The length of the well-formed UTF-8 sequence that starts at s[i] (1 for
// ASCII), or 0 when the bytes there are not one: a stray continuation byte,
// a truncated sequence, an overlong form, a surrogate, or past U+10FFFF.
std::size_t sequence_length(std::string_view s, std::size_t i) noexcept {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) return 1;
    std::size_t len = 0;
    char32_t cp = 0;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return 0;
    if (i + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
        return 0;  // overlong
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

}  // namespace

bool valid_utf8(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size();) {
        const auto len = sequence_length(s, i);
        if (len == 0) return false;
        i += len;
    }
    return true;
}

std::size_t find_non_xml_char(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return i;
        // U+FFFE and U+FFFF are EF BF BE / EF BF BF.
        if (c == 0xEF && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xBF &&
            (static_cast<unsigned char>(s[i + 2]) == 0xBE || static_cast<unsigned char>(s[i + 2]) == 0xBF))
            return i;
    }
    return std::string_view::npos;
}

std::string utf8_path(const std::filesystem::path& p) {
    const auto u8 = p.u8string();
    return {reinterpret_cast<const char*>(u8.data()), u8.size()};
}

std::string quote_for_message(std::string_view s) {
    constexpr std::size_t max_shown = 80;
    std::string out = "\"";
    std::size_t i = 0;
    while (i < s.size() && i < max_shown) {
        const auto c = static_cast<unsigned char>(s[i]);
        switch (c) {
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            default:
                if (c < 0x20 || c == 0x7F) {
                    out += fmt::format("\\x{:02x}", c);
                } else if (c >= 0x80) {
                    // Whole UTF-8 characters only, so the message stays valid
                    // UTF-8; bytes that are not UTF-8 and the C1 controls
                    // (C2 80..C2 9F: NEL, 8-bit CSI) are shown escaped.
                    const auto len = sequence_length(s, i);
                    if (len == 0) {
                        out += fmt::format("\\x{:02x}", c);
                    } else if (len == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0) {
                        out += fmt::format("\\u{:04x}", static_cast<unsigned char>(s[i + 1]));
                        ++i;
                    } else {
                        out.append(s.substr(i, len));
                        i += len - 1;
                    }
                } else {
                    out += static_cast<char>(c);
                }
        }
        ++i;
    }
    out += '"';
    if (i < s.size()) out += fmt::format(" (… {} bytes in all)", s.size());
    return out;
}

}  // namespace servicekit::detail
