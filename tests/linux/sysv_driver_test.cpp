// The SysV driver against a scratch root and a fake command runner: what it
// writes, which commands it runs in which order, rollback when a step fails,
// and the error each failure becomes. Then run() as the init script starts
// it: readiness to start-stop-daemon's socket, the marker consumed.
#include <doctest/doctest.h>

#include <servicekit/error.hpp>
#include <servicekit/run.hpp>

#include "linux/sysv_backend.hpp"
#include "linux/sysv_script.hpp"
#include "test_support.hpp"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace servicekit;
namespace sysv = servicekit::detail::sysv;
namespace fs = std::filesystem;
using detail::command_result;

namespace {

// Answers the driver's commands: the init script (through `env -i PATH=…`)
// and update-rc.d. Records each as "script <verb>" or "update-rc.d <args>".
struct fake_runner {
    fs::path root;
    std::string name;
    int status_code = 3;                           // what `script status` exits with
    std::map<std::string, std::vector<command_result>> results;  // per call, consumed in order
    std::vector<std::string> calls;

    command_result operator()(const std::vector<std::string>& argv) {
        std::string call;
        if (argv.at(0) == "env") {
            REQUIRE(argv.size() == 5);
            CHECK(argv[1] == "-i");
            CHECK(argv[2].starts_with("PATH=/"));
            CHECK(argv[3] == (root / "etc/init.d" / name).string());
            call = "script " + argv[4];
        } else {
            CHECK(argv[0] == (root / "usr/sbin/update-rc.d").string());
            call = "update-rc.d";
            for (std::size_t i = 1; i < argv.size(); ++i) call += " " + argv[i];
        }
        calls.push_back(call);
        if (auto it = results.find(call); it != results.end() && !it->second.empty()) {
            auto r = it->second.front();
            it->second.erase(it->second.begin());
            return r;
        }
        if (call == "script status") return {status_code, "", ""};
        return {0, "", ""};
    }
};

struct fixture {
    test::scratch_dir dir;
    fake_runner fake;
    sysv::script_backend backend;
    config cfg;

    fixture() : backend(dir.path, [this](const std::vector<std::string>& argv) { return fake(argv); }) {
        cfg.name = "myd";
        cfg.executable = "/usr/bin/myd";
        cfg.arguments = {"a b"};
        fake.root = dir.path;
        fake.name = cfg.name;
    }
    fs::path script() const { return dir.path / "etc/init.d/myd"; }
    fs::path pid_file() const { return dir.path / "run/servicekit-myd.pid"; }
    void with_update_rc_d() const {
        fs::create_directories(dir.path / "usr/sbin");
        std::ofstream(dir.path / "usr/sbin/update-rc.d") << "#!/bin/sh\n";
    }
    // "rc2.d/S01myd -> ../init.d/myd", sorted.
    std::set<std::string> links() const {
        std::set<std::string> out;
        std::error_code ec;
        for (const auto& d : fs::directory_iterator(dir.path / "etc", ec)) {
            if (!d.path().filename().string().starts_with("rc")) continue;
            for (const auto& e : fs::directory_iterator(d.path()))
                if (e.is_symlink())
                    out.insert(d.path().filename().string() + "/" + e.path().filename().string() + " -> " +
                               fs::read_symlink(e.path()).string());
        }
        return out;
    }
};

const std::set<std::string> automatic_links{
    "rc0.d/K01myd -> ../init.d/myd", "rc1.d/K01myd -> ../init.d/myd", "rc2.d/S01myd -> ../init.d/myd",
    "rc3.d/S01myd -> ../init.d/myd", "rc4.d/S01myd -> ../init.d/myd", "rc5.d/S01myd -> ../init.d/myd",
    "rc6.d/K01myd -> ../init.d/myd"};
const std::set<std::string> manual_links{"rc0.d/K01myd -> ../init.d/myd", "rc1.d/K01myd -> ../init.d/myd",
                                         "rc6.d/K01myd -> ../init.d/myd"};

using calls = std::vector<std::string>;

}  // namespace

