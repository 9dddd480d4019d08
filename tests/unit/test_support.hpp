#pragma once
// Helpers shared by the unit tests: golden files and expected rejections.

#include <doctest/doctest.h>

#include <servicekit/error.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#if !defined(_WIN32)
#include <stdlib.h>
#endif

namespace servicekit::test {

/// The whole file, bytes as they are ("" when it cannot be read).
inline std::string read_all(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

#if defined(SERVICEKIT_GOLDEN_DIR)
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
#endif

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

#if !defined(_WIN32)
/// A fresh directory under the system's temp directory, removed with everything in it.
struct scratch_dir {
    std::filesystem::path path;
    scratch_dir() {
        std::string t = (std::filesystem::temp_directory_path() / "servicekit-test-XXXXXX").string();
        REQUIRE(::mkdtemp(t.data()) != nullptr);
        path = t;
    }
    ~scratch_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;
};
#endif

}  // namespace servicekit::test
