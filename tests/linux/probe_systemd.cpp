// The service the systemd end-to-end tests install (tests/linux/systemd_e2e.sh).
//
// Running, it records what the manager handed it, under $PROBE_OUT:
//   <name>.argv    its argv, each argument followed by a NUL byte
//   <name>.env     every PROBE_ENV_* variable as "KEY=value" + NUL, sorted
//   <name>.cwd     its working directory
//   <name>.events  one line per callback: "start PID", "reload PID", "stop PID"
// and logs known lines at known levels, so the journal can be checked.
// With PROBE_ENV_FAIL_START set, start() throws.
//
// Installing, it takes from its own environment: every PROBE_ENV_* variable
// and PROBE_OUT into config::environment, PROBE_WORKDIR as the working
// directory, PROBE_DESCRIPTION, PROBE_RESTART_MS, PROBE_WATCHDOG_MS.
#include <servicekit/cli.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace {

std::vector<std::string> process_argv;

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v != nullptr ? std::string(v) : fallback;
}

class probe final : public servicekit::service {
public:
    void start(servicekit::context& ctx) override {
        out_ = env_or("PROBE_OUT", "");
        name_ = ctx.cfg().name;
        if (!out_.empty()) {
            std::string argv;
            for (const auto& a : process_argv) argv += a + '\0';
            write("argv", argv, false);

            std::vector<std::string> vars;
            for (char** e = environ; *e != nullptr; ++e)
                if (std::string_view(*e).starts_with("PROBE_ENV_")) vars.emplace_back(*e);
            std::sort(vars.begin(), vars.end());
            std::string env;
            for (const auto& v : vars) env += v + '\0';
            write("env", env, false);
            write("cwd", std::filesystem::current_path().string(), false);
        }
        event("start");
        if (std::getenv("PROBE_ENV_FAIL_START") != nullptr) throw std::runtime_error("probe asked to fail");
        ctx.log().info("probe started");
        ctx.log().warn("probe warning");
        ctx.log().error("probe error");
        ctx.log().info("first line\nsecond line");
        ctx.set_status("probe running");
    }
    void reload(servicekit::context& ctx) override {
        event("reload");
        ctx.log().info("probe reloaded");
    }
    void stop(servicekit::context& ctx) override {
        event("stop");
        ctx.log().info("probe graceful stop");
    }

private:
    void write(const std::string& what, const std::string& content, bool append) const {
        if (out_.empty()) return;
        std::ofstream(out_ + "/" + name_ + "." + what, append ? std::ios::binary | std::ios::app : std::ios::binary)
            << content;
    }
    void event(const std::string& what) const { write("events", what + " " + std::to_string(::getpid()) + "\n", true); }

    std::string out_, name_;
};

}  // namespace

int main(int argc, char** argv) {
    process_argv.assign(argv, argv + argc);

    servicekit::config cfg;
    cfg.name = "probe";
    cfg.description = env_or("PROBE_DESCRIPTION", "servicekit end-to-end probe");
    cfg.stop_timeout = std::chrono::seconds(5);
    cfg.restart_delay = std::chrono::milliseconds(std::stoi(env_or("PROBE_RESTART_MS", "1000")));
    cfg.systemd.watchdog = std::chrono::milliseconds(std::stoi(env_or("PROBE_WATCHDOG_MS", "0")));
    if (const char* dir = std::getenv("PROBE_WORKDIR")) cfg.working_directory = dir;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string var = *e;
        const auto eq = var.find('=');
        if (eq == std::string::npos) continue;
        const std::string key = var.substr(0, eq);
        if (key.starts_with("PROBE_ENV_") || key == "PROBE_OUT") cfg.environment[key] = var.substr(eq + 1);
    }
    probe svc;
    return servicekit::cli::cli_main(argc, argv, cfg, svc);
}
