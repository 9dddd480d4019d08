#pragma once
// The systemd unit renderer: config in, unit file text out, no OS calls.
// Built on every host so that any CI can test its output.

#include <servicekit/config.hpp>

#include <array>
#include <chrono>
#include <string>
#include <string_view>

namespace servicekit::detail {

/// The unit file install() writes for cfg (executable already resolved).
/// Every string round-trips through systemd's parser exactly, or the
/// function throws servicekit::error(errc::invalid_config) naming the field:
/// a user or group systemd cannot take, a description or working directory
/// that systemd would trim or continue onto the next line.
std::string render_systemd_unit(const config& cfg);

namespace systemd {

/// Whether `head`, the start of a unit file, is one render_systemd_unit()
/// wrote: its first line says so. install --force and uninstall act only on
/// such a file, never on another program's unit of the same name.
bool written_by_servicekit(std::string_view head);

/// "<name>.service".
std::string unit_name(const config& cfg);

/// The suffixes of systemd's unit types, ".service" first.
inline constexpr std::array<std::string_view, 11> unit_type_suffixes{
    ".service", ".socket", ".device", ".mount", ".automount", ".swap",
    ".target", ".path", ".timer", ".slice", ".scope"};

/// A dependency as a unit name: one without a unit-type suffix gets ".service".
/// Throws errc::invalid_config for a name systemd would drop (longer than 255
/// characters, starting with '@', a template).
std::string dependency_unit(std::string_view dependency);

/// One word of ExecStart=, in double quotes, so that systemd hands the
/// process exactly `word`: '%' doubled (specifiers), '$' doubled (variable
/// expansion), '\\', '"' and control characters as C escapes.
std::string quote_exec_word(std::string_view word);

/// One Environment= assignment, "KEY=value" in double quotes: '%' doubled,
/// C escapes; '$' stays as it is (Environment= does not expand variables).
std::string quote_environment(std::string_view key, std::string_view value);

/// `v` (config.user or config.group, named by `field`) as User=/Group= take
/// it, a name systemd and NSS agree on or a numeric id: 0-4294967294 without
/// leading zeros and not 65535, or letters, digits, '_', '-', '.', '@'
/// starting with a letter or '_' (optionally ending in '$'), at most 256
/// characters. Anything else throws errc::invalid_config. The SysV script
/// takes the same rule: start-stop-daemon would read " 0", "+0" and "00"
/// as uid 0.
std::string account(std::string_view field, std::string_view v);

/// A time span systemd parses back to exactly `ms`: "0", "2s", "1500ms".
std::string time_span(std::chrono::milliseconds ms);

}  // namespace systemd
}  // namespace servicekit::detail
