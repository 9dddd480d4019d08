#pragma once
/// @file
/// Log levels by name, as `--log-level` takes them.

#include <servicekit/export.hpp>

#include <spdlog/common.h>

#include <optional>
#include <string_view>

namespace servicekit {

/// "trace", "debug", "info", "warn" (or "warning"), "error" (or "err"), "critical", "off".
SERVICEKIT_EXPORT std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) noexcept;

}  // namespace servicekit
