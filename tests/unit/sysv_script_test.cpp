// The SysV init script renderer: golden files (tests/unit/golden/*.sysv; set
// SERVICEKIT_UPDATE_GOLDEN=1 to rewrite them, then review the diff), the LSB
// header rules, and the quoting proved through the real shell: the script's
// `start` runs against a fake start-stop-daemon that records the exact words
// and environment it was given.
#include <doctest/doctest.h>

#include <servicekit/config.hpp>

#include "linux/sysv_script.hpp"
#include "test_support.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#if !defined(_WIN32)
#include "detail/process.hpp"
#endif

using namespace servicekit;
using namespace std::chrono_literals;
namespace sysv = servicekit::detail::sysv;
namespace fs = std::filesystem;

namespace {

config minimal() {
    config c;
    c.name = "myd";
    c.executable = "/usr/bin/myd";
    return c;
}

// Every string a shell could misread, as arguments and environment values.
const std::vector<std::string> corpus{
    "two words", "it's", "say \"hi\"", "back\\slash", "trailing\\", "100%", "%n", "$HOME", "${HOME}", "`id`",
    "$(id)", "a;b", "a&b", "a|b", "<in", ">out", "grüße ✓ 日本", "", " ", "--help", "-x", "--name",
    "line1\nline2", "tab\there", "cr\rhere", "*", "?", "~", "#hash", "\\", "'", "\"", "'\\''", "!x", "end\\\\"};

config full() {
    config c;
    c.name = "my-daemon_2.0";
    c.display_name = "My Daemon — “quoted” $HOME `x`";
    c.description = "Serves things; uses 100% of $NOTHING & keeps # comments";
    c.executable = "/opt/my app/bin/it's-my-daemon";
    c.arguments = {"--port", "80 81", "it's", "", "line1\nline2", "$(reboot)", "trailing\\"};
    c.working_directory = "/var/lib/my app";
    c.environment = {{"GREETING", "hello 'world'"}, {"EMPTY", ""}, {"MULTI", "a\nb"}, {"PATH", "/opt/bin:$PATH"}};
    c.user = "svc.user@home$";
    c.group = "svc";
    c.dependencies = {"network-online.target", "postgresql.service", "redis", "local-fs.target"};
    c.log_level = spdlog::level::debug;
    c.stop_timeout = 2500ms;
    return c;
}

void check_rejected(const config& c, const char* part) {
    test::check_throws(errc::invalid_config, part, [&] { (void)sysv::render_sysv_script(c); });
}

std::string header_line(const std::string& script, const std::string& key) {
    const auto at = script.find("\n# " + key + ":");
    if (at == std::string::npos) return "<absent>";
    const auto begin = script.find_first_not_of(' ', at + key.size() + 4);
    return script.substr(begin, script.find('\n', at + 1) - begin);
}

}  // namespace

TEST_CASE("sysv script: golden files") {
    test::check_golden("sysv_minimal.sysv", sysv::render_sysv_script(minimal()));
    test::check_golden("sysv_full.sysv", sysv::render_sysv_script(full()));
    config manual = minimal();
    manual.start_type = start_type::manual;
    manual.group = "daemon";
    manual.dependencies = {"postgresql", "network.target"};
    manual.systemd.require_dependencies = true;
    test::check_golden("sysv_manual.sysv", sysv::render_sysv_script(manual));
}

TEST_CASE("sysv script: shell quoting") {
    CHECK(sysv::shell_quote("") == "''");
    CHECK(sysv::shell_quote("plain") == "'plain'");
    CHECK(sysv::shell_quote("it's") == "'it'\\''s'");
    CHECK(sysv::shell_quote("$x `y` \\ \"z\"") == "'$x `y` \\ \"z\"'");
    CHECK(sysv::shell_quote("a\nb") == "'a\nb'");
}

TEST_CASE("sysv script: LSB header") {
    config c = minimal();
    std::string s = sysv::render_sysv_script(c);
    CHECK(s.starts_with("#!/bin/sh\n### BEGIN INIT INFO\n"));
    CHECK(header_line(s, "Provides") == "myd");
    CHECK(header_line(s, "Required-Start") == "$remote_fs $syslog");
    CHECK(header_line(s, "Should-Start") == "<absent>");
    CHECK(header_line(s, "Default-Start") == "2 3 4 5");
    CHECK(header_line(s, "Default-Stop") == "0 1 6");
    CHECK(header_line(s, "Short-Description") == "myd");

    SUBCASE("start types") {
        for (const auto t : {start_type::manual, start_type::disabled}) {
            c.start_type = t;
            CHECK(header_line(sysv::render_sysv_script(c), "Default-Start") == "");
        }
        c.start_type = start_type::delayed;
        CHECK(header_line(sysv::render_sysv_script(c), "Default-Start") == "2 3 4 5");
    }
    SUBCASE("dependencies: facilities, other scripts, no duplicates") {
        c.dependencies = {"network.target", "network-online.target", "foo.service", "bar", "syslog.target"};
        s = sysv::render_sysv_script(c);
        CHECK(header_line(s, "Required-Start") == "$remote_fs $syslog");
        CHECK(header_line(s, "Should-Start") == "$network foo bar");
        CHECK(header_line(s, "Should-Stop") == "$network foo bar");
        c.systemd.require_dependencies = true;
        s = sysv::render_sysv_script(c);
        CHECK(header_line(s, "Required-Start") == "$remote_fs $syslog $network foo bar");
        CHECK(header_line(s, "Should-Start") == "<absent>");
    }
    SUBCASE("descriptions") {
        c.description = "Does things";
        s = sysv::render_sysv_script(c);
        CHECK(header_line(s, "Short-Description") == "Does things");
        CHECK(header_line(s, "Description") == "Does things");
        c.display_name = "My D";
        CHECK(header_line(sysv::render_sysv_script(c), "Short-Description") == "My D");
    }
}

