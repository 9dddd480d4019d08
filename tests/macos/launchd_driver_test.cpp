// The launchd driver against the project's fake launchctl (fake_launchctl.py),
// which runs the jobs for real. Each test case gets its own root directory
// and launchctl state.
#include <doctest/doctest.h>

#include <servicekit/config.hpp>
#include <servicekit/error.hpp>

#include "macos/launchd_backend.hpp"
#include "macos/launchd_plist.hpp"
#include "test_support.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace servicekit;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A sandbox: root directory, launchctl state, a backend over them.
class sandbox {
public:
    sandbox() : dir_(scratch_.path) {
        fs::create_directories(dir_ / "root/home/u");
        fs::create_directories(dir_ / "state");
        ::setenv("FAKE_LAUNCHCTL_STATE", (dir_ / "state").c_str(), 1);
        ::setenv("SERVICEKIT_ROOT", (dir_ / "root").c_str(), 1);
        env_ = detail::native_launchd_environment();
        env_.launchctl = FAKE_LAUNCHCTL;
        env_.root = dir_ / "root";
        env_.home = "/home/u";
        env_.start_wait = 5s;
        env_.stop_margin = 2s;
        env_.bootstrap_backoff = 10ms;
        backend_ = detail::make_launchd_backend(env_);
    }
    ~sandbox() {
        // Boot out whatever a failed test left loaded.
        std::error_code ec;
        for (const auto& d : fs::directory_iterator(dir_ / "state/domains", ec)) {
            for (const auto& j : fs::directory_iterator(d.path(), ec)) {
                if (j.path().extension() != ".json") continue;
                std::string domain = d.path().filename().string();
                if (const auto u = domain.find('_'); u != std::string::npos) domain[u] = '/';  // gui_0 → gui/0
                const std::string target = domain + "/" + j.path().stem().string();
                (void)detail::run_command({FAKE_LAUNCHCTL, "bootout", target});
                for (int i = 0; i < 150 && detail::run_command({FAKE_LAUNCHCTL, "print", target}).ok(); ++i)
                    std::this_thread::sleep_for(20ms);
            }
        }
    }
    sandbox(const sandbox&) = delete;
    sandbox& operator=(const sandbox&) = delete;

    config service(std::string name = "job") {
        config c;
        c.name = std::move(name);
        c.executable = JOB_SCRIPT;
        c.stop_timeout = 2s;
        c.restart_delay = 1s;
        c.environment["JOB_RECORD"] = (dir_ / "argv").string();
        c.arguments = {"--help", "a b", "<&>"};
        validate(c);
        return c;
    }

    detail::backend& b() { return *backend_; }
    const detail::launchd_environment& env() const { return env_; }
    fs::path plist(const config& c) const { return detail::launchd_plist_path(env_, c); }
    fs::path state() const { return dir_ / "state"; }

    void set(const std::string& name, const std::string& value) const {
        std::ofstream(dir_ / "state" / name) << value;
    }

    // launchctl invocations so far, each as "verb arg…" (arguments joined by ' ').
    std::vector<std::string> calls() const {
        std::vector<std::string> out;
        std::ifstream in(dir_ / "state/calls.log");
        for (std::string line; std::getline(in, line);) {
            std::string joined;
            for (std::size_t i = 0; i < line.size(); ++i) {
                if (line[i] != '"') continue;
                const auto end = line.find('"', i + 1);
                if (!joined.empty()) joined += ' ';
                joined += line.substr(i + 1, end - i - 1);
                i = end;
            }
            out.push_back(joined);
        }
        return out;
    }
    // Whether the label's override, as the fake keeps it, is "disabled" (the
    // last of `launchctl disable` / `enable` was disable).
    bool disabled(const config& c) const {
        return test::read_all(dir_ / "state/disabled/system" / launchd_label(c)) == "disabled";
    }

    // argv[0] of the definition launchd loaded for c; empty when it is not loaded.
    std::string loaded_program(const config& c) const {
        const auto r = detail::run_command({FAKE_LAUNCHCTL, "print", "system/" + launchd_label(c)});
        const std::string key = "\n\tprogram = ";
        const auto at = r.out.find(key);
        if (!r.ok() || at == std::string::npos) return {};
        const auto from = at + key.size();
        return r.out.substr(from, r.out.find('\n', from) - from);
    }

    std::size_t count(const std::string& prefix) const {
        std::size_t n = 0;
        for (const auto& c : calls()) n += c.starts_with(prefix);
        return n;
    }

