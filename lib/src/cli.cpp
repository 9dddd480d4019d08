#include <servicekit/cli.hpp>
#include <servicekit/controller.hpp>
#include <servicekit/error.hpp>
#include <servicekit/log.hpp>
#include <servicekit/run.hpp>
#include <servicekit/version.hpp>

#include "detail/text.hpp"

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#if defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#include <shellapi.h>
#include <cstdlib>
#include <cstring>
#include <cwchar>
#endif

namespace po = boost::program_options;

namespace servicekit::cli {

namespace {

using detail::printable_or;

struct verb_info {
    std::string_view name, help;
};

constexpr std::array<verb_info, 8> verbs{{
    {"install", "install the service and enable it per its start type (--force: replace an installed one)"},
    {"uninstall", "stop the service and remove every trace of it"},
    {"start", "start the installed service and wait until it runs"},
    {"stop", "stop the service and wait until it has stopped"},
    {"restart", "stop and start the service"},
    {"status", "print the state; exit 0 running, 3 not running, 4 not installed (--json)"},
    {"run", "run the service in this process: in the foreground, or under its manager (the default)"},
    {"print-config", "print what install would write, change nothing"},
}};

bool is_verb(std::string_view word) {
    return std::any_of(verbs.begin(), verbs.end(), [&](const verb_info& v) { return v.name == word; });
}

class usage_error : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string program_name(int argc, char** argv) {
    if (argc < 1 || argv[0] == nullptr) return "service";
    std::string p = argv[0];
    const auto slash = p.find_last_of("/\\");
    if (slash != std::string::npos) p.erase(0, slash + 1);
    if (p.size() > 4 && p.compare(p.size() - 4, 4, ".exe") == 0) p.resize(p.size() - 4);
    return p;
}

// An option word as printed in a message: printable ASCII as it is, any
// other byte as \xNN, so that what the user typed cannot forge a line.
std::string shown_option(const std::string& s) {
    std::string out;
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c < 0x7F) out += ch;
        else out += fmt::format("\\x{:02x}", c);
    }
    return out;
}

// The message for a command-line error. Never Boost's what() for an error
// about an option: Boost.Program_options (1.74) builds it by replacing
// %canonical_option% and the like in a template for as long as one is left,
// so an option word holding such a placeholder ("--%canonical_option%")
// never ends. get_option_name() does no substitution.
std::string usage_message(const po::error& e) {
    const auto* named = dynamic_cast<const po::error_with_option_name*>(&e);
    if (named == nullptr) return e.what();
    const std::string opt = fmt::format("'{}'", shown_option(named->get_option_name()));
    if (dynamic_cast<const po::unknown_option*>(&e)) return "unrecognised option " + opt;
    if (dynamic_cast<const po::multiple_occurrences*>(&e)) return "option " + opt + " cannot be specified more than once";
    if (dynamic_cast<const po::multiple_values*>(&e)) return "option " + opt + " only takes a single argument";
    if (const auto* syntax = dynamic_cast<const po::invalid_command_line_syntax*>(&e)) {
        switch (syntax->kind()) {
            case po::invalid_syntax::missing_parameter: return "the required argument for option " + opt + " is missing";
            case po::invalid_syntax::empty_adjacent_parameter: return "option " + opt + " needs a value after '='";
            case po::invalid_syntax::extra_parameter: return "option " + opt + " does not take any arguments";
            default: return "option " + opt + " is not written the way this program reads options";
        }
    }
    if (dynamic_cast<const po::validation_error*>(&e)) return "the argument for option " + opt + " is invalid";
    return "option " + opt + " cannot be used here";
}

