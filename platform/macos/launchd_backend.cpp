#include "macos/launchd_backend.hpp"

#include <servicekit/error.hpp>

#include "detail/file.hpp"
#include "detail/lifecycle.hpp"
#include "detail/text.hpp"
#include "macos/launchd_plist.hpp"
#include "macos/launchd_print.hpp"
#include "posix/signals.hpp"

#if defined(__APPLE__)
#include "macos/log_sink.hpp"
#endif

#include <fmt/format.h>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace servicekit::detail {

namespace {

using namespace std::chrono_literals;

constexpr int rc_not_permitted = 1;    // EPERM: not root
constexpr int rc_no_such_process = 3;  // bootout of a target not loaded
constexpr int rc_io = 5;               // newer launchctl's answer to almost every bootstrap failure
constexpr int rc_in_progress = 36;     // bootout while it is still stopping
constexpr int rc_already = 37;         // older launchctl: bootstrap of a loaded service
constexpr int rc_not_found = 113;      // print/kickstart of a service not loaded
constexpr int rc_disabled = 119;       // older launchctl: bootstrap of a disabled label
constexpr int rc_bad_ownership = 122;  // older launchctl: plist not root-owned or writable by others
constexpr int rc_no_domain = 125;      // gui/<uid> without a GUI login
constexpr int rc_not_run = 127;        // run_command could not start launchctl
constexpr int rc_killed = 137;         // run_command's timeout

// The first non-empty line of launchctl's stderr (or stdout), trimmed.
std::string first_line(const command_result& r) {
    for (const std::string* s : {&r.err, &r.out}) {
        std::string_view v = *s;
        while (!v.empty()) {
            const auto nl = v.find('\n');
            std::string_view line = v.substr(0, nl);
            v = nl == std::string_view::npos ? std::string_view{} : v.substr(nl + 1);
            while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
            while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
                line.remove_suffix(1);
            if (!line.empty()) return std::string(line);
        }
    }
    return "no message";
}

class launchd_backend final : public backend {
public:
    explicit launchd_backend(launchd_environment env) : env_(std::move(env)) {}

    std::string_view platform() const override { return "darwin-launchd"; }
    std::string render(const config& cfg) const override { return render_launchd_plist(cfg); }

    void install(const config& cfg, install_mode mode) override {
        const std::string text = render_launchd_plist(cfg);
        const auto path = launchd_plist_path(env_, cfg);
        installed_job old;
        old.plist = own_plist(cfg, path);
        if (old.plist && mode == install_mode::fail_if_exists)
            throw error(errc::already_installed,
                        fmt::format("{} is already installed ({}): use `install --force` to replace it, or `uninstall` it first",
                                    cfg.name, path.string()));

        if (old.plist) {
            old.target = loaded_target(cfg);
            old.running = old.target && print(*old.target).state == "running";
            if (old.target) old.disabled = label_disabled(cfg, *old.target);
        }
        // The log folders this install creates, removed again if it fails.
        std::vector<std::filesystem::path> made;
        const auto remove_made = [&made] {
            for (const auto& dir : made) {
                std::error_code ignored;
                std::filesystem::remove_all(dir, ignored);
            }
        };
        try {
            for (const auto* p : {&cfg.launchd.standard_out_path, &cfg.launchd.standard_error_path})
                if (!p->empty())
                    if (auto top = make_log_directory(cfg, *p)) made.push_back(std::move(*top));
        } catch (...) {
            remove_made();
            throw;
        }

        try {
            if (old.target) unload(cfg, *old.target);
            write_file_atomic(path, text, 0644, owner(cfg));
            // launchd loads every plist in the folder at boot unless the label is
            // disabled (the plist's own Disabled key is not what launchctl
            // enable sets), and a loaded job whose KeepAlive is true or has
            // SuccessfulExit runs whatever RunAtLoad says: a manual job's
            // label is disabled too, and start enables it only to load it.
            set_enabled(cfg, starts_at_boot(cfg));
            // A job replaced with start type disabled stays booted out: launchd
            // would refuse to bootstrap it anyway.
            if (old.running && cfg.start_type != start_type::disabled) start_installed(cfg, path);
        } catch (...) {
            try {
                put_back(cfg, old);
            } catch (...) {
                // The first error is the one to report.
            }
            remove_made();
            throw;
        }
    }

    void uninstall(const config& cfg) override {
        const auto path = require_plist(cfg);
        if (const auto target = loaded_target(cfg)) unload(cfg, *target);
        remove_file(path);
    }

