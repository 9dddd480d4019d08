// The systemd driver against a fake systemctl and a scratch root: the order
// of the systemctl calls, rollback when one fails, the error each failure
// becomes, and where units go.
#include <doctest/doctest.h>

#include <servicekit/error.hpp>

#include "linux/systemd_backend.hpp"
#include "linux/systemd_unit.hpp"
#include "test_support.hpp"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
    static String convert(const std::vector<std::string>& v) {
        std::string s = "{";
        for (const auto& e : v) s += (s.size() > 1 ? ", \"" : "\"") + e + "\"";
        return (s + "}").c_str();
    }
};
}  // namespace doctest

using namespace servicekit;
namespace sd = servicekit::detail::systemd;
using detail::command_result;

namespace {

using test::scratch_dir;

// A systemctl that answers from a script: `show` from `state`, every other
// verb from `results` (default: success), and records every call.
struct fake_systemctl {
    std::string state = "LoadState=not-found\nActiveState=inactive\nSubState=dead\nMainPID=0\nResult=success\n";
    std::map<std::string, command_result> results;
    std::vector<std::string> calls;  // "verb unit…", without "systemctl" and "--user"
    bool saw_user = false;

    command_result operator()(const std::vector<std::string>& argv) {
        REQUIRE(argv.size() >= 2);
        CHECK(argv[0] == "systemctl");
        std::size_t i = 1;
        if (argv[1] == "--user") {
            saw_user = true;
            ++i;
        }
        std::string call;
        for (std::size_t k = i; k < argv.size(); ++k) {
            if (argv[k] == "-p") {  // show's property list is the driver's business
                ++k;
                continue;
            }
            call += (call.empty() ? "" : " ") + argv[k];
        }
        calls.push_back(call);
        if (argv[i] == "show") return {0, state, ""};
        if (const auto it = results.find(argv[i]); it != results.end()) return it->second;
        // What systemctl 252 says of a unit it does not know.
        const bool unknown = state.find("LoadState=not-found") != std::string::npos;
        if (unknown && (argv[i] == "start" || argv[i] == "restart"))
            return {5, "", "Failed to " + argv[i] + " " + argv.back() + ": Unit " + argv.back() + " not found.\n"};
        if (unknown && argv[i] == "stop")
            return {5, "", "Failed to stop " + argv.back() + ": Unit " + argv.back() + " not loaded.\n"};
        return {0, "", ""};
    }
};

struct fixture {
    scratch_dir root;
    fake_systemctl systemctl;
    std::map<std::string, std::string> env{{"HOME", "/home/alice"}};
    std::unique_ptr<detail::backend> backend;

