#include <doctest/doctest.h>

#include "detail/text.hpp"

using namespace servicekit::detail;

TEST_CASE("valid_utf8 accepts well-formed text and rejects the rest") {
    CHECK(valid_utf8(""));
    CHECK(valid_utf8("plain ascii"));
    CHECK(valid_utf8("gr\xC3\xBC\xC3\x9F" "e \xE2\x82\xAC \xF0\x9F\x98\x80"));
    CHECK_FALSE(valid_utf8("\xC3"));                  // truncated
    CHECK_FALSE(valid_utf8("\xC0\xAF"));              // overlong '/'
    CHECK_FALSE(valid_utf8("\xED\xA0\x80"));          // surrogate
    CHECK_FALSE(valid_utf8("\xF4\x90\x80\x80"));      // > U+10FFFF
    CHECK_FALSE(valid_utf8("\x80"));                  // stray continuation
    CHECK_FALSE(valid_utf8("\xFF"));
}

TEST_CASE("find_non_xml_char finds what XML 1.0 cannot carry") {
    CHECK(find_non_xml_char("tab\tlf\ncr\r") == std::string_view::npos);
    CHECK(find_non_xml_char(std::string_view("a\0b", 3)) == 1);
    CHECK(find_non_xml_char("a\x1b") == 1);
    CHECK(find_non_xml_char("x\xEF\xBF\xBE") == 1);    // U+FFFE
    CHECK(find_non_xml_char("x\xEF\xBF\xBF") == 1);    // U+FFFF
    CHECK(find_non_xml_char("\xEF\xBF\xBD") == std::string_view::npos);  // U+FFFD is fine
}

TEST_CASE("quote_for_message shows control characters and shortens") {
    CHECK(quote_for_message("a\nb") == "\"a\\nb\"");
    CHECK(quote_for_message("q\"\\") == "\"q\\\"\\\\\"");
    CHECK(quote_for_message("\x01") == "\"\\x01\"");
    CHECK(quote_for_message(std::string(100, 'x')).find("100 bytes in all") != std::string::npos);
}

TEST_CASE("spell_out_commands writes out the commands a message suggests, for this instance") {
    const auto verb = [](std::string_view w) { return w == "install" || w == "uninstall"; };
    CHECK(spell_out_commands("x: use `install --force` to replace it, or `uninstall` it first", "app",
                             " --name web --user", verb) ==
          "x: use `app install --force --name web --user` to replace it, or `app uninstall --name web --user` it first");
    CHECK(spell_out_commands("run `install` first", "app", "", verb) == "run `app install` first");
    // Backticked text that is not a command of the program stays as it is.
    CHECK(spell_out_commands("`launchctl bootstrap system x`: refused", "app", " --user", verb) ==
          "`launchctl bootstrap system x`: refused");
    CHECK(spell_out_commands("`installer` and `` and `install", "app", " --user", verb) ==
          "`installer` and `` and `install");
    CHECK(spell_out_commands("no hint here", "app", " --user", verb) == "no hint here");
    CHECK(spell_out_commands("", "app", "", verb).empty());
}
