#include "linux/systemd_backend.hpp"

#include <servicekit/error.hpp>

#include "detail/file.hpp"
#include "detail/text.hpp"
#include "linux/systemd_unit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <pwd.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace servicekit::detail::systemd {

namespace {

using namespace std::chrono_literals;

// systemctl start waits for READY=1; systemd's own start timeout (90 s by
// default) ends a hung start before this does.
constexpr auto start_bound = 150s;
constexpr auto short_bound = 60s;

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool contains(std::string_view haystack, std::string_view needle) {
    return lower(haystack).find(needle) != std::string::npos;
}

// systemctl's own words, on one line, without the final full stop (our
// message goes on after it).
std::string first_line(const command_result& r) {
    for (const std::string* text : {&r.err, &r.out}) {
        std::istringstream in(*text);
        std::string line;
        while (std::getline(in, line)) {
            while (!line.empty() && (std::isspace(static_cast<unsigned char>(line.back())) || line.back() == '.'))
                line.pop_back();
            if (!line.empty()) return line;
        }
    }
    return fmt::format("exit status {}", r.exit_code);
}

std::string journal_hint(const config& cfg) {
    return cfg.scope == scope::user ? fmt::format("journalctl --user -u {}", cfg.name)
                                    : fmt::format("journalctl -u {}", cfg.name);
}

std::string with_root_hint(std::string message) {
    if (message.find("--user") == std::string::npos) message += "; run as root, or use --user";
    return message;
}

class systemd_backend final : public backend {
public:
    explicit systemd_backend(driver_seams seams) : seams_(std::move(seams)) {}

    std::string_view platform() const override { return "linux-systemd"; }

    std::string render(const config& cfg) const override { return render_systemd_unit(cfg); }

    void install(const config& cfg, install_mode mode) override {
        const std::string unit = render_systemd_unit(cfg);  // rejects what systemd cannot take, before anything changes
        const auto path = unit_path(cfg);
        refuse_link(path);
        const bool exists = file_type(path) != 0;
        const auto old_unit = exists ? read_file(path) : std::nullopt;  // unreadable: the write will say why
        if (old_unit) refuse_foreign(cfg, path, *old_unit);
        if (exists && mode == install_mode::fail_if_exists)
            throw error(errc::already_installed,
                        fmt::format("{} is already installed ({}): use `install --force` to replace it, or `uninstall` it first",
                                    unit_name(cfg), path.string()));
        const auto before = show(cfg);  // also proves the manager answers, before anything is written
        if (!exists) {
            const auto loaded_from = field(before, "FragmentPath");
            if (field(before, "LoadState") != "not-found" && !loaded_from.empty() && loaded_from != system_path(cfg))
                throw error(errc::already_installed,
                            fmt::format("a unit named {} already exists ({}), not written by servicekit: choose another --name",
                                        unit_name(cfg), loaded_from));
            install_new(cfg, unit, path);
        } else {
            replace(cfg, unit, old_unit.value_or(std::string()), path, parse_show(before));
        }
    }

    void uninstall(const config& cfg) override {
        const auto path = require_unit_file(cfg);
        const auto state = parse_show(show(cfg)).state;
        if (state != status::stopped && state != status::not_installed)
            systemctl(cfg, {"stop", unit_name(cfg)}, stop_bound(cfg), "stop");
        systemctl(cfg, {"disable", unit_name(cfg)}, short_bound, "disable");
        write_guard(cfg, [&] { remove_file(path); });
        systemctl(cfg, {"daemon-reload"}, short_bound, "daemon-reload");
        // Forget a failed state so nothing of the unit is listed any more; a
        // unit that never failed makes this fail, which is fine.
        (void)run(cfg, {"reset-failed", unit_name(cfg)}, short_bound);
    }

    // The unit file must be servicekit's (a stat and a read, no process):
    // `--name ssh stop` must not stop another program's ssh.service. Then no
    // `systemctl show` first: systemctl's own "not found" / "not loaded"
    // (exit 5) becomes not_installed in failure(), one process cheaper.
    void start(const config& cfg) override {
        require_unit_file(cfg);
        systemctl(cfg, {"start", unit_name(cfg)}, start_bound, "start");
    }

    void stop(const config& cfg) override {
        require_unit_file(cfg);
        systemctl(cfg, {"stop", unit_name(cfg)}, stop_bound(cfg), "stop");
    }

    void restart(const config& cfg) override {
        require_unit_file(cfg);
        systemctl(cfg, {"restart", unit_name(cfg)}, stop_bound(cfg) + start_bound, "restart");
    }

