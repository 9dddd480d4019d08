#pragma once
// Logging to the unified log (os_log) while running under launchd. The level
// mapping is pure and builds everywhere; the sink itself (log_sink.cpp) only
// on Apple, and with clang against a stand-in <os/log.h> in the tests.

#include <spdlog/common.h>

#include <cstdint>
#include <string>

namespace servicekit::detail {

/// The os_log types, with the values of <os/log.h>'s OS_LOG_TYPE_* (log_sink.cpp
/// checks them against the SDK at compile time).
enum class os_log_level : std::uint8_t {
    default_level = 0x00,  ///< OS_LOG_TYPE_DEFAULT
    info = 0x01,           ///< OS_LOG_TYPE_INFO: kept in memory only; `log show --info`
    debug = 0x02,          ///< OS_LOG_TYPE_DEBUG: `log show --debug`
    error = 0x10,          ///< OS_LOG_TYPE_ERROR
    fault = 0x11,          ///< OS_LOG_TYPE_FAULT
};

/// trace/debug → debug, info → info, warn → default, err → error,
/// critical → fault (off never reaches a sink; it maps to default).
constexpr os_log_level os_log_level_for(spdlog::level::level_enum l) noexcept {
    switch (l) {
        case spdlog::level::trace:
        case spdlog::level::debug: return os_log_level::debug;
        case spdlog::level::info: return os_log_level::info;
        case spdlog::level::warn: return os_log_level::default_level;
        case spdlog::level::err: return os_log_level::error;
        case spdlog::level::critical: return os_log_level::fault;
        default: return os_log_level::default_level;
    }
}

/// A sink that writes each message's text (spdlog's payload; os_log adds the
/// time, level and process itself) with os_log_with_type(h, type,
/// "%{public}s", text), where h = os_log_create(subsystem, category) is made
/// once. %{public} keeps the text readable: dynamic strings are otherwise
/// shown as <private>. Read back with
/// `log show --predicate 'subsystem == "<subsystem>"' --info --debug`.
/// Defined only where <os/log.h> exists.
spdlog::sink_ptr make_os_log_sink(const std::string& subsystem, const std::string& category);

}  // namespace servicekit::detail
