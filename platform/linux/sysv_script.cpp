#include "linux/sysv_script.hpp"
#include "linux/systemd_unit.hpp"

#include <servicekit/error.hpp>

#include "detail/backend.hpp"
#include "detail/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

namespace servicekit::detail::sysv {

namespace {

// How every script starts, and the comment after its LSB header that says
// who wrote it (a line of its own, hence the newline); written_by_servicekit()
// looks for both.
constexpr std::string_view lsb_start = "#!/bin/sh\n### BEGIN INIT INFO\n";
constexpr std::string_view written_by = "\n# Written by servicekit: ";

// systemd targets that have an LSB facility (LSB 3.1 "Facility Names").
constexpr std::array<std::pair<std::string_view, std::string_view>, 8> facilities{{
    {"network.target", "$network"},
    {"network-online.target", "$network"},
    {"remote-fs.target", "$remote_fs"},
    {"local-fs.target", "$local_fs"},
    {"time-sync.target", "$time"},
    {"nss-lookup.target", "$named"},
    {"rpcbind.target", "$portmap"},
    {"syslog.target", "$syslog"},
}};

// A dependency as an LSB header word: a facility, or the name of another
// init script ("foo.service" and "foo" both mean /etc/init.d/foo).
std::string lsb_dependency(std::string_view dep) {
    for (const auto& [unit, facility] : facilities)
        if (dep == unit) return std::string(facility);
    std::string name(dep);
    if (name.ends_with(".service")) name.resize(name.size() - 8);
    // Unit types other than services have no init-script counterpart.
    const bool other_unit = std::any_of(systemd::unit_type_suffixes.begin() + 1, systemd::unit_type_suffixes.end(),
                                        [&](std::string_view s) { return name.ends_with(s); });
    if (other_unit || name.empty() || name.find_first_of("@:") != std::string::npos)
        throw error(errc::invalid_config,
                    fmt::format("config.dependencies {} has no SysV init equivalent: name another service "
                                "(its /etc/init.d script) or one of network.target, network-online.target, "
                                "remote-fs.target, local-fs.target, time-sync.target, nss-lookup.target, "
                                "rpcbind.target, syslog.target",
                                quote_for_message(dep)));
    return name;
}

// Header values are comment text, one line each; validate() already rejects
// control characters, this keeps the renderer safe on its own.
std::string header_value(std::string_view field, std::string_view v) {
    for (const char ch : v) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F)
            throw error(errc::invalid_config,
                        fmt::format("config.{} {} is not valid: must be one line without control characters",
                                    field, quote_for_message(v)));
    }
    return std::string(v);
}

void add_unique(std::vector<std::string>& words, std::string w) {
    if (std::find(words.begin(), words.end(), w) == words.end()) words.push_back(std::move(w));
}

std::string join(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) {
        if (!out.empty()) out += ' ';
        out += w;
    }
    return out;
}

long long ceil_seconds(std::chrono::milliseconds ms) {
    return (ms.count() + 999) / 1000;
}

}  // namespace

std::string shell_quote(std::string_view s) {
    std::string out = "'";
    for (const char c : s) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    out += '\'';
    return out;
}

bool written_by_servicekit(std::string_view head) {
    return head.starts_with(lsb_start) && head.find(written_by) != std::string_view::npos;
}

std::string script_path(const config& cfg) { return "etc/init.d/" + cfg.name; }

std::string pid_file_path(const config& cfg) { return "run/servicekit-" + cfg.name + ".pid"; }

std::string process_name(const config& cfg) {
    // The kernel keeps the first 15 bytes of the executed file's name
    // (TASK_COMM_LEN); start-stop-daemon --name compares against exactly that.
    return cfg.executable.filename().string().substr(0, 15);
}

std::string_view default_start(const config& cfg) {
    return starts_at_boot(cfg) ? "2 3 4 5" : "";
}

std::string_view default_stop(const config&) { return "0 1 6"; }