    // The plist must be servicekit's: a wrong --name or launchd.label must
    // not stop, start or remove another program's job.
    void start(const config& cfg) override { start_installed(cfg, require_plist(cfg)); }

    void stop(const config& cfg) override {
        require_plist(cfg);
        // Installed and not loaded: already stopped.
        if (const auto target = loaded_target(cfg)) unload(cfg, *target);
    }

    void restart(const config& cfg) override {
        const auto path = require_plist(cfg);
        const auto target = loaded_target(cfg);
        if (!target) {
            start_installed(cfg, path);
            return;
        }
        const auto before = print(*target).pid;
        kickstart(cfg, *target, true);
        wait_running(cfg, *target, before);
    }

    // Only this service's own job: not another program's of the label, nor
    // another instance's that shares a launchd.label.
    status_info query(const config& cfg) const override {
        status_info info;
        if (!own_plist(cfg, launchd_plist_path(env_, cfg))) {
            info.state = status::not_installed;
            return info;
        }
        const auto target = loaded_target(cfg);
        if (!target) {
            info.state = status::stopped;
            info.detail = "not loaded";
            return info;
        }
        const auto p = print(*target);
        info.detail = p.state.empty() ? "loaded" : p.state;
        if (p.state == "running") {
            info.state = status::running;
            info.pid = p.pid;
        } else if (p.state == "not running" || p.state == "waiting" || p.state == "exited" ||
                   p.state == "spawn scheduled" || p.state.empty()) {
            info.state = status::stopped;
        } else {
            info.state = status::unknown;
        }
        return info;
    }

    int run(const config& cfg, service& svc) override {
        // launchd sets XPC_SERVICE_NAME to the job's label. Terminal sessions
        // also carry the variable ("0", or application.com.apple.Terminal.<UUID>),
        // so only our own label means "started by launchd".
        const char* xpc = std::getenv("XPC_SERVICE_NAME");
        const bool under_launchd = xpc != nullptr && launchd_label(cfg) == xpc;
        if (!under_launchd) {
            terminal_link link;
            return posix::run_with_signals(cfg, svc, link, make_terminal_sink());
        }
        launchd_link link;
#if defined(__APPLE__)
        auto sink = make_os_log_sink(launchd_label(cfg), "service");
#else
        // The cross-platform test build has no os_log: log to stderr, which
        // launchd sends to StandardErrorPath (or drops when it is not set).
        spdlog::sink_ptr sink = make_terminal_sink();
#endif
        return posix::run_with_signals(cfg, svc, link, std::move(sink));
    }

private:
    // launchd has no readiness or status protocol: it only sees the process.
    class launchd_link final : public manager_link {
    public:
        bool interactive() const override { return false; }
    };

    launchd_environment env_;

    // What install --force replaces, so that a failed install can put it back.
    struct installed_job {
        std::optional<std::string> plist;   // the file's text; none when there was no file
        std::optional<std::string> target;  // where the job was loaded, if it was
        bool running = false;
        std::optional<bool> disabled;  // of a loaded job: its label disabled meanwhile (`launchctl disable`)
    };

    // Undoes a failed install. What is loaded now is the new definition or
    // the old one still stopping; either must go before the old plist is
    // bootstrapped. A loaded job's label was enabled when launchd loaded it
    // (it bootstraps no disabled one), but may have been disabled since,
    // which keeps the job loaded and only stops the next load: the label is
    // enabled to bootstrap the job and then disabled again. A job that was
    // not loaded: install's last step was the enable/disable that failed, so
    // the label is as it was.
    void put_back(const config& cfg, const installed_job& old) const {
        const auto path = launchd_plist_path(env_, cfg);
        if (old.target)
            if (const auto now = loaded_target(cfg)) unload(cfg, *now);
        if (old.plist) write_file_atomic(path, *old.plist, 0644, owner(cfg));
        else remove_file(path);
        if (!old.target) return;
        set_enabled(cfg, true);
        const std::string target = bootstrap(cfg, path);
        if (old.running) {
            kickstart(cfg, target, false);  // no-op when RunAtLoad already started it
            wait_running(cfg, target, std::nullopt);
        }
        if (old.disabled == true) set_enabled(cfg, false);
    }

    // Whether the label of the job loaded as `target` (<domain>/<label>) is
    // disabled, from `launchctl print-disabled <domain>`; nullopt when
    // launchctl does not say. Only a rollback needs it, so a failed query is
    // no error.
    std::optional<bool> label_disabled(const config& cfg, const std::string& target) const {
        const auto r = launchctl({"print-disabled", target.substr(0, target.rfind('/'))});
        if (!r.ok()) return std::nullopt;
        return parse_launchctl_disabled(r.out, launchd_label(cfg));
    }