    // The argv the job recorded when it started.
    std::vector<std::string> job_argv() const {
        const std::string raw = test::read_all(dir_ / "argv");
        std::vector<std::string> out;
        for (std::size_t i = 0; i < raw.size();) {
            const auto z = raw.find('\0', i);
            out.push_back(raw.substr(i, z - i));
            i = z + 1;
        }
        return out;
    }

private:
    test::scratch_dir scratch_;  // removed last, after the jobs were booted out
    fs::path dir_;
    detail::launchd_environment env_;
    std::unique_ptr<detail::backend> backend_;
};

// Runs body in a fresh sandbox per launchctl generation: "older" answers
// 37/119/122, "newer" answers 5 for all of them.
void for_each_flavor(const std::function<void(sandbox&)>& body) {
    for (const std::string flavor : {"older", "newer"}) {
        CAPTURE(flavor);
        sandbox s;
        s.set("flavor", flavor);
        body(s);
    }
}

bool pid_alive(long long pid) { return ::kill(static_cast<pid_t>(pid), 0) == 0; }

// Each verb (a name and a call) must fail with `code` and a message holding `part`.
using verbs = std::vector<std::pair<std::string, std::function<void()>>>;
void check_each_throws(errc code, const std::string& part, const verbs& each) {
    for (const auto& [what, op] : each) {
        CAPTURE(what);
        test::check_throws(code, part, op);
    }
}

// Every verb that acts on an installed job, for config `c`.
verbs every_verb(sandbox& s, const config& c) {
    return {{"install", [&s, c] { s.b().install(c, install_mode::fail_if_exists); }},
            {"install --force", [&s, c] { s.b().install(c, install_mode::replace); }},
            {"uninstall", [&s, c] { s.b().uninstall(c); }},
            {"start", [&s, c] { s.b().start(c); }},
            {"stop", [&s, c] { s.b().stop(c); }},
            {"restart", [&s, c] { s.b().restart(c); }},
            {"status", [&s, c] { (void)s.b().query(c); }}};
}

}  // namespace

TEST_CASE("install writes the plist atomically, 0644 root:wheel, and enables the label") {
    sandbox s;
    auto c = s.service();
    CHECK(s.b().query(c).state == status::not_installed);
    s.b().install(c, install_mode::fail_if_exists);
    const auto p = s.plist(c);
    CHECK(p == s.env().root / "Library/LaunchDaemons/org.servicekit.job.plist");
    CHECK(test::read_all(p) == detail::render_launchd_plist(c));
    struct stat st {};
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK((st.st_mode & 07777) == 0644);
    CHECK(st.st_uid == 0);
    CHECK(st.st_gid == 0);
    // status before install looked at no job: there was no plist.
    CHECK(s.calls() == std::vector<std::string>{"enable system/org.servicekit.job"});
    CHECK(s.b().query(c).state == status::stopped);

    test::check_throws(errc::already_installed, "--force", [&] { s.b().install(c, install_mode::fail_if_exists); });
    c.description = "changed";
    c.arguments.push_back("new");
    s.b().install(c, install_mode::replace);
    CHECK(test::read_all(p) == detail::render_launchd_plist(c));
    for (const auto& e : fs::directory_iterator(p.parent_path()))
        CHECK_MESSAGE(e.path() == p, "left behind: " << e.path());
}