// The arguments after argv[0], as UTF-8. On Windows the C runtime's argv is
// in the ANSI code page, which cannot hold every character a service's
// arguments may have: when argv is the process's own, they are taken from
// the UTF-16 command line, split by the same rules (the ones
// windows_command_line encodes for). One that has no UTF-8 form (a lone
// surrogate) throws usage_error.
std::vector<std::string> utf8_arguments(int argc, char** argv) {
#if defined(_WIN32)
    // MinGW-w64's startup code passes main() a copy of __argv, so compare
    // the strings, not the pointers.
    bool own = argv != nullptr && __argv != nullptr && argc == __argc;
    for (int i = 0; own && i < argc; ++i) own = argv[i] != nullptr && __argv[i] != nullptr && std::strcmp(argv[i], __argv[i]) == 0;
    if (own) {
        int n = 0;
        wchar_t** wide = ::CommandLineToArgvW(::GetCommandLineW(), &n);
        if (wide != nullptr && n == argc) {
            std::vector<std::string> out;
            for (int i = 1; i < n; ++i) {
                const int len = static_cast<int>(std::wcslen(wide[i]));
                // A lone surrogate has no UTF-8 form: refused, not made U+FFFD.
                const int size = len == 0 ? 0
                                          : ::WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, wide[i], len, nullptr,
                                                                  0, nullptr, nullptr);
                if (len != 0 && size == 0) {
                    ::LocalFree(wide);
                    throw usage_error(fmt::format("argument {} is not valid UTF-16 (a lone surrogate): it cannot "
                                                  "reach the service unchanged; remove it",
                                                  i));
                }
                std::string s(static_cast<std::size_t>(size), '\0');
                if (!s.empty())
                    ::WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, wide[i], len, s.data(), size, nullptr, nullptr);
                out.push_back(std::move(s));
            }
            ::LocalFree(wide);
            return out;
        }
        if (wide != nullptr) ::LocalFree(wide);
    }
#endif
    return std::vector<std::string>(argv + std::min(argc, 1), argv + argc);
}

int exit_code_for(errc e) {
    switch (e) {
        case errc::invalid_config: return invalid_config;
        case errc::permission_denied: return permission_denied;
        case errc::not_installed: return not_installed;
        case errc::not_supported: return not_supported;
        default: return failure;
    }
}

std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) out += fmt::format("\\u{:04x}", c);
                else out += ch;
        }
    }
    return out + '"';
}

// What the command line asks for.
struct invocation {
    std::string verb = "run";
    std::optional<std::string> name, level_name;
    std::optional<spdlog::level::level_enum> level;
    bool help = false, version = false, user = false, force = false, json = false;
    bool service_arguments = false;  // words after '--'
};

po::options_description option_table(invocation& inv) {
    po::options_description opts("Options");
    opts.add_options()
        ("help,h", po::bool_switch(&inv.help), "print this help and exit")
        ("version", po::bool_switch(&inv.version), "print the version and exit")
        ("name", po::value<std::string>()->notifier([&inv](const std::string& v) { inv.name = v; }),
         "the instance's service name (run several instances of one program)")
        ("user", po::bool_switch(&inv.user), "a per-user service (systemd --user, a launchd agent)")
        ("log-level", po::value<std::string>()->notifier([&inv](const std::string& v) { inv.level_name = v; }),
         "trace, debug, info, warn, error, critical or off")
        ("force", po::bool_switch(&inv.force), "install: replace an installed service in place")
        ("json", po::bool_switch(&inv.json), "status: print JSON");
    return opts;
}

// parse() with Boost.Program_options; throws po::error or usage_error.
void parse_options(const std::vector<std::string>& args, invocation& inv) {
    po::options_description hidden;
    hidden.add_options()("command", po::value<std::vector<std::string>>());
    po::options_description all;
    all.add(option_table(inv)).add(hidden);
    po::positional_options_description positional;
    positional.add("command", -1);

    po::variables_map vm;
    const auto style = po::command_line_style::unix_style & ~po::command_line_style::allow_guessing;
    po::store(po::command_line_parser(args).options(all).positional(positional).style(style).run(), vm);
    po::notify(vm);
    if (vm.count("command")) {
        const auto& words = vm["command"].as<std::vector<std::string>>();
        inv.verb = words.front();
        if (!is_verb(inv.verb))
            throw usage_error(fmt::format("unknown command '{}'", shown_option(inv.verb)));
        if (words.size() > 1)
            throw usage_error(fmt::format("unexpected argument '{}' (service arguments go after '--')", shown_option(words[1])));
    }
    if (inv.force && inv.verb != "install") throw usage_error("--force goes with install");
    if (inv.json && inv.verb != "status") throw usage_error("--json goes with status");
    if (inv.level_name) {
        inv.level = parse_log_level(*inv.level_name);
        if (!inv.level)
            throw usage_error(fmt::format("--log-level '{}' is not one of trace, debug, info, warn, error, critical, off",
                                          shown_option(*inv.level_name)));
    }
    // The service's arguments and log level are what install writes, run
    // runs and print-config shows; the other verbs act on what is installed
    // and would drop them silently.
    const bool configures = inv.verb == "install" || inv.verb == "run" || inv.verb == "print-config";
    if (!inv.help && !inv.version && !configures && (inv.service_arguments || inv.level_name))
        throw usage_error(fmt::format("{} goes with install, run or print-config, not {} (reinstall to change it)",
                                      inv.service_arguments ? "'--' with service arguments" : "--log-level", inv.verb));
}