    fixture() {
        sd::driver_seams seams;
        seams.run = [this](const std::vector<std::string>& argv, std::chrono::milliseconds) { return systemctl(argv); };
        seams.root = root.path;
        seams.getenv = [this](const char* name) -> std::optional<std::string> {
            const auto it = env.find(name);
            return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
        };
        backend = sd::make_backend(std::move(seams));
    }
    std::filesystem::path unit_file(const std::string& name = "myd") const {
        return root.path / "etc/systemd/system" / (name + ".service");
    }
    void running(long long pid = 42) {
        systemctl.state = "LoadState=loaded\nActiveState=active\nSubState=running\nMainPID=" + std::to_string(pid) +
                          "\nResult=success\nFragmentPath=/etc/systemd/system/myd.service\n";
    }
    void stopped() {
        systemctl.state = "LoadState=loaded\nActiveState=inactive\nSubState=dead\nMainPID=0\nResult=success\n"
                          "FragmentPath=/etc/systemd/system/myd.service\n";
    }
};

config cfg() {
    config c;
    c.name = "myd";
    c.executable = "/usr/bin/myd";
    return c;
}

std::string read(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

errc reason_of(const std::function<void()>& f, std::string* message = nullptr) {
    try {
        f();
    } catch (const error& e) {
        if (message != nullptr) *message = e.what();
        return e.reason();
    }
    FAIL("no servicekit::error thrown");
    return errc::io;
}

using calls = std::vector<std::string>;

}  // namespace

TEST_CASE("systemd driver: install writes the unit and enables it (enable reloads systemd)") {
    fixture f;
    f.backend->install(cfg(), install_mode::fail_if_exists);
    CHECK(read(f.unit_file()) == detail::render_systemd_unit(cfg()));
    struct stat st {};
    REQUIRE(::stat(f.unit_file().c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0644);
    CHECK(f.systemctl.calls == calls{"show myd.service", "enable myd.service"});
    CHECK_FALSE(f.systemctl.saw_user);
}

TEST_CASE("systemd driver: manual and disabled start types are installed, not enabled") {
    for (const auto type : {start_type::manual, start_type::disabled}) {
        fixture f;
        config c = cfg();
        c.start_type = type;
        f.backend->install(c, install_mode::fail_if_exists);
        CHECK(std::filesystem::exists(f.unit_file()));
        CHECK(f.systemctl.calls == calls{"show myd.service", "daemon-reload"});
    }
}

TEST_CASE("systemd driver: a failing step rolls the install back") {
    // enable for a unit enabled at boot, daemon-reload for a manual one
    for (const auto& [failing, type] : {std::pair{"enable", start_type::automatic},
                                        std::pair{"daemon-reload", start_type::manual}}) {
        CAPTURE(failing);
        fixture f;
        config c = cfg();
        c.start_type = type;
        f.systemctl.results[failing] = {1, "", "Failed to " + std::string(failing) + ": Transport endpoint is not connected"};
        std::string message;
        CHECK(reason_of([&] { f.backend->install(c, install_mode::fail_if_exists); }, &message) ==
              errc::manager_failed);
        CHECK(message.find("Transport endpoint is not connected") != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(f.unit_file()));
        CHECK(f.systemctl.calls.back() == "daemon-reload");  // systemd forgets the removed unit
    }
}

TEST_CASE("systemd driver: install over an existing unit") {
    fixture f;
    f.backend->install(cfg(), install_mode::fail_if_exists);
    const auto first = read(f.unit_file());
    f.stopped();
    f.systemctl.calls.clear();

    config changed = cfg();
    changed.arguments = {"--new"};
    std::string message;
    CHECK(reason_of([&] { f.backend->install(changed, install_mode::fail_if_exists); }, &message) ==
          errc::already_installed);
    CHECK(message.find("install --force") != std::string::npos);
    CHECK(read(f.unit_file()) == first);
    CHECK(f.systemctl.calls.empty());

    SUBCASE("replace, stopped: rewrite, reload, enable; not started") {
        f.backend->install(changed, install_mode::replace);
        CHECK(read(f.unit_file()) == detail::render_systemd_unit(changed));
        CHECK(f.systemctl.calls == calls{"show myd.service", "is-enabled myd.service", "daemon-reload", "enable myd.service"});
    }
    SUBCASE("replace, running: stop first, start again after") {
        f.running();
        f.backend->install(changed, install_mode::replace);
        CHECK(f.systemctl.calls == calls{"show myd.service", "is-enabled myd.service", "stop myd.service",
                                         "daemon-reload", "enable myd.service", "start myd.service"});
    }
    SUBCASE("replace with a new start type disables it") {
        config manual = changed;
        manual.start_type = start_type::manual;
        f.backend->install(manual, install_mode::replace);
        CHECK(f.systemctl.calls.back() == "disable myd.service");
    }
    SUBCASE("replace failing puts the old unit back and starts it again") {
        f.running();
        f.systemctl.results["enable"] = {1, "", "Failed to enable unit: something broke"};
        CHECK(reason_of([&] { f.backend->install(changed, install_mode::replace); }) == errc::manager_failed);
        CHECK(read(f.unit_file()) == first);
        CHECK(f.systemctl.calls.back() == "start myd.service");
    }
    SUBCASE("replace whose new unit does not start puts the old one back and starts it") {
        f.running();
        f.systemctl.results["start"] = {1, "", "Job for myd.service failed because the control process exited with error code."};
        CHECK(reason_of([&] { f.backend->install(changed, install_mode::replace); }) == errc::manager_failed);
        CHECK(read(f.unit_file()) == first);
        CHECK(f.systemctl.calls == calls{"show myd.service", "is-enabled myd.service", "stop myd.service",
                                         "daemon-reload", "enable myd.service", "start myd.service",
                                         "stop myd.service", "daemon-reload", "enable myd.service", "start myd.service"});
    }
}

TEST_CASE("systemd driver: a link at the unit's path (another unit's alias) is not touched") {
    fixture f;
    const auto dir = f.unit_file().parent_path();
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "realweb.service") << "[Service]\nExecStart=/bin/true\n";
    std::filesystem::create_symlink("realweb.service", f.unit_file());
    for (const auto mode : {install_mode::fail_if_exists, install_mode::replace}) {
        std::string message;
        CHECK(reason_of([&] { f.backend->install(cfg(), mode); }, &message) == errc::already_installed);
        CHECK(message.find("is a link to realweb.service") != std::string::npos);
    }
    CHECK(reason_of([&] { f.backend->uninstall(cfg()); }) == errc::already_installed);
    CHECK(f.systemctl.calls.empty());
    CHECK(std::filesystem::is_symlink(f.unit_file()));
    CHECK(read(dir / "realweb.service") == "[Service]\nExecStart=/bin/true\n");
}

TEST_CASE("systemd driver: a unit file servicekit did not write is not replaced or removed") {
    fixture f;
    std::filesystem::create_directories(f.unit_file().parent_path());
    const std::string admins = "# the administrator's own\n[Service]\nExecStart=/usr/local/bin/backup\n";
    std::ofstream(f.unit_file()) << admins;
    for (const auto mode : {install_mode::fail_if_exists, install_mode::replace}) {
        std::string message;
        CHECK(reason_of([&] { f.backend->install(cfg(), mode); }, &message) == errc::already_installed);
        CHECK(message.find("was not written by servicekit") != std::string::npos);
        CHECK(message.find("choose another --name") != std::string::npos);
    }
    CHECK(reason_of([&] { f.backend->uninstall(cfg()); }) == errc::already_installed);
    CHECK(reason_of([&] { f.backend->start(cfg()); }) == errc::already_installed);
    CHECK(reason_of([&] { f.backend->stop(cfg()); }) == errc::already_installed);
    CHECK(reason_of([&] { f.backend->restart(cfg()); }) == errc::already_installed);
    std::string message;  // `--name ssh status` does not report another program's ssh.service either
    CHECK(reason_of([&] { (void)f.backend->query(cfg()); }, &message) == errc::already_installed);
    CHECK(message.find("choose another --name") != std::string::npos);
    CHECK(f.systemctl.calls.empty());
    CHECK(read(f.unit_file()) == admins);

    // What servicekit wrote is recognised by its first line, whatever follows.
    CHECK(detail::systemd::written_by_servicekit(detail::render_systemd_unit(cfg())));
    CHECK_FALSE(detail::systemd::written_by_servicekit("[Unit]\n# myd.service, written by servicekit.\n"));
    CHECK_FALSE(detail::systemd::written_by_servicekit(""));
}

TEST_CASE("systemd driver: a unit of the same name from elsewhere is not overwritten") {
    fixture f;
    f.systemctl.state = "LoadState=loaded\nActiveState=active\nFragmentPath=/lib/systemd/system/myd.service\n";
    std::string message;
    CHECK(reason_of([&] { f.backend->install(cfg(), install_mode::fail_if_exists); }, &message) ==
          errc::already_installed);
    CHECK(message.find("/lib/systemd/system/myd.service") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(f.unit_file()));
    // Nor is it reported as this service: that is not installed.
    f.systemctl.calls.clear();
    CHECK(f.backend->query(cfg()).state == status::not_installed);
    CHECK(f.systemctl.calls.empty());
}

TEST_CASE("systemd driver: uninstall") {
    fixture f;
    CHECK(reason_of([&] { f.backend->uninstall(cfg()); }) == errc::not_installed);

    f.backend->install(cfg(), install_mode::fail_if_exists);
    f.running();
    f.systemctl.calls.clear();
    f.backend->uninstall(cfg());
    CHECK_FALSE(std::filesystem::exists(f.unit_file()));
    CHECK(f.systemctl.calls == calls{"show myd.service", "stop myd.service", "disable myd.service", "daemon-reload",
                                     "reset-failed myd.service"});

    SUBCASE("a refused stop leaves everything in place") {
        f.backend->install(cfg(), install_mode::fail_if_exists);
        f.systemctl.results["stop"] = {1, "", "Failed to stop myd.service: Access denied"};
        std::string message;
        CHECK(reason_of([&] { f.backend->uninstall(cfg()); }, &message) == errc::permission_denied);
        CHECK(message.find("run as root, or use --user") != std::string::npos);
        CHECK(std::filesystem::exists(f.unit_file()));
    }
}

TEST_CASE("systemd driver: start, stop, restart and their errors") {
    fixture f;
    CHECK(reason_of([&] { f.backend->start(cfg()); }) == errc::not_installed);
    CHECK(reason_of([&] { f.backend->stop(cfg()); }) == errc::not_installed);
    CHECK(reason_of([&] { f.backend->restart(cfg()); }) == errc::not_installed);
    CHECK(f.systemctl.calls.empty());  // no unit file: systemd is not asked

    f.backend->install(cfg(), install_mode::fail_if_exists);
    f.stopped();
    f.systemctl.calls.clear();
    f.backend->start(cfg());
    f.backend->stop(cfg());
    f.backend->restart(cfg());
    CHECK(f.systemctl.calls == calls{"start myd.service", "stop myd.service", "restart myd.service"});

    std::string message;
    f.systemctl.results["start"] = {1, "", "Failed to start myd.service: Unit myd.service is masked.\n"};
    CHECK(reason_of([&] { f.backend->start(cfg()); }, &message) == errc::manager_failed);
    CHECK(message.find("the unit is masked") != std::string::npos);
    CHECK(message.find("`systemctl unmask myd.service` first") != std::string::npos);

    f.systemctl.results["start"] = {1, "",
                                    "Job for myd.service failed because the control process exited with error code.\n"
                                    "See \"systemctl status myd.service\" and \"journalctl -xeu myd.service\" for details.\n"};
    CHECK(reason_of([&] { f.backend->start(cfg()); }, &message) == errc::manager_failed);
    CHECK(message.find("systemctl start myd.service failed: Job for myd.service failed because the control "
                       "process exited with error code; see `journalctl -u myd`") != std::string::npos);
    CHECK(message.find("journalctl -u myd") != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);

    for (const char* refusal : {"Failed to start myd.service: Access denied",
                                "Failed to start myd.service: Interactive authentication required.",
                                "Failed to start myd.service: Permission denied"}) {
        f.systemctl.results["start"] = {1, "", refusal};
        CHECK(reason_of([&] { f.backend->start(cfg()); }, &message) == errc::permission_denied);
        CHECK(message.find("run as root, or use --user") != std::string::npos);
    }
    f.systemctl.results["start"] = {137, "", "\n(killed after 150000 ms)"};
    CHECK(reason_of([&] { f.backend->start(cfg()); }) == errc::timeout);
    f.systemctl.results["stop"] = {5, "", "Failed to stop myd.service: Unit myd.service not loaded."};
    CHECK(reason_of([&] { f.backend->stop(cfg()); }) == errc::not_installed);
    // A required dependency that is missing: the service is installed.
    f.systemctl.results["start"] = {5, "", "Failed to start myd.service: Unit nosuchdep.service not found."};
    CHECK(reason_of([&] { f.backend->start(cfg()); }, &message) == errc::manager_failed);
    CHECK(message.find("nosuchdep.service not found") != std::string::npos);
}

TEST_CASE("systemd driver: status from systemctl show") {
    fixture f;
    CHECK(f.backend->query(cfg()).state == status::not_installed);
    CHECK(f.systemctl.calls.empty());  // no unit file: nothing to ask systemd
    f.backend->install(cfg(), install_mode::fail_if_exists);
    f.running(4242);
    const auto info = f.backend->query(cfg());
    CHECK(info.state == status::running);
    REQUIRE(info.pid);
    CHECK(*info.pid == 4242);

    f.systemctl.results.clear();
    f.systemctl.state = "";
    auto show_fails = [&](const std::string& err) {
        fixture g;
        g.systemctl.state = "";
        sd::driver_seams seams;
        seams.run = [&](const std::vector<std::string>&, std::chrono::milliseconds) { return command_result{1, "", err}; };
        seams.root = g.root.path;
        seams.getenv = [](const char* name) -> std::optional<std::string> {
            if (std::string_view(name) == "HOME") return "/home/alice";
            return std::nullopt;
        };
        config c = cfg();
        c.scope = scope::user;
        const auto unit = g.root.path / "home/alice/.config/systemd/user/myd.service";
        std::filesystem::create_directories(unit.parent_path());
        std::ofstream(unit) << detail::render_systemd_unit(c);
        return reason_of([&] { (void)sd::make_backend(std::move(seams))->query(c); });
    };
    CHECK(show_fails("Failed to connect to bus: No medium found") == errc::manager_unavailable);
    CHECK(show_fails("System has not been booted with systemd as init system (PID 1). Can't operate.") ==
          errc::manager_unavailable);
}

TEST_CASE("systemd driver: parse_show maps every state") {
    using sd::parse_show;
    CHECK(parse_show("LoadState=not-found\nActiveState=inactive\n").state == status::not_installed);
    CHECK(parse_show("").state == status::not_installed);
    const auto failed = parse_show("LoadState=loaded\nActiveState=failed\nSubState=failed\nMainPID=0\nResult=exit-code\n");
    CHECK(failed.state == status::stopped);
    CHECK(failed.detail == "failed, Result: exit-code");
    CHECK_FALSE(failed.pid);
    CHECK(parse_show("LoadState=loaded\nActiveState=activating\nSubState=auto-restart\nResult=signal\n").state ==
          status::starting);
    CHECK(parse_show("LoadState=loaded\nActiveState=deactivating\nSubState=stop-sigterm\n").state == status::stopping);
    CHECK(parse_show("LoadState=loaded\nActiveState=reloading\nSubState=reload\nMainPID=7\n").state == status::running);
    CHECK(parse_show("LoadState=loaded\nActiveState=maintenance\n").state == status::unknown);
    const auto running = parse_show("LoadState=loaded\nActiveState=active\nSubState=running\nMainPID=99\n"
                                    "Result=success\nStatusText=serving 3 clients\n");
    CHECK(running.detail == "active (running): serving 3 clients");
    CHECK(running.pid == 99);
    const auto stopped = parse_show("LoadState=loaded\nActiveState=inactive\nSubState=dead\nMainPID=0\n"
                                    "Result=success\nStatusText=serving 3 clients\n");
    CHECK(stopped.detail == "inactive (dead), last status: serving 3 clients");
}

TEST_CASE("systemd driver: user scope paths and systemctl --user") {
    fixture f;
    config c = cfg();
    c.scope = scope::user;
    f.backend->install(c, install_mode::fail_if_exists);
    CHECK(f.systemctl.saw_user);
    CHECK(std::filesystem::exists(f.root.path / "home/alice/.config/systemd/user/myd.service"));
    CHECK(read(f.root.path / "home/alice/.config/systemd/user/myd.service").find("WantedBy=default.target") !=
          std::string::npos);

    sd::driver_seams seams;
    seams.root = "/";
    std::map<std::string, std::string> env{{"HOME", "/home/bob"}, {"XDG_CONFIG_HOME", "/cfg/bob"}};
    seams.getenv = [&](const char* name) -> std::optional<std::string> {
        const auto it = env.find(name);
        return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    CHECK(sd::unit_directory(scope::user, seams) == "/cfg/bob/systemd/user");
    CHECK(sd::unit_directory(scope::system, seams) == "/etc/systemd/system");
    env["XDG_CONFIG_HOME"] = "relative/ignored";
    CHECK(sd::unit_directory(scope::user, seams) == "/home/bob/.config/systemd/user");
    env.clear();
    CHECK(reason_of([&] { (void)sd::unit_directory(scope::user, seams); }) == errc::invalid_config);
}

TEST_CASE("systemd driver: what systemd cannot take is refused before anything happens") {
    fixture f;
    config c = cfg();
    c.user = "9lives";
    CHECK(reason_of([&] { f.backend->install(c, install_mode::fail_if_exists); }) == errc::invalid_config);
    CHECK(f.systemctl.calls.empty());
    CHECK_FALSE(std::filesystem::exists(f.unit_file()));
}