TEST_CASE("start, status, restart, stop, uninstall") {
    sandbox s;
    auto c = s.service();
    s.b().install(c, install_mode::fail_if_exists);
    s.b().start(c);
    auto q = s.b().query(c);
    CHECK(q.state == status::running);
    REQUIRE(q.pid.has_value());
    CHECK(pid_alive(*q.pid));
    CHECK(s.count("enable system/org.servicekit.job") == 2);
    CHECK(s.count("bootstrap system " + s.plist(c).string()) == 1);
    // The job runs exactly the command line of the plist.
    for (int i = 0; i < 100 && !fs::exists(s.state() / "../argv"); ++i) std::this_thread::sleep_for(20ms);
    CHECK(s.job_argv() == service_command_line(c));

    // Starting a running service changes nothing.
    s.b().start(c);
    CHECK(s.count("bootstrap") == 1);
    CHECK(s.count("kickstart") == 0);

    s.b().restart(c);
    CHECK(s.count("kickstart -k system/org.servicekit.job") == 1);
    const auto q2 = s.b().query(c);
    CHECK(q2.state == status::running);
    REQUIRE(q2.pid.has_value());
    CHECK(*q2.pid != *q.pid);
    CHECK_FALSE(pid_alive(*q.pid));

    s.b().stop(c);
    CHECK(s.count("bootout system/org.servicekit.job") == 1);
    CHECK(s.b().query(c).state == status::stopped);
    CHECK_FALSE(pid_alive(*q2.pid));
    s.b().stop(c);  // stopping a stopped service is fine
    CHECK(s.count("bootout") == 1);

    // restart of a stopped service starts it.
    s.b().restart(c);
    CHECK(s.b().query(c).state == status::running);

    s.b().uninstall(c);
    CHECK_FALSE(fs::exists(s.plist(c)));
    CHECK(s.b().query(c).state == status::not_installed);
    test::check_throws(errc::not_installed, "install", [&] { s.b().uninstall(c); });
    test::check_throws(errc::not_installed, "install", [&] { s.b().start(c); });
    test::check_throws(errc::not_installed, "install", [&] { s.b().stop(c); });
    for (const auto& call : s.calls()) {
        CHECK_FALSE(call.starts_with("load"));
        CHECK_FALSE(call.starts_with("unload"));
    }
}

TEST_CASE("another program's job under the same label is never touched") {
    sandbox s;
    auto c = s.service();
    // The same job as servicekit would write it, minus the comment that says so.
    std::string text = detail::render_launchd_plist(c);
    const auto comment = text.find("<!--");
    REQUIRE(comment != std::string::npos);
    text.erase(comment, text.find('\n', comment) + 1 - comment);
    REQUIRE_FALSE(detail::written_by_servicekit(text));
    const auto p = s.plist(c);
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    REQUIRE(detail::run_command({FAKE_LAUNCHCTL, "bootstrap", "system", p.string()}).ok());
    REQUIRE_FALSE(s.loaded_program(c).empty());
    const auto calls_before = s.calls().size();

    check_each_throws(errc::already_installed, "not written by servicekit", every_verb(s, c));
    CHECK(test::read_all(p) == text);
    CHECK_FALSE(s.loaded_program(c).empty());
    // Nothing but the reads above.
    const auto calls = s.calls();
    for (std::size_t i = calls_before; i < calls.size(); ++i) CHECK(calls[i].starts_with("print"));
}

TEST_CASE("without its plist, a loaded label is not servicekit's to stop or remove") {
    sandbox s;
    auto c = s.service();
    s.b().install(c, install_mode::fail_if_exists);
    s.b().start(c);
    // The job stays loaded from a copy; the installed plist is gone.
    const auto copy = s.state() / "elsewhere.plist";
    fs::copy_file(s.plist(c), copy);
    fs::remove(s.plist(c));
    check_each_throws(errc::not_installed, "install",
                      {{"uninstall", [&] { s.b().uninstall(c); }},
                       {"stop", [&] { s.b().stop(c); }},
                       {"restart", [&] { s.b().restart(c); }},
                       {"start", [&] { s.b().start(c); }}});
    CHECK(s.count("bootout") == 0);
    CHECK(s.b().query(c).state == status::not_installed);  // nor reported as this service
}

TEST_CASE("instances that share a launchd.label: each acts only on its own job") {
    sandbox s;
    auto first = s.service();
    first.launchd.label = "org.servicekit.shared";
    s.b().install(first, install_mode::fail_if_exists);
    s.b().start(first);
    const auto text = test::read_all(s.plist(first));
    auto second = first;
    second.name = "web2";
    REQUIRE(s.plist(second) == s.plist(first));
    check_each_throws(errc::already_installed, "another instance's job (not --name web2)", every_verb(s, second));
    CHECK(test::read_all(s.plist(first)) == text);
    CHECK(s.b().query(first).state == status::running);
    s.b().uninstall(first);
}

