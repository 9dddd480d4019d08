#pragma once
// Hostile strings for property tests, reproducible from a seed on every
// platform (std::mt19937_64 is fully specified; the reductions below are ours,
// not the library's distributions, which differ between standard libraries).
//
// A string is 0–12 pieces, each drawn from what breaks quoting: every
// printable ASCII character, quotes, runs of backslashes (before a quote, at
// the end), '%' and systemd specifiers, '$' and variable references, spaces,
// TAB/LF/CR, 2-, 3- and 4-byte UTF-8, XML markup, a leading '-' or "--",
// and, rarely, what validation must reject (C0 controls, NUL, bytes that are
// not UTF-8).

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace servicekit::property {

class string_generator {
public:
    explicit string_generator(std::uint64_t seed) : rng_(seed) {}

    /// A number in [0, n).
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }
    bool one_in(std::size_t n) { return below(n) == 0; }

    /// A hostile string; with `allow_invalid`, sometimes one validation rejects.
    std::string text(bool allow_invalid = true) {
        static constexpr std::array<std::string_view, 40> pieces{
            "\"", "'", "\\", "\\\\", "\\\\\\", "\\\"", "%", "%%", "%n", "%i", "%h", "%{x}", "$", "$$",
            "${HOME}", "$HOME", "$(id)", "`id`", " ", "  ", "\t", "\n", "\r", "\r\n", "-", "--", "-x",
            "--name", ";", "&", "|", "<", ">", "&amp;", "]]>", "<!--", "caf\xc3\xa9", "\xe2\x82\xac",
            "\xf0\x9f\x98\x80", "\xef\xbf\xbd"};
        static constexpr std::array<std::string_view, 5> invalid{"\x01", "\x1b", std::string_view("\0", 1), "\xff",
                                                                 "\xc3("};
        std::string s;
        const std::size_t n = below(13);
        for (std::size_t i = 0; i < n; ++i) {
            switch (below(4)) {
                case 0: s += static_cast<char>(0x20 + below(95)); break;  // printable ASCII
                case 1: s += std::string(1 + below(3), static_cast<char>(0x21 + below(94))); break;
                default: s += pieces[below(pieces.size())]; break;
            }
            if (allow_invalid && one_in(60)) s += invalid[below(invalid.size())];
        }
        if (one_in(8)) s.insert(0, "-");
        if (one_in(10)) s += std::string(1 + below(4), '\\');  // a backslash run at the end
        return s;
    }

    /// A hostile string for a one-line field: text() without TAB, LF and CR
    /// unless `allow_invalid`.
    std::string line(bool allow_invalid = true) {
        std::string s = text(allow_invalid);
        if (!allow_invalid) std::erase_if(s, [](char c) { return c == '\t' || c == '\n' || c == '\r'; });
        return s;
    }

    /// 0–6 arguments.
    std::vector<std::string> arguments(bool allow_invalid = true) {
        std::vector<std::string> v(below(7));
        for (auto& a : v) a = text(allow_invalid);
        return v;
    }

    /// A service name: usually valid, sometimes not.
    std::string name() {
        static constexpr std::string_view first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        static constexpr std::string_view rest = "abcdefghijklmnopqrstuvwxyz0123456789-_.";
        std::string s(1, first[below(first.size())]);
        for (std::size_t i = below(20); i > 0; --i) s += rest[below(rest.size())];
        if (one_in(20)) s += text();
        return s;
    }

    /// An absolute directory: hostile components, sometimes written the long
    /// way ("//", "/./", a trailing '/'), which names the same directory.
    std::string directory(bool allow_invalid = true) {
        std::string s;
        for (std::size_t n = 1 + below(4); n > 0; --n) {
            s += one_in(8) ? "//" : one_in(8) ? "/./" : "/";
            std::string part = line(allow_invalid);
            std::erase(part, '/');
            s += part.empty() ? "d" : part;
        }
        if (one_in(6)) s += '/';
        return s;
    }

    /// A user or group: mostly a name systemd and NSS take (letters, digits,
    /// '_', '-', '.', '@', a trailing '$'), sometimes a numeric id, sometimes
    /// hostile.
    std::string account(bool allow_invalid = true) {
        static constexpr std::string_view first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
        static constexpr std::string_view rest = "abcdefghijklmnopqrstuvwxyz0123456789_-.@";
        switch (below(10)) {
            case 0: return std::to_string(rng_() % 5000000000ULL);
            case 1: return line(allow_invalid);
            default: break;
        }
        std::string s(1, first[below(first.size())]);
        for (std::size_t i = below(16); i > 0; --i) s += rest[below(rest.size())];
        if (one_in(10)) s += '$';
        return s;
    }

    /// An environment variable name, unique by `index`.
    std::string variable(std::size_t index) {
        static constexpr std::string_view chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789";
        std::string s = "V" + std::to_string(index) + "_";
        for (std::size_t i = below(6); i > 0; --i) s += chars[below(chars.size())];
        return s;
    }

private:
    std::mt19937_64 rng_;
};

}  // namespace servicekit::property
