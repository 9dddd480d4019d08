#include "linux/sysv_backend.hpp"

#include <servicekit/error.hpp>

#include "detail/file.hpp"
#include "detail/text.hpp"
#include "linux/journal_sink.hpp"
#include "linux/notify.hpp"
#include "linux/stop_alarm.hpp"
#include "linux/systemd_backend.hpp"
#include "linux/sysv_script.hpp"
#include "posix/signals.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

namespace servicekit::detail::sysv {

namespace fs = std::filesystem;

namespace {

// The environment the script runs in, whoever calls it: what service(8)
// gives an init script, so that `app start` and the boot start the service
// alike.
constexpr std::string_view script_path_variable = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

constexpr std::array<std::string_view, 8> runlevel_dirs{"rc0.d", "rc1.d", "rc2.d", "rc3.d",
                                                         "rc4.d", "rc5.d", "rc6.d", "rcS.d"};

void require_system_scope(const config& cfg) {
    if (cfg.scope == scope::user)
        throw error(errc::not_supported,
                    "SysV init has no per-user services: install it as a system service (without --user), "
                    "or use a machine that runs systemd");
}

// What a command said, as one line: its non-empty output lines joined by "; ".
std::string output_summary(const command_result& r) {
    std::string out;
    for (const std::string* text : {&r.err, &r.out}) {
        std::istringstream lines(*text);
        for (std::string line; std::getline(lines, line);) {
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            if (!out.empty()) out += "; ";
            out += line;
        }
    }
    if (out.size() > 600) out = out.substr(0, 600) + "...";
    return out.empty() ? "no output" : out;
}

std::optional<file_owner> root_owner() {
    // Scripts in /etc/init.d belong to root; a test running unprivileged
    // against a temp root keeps its own ownership.
    if (::geteuid() == 0) return file_owner{0, 0};
    return std::nullopt;
}

// Under the init script start-stop-daemon --notify-await waits for the
// sd_notify(3) datagram READY=1 on $NOTIFY_SOCKET, or ERRNO=<n> for a failed
// start, so that `start` reports whether start() really succeeded.
class sysv_link final : public manager_link {
public:
    sysv_link() : notifier_(systemd::notifier::from_environment()) {
        // Children of the service must not mistake themselves for it.
        ::unsetenv("NOTIFY_SOCKET");
        ::unsetenv(std::string(init_marker_variable).c_str());
    }
    bool interactive() const override { return false; }
    void ready() override { report("READY=1"); }
    /// After run: when ready() never came, start() failed or the service
    /// ended first; start-stop-daemon then fails `start` at once.
    void failed() { report(fmt::format("ERRNO={}", ECANCELED)); }

private:
    // start-stop-daemon listens only until the first report.
    void report(std::string_view state) {
        if (notifier_) notifier_->send(state);
        notifier_.reset();
    }
    std::optional<systemd::notifier> notifier_;
};

bool started_by_init_script() {
    const char* marker = std::getenv(std::string(init_marker_variable).c_str());
    return marker != nullptr && std::string_view(marker) == init_marker_value;
}

}  // namespace

script_backend::script_backend(fs::path root, command_runner run) : root_(std::move(root)), run_(std::move(run)) {}

fs::path script_backend::script(const config& cfg) const { return root_ / script_path(cfg); }

std::optional<fs::path> script_backend::update_rc_d() const {
    for (const char* p : {"usr/sbin/update-rc.d", "sbin/update-rc.d"}) {
        if (file_type(root_ / p) == S_IFREG) return root_ / p;
    }
    return std::nullopt;
}

std::vector<script_backend::rc_link> script_backend::find_links(const config& cfg) const {
    // update-rc.d's own pattern: /etc/rc?.d/[SK][0-9][0-9]<name>.
    std::vector<rc_link> links;
    for (const auto name : runlevel_dirs) {
        const fs::path dir = root_ / "etc" / name;
        const std::unique_ptr<DIR, int (*)(DIR*)> entries(::opendir(dir.c_str()), &::closedir);
        if (!entries) continue;
        while (const dirent* entry = ::readdir(entries.get())) {
            const std::string_view f = entry->d_name;
            if (f.size() != cfg.name.size() + 3 || (f[0] != 'S' && f[0] != 'K') || !std::isdigit(static_cast<unsigned char>(f[1])) ||
                !std::isdigit(static_cast<unsigned char>(f[2])) || f.substr(3) != cfg.name)
                continue;
            const fs::path path = dir / f;
            if (auto target = link_target(path)) links.push_back({path, std::move(*target)});
        }
    }
    return links;
}

script_backend::snapshot script_backend::take_snapshot(const config& cfg) const {
    return {read_file(script(cfg)), find_links(cfg)};
}

void script_backend::restore(const config& cfg, const snapshot& s) noexcept {
    try {
        if (s.script) write_file_atomic(script(cfg), *s.script, 0755, root_owner());
        else remove_file(script(cfg));
    } catch (...) {
    }
    for (const auto& l : find_links(cfg)) ::unlink(l.path.c_str());
    for (const auto& l : s.links) ::symlink(l.target.c_str(), l.path.c_str());
}

void script_backend::enable(const config& cfg) {
    if (default_start(cfg).empty()) return;  // manual, disabled: installed, not started at boot
    if (const auto tool = update_rc_d()) {
        const std::vector<std::string> argv{tool->string(), cfg.name, "defaults"};
        const auto r = run_(argv);
        if (!r.ok())
            throw error(errc::manager_failed, fmt::format("cannot enable {}: `{}` exited with {}: {}", cfg.name,
                                                          describe_command(argv), r.exit_code, output_summary(r)));
        return;
    }
    const auto link = [&](std::string_view levels, char kind) {
        for (const char level : levels) {
            if (level == ' ') continue;
            const fs::path dir = root_ / "etc" / fmt::format("rc{}.d", level);
            try {
                make_directories(dir);
            } catch (const error&) {  // best effort: the link in it reports what is wrong
            }
            const auto target = "../init.d/" + cfg.name;
            const auto path = dir / fmt::format("{}01{}", kind, cfg.name);
            if (::symlink(target.c_str(), path.c_str()) != 0) {
                const int err = errno;
                throw error(err == EACCES || err == EPERM ? errc::permission_denied : errc::io,
                            fmt::format("cannot create the link {}: {}", quote_for_message((dir / cfg.name).string()),
                                        std::strerror(err)));
            }
        }
    };
    link(default_start(cfg), 'S');
    link(default_stop(cfg), 'K');
}

void script_backend::disable(const config& cfg) {
    if (const auto tool = update_rc_d()) {
        // -f: the script is still there (update-rc.d refuses otherwise).
        const std::vector<std::string> argv{tool->string(), "-f", cfg.name, "remove"};
        const auto r = run_(argv);
        if (!r.ok())
            throw error(errc::manager_failed, fmt::format("cannot disable {}: `{}` exited with {}: {}", cfg.name,
                                                          describe_command(argv), r.exit_code, output_summary(r)));
    }
    for (const auto& l : find_links(cfg)) {
        if (::unlink(l.path.c_str()) != 0 && errno != ENOENT) {
            const int err = errno;  // before the message's allocations
            throw error(errc::io, fmt::format("cannot remove the link {}: {}", quote_for_message(l.path.string()),
                                              std::strerror(err)));
        }
    }
}

command_result script_backend::run_script(const config& cfg, const char* verb) const {
    return run_({"env", "-i", std::string(script_path_variable), script(cfg).string(), verb});
}

bool script_backend::installed(const config& cfg, const char* verb) const {
    if (file_type(script(cfg)) == 0) return false;
    if (const auto text = read_file(script(cfg))) refuse_foreign(cfg, verb, *text);
    return true;
}

void script_backend::require_installed(const config& cfg, const char* verb) const {
    if (!installed(cfg, verb))
        throw error(errc::not_installed, fmt::format("cannot {} {}: it is not installed (no /{}); run `install` first",
                                                     verb, cfg.name, script_path(cfg)));
}

// A script at the service's path without servicekit's header is another
// daemon's (`--name ssh` is /etc/init.d/ssh): running, replacing or removing
// it would act on that daemon.
void script_backend::refuse_foreign(const config& cfg, const char* verb, std::string_view text) {
    if (!written_by_servicekit(text))
        throw error(errc::already_installed,
                    fmt::format("cannot {} {}: /{} was not written by servicekit, it is another daemon's init script; "
                                "choose another --name",
                                verb, cfg.name, script_path(cfg)));
}

void script_backend::require_root(const char* verb) const {
    if (root_ == "/" && ::geteuid() != 0)
        throw error(errc::permission_denied, fmt::format("cannot {}: SysV services need root (run it with sudo)", verb));
}

std::string script_backend::render(const config& cfg) const {
    require_system_scope(cfg);
    return render_sysv_script(cfg);
}

void script_backend::install(const config& cfg, install_mode mode) {
    require_system_scope(cfg);
    const std::string content = render_sysv_script(cfg);  // rejects what a script cannot say, before any change
    require_root("install");
    const snapshot before = take_snapshot(cfg);
    if (before.script) refuse_foreign(cfg, "install", *before.script);
    if (before.script && mode == install_mode::fail_if_exists)
        throw error(errc::already_installed,
                    fmt::format("{} is already installed (/{}): use `install --force` to replace it, or `uninstall` it first",
                                cfg.name, script_path(cfg)));
    const bool was_running = before.script && query(cfg).state == status::running;
    if (was_running) stop(cfg);
    try {
        write_file_atomic(script(cfg), content, 0755, root_owner());
        disable(cfg);  // links of an earlier start type, or left behind by hand
        enable(cfg);
        if (was_running) start(cfg);
    } catch (...) {
        restore(cfg, before);
        if (was_running) run_script(cfg, "start");
        throw;
    }
}

void script_backend::uninstall(const config& cfg) {
    require_system_scope(cfg);
    require_root("uninstall");
    require_installed(cfg, "uninstall");
    stop(cfg);  // a process that cannot be stopped keeps its script, so it can be retried
    disable(cfg);
    remove_file(script(cfg));
    remove_file(root_ / pid_file_path(cfg));
}

void script_backend::control(const config& cfg, const char* verb) {
    require_system_scope(cfg);
    require_root(verb);
    require_installed(cfg, verb);
    const auto r = run_script(cfg, verb);
    if (!r.ok()) {
        const std::string said = output_summary(r);
        // The script's own "did not start …; see syslog" says where; name the identifier.
        const std::string hint = said.find(see_syslog) != std::string::npos
                                     ? fmt::format(" (identifier {})", cfg.name)
                                     : fmt::format(" (its log is in syslog, identifier {})", cfg.name);
        throw error(errc::manager_failed, fmt::format("cannot {} {}: /{} {} exited with {}: {}{}", verb, cfg.name,
                                                      script_path(cfg), verb, r.exit_code, said, hint));
    }
}

void script_backend::start(const config& cfg) { control(cfg, "start"); }
void script_backend::stop(const config& cfg) { control(cfg, "stop"); }
void script_backend::restart(const config& cfg) { control(cfg, "restart"); }

status_info script_backend::query(const config& cfg) const {
    require_system_scope(cfg);
    status_info info;
    // Another daemon's script is never run, not even for its status.
    if (!installed(cfg, "query")) {
        info.state = status::not_installed;
        return info;
    }
    const auto r = run_script(cfg, "status");
    switch (r.exit_code) {
        case 0: {
            info.state = status::running;
            const auto pid = read_file(root_ / pid_file_path(cfg));
            if (pid) {
                char* end = nullptr;
                const long long n = std::strtoll(pid->c_str(), &end, 10);
                if (n > 0 && end != pid->c_str()) info.pid = n;
            }
            return info;
        }
        case 1:
            info.state = status::stopped;
            info.detail = "ended on its own (the pid file remains)";
            return info;
        case 3: info.state = status::stopped; return info;
        case 4:
            info.state = status::unknown;
            info.detail = output_summary(r);
            return info;
        default:
            throw error(errc::manager_failed, fmt::format("cannot query {}: /{} status exited with {}: {}", cfg.name,
                                                          script_path(cfg), r.exit_code, output_summary(r)));
    }
}

int script_backend::run(const config& cfg, service& svc) {
    // Not under the init script: in a terminal, or under a manager that
    // speaks systemd's notify protocol without being this system's init (a
    // container given NOTIFY_SOCKET by `podman run --sdnotify=container` or
    // systemd-nspawn), which must hear READY=1, STOPPING=1 and the watchdog.
    if (!started_by_init_script()) return systemd::run_under_systemd(cfg, svc);
    linux_alarm::timer_alarm alarm;
    sysv_link link;
    const int code = posix::run_with_signals(cfg, svc, link, systemd::make_syslog_sink(cfg.name), {}, &alarm);
    link.failed();
    return code;
}

std::unique_ptr<backend> make_backend() {
    // The script bounds every verb itself (start: the readiness timeout;
    // stop: stop_timeout + the kill grace, stop_timeout <= 1 h); this is a backstop.
    return std::make_unique<script_backend>("/", [](const std::vector<std::string>& argv) {
        return run_command(argv, std::chrono::minutes(70));
    });
}

}  // namespace servicekit::detail::sysv