TEST_CASE("stop waits for the asynchronous bootout, bounded by ExitTimeOut") {
    sandbox s;
    auto c = s.service();
    c.environment["JOB_STOP_DELAY"] = "0.6";
    s.b().install(c, install_mode::fail_if_exists);
    s.b().start(c);
    const auto pid = s.b().query(c).pid;
    REQUIRE(pid.has_value());
    const auto t0 = std::chrono::steady_clock::now();
    s.b().stop(c);
    CHECK(std::chrono::steady_clock::now() - t0 >= 500ms);
    CHECK_FALSE(pid_alive(*pid));
    CHECK(s.b().query(c).state == status::stopped);
    CHECK(s.count("print system/org.servicekit.job") >= 3);  // polled until 113

    // A job that ignores SIGTERM is killed after ExitTimeOut (the stop
    // timeout, 1 s, and the 2 s margin) and stop returns.
    c.environment["JOB_STOP_DELAY"] = "30";
    c.stop_timeout = 1s;
    s.b().install(c, install_mode::replace);
    s.b().start(c);
    const auto t1 = std::chrono::steady_clock::now();
    s.b().stop(c);
    const auto took = std::chrono::steady_clock::now() - t1;
    CHECK(took >= 2900ms);
    CHECK(took < 4900ms);
}

TEST_CASE("stop accepts a bootout already in progress (36)") {
    sandbox s;
    auto c = s.service();
    c.environment["JOB_STOP_DELAY"] = "0.8";
    s.b().install(c, install_mode::fail_if_exists);
    s.b().start(c);
    REQUIRE(detail::run_command({FAKE_LAUNCHCTL, "bootout", "system/org.servicekit.job"}).ok());
    const auto again = detail::run_command({FAKE_LAUNCHCTL, "bootout", "system/org.servicekit.job"});
    CHECK(again.exit_code == 36);
    CHECK(again.err == "Boot-out failed: 36: Operation now in progress\n");
    s.b().stop(c);
    CHECK(s.b().query(c).state == status::stopped);
}

TEST_CASE("start right after a bootout retries bootstrap on 5") {
    sandbox s;
    auto c = s.service();
    s.b().install(c, install_mode::fail_if_exists);
    s.set("busy", "3");
    s.b().start(c);
    CHECK(s.b().query(c).state == status::running);
    CHECK(s.count("bootstrap system") == 4);

    s.b().stop(c);
    s.set("busy", "10");
    test::check_throws(errc::manager_failed, "Input/output error", [&] { s.b().start(c); });
    CHECK(s.count("bootstrap system") == 4 + 5);
}

TEST_CASE("start when someone else loaded it meanwhile (5/37, then print finds it)") {
    for_each_flavor([](sandbox& s) {
        auto c = s.service();
        s.b().install(c, install_mode::fail_if_exists);
        s.set("race", "");
        s.b().start(c);
        CHECK(s.count("bootstrap system") == 1);
        CHECK(s.b().query(c).state == status::running);
    });
}

TEST_CASE("start type disabled: install disables the label, start fails clearly") {
    for_each_flavor([](sandbox& s) {
        auto c = s.service();
        c.start_type = start_type::disabled;
        s.b().install(c, install_mode::fail_if_exists);
        CHECK(s.count("disable system/org.servicekit.job") == 1);
        test::check_throws(errc::manager_failed, "disabled", [&] { s.b().start(c); });
        CHECK(s.b().query(c).state == status::stopped);
    });
}

TEST_CASE("install --force to start type disabled boots a running job out, disables it and succeeds") {
    for_each_flavor([](sandbox& s) {
        auto c = s.service();
        s.b().install(c, install_mode::fail_if_exists);
        s.b().start(c);
        const auto pid = s.b().query(c).pid;
        REQUIRE(pid.has_value());

        c.start_type = start_type::disabled;
        s.b().install(c, install_mode::replace);
        CHECK(test::read_all(s.plist(c)) == detail::render_launchd_plist(c));
        const auto q = s.b().query(c);
        CHECK(q.state == status::stopped);
        CHECK(q.detail == "not loaded");
        CHECK(s.disabled(c));
        CHECK_FALSE(pid_alive(*pid));
        CHECK(s.count("bootstrap") == 1);  // start's, none after the replace
    });
}

TEST_CASE("install --force whose new job does not stay up puts the old job back, loaded and running") {
    // manual: the old plist has RunAtLoad false, so only a kickstart runs it again.
    for (const auto type : {start_type::automatic, start_type::manual}) {
        CAPTURE(static_cast<int>(type));
        sandbox s;
        auto env = s.env();
        env.start_wait = 1s;
        auto b = detail::make_launchd_backend(env);
        auto c = s.service();
        c.start_type = type;
        b->install(c, install_mode::fail_if_exists);
        b->start(c);
        const auto pid = b->query(c).pid;
        REQUIRE(pid.has_value());
        const std::string old_plist = test::read_all(s.plist(c));

        auto broken = c;
        broken.start_type = start_type::automatic;
        broken.executable = "/nonexistent/bin/job";
        test::check_throws(errc::timeout, "did not reach running", [&] { b->install(broken, install_mode::replace); });
        CHECK(test::read_all(s.plist(c)) == old_plist);
        CHECK(s.loaded_program(c) == JOB_SCRIPT);
        const auto q = b->query(c);
        CHECK(q.state == status::running);
        REQUIRE(q.pid.has_value());
        CHECK(pid_alive(*q.pid));
        CHECK(s.disabled(c) == (type == start_type::manual));  // as it was: a manual job's label is disabled
        CHECK(s.count("bootout system/org.servicekit.job") == 2);  // the old job, then the new one
    }
}