    // Only servicekit's own unit is reported, as start and stop act only on
    // it: `--name ssh status` must not say how another program's ssh.service
    // is doing. No unit file: not installed, with no process to ask.
    status_info query(const config& cfg) const override {
        if (!own_unit_file(cfg)) {
            status_info info;
            info.state = status::not_installed;
            return info;
        }
        return parse_show(show(cfg));
    }

    int run(const config& cfg, service& svc) override { return run_under_systemd(cfg, svc); }

private:
    driver_seams seams_;

    std::filesystem::path unit_path(const config& cfg) const {
        return unit_directory(cfg.scope, seams_) / unit_name(cfg);
    }
    // The path systemd itself reports (FragmentPath), which has no test root.
    std::string system_path(const config& cfg) const {
        auto rel = unit_path(cfg).lexically_relative(seams_.root);
        return (std::filesystem::path("/") / rel).string();
    }

    static std::chrono::milliseconds stop_bound(const config& cfg) {
        // systemd sends SIGKILL after TimeoutStopSec (stop_timeout + 2 s) and
        // waits as long again for the process to go.
        return 2 * (cfg.stop_timeout + 2s) + 30s;
    }

    command_result run(const config& cfg, std::vector<std::string> args, std::chrono::milliseconds bound) const {
        std::vector<std::string> argv{"systemctl"};
        if (cfg.scope == scope::user) argv.emplace_back("--user");
        argv.insert(argv.end(), args.begin(), args.end());
        return seams_.run(argv, bound);
    }

    // Runs systemctl and turns a failure into the matching servicekit::error.
    command_result systemctl(const config& cfg, std::vector<std::string> args, std::chrono::milliseconds bound,
                             std::string_view what) const {
        auto r = run(cfg, std::move(args), bound);
        if (!r.ok()) throw failure(cfg, r, what);
        return r;
    }

    error failure(const config& cfg, const command_result& r, std::string_view what) const {
        const std::string said = first_line(r);
        const std::string text = r.err + '\n' + r.out;
        const bool user = cfg.scope == scope::user;
        if (r.exit_code == 127)
            return error(errc::manager_unavailable,
                         fmt::format("cannot run systemctl ({}): is systemd installed?", said));
        if (contains(text, "access denied") || contains(text, "permission denied") ||
            contains(text, "interactive authentication required"))
            return error(errc::permission_denied,
                         with_root_hint(fmt::format("systemctl {} {} was refused: {}", what, unit_name(cfg), said)));
        if (contains(text, "failed to connect to bus") || contains(text, "no medium found") ||
            contains(text, "has not been booted with systemd") || contains(text, "failed to get d-bus connection")) {
            // Only root may use systemd's private socket; others need the
            // system bus, and are refused by it or by polkit anyway.
            if (!user && ::geteuid() != 0)
                return error(errc::permission_denied,
                             with_root_hint(fmt::format("systemctl {} {} cannot reach systemd as a non-root user ({})",
                                                        what, unit_name(cfg), said)));
            return error(errc::manager_unavailable,
                         user ? fmt::format("the systemd user manager cannot be reached ({}): log in as that user, "
                                            "or set XDG_RUNTIME_DIR=/run/user/{}", said, ::getuid())
                              : fmt::format("systemd cannot be reached ({}): is it running?", said));
        }
        // "Unit myd.service not found." is about this unit; a missing
        // dependency's ("Unit other.service not found.") is a failure to start.
        const std::string own = "unit " + lower(unit_name(cfg));
        if (contains(text, own + " not loaded") || contains(text, own + " not found"))
            return error(errc::not_installed,
                         fmt::format("{} is not known to systemd ({}): run `install` first", unit_name(cfg), said));
        if (contains(text, own + " is masked"))
            return error(errc::manager_failed,
                         fmt::format("systemctl {} {}: the unit is masked ({}): `systemctl {}unmask {}` first", what,
                                     unit_name(cfg), said, user ? "--user " : "", unit_name(cfg)));
        if (r.exit_code == 137 && r.err.find("(killed after") != std::string::npos)
            return error(errc::timeout,
                         fmt::format("systemctl {} {} did not finish in time; see `{}`", what, unit_name(cfg), journal_hint(cfg)));
        return error(errc::manager_failed,
                     fmt::format("systemctl {} {} failed: {}; see `{}`", what, unit_name(cfg), said, journal_hint(cfg)));
    }

