// The service the SysV end-to-end test installs (tests/linux/sysv_e2e.sh).
// It records how the init script started it, in $SYSV_PROBE_DIR:
//   argv, env   NUL-separated, exactly as the process received them
//   cwd, ids    the working directory; "uid gid"
//   pid, interactive
// and logs "probe started" / "probe reloaded" / "probe stopping".
// Its config comes from the installer's environment: SYSV_PROBE_DIR (also the
// working directory), SYSV_PROBE_USER, SYSV_PROBE_GROUP, and every
// SYSV_PROBE_ENV_* variable becomes a configured environment variable.
// SYSV_PROBE_ENV_FAIL makes start() throw. With SYSV_PROBE_SANITIZER_LOGS=DIR
// (a sanitizer build), ASAN_, UBSAN_ and TSAN_OPTIONS are configured too, as
// they are at install plus log_path=DIR/sysv-<tool>: start-stop-daemon
// --background sends the daemon's stderr to /dev/null, and a report must not
// be lost there.
#include <servicekit/cli.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>

extern char** environ;

namespace {

void write_file(const std::filesystem::path& path, std::string_view content) {
    const auto tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
        if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
    }
    std::filesystem::rename(tmp, path);
}

std::string nul_joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) {
        out += s;
        out += '\0';
    }
    return out;
}

class probe final : public servicekit::service {
public:
    explicit probe(std::vector<std::string> argv) : argv_(std::move(argv)) {}

    void start(servicekit::context& ctx) override {
        if (std::getenv("SYSV_PROBE_ENV_FAIL")) throw std::runtime_error("asked to fail (SYSV_PROBE_ENV_FAIL)");
        const char* dir = std::getenv("SYSV_PROBE_DIR");
        if (!dir) throw std::runtime_error("SYSV_PROBE_DIR is not set");
        const std::filesystem::path d(dir);
        std::vector<std::string> env;
        for (char** e = environ; *e; ++e) env.emplace_back(*e);
        write_file(d / "argv", nul_joined(argv_));
        write_file(d / "env", nul_joined(env));
        write_file(d / "cwd", std::filesystem::current_path().string());
        write_file(d / "ids", std::to_string(::getuid()) + " " + std::to_string(::getgid()));
        write_file(d / "interactive", ctx.interactive() ? "1" : "0");
        write_file(d / "pid", std::to_string(::getpid()));
        ctx.log().info("probe started");
    }
    void reload(servicekit::context& ctx) override { ctx.log().info("probe reloaded"); }
    void stop(servicekit::context& ctx) override {
        ctx.log().warn("probe stopping");
        if (std::getenv("SYSV_PROBE_ENV_HANG"))
            for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
    }

private:
    std::vector<std::string> argv_;
};

}  // namespace

int main(int argc, char** argv) {
    servicekit::config cfg;
    cfg.name = "sysv-probe";
    cfg.description = "servicekit SysV end-to-end probe: records its argv, environment and working directory";
    if (const char* d = std::getenv("SYSV_PROBE_DIR")) {
        cfg.working_directory = d;
        cfg.environment["SYSV_PROBE_DIR"] = d;
    }
    if (std::getenv("SYSV_PROBE_ENV_HANG")) cfg.stop_timeout = std::chrono::milliseconds(500);
    if (const char* u = std::getenv("SYSV_PROBE_USER")) cfg.user = u;
    if (const char* g = std::getenv("SYSV_PROBE_GROUP")) cfg.group = g;
    if (const char* logs = std::getenv("SYSV_PROBE_SANITIZER_LOGS")) {
        using option = std::pair<const char*, const char*>;  // variable, the report's name
        for (const auto& [var, tool] : {option{"ASAN_OPTIONS", "asan"}, option{"UBSAN_OPTIONS", "ubsan"}, option{"TSAN_OPTIONS", "tsan"}}) {
            const char* now = std::getenv(var);
            cfg.environment[var] = (now && *now ? std::string(now) + ":" : std::string()) + "log_path=" + logs + "/sysv-" + tool;
        }
    }
    constexpr std::string_view prefix = "SYSV_PROBE_ENV_";
    for (char** e = environ; *e; ++e) {
        const std::string_view entry(*e);
        const auto eq = entry.find('=');
        if (entry.starts_with(prefix) && eq != std::string_view::npos)
            cfg.environment[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
    }
    probe svc(std::vector<std::string>(argv, argv + argc));
    return servicekit::cli::cli_main(argc, argv, cfg, svc);
}
