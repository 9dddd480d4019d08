#include <servicekit/config.hpp>
#include <servicekit/error.hpp>
#include <servicekit/log.hpp>

#include "detail/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace servicekit {

namespace {

using detail::quote_for_message;

constexpr std::size_t max_name = 64;
constexpr std::size_t max_line = 1024;        // display name, description, user, paths
constexpr std::size_t max_argument = 4096;
constexpr std::size_t max_command_line = 16384;  // Windows allows 32767 UTF-16 units
constexpr std::size_t max_dependency = 255;

[[noreturn]] void reject(std::string_view field, std::string_view value, std::string_view rule) {
    throw error(errc::invalid_config,
                fmt::format("config.{} {} is not valid: {}", field, quote_for_message(value), rule));
}

bool is_ascii_alnum(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A field that must stay on one line: no control characters at all.
void check_line(std::string_view field, std::string_view v, std::size_t max = max_line) {
    if (v.size() > max) reject(field, v, fmt::format("longer than {} bytes", max));
    if (!detail::valid_utf8(v)) reject(field, v, "not valid UTF-8");
    for (const char ch : v) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '\n' || c == '\r') reject(field, v, "must be one line (no newline)");
        if (c < 0x20 || c == 0x7F) reject(field, v, "contains a control character");
    }
}

// A value handed through verbatim (argument, environment value): may hold
// TAB, LF, CR, but nothing a plist, a unit or a Windows command line cannot carry.
void check_value(std::string_view field, std::string_view v) {
    if (v.size() > max_argument) reject(field, v, fmt::format("longer than {} bytes", max_argument));
    if (!detail::valid_utf8(v)) reject(field, v, "not valid UTF-8");
    if (v.find('\0') != std::string_view::npos) reject(field, v, "contains a NUL byte");
    if (detail::find_non_xml_char(v) != std::string_view::npos)
        reject(field, v, "contains a control character other than TAB, LF or CR (or U+FFFE/U+FFFF)");
}

// A human text (display name, description): one line, and nothing a unit file
// or an init-script header would silently change: systemd trims surrounding
// whitespace and reads a trailing backslash as a line continuation.
void check_text(std::string_view field, std::string_view v, std::size_t max) {
    check_line(field, v, max);
    if (!v.empty() && (v.front() == ' ' || v.back() == ' '))
        reject(field, v, "must not start or end with a space; remove it");
    if (!v.empty() && v.back() == '\\') reject(field, v, "must not end with a backslash; remove it");
}

void check_absolute_path(std::string_view field, const std::filesystem::path& p) {
    const std::string s = detail::utf8_path(p);
    check_line(field, s);
    if (!p.is_absolute()) reject(field, s, "must be an absolute path");
}

bool windows_device_name(std::string_view name) {
    std::string base(name.substr(0, name.find('.')));
    std::transform(base.begin(), base.end(), base.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    static constexpr std::array<std::string_view, 4> fixed{"CON", "PRN", "AUX", "NUL"};
    if (std::find(fixed.begin(), fixed.end(), base) != fixed.end()) return true;
    return base.size() == 4 && (base.starts_with("COM") || base.starts_with("LPT")) &&
           std::isdigit(static_cast<unsigned char>(base[3]));
}

void check_name(std::string_view n) {
    constexpr std::string_view rule = "use 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit";
    if (n.empty()) throw error(errc::invalid_config, "config.name is empty: give the service a name (" + std::string(rule) + ")");
    if (n.size() > max_name) reject("name", n, fmt::format("longer than {} characters", max_name));
    for (const char ch : n) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '/' || c == '\\') reject("name", n, fmt::format("must not contain a path separator; {}", rule));
        if (std::isspace(c)) reject("name", n, fmt::format("must not contain whitespace; {}", rule));
        if (c < 0x20 || c == 0x7F) reject("name", n, fmt::format("must not contain control characters; {}", rule));
        if (!is_ascii_alnum(ch) && ch != '-' && ch != '_' && ch != '.')
            reject("name", n, fmt::format("{} is not allowed; {}",
                                          c < 0x80 ? fmt::format("'{}'", ch) : quote_for_message(std::string_view(&ch, 1)),
                                          rule));
    }
    if (n.front() == '-') reject("name", n, fmt::format("must not start with '-' (it would read as an option); {}", rule));
    if (!is_ascii_alnum(n.front())) reject("name", n, rule);
    if (n.find("..") != std::string_view::npos) reject("name", n, fmt::format("must not contain \"..\"; {}", rule));
    if (n.back() == '.') reject("name", n, "must not end with '.'");
    // systemd adds ".service" itself: "foo.service" would be foo.service.service.
    if (constexpr std::string_view unit = ".service"; n.size() > unit.size() && n.ends_with(unit))
        reject("name", n, fmt::format("must not end with \".service\" (systemd's unit is <name>.service); use \"{}\"",
                                      n.substr(0, n.size() - unit.size())));
    if (windows_device_name(n)) reject("name", n, "is a reserved Windows device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9)");
}

