#pragma once
// What every fuzz target asserts. A failed check prints what broke and
// aborts, which libFuzzer reports as a crash with the input that caused it.

#include <servicekit/config.hpp>
#include <servicekit/error.hpp>

#include "detail/text.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

// The libFuzzer entry points every target defines (declared for -Wmissing-declarations).
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace servicekit::fuzz {

[[noreturn]] inline void fail(std::string_view what, std::string_view detail = {}) {
    std::fprintf(stderr, "fuzz check failed: %.*s\n%.*s\n", static_cast<int>(what.size()), what.data(),
                 static_cast<int>(detail.size()), detail.data());
    std::fflush(stderr);
    std::abort();
}

inline void check(bool ok, std::string_view what, std::string_view detail = {}) {
    if (!ok) fail(what, detail);
}

/// An error message is one printable line of UTF-8: no control character
/// (C0, DEL, C1) can reach a terminal or a log through it, whatever the input held.
inline void check_message(std::string_view msg) {
    check(!msg.empty(), "empty error message");
    check(detail::valid_utf8(msg), "error message is not UTF-8", msg);
    for (std::size_t i = 0; i < msg.size(); ++i) {
        const auto c = static_cast<unsigned char>(msg[i]);
        check(c >= 0x20 && c != 0x7F, "error message holds a control byte", msg);
        check(!(c == 0xC2 && i + 1 < msg.size() && static_cast<unsigned char>(msg[i + 1]) < 0xA0),
              "error message holds a C1 control", msg);
    }
}

/// A rejection is a servicekit::error with errc::invalid_config and a one-line message.
inline void check_rejection(const error& e) {
    check(e.reason() == errc::invalid_config, "rejected with a code other than invalid_config", e.what());
    check_message(e.what());
}

}  // namespace servicekit::fuzz