    static error not_installed(const config& cfg) {
        return error(errc::not_installed, fmt::format("{} is not installed: run `install` first", cfg.name));
    }

    static void refuse_foreign(const config& cfg, const std::filesystem::path& path, std::string_view plist) {
        if (!written_by_servicekit(plist))
            throw error(errc::already_installed,
                        fmt::format("{} was not written by servicekit: it is another program's job; "
                                    "choose another --name (or launchd.label)",
                                    quote_for_message(path.string())));
        if (!runs_instance(plist, cfg.name))
            throw error(errc::already_installed,
                        fmt::format("{} is another instance's job (not --name {}), installed with the same "
                                    "launchd.label {}: give each instance a launchd.label of its own",
                                    quote_for_message(path.string()), cfg.name, launchd_label(cfg)));
    }

    // The plist's text when there is one; another program's is refused.
    std::optional<std::string> own_plist(const config& cfg, const std::filesystem::path& path) const {
        if (!exists(path)) return std::nullopt;
        auto text = read_plist(path);
        refuse_foreign(cfg, path, text);
        return text;
    }

    // The installed plist, checked to be servicekit's.
    std::filesystem::path require_plist(const config& cfg) const {
        auto path = launchd_plist_path(env_, cfg);
        if (!own_plist(cfg, path)) throw not_installed(cfg);
        return path;
    }

    // start() once the plist at `path` is known to be servicekit's.
    void start_installed(const config& cfg, const std::filesystem::path& path) const {
        if (auto target = loaded_target(cfg)) {
            if (print(*target).state != "running") kickstart(cfg, *target, false);
            wait_running(cfg, *target, std::nullopt);
            return;
        }
        if (cfg.start_type != start_type::disabled) set_enabled(cfg, true);
        const std::string target = bootstrap(cfg, path);
        // A manual job's label is enabled only to load it: disabled again, it
        // stays loaded (and KeepAlive acts) but is not loaded at the next boot.
        if (cfg.start_type == start_type::manual) set_enabled(cfg, false);
        // RunAtLoad is false for manual start types: bootstrap only loads it.
        if (cfg.start_type == start_type::manual || cfg.start_type == start_type::disabled) {
            if (print(target).state != "running") kickstart(cfg, target, false);
        }
        wait_running(cfg, target, std::nullopt);
    }

    bool exists(const std::filesystem::path& p) const {
        struct stat st {};
        return ::lstat(p.c_str(), &st) == 0;
    }

    static std::string read_plist(const std::filesystem::path& p) {
        if (auto text = read_file(p)) return std::move(*text);
        throw error(errc::io, fmt::format("cannot read {}: {}", quote_for_message(p.string()), std::strerror(errno)));
    }

    // Daemons must be root:wheel, or launchd refuses them ("bad ownership").
    static std::optional<file_owner> owner(const config& cfg) {
        if (cfg.scope == scope::system) return file_owner{0, 0};
        return std::nullopt;
    }

    // launchd does not create the folders of StandardOutPath/StandardErrorPath.
    // Returns the outermost folder it created, for a failed install to
    // remove; nothing when the folder was there.
    std::optional<std::filesystem::path> make_log_directory(const config& cfg, const std::filesystem::path& log) const {
        const auto dir = env_.root / log.parent_path().relative_path();
        std::error_code ec;
        if (std::filesystem::is_directory(dir, ec)) return std::nullopt;
        auto top = dir;
        while (top.has_parent_path() && top.parent_path() != top && !std::filesystem::exists(top.parent_path(), ec))
            top = top.parent_path();
        std::filesystem::create_directories(dir, ec);
        if (ec == std::errc::permission_denied)
            throw error(errc::permission_denied,
                        fmt::format("cannot create the log folder {} of {}: {}{}", quote_for_message(dir.string()),
                                    cfg.name, ec.message(),
                                    cfg.scope == scope::system ? "; run with sudo, or use --user" : ""));
        if (ec)
            throw error(errc::io, fmt::format("cannot create the log folder {} of {}: {}",
                                              quote_for_message(dir.string()), cfg.name, ec.message()));
        return top;
    }

    std::vector<std::string> domains(const config& cfg) const {
        if (cfg.scope == scope::system) return {"system"};
        // gui/<uid> exists only while the user is logged in at the console;
        // user/<uid> always does (ssh sessions, headless machines).
        return {fmt::format("gui/{}", env_.uid), fmt::format("user/{}", env_.uid)};
    }