TEST_CASE("sysv script: what a script cannot say is rejected") {
    config c = minimal();
    c.dependencies = {"dbus.socket"};
    check_rejected(c, "\"dbus.socket\" has no SysV init equivalent");
    c.dependencies = {"multi-user.target"};
    check_rejected(c, "multi-user.target");
    c.dependencies = {"session-1.scope"};  // every unit type but a service
    check_rejected(c, "\"session-1.scope\" has no SysV init equivalent");
    c.dependencies = {"getty@tty1.service"};
    check_rejected(c, "getty@tty1.service");
    c.dependencies = {};
    c.description = "two\nlines";
    check_rejected(c, "config.description");
    c.description = "";
    c.display_name = "tab\there";
    check_rejected(c, "config.display_name");
    c.display_name = "";
    // start-stop-daemon --chuid reads a number with strtol: each of these
    // would be uid 0 (or gid 7). The names follow systemd's rule instead.
    for (const char* account : {" 0", "+0", "00", "0 ", "007", "svc user", "it's", "a:b"}) {
        CAPTURE(account);
        c.user = account;
        check_rejected(c, "config.user");
        c.user = "svc";
        c.group = account;
        check_rejected(c, "config.group");
        c.user = "";
        check_rejected(c, "config.group");  // --group alone
        c.group = "";
    }
}

TEST_CASE("sysv script: paths and process name") {
    config c = minimal();
    CHECK(sysv::script_path(c) == "etc/init.d/myd");
    CHECK(sysv::pid_file_path(c) == "run/servicekit-myd.pid");
    CHECK(sysv::process_name(c) == "myd");
    c.executable = "/usr/bin/a-very-long-program-name";
    CHECK(sysv::process_name(c) == "a-very-long-pro");
}

#if !defined(_WIN32)

namespace {

void write_executable(const fs::path& path, const std::string& content) {
    std::ofstream(path, std::ios::binary) << content;
    fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
}

std::vector<std::string> split_nul(const std::string& s) {
    std::vector<std::string> out;
    for (std::size_t begin = 0; begin < s.size();) {
        const auto end = s.find('\0', begin);
        out.push_back(s.substr(begin, end - begin));
        begin = end + 1;
    }
    return out;
}

// Stands in for start-stop-daemon: records its words NUL-separated and the
// listed variables as KEY=value NUL-separated ("KEY" alone when unset), and
// exits as the test says.
constexpr const char* fake_ssd = R"(#!/bin/sh
case " $* " in
*" --status "*) exit "${FAKE_SSD_STATUS:-3}" ;;
*" --stop "*) printf '%s\0' "$@" > "$FAKE_SSD_OUT/stop"; exit "${FAKE_SSD_STOP:-0}" ;;
esac
printf '%s\0' "$@" > "$FAKE_SSD_OUT/start"
: > "$FAKE_SSD_OUT/env"
for k in $FAKE_SSD_KEYS; do
	if eval "[ \"\${$k+set}\" = set ]"; then eval "printf '%s=%s\0' \"\$k\" \"\$$k\"" >> "$FAKE_SSD_OUT/env"
	else printf '%s\0' "$k" >> "$FAKE_SSD_OUT/env"; fi
done
exit "${FAKE_SSD_START:-0}"
)";

struct script_run {
    test::scratch_dir tmp;
    config cfg;
    fs::path script, out;

    explicit script_run(config c) : cfg(std::move(c)) {
        fs::create_directories(tmp.path / "bin");
        out = tmp.path / "out";
        fs::create_directories(out);
        write_executable(tmp.path / "bin" / "start-stop-daemon", fake_ssd);
        script = tmp.path / "init-script";
        std::ofstream(script, std::ios::binary) << sysv::render_sysv_script(cfg);
    }