// The command lines that leave the option parser nothing to decide: none,
// `run`, and the one install writes for the manager (service_command_line:
// `run --name NAME [--user] --log-level LEVEL`, the service's arguments after
// `--` already taken off). Reads it into `inv` and returns true, or returns
// false for the parser to read it. The parser reads these the same way: NAME
// cannot start with '-' (validate() refuses it) and LEVEL is one it knows.
bool parse_run_line(const std::vector<std::string>& args, invocation& inv) {
    if (args.empty()) return true;
    if (args.front() != "run") return false;
    std::size_t i = 1;
    const auto value_of = [&](std::string_view option) -> const std::string* {
        if (i + 1 >= args.size() || args[i] != option || args[i + 1].empty() || args[i + 1].front() == '-')
            return nullptr;
        i += 2;
        return &args[i - 1];
    };
    if (i == args.size()) return true;
    const std::string* name = value_of("--name");
    if (name == nullptr) return false;
    const bool user = i < args.size() && args[i] == "--user";
    if (user) ++i;
    std::optional<spdlog::level::level_enum> level;
    if (i < args.size()) {
        const std::string* level_name = value_of("--log-level");
        if (level_name == nullptr || !(level = parse_log_level(*level_name))) return false;
    }
    if (i != args.size()) return false;
    inv.name = *name;
    inv.user = user;
    inv.level = level;
    return true;
}

// Reads the options and the command into `inv`; throws usage_error.
//
// The command line install writes is how the service manager starts the
// service, every time: parse_run_line() reads it without the option parser,
// whose table is then neither built nor torn down, a fifth of what the
// program does before it reports ready, and work on its way out after a stop
// (docs/PERFORMANCE.md).
void parse(const std::vector<std::string>& args, invocation& inv) {
    if (parse_run_line(args, inv)) return;
    try {
        parse_options(args, inv);
    } catch (const po::error& e) {
        throw usage_error(usage_message(e));
    }
}

void print_help(const std::string& prog, const config& cfg) {
    invocation unused;
    const auto opts = option_table(unused);
    std::string text = fmt::format("Usage: {} [options] [command] [-- service arguments...]\n", prog);
    if (!cfg.description.empty()) text += "\n" + cfg.description + "\n";
    text += "\nCommands:\n";
    for (const auto& v : verbs) text += fmt::format("  {:<14}{}\n", v.name, v.help);
    std::cout << text << '\n' << opts
              << "\nEverything after '--' is handed to the service verbatim (install, run, print-config).\n"
                 "Exit status: 0 ok, 1 failure, 2 usage, 3 not supported, 4 permission denied,\n"
                 "5 not installed, 6 invalid configuration; status: 0 running, 3 not running,\n"
                 "4 not installed.\n";
}

// `code`, once what the command printed has reached standard output; a full
// disk or a closed pipe makes it an I/O error (1), not a success with the
// output cut short.
int written(int code, const std::string& who) {
    std::cout.flush();
    if (std::fflush(stdout) == 0 && !std::ferror(stdout) && std::cout) return code;
    std::fprintf(stderr, "%s: cannot write to standard output: %s\n", who.c_str(), std::strerror(errno));
    return failure;
}

}  // namespace

