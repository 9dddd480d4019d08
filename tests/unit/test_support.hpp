#pragma once
// Helpers shared by the unit tests: golden files and expected rejections.

#include <doctest/doctest.h>

#include <servicekit/error.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace servicekit::test {

/// The whole file, bytes as they are ("" when it cannot be read).
inline std::string read_all(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// Compares `actual` with tests/unit/golden/<file>; with
/// SERVICEKIT_UPDATE_GOLDEN=1 in the environment it rewrites the file instead.
inline void check_golden(const std::string& file, const std::string& actual) {
    const std::filesystem::path path = std::filesystem::path(SERVICEKIT_GOLDEN_DIR) / file;
    if (std::getenv("SERVICEKIT_UPDATE_GOLDEN") != nullptr) {
        std::ofstream(path, std::ios::binary) << actual;
        return;
    }
    REQUIRE_MESSAGE(std::filesystem::exists(path), "missing golden file " << path << " (SERVICEKIT_UPDATE_GOLDEN=1 writes it)");
    CHECK(actual == read_all(path));
}

/// Calls `f` and checks that it throws servicekit::error with `code` and a
/// one-line message containing `part`.
template <class F>
void check_throws(errc code, const std::string& part, F&& f) {
    CAPTURE(part);
    try {
        f();
        FAIL("no error, expected one containing: " << part);
    } catch (const error& e) {
        const std::string msg = e.what();
        CAPTURE(msg);
        CHECK(e.reason() == code);
        CHECK(msg.find(part) != std::string::npos);
        CHECK(msg.find('\n') == std::string::npos);
    }
}

}  // namespace servicekit::test
