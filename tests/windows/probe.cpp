// The service the Windows end-to-end test installs. It records what it got
// in record-<name>.txt beside its executable, one line per fact:
//   start interactive=<0|1>
//   cwd <directory>
//   arg <argument>          one per service argument, in order
//   task                    when its periodic task (context::every, 50 ms) has run
//                           three times, on the thread that called start()
//   reload                  on PARAMCHANGE
//   stop
// Values are escaped so that each fits on one line: \\ \n \r \t.
// For the install tests: PROBE_START_TYPE (automatic, delayed, manual,
// disabled) overrides the start type, PROBE_DESCRIPTION the description,
// PROBE_EXECUTABLE the executable the service runs, and PROBE_ENVIRONMENT
// (NAME=value) sets one variable of the service's environment. While a file
// slow-start-<name>.txt beside the executable holds <ms>, start() takes that
// long (a file, not the service's environment: Wine's SCM does not apply the
// Environment value, and the test runs there).
#include <servicekit/cli.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#if defined(_WIN32)
#include <windows.h>
#endif

namespace {

std::string escape(std::string_view s) {
    std::string out;
    for (const char c : s) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default: out += c;
        }
    }
    return out;
}

std::string current_directory() {
#if defined(_WIN32)
    wchar_t buf[32768];
    const DWORD n = ::GetCurrentDirectoryW(32768, buf);
    const int len = ::WideCharToMultiByte(CP_UTF8, 0, buf, static_cast<int>(n), nullptr, 0, nullptr, nullptr);
    std::string out(static_cast<std::size_t>(len), '\0');
    ::WideCharToMultiByte(CP_UTF8, 0, buf, static_cast<int>(n), out.data(), len, nullptr, nullptr);
    return out;
#else
    return std::filesystem::current_path().string();
#endif
}

class probe final : public servicekit::service {
public:
    void start(servicekit::context& ctx) override {
        const auto dir = ctx.cfg().executable.parent_path();
        long slow_ms = 0;
        if (std::ifstream(dir / ("slow-start-" + ctx.cfg().name + ".txt")) >> slow_ms)
            std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms));
        record_ = dir / ("record-" + ctx.cfg().name + ".txt");
        std::string text = std::string("start interactive=") + (ctx.interactive() ? "1" : "0") + "\n";
        text += "cwd " + escape(current_directory()) + "\n";
        for (const auto& a : ctx.arguments()) text += "arg " + escape(a) + "\n";
        write(text, std::ios::trunc);
        ctx.log().info("probe started with {} arguments", ctx.arguments().size());
        const auto run_thread = std::this_thread::get_id();
        ctx.every(std::chrono::milliseconds(50), [this, run_thread](servicekit::context&) {
            if (++task_calls_ == 3) write(std::this_thread::get_id() == run_thread ? "task\n" : "task off the run thread\n", std::ios::app);
        });
    }
    void reload(servicekit::context& ctx) override {
        write("reload\n", std::ios::app);
        ctx.log().info("probe reloaded");
    }
    void stop(servicekit::context& ctx) override {
        write("stop\n", std::ios::app);
        ctx.log().info("probe stopping gracefully");
    }

private:
    void write(const std::string& text, std::ios::openmode mode) {
        std::lock_guard lock(mutex_);
        std::ofstream out(record_, std::ios::binary | std::ios::out | mode);
        out << text;
    }
    std::mutex mutex_;
    std::filesystem::path record_;
    int task_calls_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
    servicekit::config cfg;
    cfg.name = "servicekit-probe";
    cfg.display_name = "servicekit e2e probe \xc3\xbc";
    cfg.description = "Records its arguments and working directory for servicekit's tests (\xe6\x97\xa5\xe6\x9c\xac)";
    cfg.start_type = servicekit::start_type::manual;
    cfg.stop_timeout = std::chrono::seconds(5);
    cfg.windows.accept_pause = true;
    if (const char* t = std::getenv("PROBE_START_TYPE")) {
        const std::string type = t;
        if (type == "automatic") cfg.start_type = servicekit::start_type::automatic;
        if (type == "delayed") cfg.start_type = servicekit::start_type::delayed;
        if (type == "disabled") cfg.start_type = servicekit::start_type::disabled;
    }
    if (const char* d = std::getenv("PROBE_DESCRIPTION")) cfg.description = d;
    if (const char* e = std::getenv("PROBE_EXECUTABLE")) cfg.executable = e;
    if (const char* v = std::getenv("PROBE_ENVIRONMENT")) {
        const std::string var = v;
        const auto eq = var.find('=');
        cfg.environment[var.substr(0, eq)] = eq == std::string::npos ? "" : var.substr(eq + 1);
    }
    probe svc;
    return servicekit::cli::cli_main(argc, argv, cfg, svc);
}