void check_dependency(const std::string& service_name, std::string_view d) {
    constexpr std::string_view rule = "use letters, digits and '-', '_', '.', '@', ':' (e.g. network-online.target)";
    if (d.empty()) reject("dependencies", d, "an empty name; remove it");
    if (d.size() > max_dependency) reject("dependencies", d, fmt::format("longer than {} characters", max_dependency));
    for (const char ch : d)
        if (!is_ascii_alnum(ch) && ch != '-' && ch != '_' && ch != '.' && ch != '@' && ch != ':')
            reject("dependencies", d, rule);
    if (d.front() == '-' || d.front() == '.') reject("dependencies", d, "must start with a letter, digit, '_', '@' or ':'");
    if (d.find("..") != std::string_view::npos) reject("dependencies", d, "must not contain \"..\"");
    if (d == service_name || d == service_name + ".service") reject("dependencies", d, "a service cannot depend on itself");
}

void check_account(std::string_view field, std::string_view v) {
    check_line(field, v, 256);
    if (!v.empty() && v.front() == '-') reject(field, v, "must not start with '-'");
    if (v.find(':') != std::string_view::npos) reject(field, v, "must not contain ':'");
    if (!v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c == ' '; }))
        reject(field, v, "is blank");
}

template <class Rep, class Period>
void check_duration(std::string_view field, std::chrono::duration<Rep, Period> d,
                    std::chrono::milliseconds min, std::chrono::milliseconds max) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d);
    if (ms < min || ms > max)
        throw error(errc::invalid_config,
                    fmt::format("config.{} = {} ms is not valid: must be between {} ms and {} ms",
                                field, ms.count(), min.count(), max.count()));
}

}  // namespace