TEST_CASE("install --force that fails puts back a label disabled while its job ran") {
    // `launchctl disable` keeps a loaded job loaded; only the next load is refused.
    for_each_flavor([](sandbox& s) {
        auto env = s.env();
        env.start_wait = 1s;
        auto b = detail::make_launchd_backend(env);
        auto c = s.service();
        b->install(c, install_mode::fail_if_exists);
        b->start(c);
        REQUIRE(detail::run_command({FAKE_LAUNCHCTL, "disable", "system/" + launchd_label(c)}).exit_code == 0);
        REQUIRE(s.disabled(c));

        auto broken = c;
        broken.executable = "/nonexistent/bin/job";
        test::check_throws(errc::timeout, "did not reach running", [&] { b->install(broken, install_mode::replace); });
        CHECK(s.loaded_program(c) == JOB_SCRIPT);
        CHECK(b->query(c).state == status::running);
        CHECK(s.disabled(c));
        CHECK(s.count("print-disabled system") == 1);
    });
}

TEST_CASE("install --force that fails to disable the label puts the running job back") {
    sandbox s;
    auto env = s.env();
    env.run = [run = env.run](const std::vector<std::string>& argv) {
        if (argv.size() > 1 && argv[1] == "disable")
            return detail::command_result{1, "", "Disable failed: 1: Operation not permitted\n"};
        return run(argv);
    };
    auto b = detail::make_launchd_backend(env);
    auto c = s.service();
    b->install(c, install_mode::fail_if_exists);
    b->start(c);
    const std::string old_plist = test::read_all(s.plist(c));

    auto disabled = c;
    disabled.start_type = start_type::disabled;
    test::check_throws(errc::permission_denied, "disable", [&] { b->install(disabled, install_mode::replace); });
    CHECK(test::read_all(s.plist(c)) == old_plist);
    CHECK(s.loaded_program(c) == JOB_SCRIPT);
    CHECK(b->query(c).state == status::running);
    CHECK_FALSE(s.disabled(c));
}

TEST_CASE("manual start type: not loaded at boot, whatever the restart policy; start loads and runs it") {
    for (const auto policy : {restart_policy::never, restart_policy::on_failure, restart_policy::always}) {
        CAPTURE(static_cast<int>(policy));
        sandbox s;
        auto c = s.service();
        c.start_type = start_type::manual;
        c.restart = policy;
        s.b().install(c, install_mode::fail_if_exists);
        // What launchd does at boot with every plist in the folder: KeepAlive
        // (always) or SuccessfulExit (on_failure) would run a loaded job.
        CHECK(s.disabled(c));
        CHECK_FALSE(detail::run_command({FAKE_LAUNCHCTL, "bootstrap", "system", s.plist(c).string()}).ok());
        CHECK(s.b().query(c).state == status::stopped);

        s.b().start(c);  // kickstarted unless KeepAlive started it as it was loaded
        CHECK(s.count("kickstart system/org.servicekit.job") == (policy == restart_policy::always ? 0 : 1));
        CHECK(s.b().query(c).state == status::running);
        CHECK(s.disabled(c));  // loaded and running, and still not loaded at the next boot
        s.b().stop(c);
        CHECK(s.b().query(c).state == status::stopped);
    }
}

TEST_CASE("a plist with bad ownership is named as the problem") {
    for_each_flavor([](sandbox& s) {
        auto c = s.service();
        s.b().install(c, install_mode::fail_if_exists);
        REQUIRE(::chown(s.plist(c).c_str(), 1000, 1000) == 0);
        test::check_throws(errc::manager_failed, "root:wheel", [&] { s.b().start(c); });
    });
}