int cli_main(int argc, char** argv, config cfg, service& svc) {
    const std::string prog = printable_or(program_name(argc, argv), "service");
    std::vector<std::string> args;
    try {
        args = utf8_arguments(argc, argv);
    } catch (const usage_error& e) {
        std::fprintf(stderr, "%s: %s\n", prog.c_str(), e.what());
        return usage;
    }

    std::optional<std::vector<std::string>> service_args;
    if (const auto dashdash = std::find(args.begin(), args.end(), "--"); dashdash != args.end()) {
        service_args.emplace(dashdash + 1, args.end());
        args.erase(dashdash, args.end());
    }

    invocation inv;
    inv.service_arguments = service_args && !service_args->empty();
    try {
        parse(args, inv);
    } catch (const usage_error& e) {
        std::fprintf(stderr, "%s: %s; try '%s --help'\n", prog.c_str(), e.what(), prog.c_str());
        return usage;
    }
    if (inv.level) cfg.log_level = *inv.level;
    const std::string& verb = inv.verb;

    if (inv.help) {
        print_help(prog, cfg);
        return written(ok, prog);
    }
    if (inv.version) {
        std::cout << prog << " (servicekit " SERVICEKIT_VERSION ")\n";
        return written(ok, prog);
    }
    if (inv.name) cfg.name = *inv.name;
    if (inv.user) cfg.scope = scope::user;
    if (service_args) cfg.arguments = std::move(*service_args);

    const std::string who = printable_or(cfg.name, prog);
    try {
        if (verb == "run") {
            validate(cfg);
            return run(cfg, svc);
        }
        controller ctl(cfg);
        if (verb == "install") {
            ctl.install(inv.force ? install_mode::replace : install_mode::fail_if_exists);
            std::printf("%s: installed (%.*s)\n", who.c_str(), static_cast<int>(ctl.platform().size()), ctl.platform().data());
        } else if (verb == "uninstall") {
            ctl.uninstall();
            std::printf("%s: uninstalled\n", who.c_str());
        } else if (verb == "start") {
            ctl.start();
            std::printf("%s: started\n", who.c_str());
        } else if (verb == "stop") {
            ctl.stop();
            std::printf("%s: stopped\n", who.c_str());
        } else if (verb == "restart") {
            ctl.restart();
            std::printf("%s: restarted\n", who.c_str());
        } else if (verb == "print-config") {
            std::cout << ctl.render();
        } else if (verb == "status") {
            const auto info = ctl.query();
            if (inv.json) {
                std::cout << fmt::format(R"({{"name":{},"platform":{},"scope":{},"status":{},"pid":{},"detail":{}}})",
                                         json_string(cfg.name), json_string(ctl.platform()),
                                         json_string(to_string(cfg.scope)), json_string(to_string(info.state)),
                                         info.pid ? std::to_string(*info.pid) : "null", json_string(info.detail))
                          << '\n';
            } else {
                std::string line = fmt::format("{}: {}", who, to_string(info.state));
                if (info.pid) line += fmt::format(" (pid {})", *info.pid);
                if (!info.detail.empty()) line += fmt::format(" — {}", info.detail);
                std::cout << line << '\n';
            }
            switch (info.state) {
                case status::running: return written(ok, who);
                case status::not_installed: return written(status_not_installed, who);
                case status::unknown: return written(failure, who);  // not "not running": nobody knows
                default: return written(status_stopped, who);
            }
        }
        return written(ok, who);
    } catch (const error& e) {
        // A hint names the command to type, with the options that chose this
        // instance: `install --force` after `web --name web2 --user install`
        // reads `web install --force --name web2 --user`. Not for a bad
        // configuration, whose --name may be the problem.
        std::string message = e.what();
        if (e.reason() != errc::invalid_config) {
            std::string options;
            if (inv.name) options += " --name " + *inv.name;
            if (inv.user) options += " --user";
            message = detail::spell_out_commands(message, prog, options, is_verb);
        }
        std::fprintf(stderr, "%s: %s\n", who.c_str(), message.c_str());
        // status keeps 3 and 4 for its states: its other failures are 1.
        if (verb == "status" && e.reason() != errc::invalid_config) return failure;
        return exit_code_for(e.reason());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", who.c_str(), e.what());
        return failure;
    }
}

}  // namespace servicekit::cli
