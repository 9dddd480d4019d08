// Error messages reach terminals and logs: whatever bytes a bad input holds,
// a message is one line of valid UTF-8 with no control character.
#include <doctest/doctest.h>

#include <servicekit/config.hpp>
#include <servicekit/error.hpp>

#include "detail/text.hpp"

#include <string>

using namespace servicekit;

namespace {

bool printable_utf8_line(const std::string& s) {
    if (!detail::valid_utf8(s)) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7F) return false;
        if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xA0) return false;  // C1
    }
    return true;
}

std::string rejection(config c) {
    try {
        validate(c);
    } catch (const error& e) {
        return e.what();
    }
    return "(accepted)";
}

}  // namespace

TEST_CASE("quote_for_message escapes bytes that are not UTF-8 and C1 controls") {
    using detail::quote_for_message;
    CHECK(quote_for_message("\xff") == "\"\\xff\"");
    CHECK(quote_for_message("a\xc3(b") == "\"a\\xc3(b\"");
    CHECK(quote_for_message("caf\xc3\xa9") == "\"caf\xc3\xa9\"");           // valid UTF-8 stays
    CHECK(quote_for_message("\xf0\x9f\x98\x80") == "\"\xf0\x9f\x98\x80\"");
    CHECK(quote_for_message("\xc2\x85x") == "\"\\u0085x\"");                  // NEL
    CHECK(quote_for_message("\xc2\x9b[2J") == "\"\\u009b[2J\"");              // 8-bit CSI
    CHECK(quote_for_message("\xed\xa0\x80") == "\"\\xed\\xa0\\x80\"");        // a surrogate
}

TEST_CASE("quote_for_message never cuts a UTF-8 sequence when it shortens") {
    for (std::size_t pad = 0; pad < 4; ++pad) {
        std::string s(pad, 'x');
        for (int i = 0; i < 60; ++i) s += "\xe2\x82\xac";  // €
        const auto q = detail::quote_for_message(s);
        CAPTURE(pad);
        CHECK(detail::valid_utf8(q));
        CHECK(q.find("bytes in all") != std::string::npos);
    }
}

TEST_CASE("validation messages are printable UTF-8 lines whatever the input") {
    for (const std::string bad : {"caf\xc3\xa9", "\xff", "a\xc2\x85", "x\x1b[31m", "\xe2\x80\xa8"}) {
        CAPTURE(bad);
        config c;
        c.executable = "/usr/bin/x";
        c.name = bad;
        const auto m1 = rejection(c);
        CHECK(printable_utf8_line(m1));
        c.name = "ok";
        c.description = bad;
        const auto m2 = rejection(c);
        CHECK(printable_utf8_line(m2));
        c.description.clear();
        c.arguments = {bad + "\x01"};
        CHECK(printable_utf8_line(rejection(c)));
    }
}