TEST_CASE("not root: permission denied, and a failed install leaves nothing behind") {
    sandbox s;
    auto c = s.service();
    s.set("euid", "501");
    c.launchd.standard_out_path = "/var/log/servicekit-job/new/out.log";  // folders install would create
    test::check_throws(errc::permission_denied, "sudo", [&] { s.b().install(c, install_mode::fail_if_exists); });
    CHECK_FALSE(fs::exists(s.plist(c)));
    CHECK(fs::is_empty(s.plist(c).parent_path()));
    CHECK_FALSE(fs::exists(s.env().root / "var/log/servicekit-job"));  // made for the install, removed with it
    c.launchd.standard_out_path.clear();
    fs::remove(s.state() / "euid");
    s.b().install(c, install_mode::fail_if_exists);
    s.set("euid", "501");
    test::check_throws(errc::permission_denied, "run with sudo", [&] { s.b().start(c); });
}

TEST_CASE("agents: gui/<uid>, or user/<uid> without a GUI session") {
    for (const bool gui : {true, false}) {
        CAPTURE(gui);
        sandbox s;
        if (!gui) s.set("no-gui", "");
        auto c = s.service("agent");
        c.scope = scope::user;
        const std::string uid = std::to_string(::geteuid());
        const std::string domain = (gui ? "gui/" : "user/") + uid;
        s.b().install(c, install_mode::fail_if_exists);
        CHECK(s.plist(c) == s.env().root / "home/u/Library/LaunchAgents/org.servicekit.agent.plist");
        s.b().start(c);
        CHECK(s.count("bootstrap " + domain + " ") == 1);
        CHECK(s.count("bootstrap gui/" + uid) == 1);
        const auto q = s.b().query(c);
        CHECK(q.state == status::running);
        s.b().restart(c);
        CHECK(s.count("kickstart -k " + domain + "/org.servicekit.agent") == 1);
        s.b().stop(c);
        CHECK(s.count("bootout " + domain + "/org.servicekit.agent") == 1);
        CHECK(s.b().query(c).state == status::stopped);
        s.b().uninstall(c);
        CHECK(s.b().query(c).state == status::not_installed);
    }
}

TEST_CASE("a job that cannot be spawned: start times out naming launchd's state") {
    sandbox s;
    auto env = s.env();
    env.start_wait = 1s;
    auto b = detail::make_launchd_backend(env);
    auto c = s.service();
    c.executable = "/nonexistent/bin/job";
    c.restart = restart_policy::never;
    b->install(c, install_mode::fail_if_exists);
    test::check_throws(errc::timeout, "launchd state: not running", [&] { b->start(c); });
    const auto q = b->query(c);
    CHECK(q.state == status::stopped);
    CHECK(q.detail == "not running");
}

TEST_CASE("a job that ends by itself with restart never: stopped, still loaded") {
    sandbox s;
    auto c = s.service();
    c.restart = restart_policy::never;
    c.environment["JOB_EXIT"] = "0";
    s.b().install(c, install_mode::fail_if_exists);
    try {
        s.b().start(c);  // may see it running for a moment, or time out
    } catch (const error& e) {
        CHECK(e.reason() == errc::timeout);
    }
    status_info q;
    for (int i = 0; i < 100 && (q = s.b().query(c)).state != status::stopped; ++i) std::this_thread::sleep_for(20ms);
    CHECK(q.state == status::stopped);
    CHECK(q.detail == "not running");
    CHECK(s.count("kickstart") == 0);
}

TEST_CASE("KeepAlive on failure: launchd restarts a job that exits non-zero") {
    sandbox s;
    auto c = s.service();
    s.b().install(c, install_mode::fail_if_exists);
    s.b().start(c);
    const auto pid = s.b().query(c).pid;
    REQUIRE(pid.has_value());
    ::kill(static_cast<pid_t>(*pid), SIGKILL);
    std::optional<long long> next;
    for (int i = 0; i < 150 && (!next || *next == *pid); ++i) {
        std::this_thread::sleep_for(20ms);
        next = s.b().query(c).pid;
    }
    REQUIRE(next.has_value());
    CHECK(*next != *pid);
}

TEST_CASE("no launchctl: manager unavailable") {
    sandbox s;
    auto env = s.env();
    env.launchctl = "/nonexistent/launchctl";
    auto b = detail::make_launchd_backend(env);
    auto c = s.service();
    fs::create_directories(s.plist(c).parent_path());
    std::ofstream(s.plist(c)) << detail::render_launchd_plist(c);  // installed: status asks launchctl
    test::check_throws(errc::manager_unavailable, "/nonexistent/launchctl", [&] { (void)b->query(c); });
}