void validate(const config& cfg) {
    using namespace std::chrono_literals;
    check_name(cfg.name);
    check_text("display_name", cfg.display_name, 256);
    check_text("description", cfg.description, max_line);
    if (!cfg.executable.empty()) check_absolute_path("executable", cfg.executable);
    if (!cfg.working_directory.empty()) check_absolute_path("working_directory", cfg.working_directory);

    std::size_t total = detail::utf8_path(cfg.executable).size() + cfg.name.size() + 64;
    for (const auto& a : cfg.arguments) {
        check_value("arguments", a);
        total += a.size() + 3;
    }
    if (total > max_command_line)
        throw error(errc::invalid_config,
                    fmt::format("config.arguments are too long: the command line would be about {} bytes, the limit is {}",
                                total, max_command_line));
    if (cfg.environment.size() > 256)
        throw error(errc::invalid_config, "config.environment has more than 256 variables");
    for (const auto& [key, value] : cfg.environment) {
        if (key.empty() || key.size() > 256 || !(std::isalpha(static_cast<unsigned char>(key[0])) || key[0] == '_') ||
            !std::all_of(key.begin(), key.end(), [](char c) { return is_ascii_alnum(c) || c == '_'; }))
            reject("environment", key, "a variable name must be letters, digits and '_', not starting with a digit");
        check_value("environment[" + key + "]", value);
    }

    check_account("user", cfg.user);
    check_account("group", cfg.group);
    if (cfg.scope == scope::user && (!cfg.user.empty() || !cfg.group.empty()))
        throw error(errc::invalid_config,
                    "config.user/group are set for a user-scope service: it runs as its owner; clear them or use scope::system");
    for (const auto& d : cfg.dependencies) check_dependency(cfg.name, d);

    if (static_cast<unsigned>(cfg.start_type) > static_cast<unsigned>(start_type::disabled))
        throw error(errc::invalid_config, "config.start_type is not one of automatic, delayed, manual, disabled");
    if (static_cast<unsigned>(cfg.scope) > static_cast<unsigned>(scope::user))
        throw error(errc::invalid_config, "config.scope is not one of system, user");
    if (static_cast<unsigned>(cfg.restart) > static_cast<unsigned>(restart_policy::always))
        throw error(errc::invalid_config, "config.restart is not one of never, on_failure, always");
    if (static_cast<unsigned>(cfg.log_level) >= static_cast<unsigned>(spdlog::level::n_levels))
        throw error(errc::invalid_config, "config.log_level is not a spdlog level");

    check_duration("stop_timeout", cfg.stop_timeout, 100ms, 1h);
    check_duration("restart_delay", cfg.restart_delay, 0ms, 1h);
    if (cfg.systemd.watchdog != 0ms) check_duration("systemd.watchdog", cfg.systemd.watchdog, 1s, 1h);

    if (!cfg.launchd.label.empty()) {
        const auto& l = cfg.launchd.label;
        if (l.size() > 128 || l.front() == '.' || l.front() == '-' || l.back() == '.' ||
            l.find("..") != std::string::npos ||
            !std::all_of(l.begin(), l.end(), [](char c) { return is_ascii_alnum(c) || c == '-' || c == '_' || c == '.'; }))
            reject("launchd.label", l, "use reverse-DNS: letters, digits, '-', '_' and single dots, e.g. com.example.myd");
    }
    if (!cfg.launchd.standard_out_path.empty()) check_absolute_path("launchd.standard_out_path", cfg.launchd.standard_out_path);
    if (!cfg.launchd.standard_error_path.empty()) check_absolute_path("launchd.standard_error_path", cfg.launchd.standard_error_path);

    static constexpr std::array<std::string_view, 5> accounts{"", "LocalSystem", "LocalService", "NetworkService", "virtual"};
    if (std::find(accounts.begin(), accounts.end(), cfg.windows.account) == accounts.end())
        reject("windows.account", cfg.windows.account,
               "use \"\" (LocalSystem), \"LocalService\", \"NetworkService\" or \"virtual\"; name other accounts in config.user");
    if (!cfg.windows.account.empty() && !cfg.user.empty())
        throw error(errc::invalid_config, "config.windows.account and config.user are both set: choose one");
    if (!cfg.windows.password.empty() && cfg.user.empty())
        throw error(errc::invalid_config, "config.windows.password is set without config.user: it is the password of that user");
    if (cfg.windows.password.find('\0') != std::string::npos)
        throw error(errc::invalid_config, "config.windows.password contains a NUL byte");
    if (cfg.windows.failure_reset_period.count() < 0)
        throw error(errc::invalid_config, "config.windows.failure_reset_period is negative");
}

std::string_view to_string(start_type t) noexcept {
    switch (t) {
        case start_type::automatic: return "automatic";
        case start_type::delayed: return "delayed";
        case start_type::manual: return "manual";
        case start_type::disabled: return "disabled";
    }
    return "unknown";
}

std::string_view to_string(scope s) noexcept {
    return s == scope::user ? "user" : "system";
}

std::string_view to_string(restart_policy r) noexcept {
    switch (r) {
        case restart_policy::never: return "never";
        case restart_policy::on_failure: return "on-failure";
        case restart_policy::always: return "always";
    }
    return "unknown";
}

std::string launchd_label(const config& cfg) {
    return cfg.launchd.label.empty() ? "org.servicekit." + cfg.name : cfg.launchd.label;
}

// The log level and the arguments are written even when they are the
// defaults: `run` gets what was installed, not the built-in defaults of the
// program that reads them (a program compiled with another default level or
// default arguments would otherwise run with those).
std::vector<std::string> service_command_line(const config& cfg) {
    std::vector<std::string> argv{detail::utf8_path(cfg.executable), "run", "--name", cfg.name};
    if (cfg.scope == scope::user) argv.emplace_back("--user");
    argv.emplace_back("--log-level");
    const auto level = spdlog::level::to_string_view(cfg.log_level);
    argv.emplace_back(level.data(), level.size());
    argv.emplace_back("--");
    argv.insert(argv.end(), cfg.arguments.begin(), cfg.arguments.end());
    return argv;
}

}  // namespace servicekit
