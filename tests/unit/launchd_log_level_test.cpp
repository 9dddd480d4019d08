#include <doctest/doctest.h>

#include "macos/log_sink.hpp"

using servicekit::detail::os_log_level;
using servicekit::detail::os_log_level_for;

TEST_CASE("os_log level mapping") {
    CHECK(os_log_level_for(spdlog::level::trace) == os_log_level::debug);
    CHECK(os_log_level_for(spdlog::level::debug) == os_log_level::debug);
    CHECK(os_log_level_for(spdlog::level::info) == os_log_level::info);
    CHECK(os_log_level_for(spdlog::level::warn) == os_log_level::default_level);
    CHECK(os_log_level_for(spdlog::level::err) == os_log_level::error);
    CHECK(os_log_level_for(spdlog::level::critical) == os_log_level::fault);
    // The values os_log itself uses (OS_LOG_TYPE_*).
    CHECK(static_cast<int>(os_log_level::default_level) == 0x00);
    CHECK(static_cast<int>(os_log_level::info) == 0x01);
    CHECK(static_cast<int>(os_log_level::debug) == 0x02);
    CHECK(static_cast<int>(os_log_level::error) == 0x10);
    CHECK(static_cast<int>(os_log_level::fault) == 0x11);
}
