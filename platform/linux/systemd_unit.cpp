#include "linux/systemd_unit.hpp"

#include <servicekit/error.hpp>

#include "detail/backend.hpp"
#include "detail/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace servicekit::detail {

namespace systemd {

namespace {

[[noreturn]] void reject(std::string_view field, std::string_view value, std::string_view rule) {
    throw error(errc::invalid_config,
                fmt::format("config.{} {} cannot be written to a systemd unit: {}", field,
                            quote_for_message(value), rule));
}

// The unit file's first line says who wrote it: "# <name>.service, written
// by servicekit. …"; written_by_servicekit() looks for it.
constexpr std::string_view written_by = ", written by servicekit.";

bool is_control(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
}

// The body of a double-quoted word for systemd's extract_first_word() with
// EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE, after specifier expansion ('%').
void append_quoted_body(std::string& out, char c, bool escape_dollar) {
    switch (c) {
        case '%': out += "%%"; return;
        case '$': out += escape_dollar ? "$$" : "$"; return;
        case '\\': out += "\\\\"; return;
        case '"': out += "\\\""; return;
        case '\n': out += "\\n"; return;
        case '\t': out += "\\t"; return;
        case '\r': out += "\\r"; return;
        default: break;
    }
    if (is_control(c)) out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    else out += c;
}

std::string quote(std::string_view s, bool escape_dollar) {
    std::string out = "\"";
    for (const char c : s) append_quoted_body(out, c, escape_dollar);
    return out + '"';
}

bool is_space(char c) noexcept { return c == ' ' || c == '\t'; }

// A value systemd reads verbatim apart from specifiers: it strips leading and
// trailing whitespace, and a trailing backslash continues the line.
std::string verbatim_value(std::string_view field, std::string_view v) {
    if (!v.empty() && (is_space(v.front()) || is_space(v.back())))
        reject(field, v, "systemd strips leading and trailing whitespace; remove it");
    if (!v.empty() && v.back() == '\\')
        reject(field, v, "a trailing backslash continues the line in a unit file; remove it");
    std::string out;
    for (const char c : v) out += c == '%' ? std::string("%%") : std::string(1, c);
    return out;
}

bool is_letter_or_underscore(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

}  // namespace

std::string account(std::string_view field, std::string_view v) {
    if (!v.empty() && std::all_of(v.begin(), v.end(), is_digit)) {
        if (v.size() > 10 || (v.size() > 1 && v.front() == '0') || std::stoull(std::string(v)) >= 4294967295ULL ||
            v == "65535")
            reject(field, v, "not a valid numeric id (0-4294967294 without leading zeros, not 65535)");
        return std::string(v);
    }
    const std::string_view rule =
        "must be a numeric id or a name of letters, digits, '_', '-', '.', '@' "
        "starting with a letter or '_' (optionally ending in '$'), at most 256 characters";
    if (v.size() > 256 || !is_letter_or_underscore(v.front())) reject(field, v, rule);
    const auto body = v.back() == '$' ? v.substr(0, v.size() - 1) : v;
    for (const char c : body)
        if (!is_letter_or_underscore(c) && !is_digit(c) && c != '-' && c != '.' && c != '@') reject(field, v, rule);
    return std::string(v);
}

namespace {

std::string working_directory(const std::filesystem::path& dir) {
    const std::string s = dir.empty() ? std::string("/") : dir.string();
    for (const auto& part : dir)
        if (part == "..")
            reject("working_directory", s, "systemd refuses paths with \"..\"; give the resolved path");
    return verbatim_value("working_directory", s);
}

}  // namespace

std::string unit_name(const config& cfg) { return cfg.name + ".service"; }

std::string dependency_unit(std::string_view dependency) {
    std::string unit(dependency);
    if (std::none_of(unit_type_suffixes.begin(), unit_type_suffixes.end(), [&](std::string_view suffix) {
            return dependency.size() > suffix.size() && dependency.ends_with(suffix);
        }))
        unit += ".service";
    // What systemd's unit_name_is_valid() refuses: it would drop the
    // dependency with only a warning, and a Requires= with it.
    if (unit.size() > 255)
        reject("dependencies", dependency, "the unit name would be longer than 255 characters; use a shorter name");
    const std::string_view stem(unit.data(), unit.rfind('.'));
    const auto at = stem.find('@');
    if (at == 0) reject("dependencies", dependency, "a unit name cannot start with '@'");
    if (at != std::string_view::npos && at + 1 == stem.size())
        reject("dependencies", dependency,
               "a template (nothing after '@') is not a unit; name an instance, e.g. getty@tty1");
    return unit;
}

std::string quote_exec_word(std::string_view word) { return quote(word, true); }

std::string quote_environment(std::string_view key, std::string_view value) {
    std::string assignment(key);
    assignment += '=';
    assignment += value;
    return quote(assignment, false);
}

std::string time_span(std::chrono::milliseconds ms) {
    if (ms.count() == 0) return "0";
    if (ms.count() % 1000 == 0) return fmt::format("{}s", ms.count() / 1000);
    return fmt::format("{}ms", ms.count());
}

bool written_by_servicekit(std::string_view head) {
    const auto first_line = head.substr(0, head.find('\n'));
    return first_line.starts_with("# ") && first_line.find(written_by) != std::string_view::npos;
}

}  // namespace systemd

std::string render_systemd_unit(const config& cfg) {
    using namespace systemd;
    if (cfg.executable.empty() || !cfg.executable.is_absolute())
        throw error(errc::invalid_config, "config.executable must be an absolute path to render a systemd unit");

    std::string description = !cfg.description.empty() ? cfg.description
                              : !cfg.display_name.empty() ? cfg.display_name
                                                          : cfg.name;
    const bool from_description = !cfg.description.empty() || cfg.display_name.empty();
    description = verbatim_value(from_description ? "description" : "display_name", description);

    std::string unit;
    unit += fmt::format("# {}{} Change the program's configuration and run\n"
                        "# `install --force` instead of editing this file.\n", unit_name(cfg), written_by);
    unit += "[Unit]\n";
    unit += "Description=" + description + '\n';
    if (!cfg.dependencies.empty()) {
        std::string units;
        for (const auto& d : cfg.dependencies) {
            if (!units.empty()) units += ' ';
            units += dependency_unit(d);
        }
        unit += "After=" + units + '\n';
        unit += (cfg.systemd.require_dependencies ? "Requires=" : "Wants=") + units + '\n';
    }

    unit += "\n[Service]\n";
    // READY=1 comes from run() once start() has returned; only the main
    // process may send it.
    unit += "Type=notify\nNotifyAccess=main\n";
    const auto argv = service_command_line(cfg);
    // systemd refuses an executable path with a quote, a backslash or a
    // control character ("Executable name contains special characters").
    if (std::any_of(argv.front().begin(), argv.front().end(),
                    [](char c) { return c == '"' || c == '\'' || c == '\\' || is_control(c); }))
        reject("executable", argv.front(),
               "systemd refuses an executable path with a quote, a backslash or a control character; "
               "move or rename the program");
    std::string exec;
    // systemd executes the first word as it is but expands "$$" in argv[0]:
    // an executable with '$' needs the "@path argv0" form.
    if (argv.front().find('$') != std::string::npos) exec = '@' + quote(argv.front(), false) + ' ';
    for (std::size_t i = 0; i < argv.size(); ++i) {
        if (i > 0) exec += ' ';
        exec += quote_exec_word(argv[i]);
    }
    unit += "ExecStart=" + exec + '\n';
    // systemd 252 has no Type=notify-reload: `systemctl reload` runs this,
    // and run() answers SIGHUP with RELOADING=1 … reload() … READY=1.
    unit += "ExecReload=/bin/kill -HUP $MAINPID\n";
    // What the process writes to stdout/stderr (a crash report, a library's
    // warning) carries the same identifier as the journal sink's entries.
    unit += "SyslogIdentifier=" + cfg.name + '\n';
    // SIGTERM to the main process only (run() calls stop(), which ends the
    // service's own children); whatever is left gets SIGKILL after it exits.
    unit += "KillMode=mixed\n";
    // run() ends a stop() that overruns stop_timeout itself (exit 124); the
    // margin lets that happen before systemd's SIGKILL.
    unit += "TimeoutStopSec=" + time_span(manager_stop_limit(cfg)) + '\n';
    switch (cfg.restart) {
        case restart_policy::never: unit += "Restart=no\n"; break;
        case restart_policy::on_failure: unit += "Restart=on-failure\n"; break;
        case restart_policy::always: unit += "Restart=always\n"; break;
    }
    unit += "RestartSec=" + time_span(cfg.restart_delay) + '\n';
    if (cfg.systemd.watchdog.count() > 0) unit += "WatchdogSec=" + time_span(cfg.systemd.watchdog) + '\n';
    unit += "WorkingDirectory=" + working_directory(cfg.working_directory) + '\n';
    if (!cfg.user.empty()) unit += "User=" + account("user", cfg.user) + '\n';
    if (!cfg.group.empty()) unit += "Group=" + account("group", cfg.group) + '\n';
    for (const auto& [key, value] : cfg.environment) unit += "Environment=" + quote_environment(key, value) + '\n';

    unit += "\n[Install]\n";
    unit += cfg.scope == scope::user ? "WantedBy=default.target\n" : "WantedBy=multi-user.target\n";
    return unit;
}

}  // namespace servicekit::detail