TEST_CASE("sysv driver: install writes the script and makes the rc links itself without update-rc.d") {
    fixture f;
    fs::create_directories(f.dir.path / "etc/rc3.d");
    fs::create_symlink("../init.d/myd", f.dir.path / "etc/rc3.d/S99myd");  // left behind by hand
    f.backend.install(f.cfg, install_mode::fail_if_exists);
    CHECK(test::read_all(f.script()) == sysv::render_sysv_script(f.cfg));
    CHECK(f.backend.render(f.cfg) == sysv::render_sysv_script(f.cfg));
    struct stat st {};
    REQUIRE(::stat(f.script().c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0755);
    CHECK(f.links() == automatic_links);
    CHECK(f.fake.calls.empty());

    test::check_throws(errc::already_installed, "install --force", [&] {
        f.cfg.arguments = {"other"};
        f.backend.install(f.cfg, install_mode::fail_if_exists);
    });
    f.cfg.arguments = {"a b"};
    CHECK(test::read_all(f.script()) == sysv::render_sysv_script(f.cfg));
}

TEST_CASE("sysv driver: install through update-rc.d when it exists") {
    fixture f;
    f.with_update_rc_d();
    f.backend.install(f.cfg, install_mode::fail_if_exists);
    CHECK(f.fake.calls == calls{"update-rc.d -f myd remove", "update-rc.d myd defaults"});

    SUBCASE("manual and disabled are installed, not enabled") {
        fixture g;
        g.with_update_rc_d();
        g.cfg.start_type = start_type::manual;
        g.backend.install(g.cfg, install_mode::fail_if_exists);
        CHECK(g.fake.calls == calls{"update-rc.d -f myd remove"});
        CHECK(fs::exists(g.script()));
    }
}

TEST_CASE("sysv driver: a failed enable leaves nothing behind") {
    fixture f;
    f.with_update_rc_d();
    f.fake.results["update-rc.d myd defaults"] = {{1, "", "update-rc.d: error: something broke\n"}};
    test::check_throws(errc::manager_failed, "update-rc.d: error: something broke",
                       [&] { f.backend.install(f.cfg, install_mode::fail_if_exists); });
    CHECK_FALSE(fs::exists(f.script()));
    CHECK(f.links().empty());
}

TEST_CASE("sysv driver: replace stops, rewrites, starts again; a failed start restores the old one") {
    fixture f;
    f.backend.install(f.cfg, install_mode::fail_if_exists);
    const std::string old_script = test::read_all(f.script());
    f.fake.status_code = 0;  // running

    SUBCASE("success") {
        f.cfg.arguments = {"new"};
        f.backend.install(f.cfg, install_mode::replace);
        CHECK(f.fake.calls == calls{"script status", "script stop", "script start"});
        CHECK(test::read_all(f.script()) == sysv::render_sysv_script(f.cfg));
        CHECK(f.links() == automatic_links);
    }
    SUBCASE("the new start type applies") {
        f.fake.status_code = 3;
        f.cfg.start_type = start_type::manual;
        f.backend.install(f.cfg, install_mode::replace);
        CHECK(f.fake.calls == calls{"script status"});
        CHECK(f.links().empty());
    }
    SUBCASE("start fails") {
        f.cfg.arguments = {"new"};
        f.cfg.start_type = start_type::disabled;
        f.fake.results["script start"] = {{1, "", "myd: did not start\n"}};
        test::check_throws(errc::manager_failed, "myd: did not start",
                           [&] { f.backend.install(f.cfg, install_mode::replace); });
        CHECK(f.fake.calls == calls{"script status", "script stop", "script start", "script start"});
        CHECK(test::read_all(f.script()) == old_script);
        CHECK(f.links() == automatic_links);
    }
    SUBCASE("stop fails: nothing changes") {
        f.cfg.arguments = {"new"};
        f.fake.results["script stop"] = {{1, "", "myd: still running after TERM/12/KILL/5\n"}};
        test::check_throws(errc::manager_failed, "still running",
                           [&] { f.backend.install(f.cfg, install_mode::replace); });
        CHECK(test::read_all(f.script()) == old_script);
    }
}

TEST_CASE("sysv driver: uninstall") {
    fixture f;
    f.with_update_rc_d();
    f.backend.install(f.cfg, install_mode::fail_if_exists);
    fs::create_directories(f.pid_file().parent_path());
    std::ofstream(f.pid_file()) << "123\n";
    f.fake.calls.clear();

    SUBCASE("stops, disables, removes everything") {
        fs::create_directories(f.dir.path / "etc/rc2.d");
        fs::create_symlink("../init.d/myd", f.dir.path / "etc/rc2.d/S01myd");  // what update-rc.d made
        f.backend.uninstall(f.cfg);
        CHECK(f.fake.calls == calls{"script stop", "update-rc.d -f myd remove"});
        CHECK_FALSE(fs::exists(f.script()));
        CHECK_FALSE(fs::exists(f.pid_file()));
        CHECK(f.links().empty());
        test::check_throws(errc::not_installed, "run `install` first", [&] { f.backend.uninstall(f.cfg); });
    }
    SUBCASE("another daemon's pid file of the same name is not touched") {
        std::ofstream(f.dir.path / "run/myd.pid") << "456\n";
        f.backend.uninstall(f.cfg);
        CHECK_FALSE(fs::exists(f.pid_file()));
        CHECK(test::read_all(f.dir.path / "run/myd.pid") == "456\n");
    }
    SUBCASE("a service that does not stop keeps its script") {
        f.fake.results["script stop"] = {{1, "", "myd: still running after TERM/12/KILL/5\n"}};
        test::check_throws(errc::manager_failed, "cannot stop myd", [&] { f.backend.uninstall(f.cfg); });
        CHECK(fs::exists(f.script()));
    }
}

TEST_CASE("sysv driver: another daemon's init script of the same name is not run, replaced or removed") {
    fixture f;
    f.with_update_rc_d();
    fs::create_directories(f.script().parent_path());
    const std::string theirs = "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: myd\n### END INIT INFO\necho theirs\n";
    std::ofstream(f.script()) << theirs;
    for (const auto mode : {install_mode::fail_if_exists, install_mode::replace})
        test::check_throws(errc::already_installed, "/etc/init.d/myd was not written by servicekit",
                           [&] { f.backend.install(f.cfg, mode); });
    test::check_throws(errc::already_installed, "cannot uninstall myd", [&] { f.backend.uninstall(f.cfg); });
    test::check_throws(errc::already_installed, "choose another --name", [&] { f.backend.start(f.cfg); });
    test::check_throws(errc::already_installed, "cannot stop myd", [&] { f.backend.stop(f.cfg); });
    test::check_throws(errc::already_installed, "cannot restart myd", [&] { f.backend.restart(f.cfg); });
    test::check_throws(errc::already_installed, "cannot query myd", [&] { (void)f.backend.query(f.cfg); });
    CHECK(f.fake.calls.empty());
    CHECK(test::read_all(f.script()) == theirs);

    CHECK(sysv::written_by_servicekit(sysv::render_sysv_script(f.cfg)));
    CHECK_FALSE(sysv::written_by_servicekit("#!/bin/sh\n# Written by servicekit: `x`\n"));
}

TEST_CASE("sysv driver: start, stop, restart, status") {
    fixture f;
    for (const char* verb : {"start", "stop", "restart"}) {
        CAPTURE(verb);
        test::check_throws(errc::not_installed, "not installed", [&] {
            if (verb == std::string("start")) f.backend.start(f.cfg);
            else if (verb == std::string("stop")) f.backend.stop(f.cfg);
            else f.backend.restart(f.cfg);
        });
    }
    CHECK(f.backend.query(f.cfg).state == status::not_installed);
    CHECK(f.fake.calls.empty());

    f.backend.install(f.cfg, install_mode::fail_if_exists);
    f.backend.start(f.cfg);
    f.backend.stop(f.cfg);
    f.backend.restart(f.cfg);
    CHECK(f.fake.calls == calls{"script start", "script stop", "script restart"});

    f.fake.results["script start"] = {{1, "", "/usr/sbin/start-stop-daemon: program failed to initialize\n"}};
    test::check_throws(errc::manager_failed, "program failed to initialize", [&] { f.backend.start(f.cfg); });

    fs::create_directories(f.pid_file().parent_path());
    std::ofstream(f.pid_file()) << "4242\n";
    f.fake.status_code = 0;
    auto info = f.backend.query(f.cfg);
    CHECK(info.state == status::running);
    CHECK(info.pid == 4242);
    f.fake.status_code = 1;
    info = f.backend.query(f.cfg);
    CHECK(info.state == status::stopped);
    CHECK(info.detail.find("ended on its own") != std::string::npos);
    f.fake.status_code = 3;
    CHECK(f.backend.query(f.cfg).state == status::stopped);
    f.fake.status_code = 4;
    CHECK(f.backend.query(f.cfg).state == status::unknown);
    f.fake.status_code = 126;
    test::check_throws(errc::manager_failed, "status exited with 126", [&] { (void)f.backend.query(f.cfg); });
}

TEST_CASE("sysv driver: no user scope") {
    fixture f;
    f.cfg.scope = scope::user;
    const auto check = [&](auto&& call) { test::check_throws(errc::not_supported, "no per-user services", call); };
    check([&] { f.backend.install(f.cfg, install_mode::fail_if_exists); });
    check([&] { f.backend.uninstall(f.cfg); });
    check([&] { f.backend.start(f.cfg); });
    check([&] { f.backend.stop(f.cfg); });
    check([&] { f.backend.restart(f.cfg); });
    check([&] { (void)f.backend.query(f.cfg); });
    check([&] { (void)f.backend.render(f.cfg); });
    CHECK_FALSE(fs::exists(f.script()));
    CHECK(f.fake.calls.empty());
}

namespace {

// start-stop-daemon's side of --notify-await: a datagram socket of our own.
struct notify_socket {
    test::scratch_dir dir;
    std::string path = (dir.path / "notify").string();
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    notify_socket() {
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        REQUIRE(path.size() < sizeof a.sun_path);
        path.copy(a.sun_path, path.size());
        REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0);
    }
    ~notify_socket() { ::close(fd); }
    notify_socket(const notify_socket&) = delete;
    notify_socket& operator=(const notify_socket&) = delete;
    std::vector<std::string> received() const {
        std::vector<std::string> out;
        char buf[512];
        for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.emplace_back(buf, static_cast<std::size_t>(n));
        return out;
    }
};

struct quick_service final : service {
    bool fail = false;
    bool interactive = true;
    void start(context& ctx) override {
        interactive = ctx.interactive();
        if (fail) throw std::runtime_error("no");
        ctx.request_stop();
    }
    void stop(context&) override {}
};

config runtime_config() {
    config c;
    c.name = "servicekit-sysv-runtime-test";
    c.executable = "/bin/true";
    c.log_level = spdlog::level::off;
    return c;
}

}  // namespace