std::string render_sysv_script(const config& cfg) {
    std::vector<std::string> required{"$remote_fs", "$syslog"};
    std::vector<std::string> wanted;
    for (const auto& d : cfg.dependencies) add_unique(cfg.systemd.require_dependencies ? required : wanted, lsb_dependency(d));
    std::erase_if(wanted, [&](const std::string& w) { return std::find(required.begin(), required.end(), w) != required.end(); });

    const std::string description = header_value("description", cfg.description);
    const std::string short_description =
        !cfg.display_name.empty() ? header_value("display_name", cfg.display_name)
                                  : !description.empty() ? description : cfg.name;

    std::string s(lsb_start);
    s += fmt::format("# Provides:          {}\n", cfg.name);
    s += fmt::format("# Required-Start:    {}\n", join(required));
    s += fmt::format("# Required-Stop:     {}\n", join(required));
    if (!wanted.empty()) {
        s += fmt::format("# Should-Start:      {}\n", join(wanted));
        s += fmt::format("# Should-Stop:       {}\n", join(wanted));
    }
    s += fmt::format("# Default-Start:     {}\n", default_start(cfg));
    s += fmt::format("# Default-Stop:      {}\n", default_stop(cfg));
    s += fmt::format("# Short-Description: {}\n", short_description);
    s += fmt::format("# Description:       {}\n", description.empty() ? short_description : description);
    s += "### END INIT INFO\n\n";

    s += fmt::format(
        "{0}`{1} install --force --name {2}` rewrites this file,\n"
        "# `{1} uninstall --name {2}` removes it. The service logs to syslog\n"
        "# (identifier \"{2}\", facility daemon).\n"
        "# SysV init does not restart a service that ends on its own.\n\n",
        written_by.substr(1), header_value("executable", cfg.executable.filename().string()), cfg.name);

    s += "NAME=" + shell_quote(cfg.name) + "\n";
    s += "DAEMON=" + shell_quote(cfg.executable.string()) + "\n";
    s += "PIDFILE=" + shell_quote("/" + pid_file_path(cfg)) + "\n";
    s += "COMM=" + shell_quote(process_name(cfg)) + "\n";
    // run() ends a stop() that overruns stop_timeout itself (exit 124); the
    // margin lets that happen before SIGKILL, as the systemd unit's does.
    s += fmt::format("STOP_SCHEDULE=TERM/{}/KILL/{}\n\n", ceil_seconds(manager_stop_limit(cfg)),
                     kill_grace.count());

    // The whole command is built in the positional parameters, expanded
    // before anything changes the environment, and run through env(1): a
    // configured variable (PATH, IFS, a readonly one) cannot change how the
    // script itself runs. The marker comes last so that it wins.
    s += "do_start() {\n"
         "\t[ -x \"$DAEMON\" ] || { echo \"$NAME: $DAEMON is not an executable file\" >&2; return 5; }\n"
         "\tenv=$(command -v env) && ssd=$(command -v start-stop-daemon) ||\n"
         "\t\t{ echo \"$NAME: env or start-stop-daemon is not in PATH\" >&2; return 5; }\n"
         "\tset -- \"$env\" \\\n";
    for (const auto& [key, value] : cfg.environment) s += "\t\t" + shell_quote(key + "=" + value) + " \\\n";
    s += fmt::format("\t\t{}={} \\\n", init_marker_variable, init_marker_value);
    s += "\t\t\"$ssd\" --start --quiet --oknodo --background --make-pidfile --pidfile \"$PIDFILE\" \\\n"
         "\t\t--name \"$COMM\" --startas \"$DAEMON\" \\\n";
    s += "\t\t--chdir " +
         shell_quote(cfg.working_directory.empty() ? std::string("/") : cfg.working_directory.string()) + " \\\n";
    // systemd's rule for the names: start-stop-daemon reads a number with
    // strtol, so " 0", "+0" or "00" would run the service as root.
    const std::string user = cfg.user.empty() ? std::string() : systemd::account("user", cfg.user);
    const std::string group = cfg.group.empty() ? std::string() : systemd::account("group", cfg.group);
    if (!user.empty())
        s += "\t\t--chuid " + shell_quote(group.empty() ? user : user + ":" + group) + " \\\n";
    else if (!group.empty())
        s += "\t\t--group " + shell_quote(group) + " \\\n";
    s += fmt::format("\t\t--notify-await --notify-timeout {} \\\n\t\t--", start_timeout.count());
    const auto argv = service_command_line(cfg);
    for (std::size_t i = 1; i < argv.size(); ++i) s += " \\\n\t\t" + shell_quote(argv[i]);
    s += fmt::format("\n"
                     "\t\"$@\" && return 0\n"
                     "\techo \"$NAME: did not start (start-stop-daemon exited with $?){}\" >&2\n"
                     "\tdo_stop >/dev/null 2>&1\n"
                     "\treturn 1\n"
                     "}}\n\n",
                     see_syslog);

    s += "do_stop() {\n"
         "\tstart-stop-daemon --stop --quiet --oknodo --retry \"$STOP_SCHEDULE\" --pidfile \"$PIDFILE\" --name \"$COMM\"\n"
         "\tcase $? in\n"
         "\t0) rm -f \"$PIDFILE\"; return 0 ;;\n"
         "\t2) echo \"$NAME: still running after $STOP_SCHEDULE\" >&2; return 1 ;;\n"
         "\t*) echo \"$NAME: start-stop-daemon could not stop it\" >&2; return 1 ;;\n"
         "\tesac\n"
         "}\n\n"
         "do_reload() {\n"
         "\tstart-stop-daemon --stop --quiet --signal HUP --pidfile \"$PIDFILE\" --name \"$COMM\" && return 0\n"
         "\techo \"$NAME is not running\" >&2\n"
         "\treturn 7\n"
         "}\n\n"
         "# LSB: 0 running, 1 dead but the pid file remains, 3 not running, 4 unknown.\n"
         "do_status() {\n"
         "\tstart-stop-daemon --status --pidfile \"$PIDFILE\" --name \"$COMM\"\n"
         "\tcase $? in\n"
         "\t0) echo \"$NAME is running (pid $(cat \"$PIDFILE\"))\"; return 0 ;;\n"
         "\t1) echo \"$NAME is not running, but $PIDFILE remains (it ended on its own)\"; return 1 ;;\n"
         "\t3) echo \"$NAME is not running\"; return 3 ;;\n"
         "\t*) echo \"$NAME: the status cannot be determined\"; return 4 ;;\n"
         "\tesac\n"
         "}\n\n"
         "case \"$1\" in\n"
         "start) do_start ;;\n"
         "stop) do_stop ;;\n"
         "restart) do_stop && do_start ;;\n"
         "try-restart) if do_status >/dev/null; then do_stop && do_start; fi ;;\n"
         "reload | force-reload) do_reload ;;\n"
         "status) do_status ;;\n"
         "*) echo \"Usage: $0 {start|stop|restart|try-restart|reload|force-reload|status}\" >&2; exit 2 ;;\n"
         "esac\n";
    return s;
}

}  // namespace servicekit::detail::sysv