    detail::command_result run(const std::string& shell, const std::string& verb,
                               const std::vector<std::string>& extra_env = {}) const {
        std::string keys;
        for (const auto& [k, v] : cfg.environment)
            if (k != sysv::init_marker_variable) keys += k + " ";
        std::vector<std::string> argv{"env", "PATH=" + (tmp.path / "bin").string() + ":/usr/bin:/bin",
                                      "FAKE_SSD_OUT=" + out.string(), "FAKE_SSD_KEYS=" + keys + "SERVICEKIT_INIT"};
        argv.insert(argv.end(), extra_env.begin(), extra_env.end());
        argv.insert(argv.end(), {shell, script.string(), verb});
        return detail::run_command(argv, std::chrono::seconds(30));
    }
};

std::vector<std::string> shells() {
    std::vector<std::string> found{"sh"};
    for (const char* s : {"/bin/bash", "/usr/bin/bash", "/bin/dash", "/usr/bin/dash"})
        if (fs::exists(s)) found.emplace_back(s);
    return found;
}

}  // namespace

TEST_CASE("sysv script: every word reaches start-stop-daemon exactly, through the real shell") {
    config c;
    c.name = "servicekit-unit-roundtrip";
    c.arguments = corpus;
    c.working_directory = "/var/lib/it's a $dir";
    c.user = "svc.user@home$";  // names cannot hold a space or a quote (below)
    c.group = "it-s_2";
    for (std::size_t i = 0; i < corpus.size(); ++i) c.environment["V" + std::to_string(i)] = corpus[i];
    c.environment["SERVICEKIT_INIT"] = "not the marker";  // the marker must win
    c.environment["PATH"] = "/nowhere";  // cannot break how the script finds env and start-stop-daemon

    for (const auto& shell : shells()) {
        CAPTURE(shell);
        test::scratch_dir exe_dir;
        const fs::path dir = exe_dir.path / "it's a $dir `x`";
        fs::create_directories(dir);
        c.executable = dir / "my \"prog\"";
        write_executable(c.executable, "#!/bin/sh\n");
        const script_run run(c);

        const auto r = run.run(shell, "start");
        INFO("stdout: " << r.out << "\nstderr: " << r.err);
        REQUIRE(r.exit_code == 0);

        std::vector<std::string> expected{"--start", "--quiet", "--oknodo", "--background", "--make-pidfile",
                                          "--pidfile", "/run/servicekit-servicekit-unit-roundtrip.pid",
                                          "--name", "my \"prog\"", "--startas", c.executable.string(),
                                          "--chdir", c.working_directory.string(), "--chuid", "svc.user@home$:it-s_2",
                                          "--notify-await", "--notify-timeout", "60", "--"};
        const auto argv = service_command_line(c);
        expected.insert(expected.end(), argv.begin() + 1, argv.end());
        CHECK(split_nul(test::read_all(run.out / "start")) == expected);

        std::vector<std::string> env_expected;
        for (const auto& [k, v] : c.environment)
            if (k != "SERVICEKIT_INIT") env_expected.push_back(k + "=" + v);
        env_expected.emplace_back("SERVICEKIT_INIT=sysv");
        CHECK(split_nul(test::read_all(run.out / "env")) == env_expected);
    }
}

TEST_CASE("sysv script: LSB exit codes through the real shell") {
    config c = minimal();
    c.name = "servicekit-unit-codes";
    c.executable = "/bin/sh";
    for (const auto& shell : shells()) {
        CAPTURE(shell);
        const script_run run(c);
        for (const auto& codes : std::vector<std::pair<int, int>>{{0, 0}, {1, 1}, {3, 3}, {4, 4}, {2, 4}}) {
            const int ssd = codes.first, lsb = codes.second;  // clang 14 cannot capture structured bindings
            CAPTURE(ssd);
            CHECK(run.run(shell, "status", {"FAKE_SSD_STATUS=" + std::to_string(ssd)}).exit_code == lsb);
        }
        CHECK(run.run(shell, "stop").exit_code == 0);
        CHECK(split_nul(test::read_all(run.out / "stop")) ==
              std::vector<std::string>{"--stop", "--quiet", "--oknodo", "--retry", "TERM/12/KILL/5", "--pidfile",
                                       "/run/servicekit-servicekit-unit-codes.pid", "--name", "sh"});
        const auto stuck = run.run(shell, "stop", {"FAKE_SSD_STOP=2"});
        CHECK(stuck.exit_code == 1);
        CHECK(stuck.err.find("still running after TERM/12/KILL/5") != std::string::npos);
        CHECK(run.run(shell, "reload", {"FAKE_SSD_STOP=1"}).exit_code == 7);
        CHECK(run.run(shell, "force-reload").exit_code == 0);
        CHECK(split_nul(test::read_all(run.out / "stop"))[2] == "--signal");

        fs::remove(run.out / "stop");
        const auto failed = run.run(shell, "start", {"FAKE_SSD_START=2"});
        CHECK(failed.exit_code == 1);
        CHECK(failed.err.find("did not start") != std::string::npos);
        CHECK(fs::exists(run.out / "stop"));  // it cleans up what it may have started

        CHECK(run.run(shell, "bogus").exit_code == 2);
    }
    c.executable = "/nonexistent/prog";
    const script_run missing(c);
    CHECK(missing.run("sh", "start").exit_code == 5);
}

#endif
