#include "windows/scm_parameters.hpp"

#include <servicekit/error.hpp>

#include "detail/backend.hpp"
#include "detail/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <limits>

namespace servicekit::detail::scm {

namespace {

void append_argument(std::string& out, std::string_view arg) {
    if (!arg.empty() && arg.find_first_of(" \t\n\v\"") == std::string_view::npos) {
        out += arg;  // no quotes: backslashes are literal
        return;
    }
    out += '"';
    std::size_t backslashes = 0;
    for (const char c : arg) {
        if (c == '\\') {
            ++backslashes;
            continue;
        }
        if (c == '"') {
            out.append(backslashes * 2 + 1, '\\');
        } else {
            out.append(backslashes, '\\');
        }
        out += c;
        backslashes = 0;
    }
    out.append(backslashes * 2, '\\');  // they precede the closing quote
    out += '"';
}

std::uint32_t clamp_u32(long long v) {
    return static_cast<std::uint32_t>(std::clamp<long long>(v, 0, std::numeric_limits<std::uint32_t>::max()));
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (const auto& s : items) {
        if (!out.empty()) out += sep;
        out += s;
    }
    return out;
}

}  // namespace

std::string windows_command_line(std::string_view exe, const std::vector<std::string>& args) {
    if (exe.empty())
        throw error(errc::invalid_config, "the executable path is empty: set config.executable or leave it to this program");
    for (const char ch : exe) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c < 0x20)
            throw error(errc::invalid_config,
                        fmt::format("config.executable {} is not a valid Windows path: it holds '\"' or a control character",
                                    quote_for_message(exe)));
    }
    std::string out = "\"";
    out += exe;
    out += '"';
    for (const auto& a : args) {
        out += ' ';
        append_argument(out, a);
    }
    return out;
}

void check_no_expansion(std::string_view binary_path) {
    const auto first = binary_path.find('%');
    if (first == std::string_view::npos) return;
    for (auto open = first; open != std::string_view::npos;) {
        const auto close = binary_path.find('%', open + 1);
        if (close == std::string_view::npos) return;
        if (close > open + 1)
            throw error(errc::invalid_config,
                        fmt::format("the service command line {} holds {}: the SCM would expand it as an environment "
                                    "variable; avoid two '%' with text between them in the executable path and arguments",
                                    quote_for_message(binary_path),
                                    quote_for_message(binary_path.substr(open, close - open + 1))));
        open = close;  // "%%": an empty name, left alone; look past it
    }
}

scm_parameters make_scm_parameters(const config& cfg, std::string_view exe) {
    if (cfg.scope == scope::user)
        throw error(errc::not_supported,
                    "per-user services (--user) are not supported by the Windows SCM: install a system service from an "
                    "elevated prompt");
    scm_parameters p;
    p.name = cfg.name;
    p.display_name = cfg.display_name.empty() ? cfg.name : cfg.display_name;
    p.description = cfg.description;

    auto argv = service_command_line(cfg);
    argv.erase(argv.begin());  // the executable, given as UTF-8 by the caller
    p.binary_path = windows_command_line(exe, argv);
    check_no_expansion(p.binary_path);

    switch (cfg.start_type) {
        case start_type::automatic: p.start_type = service_auto_start; break;
        case start_type::delayed:
            p.start_type = service_auto_start;
            p.delayed_auto_start = true;
            break;
        case start_type::manual: p.start_type = service_demand_start; break;
        case start_type::disabled: p.start_type = service_disabled; break;
    }

    if (!cfg.user.empty()) {
        // A bare name is a local account; CreateServiceW wants ".\name".
        const bool qualified = cfg.user.find('\\') != std::string::npos || cfg.user.find('@') != std::string::npos;
        p.account = qualified ? cfg.user : ".\\" + cfg.user;
        p.password = cfg.windows.password;
    } else if (cfg.windows.account == "LocalService") {
        p.account = "NT AUTHORITY\\LocalService";
    } else if (cfg.windows.account == "NetworkService") {
        p.account = "NT AUTHORITY\\NetworkService";
    } else if (cfg.windows.account == "virtual") {
        p.account = "NT SERVICE\\" + cfg.name;
    }  // "" and "LocalSystem": LocalSystem

    p.dependencies = cfg.dependencies;

    if (cfg.restart != restart_policy::never) {
        // Three restarts (the SCM applies the last action to every later
        // failure); the count resets after failure_reset_period without one.
        const auto delay = clamp_u32(cfg.restart_delay.count());
        p.failure_actions.assign(3, failure_action{sc_action_restart, delay});
        p.failure_reset_period_s = clamp_u32(cfg.windows.failure_reset_period.count());
        // Also act when the service reports SERVICE_STOPPED with an error
        // code (run() does so for a failure, and for any exit it did not get
        // from the SCM under restart_policy::always), not only on a crash.
        p.failure_actions_on_non_crash = true;
    }
    p.preshutdown_timeout_ms = clamp_u32(manager_stop_limit(cfg).count());

    for (const auto& [key, value] : cfg.environment) p.environment.push_back(key + "=" + value);

    p.event_source_key = "SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\" + cfg.name;
    p.event_message_file = "%SystemRoot%\\System32\\EventCreate.exe";
    return p;
}

std::string render_scm_parameters(const scm_parameters& p) {
    static constexpr std::string_view start_names[] = {"boot", "system", "auto", "demand", "disabled"};
    std::string out;
    auto line = [&](std::string_view key, std::string_view value) { out += fmt::format("{}: {}\n", key, value); };
    line("service_name", p.name);
    line("display_name", p.display_name);
    if (!p.description.empty()) line("description", p.description);
    line("binary_path", p.binary_path);
    line("start_type", p.start_type < std::size(start_names) ? start_names[p.start_type] : "?");
    line("delayed_auto_start", p.delayed_auto_start ? "yes" : "no");
    line("account", p.account.empty() ? "LocalSystem" : p.account);
    if (!p.password.empty()) line("password", "(set)");
    line("dependencies", p.dependencies.empty() ? "(none)" : join(p.dependencies, " "));
    if (p.failure_actions.empty()) {
        line("failure_actions", "(none)");
    } else {
        std::vector<std::string> actions;
        for (const auto& a : p.failure_actions)
            actions.push_back(a.type == sc_action_restart ? fmt::format("restart/{}ms", a.delay_ms) : "none");
        line("failure_actions", join(actions, " "));
        line("failure_reset_period", fmt::format("{}s", p.failure_reset_period_s));
        line("failure_actions_on_non_crash", p.failure_actions_on_non_crash ? "yes" : "no");
    }
    line("preshutdown_timeout", fmt::format("{}ms", p.preshutdown_timeout_ms));
    for (const auto& e : p.environment) line("environment", quote_for_message(e));
    line("event_source", "HKLM\\" + p.event_source_key);
    return out;
}

}  // namespace servicekit::detail::scm
