// A service program for the CLI flow test (cli_flow.sh), built like a sample
// with servicekit::cli. While it runs as a service it records, in $PROBE_DIR:
//   argv     its command line, NUL-separated (rewritten at every start)
//   events   "start <pid> interactive=<0|1>" and "stop <pid>", one per line
#include <servicekit/cli.hpp>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

std::vector<std::string> g_argv;

std::string probe_file(const char* name) {
    const char* dir = std::getenv("PROBE_DIR");
    return dir != nullptr ? std::string(dir) + "/" + name : std::string();
}

class probe final : public servicekit::service {
public:
    void start(servicekit::context& ctx) override {
        if (const auto path = probe_file("argv"); !path.empty()) {
            std::ofstream out(path + ".tmp", std::ios::binary);
            for (const auto& a : g_argv) out << a << '\0';
            out.close();
            std::rename((path + ".tmp").c_str(), path.c_str());
        }
        event("start", ctx.interactive() ? "interactive=1" : "interactive=0");
        ctx.log().info("probe started with {} service arguments", ctx.arguments().size());
    }
    void stop(servicekit::context& ctx) override {
        ctx.log().info("probe stopping");
        event("stop", "");
    }

private:
    static void event(const char* what, const std::string& extra) {
        if (const auto path = probe_file("events"); !path.empty())
            std::ofstream(path, std::ios::app) << what << ' ' << ::getpid() << (extra.empty() ? "" : " ") << extra
                                               << '\n';
    }
};

}  // namespace

int main(int argc, char** argv) {
    g_argv.assign(argv, argv + argc);
    servicekit::config cfg;
    cfg.name = "launchd-probe";
    cfg.description = "records how launchd ran it";
    cfg.stop_timeout = std::chrono::seconds(3);
    cfg.launchd.standard_error_path = "/var/log/launchd-probe/stderr.log";
    if (const char* dir = std::getenv("PROBE_DIR")) cfg.environment["PROBE_DIR"] = dir;
    probe svc;
    return servicekit::cli::cli_main(argc, argv, cfg, svc);
}