    command_result launchctl(std::vector<std::string> args) const {
        args.insert(args.begin(), env_.launchctl.string());
        auto r = env_.run(args);
        if (r.exit_code == rc_not_run)
            throw error(errc::manager_unavailable,
                        fmt::format("cannot run {}: {} (launchd is macOS's service manager)", env_.launchctl.string(),
                                    first_line(r)));
        if (r.exit_code == rc_killed)
            throw error(errc::timeout, fmt::format("`{}` did not finish in time", describe_command(args)));
        return r;
    }

    [[noreturn]] void fail(const config& cfg, const std::vector<std::string>& args, const command_result& r) const {
        const std::string cmd = describe_command(args);
        const std::string said = first_line(r);
        switch (r.exit_code) {
            case rc_not_permitted:
                throw error(errc::permission_denied,
                            cfg.scope == scope::system
                                ? fmt::format("`launchctl {}` was refused ({}): run with sudo", cmd, said)
                                : fmt::format("`launchctl {}` was refused ({})", cmd, said));
            case rc_disabled:
                throw error(errc::manager_failed,
                            fmt::format("`launchctl {}`: {}: the label is disabled (start type disabled?); "
                                        "change its start type (`install --force`)",
                                        cmd, said));
            case rc_bad_ownership:
                throw error(errc::manager_failed,
                            fmt::format("`launchctl {}`: {}: the plist must be a regular file owned by root:wheel, "
                                        "mode 0644; run `install --force`",
                                        cmd, said));
            case rc_no_domain:
                throw error(errc::manager_unavailable,
                            fmt::format("`launchctl {}`: {}: no launchd domain for this user", cmd, said));
            default:
                throw error(errc::manager_failed, fmt::format("`launchctl {}` failed ({}): {}", cmd, r.exit_code, said));
        }
    }

    // The service target where the job is loaded, if it is.
    std::optional<std::string> loaded_target(const config& cfg) const {
        for (const auto& d : domains(cfg)) {
            const std::string target = d + "/" + launchd_label(cfg);
            const auto r = launchctl({"print", target});
            if (r.ok()) return target;
            if (r.exit_code != rc_not_found && r.exit_code != rc_no_domain) fail(cfg, {"print", target}, r);
        }
        return std::nullopt;
    }

    // Empty state when the job disappeared meanwhile.
    launchd_print_info print(const std::string& target) const {
        const auto r = launchctl({"print", target});
        if (!r.ok()) return {};
        return parse_launchctl_print(r.out);
    }

    void set_enabled(const config& cfg, bool enabled) const {
        const auto ds = domains(cfg);
        for (std::size_t i = 0; i < ds.size(); ++i) {
            const std::vector<std::string> args{enabled ? "enable" : "disable", ds[i] + "/" + launchd_label(cfg)};
            const auto r = launchctl(args);
            if (r.ok()) return;
            if (r.exit_code == rc_no_domain && i + 1 < ds.size()) continue;
            fail(cfg, args, r);
        }
    }

    void kickstart(const config& cfg, const std::string& target, bool kill) const {
        std::vector<std::string> args{"kickstart"};
        if (kill) args.emplace_back("-k");
        args.push_back(target);
        const auto r = launchctl(args);
        if (!r.ok()) fail(cfg, args, r);
    }

    // Returns the target it loaded (or found loaded). A disabled label is refused.
    std::string bootstrap(const config& cfg, const std::filesystem::path& plist) const {
        const auto ds = domains(cfg);
        for (std::size_t i = 0; i < ds.size(); ++i) {
            const std::string target = ds[i] + "/" + launchd_label(cfg);
            const std::vector<std::string> args{"bootstrap", ds[i], plist.string()};
            auto delay = env_.bootstrap_backoff;
            for (int attempt = 1;; ++attempt) {
                const auto r = launchctl(args);
                if (r.ok()) return target;
                if (r.exit_code == rc_no_domain && i + 1 < ds.size()) break;  // next domain
                if (r.exit_code != rc_io && r.exit_code != rc_already) fail(cfg, args, r);
                // 5/37: already loaded (perhaps by someone else just now), or a
                // bootout still finishing; newer launchctl also says 5 for a
                // disabled label and a plist with bad ownership.
                if (launchctl({"print", target}).ok()) return target;
                if (attempt == 5) explain_bootstrap_failure(cfg, args, plist, r);
                env_.sleep(delay);
                delay *= 2;
            }
        }
        throw error(errc::manager_unavailable, fmt::format("no launchd domain accepted {}", cfg.name));
    }