TEST_CASE("sysv run: under the init script it reports readiness and consumes the marker") {
    notify_socket sock;
    fixture f;
    quick_service svc;
    ::setenv("NOTIFY_SOCKET", sock.path.c_str(), 1);
    ::setenv("SERVICEKIT_INIT", "sysv", 1);
    CHECK(f.backend.run(runtime_config(), svc) == exit_success);
    CHECK_FALSE(svc.interactive);
    CHECK(sock.received() == std::vector<std::string>{"READY=1"});
    CHECK(std::getenv("NOTIFY_SOCKET") == nullptr);
    CHECK(std::getenv("SERVICEKIT_INIT") == nullptr);

    SUBCASE("a failed start() is reported at once, not left to the timeout") {
        svc.fail = true;
        ::setenv("NOTIFY_SOCKET", sock.path.c_str(), 1);
        ::setenv("SERVICEKIT_INIT", "sysv", 1);
        CHECK(f.backend.run(runtime_config(), svc) == exit_failure);
        CHECK(sock.received() == std::vector<std::string>{"ERRNO=" + std::to_string(ECANCELED)});
    }
    SUBCASE("without the marker but with NOTIFY_SOCKET (a container's manager) it speaks systemd's protocol") {
        ::setenv("NOTIFY_SOCKET", sock.path.c_str(), 1);
        CHECK(f.backend.run(runtime_config(), svc) == exit_success);
        CHECK_FALSE(svc.interactive);
        CHECK(sock.received() == std::vector<std::string>{"READY=1", "STOPPING=1"});
        ::unsetenv("NOTIFY_SOCKET");
    }
    SUBCASE("with neither it is interactive and tells no one") {
        CHECK(f.backend.run(runtime_config(), svc) == exit_success);
        CHECK(svc.interactive);
        CHECK(sock.received().empty());
    }
}