    std::string show(const config& cfg) const {
        return systemctl(cfg, {"show", "-p", "LoadState,ActiveState,SubState,MainPID,Result,StatusText,FragmentPath",
                               unit_name(cfg)},
                         short_bound, "show")
            .out;
    }

    static std::string field(std::string_view show_output, std::string_view key) {
        std::istringstream in{std::string(show_output)};
        std::string line;
        while (std::getline(in, line))
            if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 && line[key.size()] == '=')
                return line.substr(key.size() + 1);
        return {};
    }

    // A symbolic link at the unit's path is another unit's alias (Alias=) or
    // a unit linked in from elsewhere: not a unit servicekit wrote, and
    // stopping, disabling or replacing it would act on that other unit.
    static void refuse_link(const std::filesystem::path& path) {
        if (const auto target = link_target(path))
            throw error(errc::already_installed,
                        fmt::format("{} is a link to {} (an alias or a linked unit), not a unit servicekit wrote: "
                                    "choose another --name",
                                    path.string(), *target));
    }

    // A unit file at the unit's path without servicekit's first line is
    // another program's unit of the same name (an administrator's own):
    // replacing or removing it would take that service away.
    static void refuse_foreign(const config& cfg, const std::filesystem::path& path, std::string_view text) {
        if (!written_by_servicekit(text))
            throw error(errc::already_installed,
                        fmt::format("{} was not written by servicekit: it is another program's {}; choose another --name",
                                    path.string(), unit_name(cfg)));
    }

    // The unit file's path when there is one; a link or another program's
    // unit is refused.
    std::optional<std::filesystem::path> own_unit_file(const config& cfg) const {
        auto path = unit_path(cfg);
        refuse_link(path);
        if (file_type(path) == 0) return std::nullopt;
        if (const auto text = read_file(path)) refuse_foreign(cfg, path, *text);
        return path;
    }

    std::filesystem::path require_unit_file(const config& cfg) const {
        if (auto path = own_unit_file(cfg)) return std::move(*path);
        throw error(errc::not_installed, fmt::format("{} is not installed (no {}): run `install` first", unit_name(cfg),
                                                     unit_path(cfg).string()));
    }

    // File operations: a refusal gets the usual hint.
    template <class F>
    void write_guard(const config& cfg, F&& f) const {
        try {
            f();
        } catch (const error& e) {
            if (e.reason() == errc::permission_denied && cfg.scope == scope::system)
                throw error(errc::permission_denied, with_root_hint(e.what()));
            throw;
        }
    }

    // System units belong to root (the design's rule); a user unit to its user.
    static std::optional<file_owner> owner(const config& cfg) {
        if (cfg.scope == scope::system && ::geteuid() == 0) return file_owner{0, 0};
        return std::nullopt;
    }

    void write_unit(const config& cfg, const std::filesystem::path& path, std::string_view unit) const {
        write_guard(cfg, [&] { write_file_atomic(path, unit, 0644, owner(cfg)); });
    }

    // Undo steps never throw: the error that made us undo is the one to report.
    void undo_new(const config& cfg, const std::filesystem::path& path) const noexcept {
        try {
            (void)run(cfg, {"disable", unit_name(cfg)}, short_bound);
            ::unlink(path.c_str());
            (void)run(cfg, {"daemon-reload"}, short_bound);
        } catch (...) {
        }
    }

    void install_new(const config& cfg, const std::string& unit, const std::filesystem::path& path) const {
        write_unit(cfg, path, unit);
        try {
            // `systemctl enable` reloads the manager itself once the links are
            // made (unless --no-reload): a daemon-reload before it would be a
            // second full reload, the slowest step of an install.
            if (starts_at_boot(cfg)) systemctl(cfg, {"enable", unit_name(cfg)}, short_bound, "enable");
            else systemctl(cfg, {"daemon-reload"}, short_bound, "daemon-reload");
        } catch (...) {
            undo_new(cfg, path);
            throw;
        }
    }