    [[noreturn]] void explain_bootstrap_failure(const config& cfg, const std::vector<std::string>& args,
                                                const std::filesystem::path& plist, const command_result& r) const {
        struct stat st {};
        if (cfg.scope == scope::system && ::lstat(plist.c_str(), &st) == 0 &&
            (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022) != 0))
            fail(cfg, args, command_result{rc_bad_ownership, {}, r.err});
        throw error(errc::manager_failed,
                    fmt::format("`launchctl {}` failed ({}): {}: the label may be disabled (`launchctl enable {}/{}`)",
                                describe_command(args), r.exit_code, first_line(r), domains(cfg).front(),
                                launchd_label(cfg)));
    }

    // bootout, then wait until the job is gone: bootout only sends SIGTERM
    // (SIGKILL after ExitTimeOut) and returns at once.
    void unload(const config& cfg, const std::string& target) const {
        const std::vector<std::string> args{"bootout", target};
        const auto r = launchctl(args);
        if (!r.ok() && r.exit_code != rc_no_such_process && r.exit_code != rc_not_found &&
            r.exit_code != rc_in_progress)
            fail(cfg, args, r);
        const auto bound = std::chrono::seconds(launchd_exit_timeout(cfg)) + env_.stop_margin;
        const auto deadline = std::chrono::steady_clock::now() + bound;
        auto delay = 20ms;
        for (;;) {
            const auto p = launchctl({"print", target});
            if (p.exit_code == rc_not_found) return;
            if (!p.ok()) fail(cfg, {"print", target}, p);
            if (std::chrono::steady_clock::now() >= deadline)
                throw error(errc::timeout,
                            fmt::format("{} did not stop within {} s (`launchctl bootout {}` still in progress)",
                                        cfg.name, std::chrono::duration_cast<std::chrono::seconds>(bound).count(),
                                        target));
            env_.sleep(delay);
            delay = std::min(delay * 2, std::chrono::milliseconds(200));
        }
    }

    // Until print says running (with a new pid after kickstart -k).
    void wait_running(const config& cfg, const std::string& target, std::optional<long long> old_pid) const {
        const auto deadline = std::chrono::steady_clock::now() + env_.start_wait;
        auto delay = 20ms;
        launchd_print_info p;
        for (;;) {
            p = print(target);
            if (p.state == "running" && (!old_pid || p.pid != old_pid)) return;
            if (std::chrono::steady_clock::now() >= deadline) break;
            env_.sleep(delay);
            delay = std::min(delay * 2, std::chrono::milliseconds(200));
        }
        throw error(errc::timeout,
                    fmt::format("{} did not reach running within {} ms (launchd state: {}): it may exit at once; "
                                "run it in the foreground with `run` to see why",
                                cfg.name, env_.start_wait.count(), p.state.empty() ? "not loaded" : p.state));
    }
};

}  // namespace

std::filesystem::path launchd_plist_path(const launchd_environment& env, const config& cfg) {
    const std::string file = launchd_label(cfg) + ".plist";
    if (cfg.scope == scope::system) return env.root / "Library/LaunchDaemons" / file;
    return env.root / env.home.relative_path() / "Library/LaunchAgents" / file;
}

launchd_environment native_launchd_environment() {
    launchd_environment env;
    env.uid = static_cast<unsigned>(::geteuid());
    // The agent belongs to the effective user; under sudo, $HOME may still
    // name the invoking user's home.
    if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_dir != nullptr && *pw->pw_dir == '/') {
        env.home = pw->pw_dir;
    } else if (const char* h = std::getenv("HOME"); h != nullptr && *h == '/') {
        env.home = h;
    }
#if defined(SERVICEKIT_LAUNCHD_INJECTABLE)
    // Cross-platform test build only; a native macOS build never reads these.
    if (const char* p = std::getenv("SERVICEKIT_LAUNCHCTL"); p != nullptr && *p != '\0') env.launchctl = p;
    if (const char* r = std::getenv("SERVICEKIT_ROOT"); r != nullptr && *r != '\0') env.root = r;
#endif
    env.run = [](const std::vector<std::string>& argv) { return run_command(argv, std::chrono::seconds(30)); };
    env.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    return env;
}

std::unique_ptr<backend> make_launchd_backend(launchd_environment env) {
    return std::make_unique<launchd_backend>(std::move(env));
}

}  // namespace servicekit::detail