    // The upgrade path: stop, rewrite, reload, start again if it was running.
    // A failure of any step, the new unit's start included, puts the old unit
    // back as it was: enabled or not, and running again if it was.
    void replace(const config& cfg, const std::string& unit, const std::string& old_unit,
                 const std::filesystem::path& path, const status_info& before) const {
        const bool was_running = before.state == status::running || before.state == status::starting;
        const bool was_enabled = run(cfg, {"is-enabled", unit_name(cfg)}, short_bound).ok();
        if (was_running) systemctl(cfg, {"stop", unit_name(cfg)}, stop_bound(cfg), "stop");
        try {
            write_unit(cfg, path, unit);
            systemctl(cfg, {"daemon-reload"}, short_bound, "daemon-reload");
            if (starts_at_boot(cfg)) systemctl(cfg, {"enable", unit_name(cfg)}, short_bound, "enable");
            else systemctl(cfg, {"disable", unit_name(cfg)}, short_bound, "disable");
            if (was_running) systemctl(cfg, {"start", unit_name(cfg)}, start_bound, "start");
        } catch (...) {
            try {
                // The new unit may have got as far as starting.
                if (was_running) (void)run(cfg, {"stop", unit_name(cfg)}, stop_bound(cfg));
                write_file_atomic(path, old_unit, 0644, owner(cfg));
                (void)run(cfg, {"daemon-reload"}, short_bound);
                (void)run(cfg, {was_enabled ? "enable" : "disable", unit_name(cfg)}, short_bound);
                if (was_running) (void)run(cfg, {"start", unit_name(cfg)}, start_bound);
            } catch (...) {
            }
            throw;
        }
    }
};

}  // namespace

bool booted() { return file_type("/run/systemd/system") == S_IFDIR; }

driver_seams real_seams() {
    driver_seams s;
    s.run = [](const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
        return run_command(argv, timeout);
    };
    s.root = "/";
    s.getenv = [](const char* name) -> std::optional<std::string> {
        if (const char* v = std::getenv(name); v != nullptr && *v != '\0') return std::string(v);
        if (std::string_view(name) == "HOME") {
            // sudo and services may run without HOME; the password database knows it.
            if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr)
                return std::string(pw->pw_dir);
        }
        return std::nullopt;
    };
    return s;
}

std::unique_ptr<backend> make_backend(driver_seams seams) {
    return std::make_unique<systemd_backend>(std::move(seams));
}

std::unique_ptr<backend> make_backend() { return make_backend(real_seams()); }

std::filesystem::path unit_directory(scope s, const driver_seams& seams) {
    const auto under_root = [&](const std::filesystem::path& p) { return seams.root / p.relative_path(); };
    if (s == scope::system) return under_root("/etc/systemd/system");
    // The XDG base directory spec: a relative XDG_CONFIG_HOME is ignored.
    if (const auto xdg = seams.getenv("XDG_CONFIG_HOME"); xdg && std::filesystem::path(*xdg).is_absolute())
        return under_root(std::filesystem::path(*xdg) / "systemd/user");
    const auto home = seams.getenv("HOME");
    if (!home || !std::filesystem::path(*home).is_absolute())
        throw error(errc::invalid_config,
                    "a user-scope service needs a home directory: set HOME (or XDG_CONFIG_HOME)");
    return under_root(std::filesystem::path(*home) / ".config/systemd/user");
}

status_info parse_show(std::string_view show_output) {
    std::string load, active, sub, pid, result, text;
    std::istringstream in{std::string(show_output)};
    std::string line;
    while (std::getline(in, line)) {
        const auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        const auto key = line.substr(0, eq);
        auto value = line.substr(eq + 1);
        if (key == "LoadState") load = value;
        else if (key == "ActiveState") active = value;
        else if (key == "SubState") sub = value;
        else if (key == "MainPID") pid = value;
        else if (key == "Result") result = value;
        else if (key == "StatusText") text = value;
    }
    status_info info;
    if (load == "not-found" || (load.empty() && active.empty())) {
        info.state = status::not_installed;
        return info;
    }
    if (active == "active" || active == "reloading") info.state = status::running;
    else if (active == "inactive" || active == "failed") info.state = status::stopped;
    else if (active == "activating") info.state = status::starting;
    else if (active == "deactivating") info.state = status::stopping;
    else info.state = status::unknown;

    info.detail = active + (sub.empty() || sub == active ? "" : " (" + sub + ")");
    if (active == "failed" || (!result.empty() && result != "success"))
        info.detail += fmt::format(", Result: {}", result);
    if (load != "loaded") info.detail += fmt::format(", unit {}", load);
    // systemd keeps a stopped service's last STATUS=: say it is the last one.
    if (!text.empty()) info.detail += (info.state == status::stopped ? ", last status: " : ": ") + text;
    if (!pid.empty() && pid != "0") {
        try {
            info.pid = std::stoll(pid);
        } catch (const std::exception&) {
        }
    }
    return info;
}

}  // namespace servicekit::detail::systemd
