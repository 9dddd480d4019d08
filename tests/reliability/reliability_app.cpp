// The program the reliability tests install, run and break. Its config is the
// one below, edited by the environment variable SERVICEKIT_TEST_CONFIG (lines
// `field=value`, C escapes \n \t \\ \xHH in values) so that a test can hand it
// any bad input; its behaviour is chosen by its service arguments, so it
// behaves the same when a manager runs the installed command line:
//
//   (none)              idle until stopped
//   ready FILE          append "<pid>\n" to FILE when start() is done (one line per start)
//   hang-stop           stop() never returns
//   hang-stop-in-log    stop() never returns from a log call: a sink of the
//                       service's logger blocks for ever, holding its lock
//   exit-after MS CODE  after MS ms the process exits with CODE (no clean stop)
//   crash-after MS      after MS ms the process aborts (SIGABRT)
//   orphan FILE         start() forks a child that forks a grandchild and exits
//                       at once; the grandchild (now an orphan) writes its pid
//                       to FILE after 200 ms and exits
//   argv FILE           write the service's arguments to FILE, NUL-terminated
//   flood-wakes         the run thread is kept busy by a periodic task while a
//                       thread adds and cancels 100 000 tasks (each wakes the
//                       run thread), then sends the process SIGTERM
//   children FILE N     a thread runs `sh -c 'exit 3'` N times through popen(),
//                       each waited for with pclose(), then writes to FILE how
//                       many of the exit statuses came back (3)
//
// Options may be combined: `-- ready /x/r hang-stop`.
#include <servicekit/cli.hpp>

#include <spdlog/sinks/base_sink.h>

#include <chrono>
#include <csignal>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <sys/wait.h>

namespace {

using namespace std::chrono;

// A sink that never returns from the line "stop() hangs in a log call", and
// holds spdlog's sink mutex meanwhile, as a sink stuck on a full pipe would.
class stuck_sink final : public spdlog::sinks::base_sink<std::mutex> {
protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        if (std::string_view(msg.payload.data(), msg.payload.size()) == "stop() hangs in a log call")
            for (;;) std::this_thread::sleep_for(hours(1));
    }
    void flush_() override {}
};

std::string unescape(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\' || i + 1 == s.size()) {
            out += s[i];
            continue;
        }
        const char c = s[++i];
        switch (c) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case 'x':
                out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
                i += 2;
                break;
            default: out += c; break;
        }
    }
    return out;
}

[[noreturn]] void bad_test_input(const std::string& line) {
    std::fprintf(stderr, "reliability_app: SERVICEKIT_TEST_CONFIG line not understood: %s\n", line.c_str());
    std::exit(99);
}

void apply(servicekit::config& c, const std::string& key, const std::string& v) {
    using namespace servicekit;
    const auto ms = [&] { return milliseconds(std::stoll(v)); };
    if (key == "name") c.name = v;
    else if (key == "display_name") c.display_name = v;
    else if (key == "description") c.description = v;
    else if (key == "executable") c.executable = v;
    else if (key == "argument") c.arguments.push_back(v);
    else if (key == "working_directory") c.working_directory = v;
    else if (key == "env") {
        const auto eq = v.find('=');
        c.environment[v.substr(0, eq)] = eq == std::string::npos ? "" : v.substr(eq + 1);
    } else if (key == "user") c.user = v;
    else if (key == "group") c.group = v;
    else if (key == "dependency") c.dependencies.push_back(v);
    else if (key == "start_type") c.start_type = static_cast<start_type>(std::stoi(v));
    else if (key == "scope") c.scope = static_cast<scope>(std::stoi(v));
    else if (key == "restart") c.restart = static_cast<restart_policy>(std::stoi(v));
    else if (key == "restart_delay_ms") c.restart_delay = ms();
    else if (key == "stop_timeout_ms") c.stop_timeout = ms();
    else if (key == "log_level") c.log_level = static_cast<spdlog::level::level_enum>(std::stoi(v));
    else if (key == "watchdog_ms") c.systemd.watchdog = ms();
    else if (key == "launchd_label") c.launchd.label = v;
    else if (key == "launchd_stdout") c.launchd.standard_out_path = v;
    else if (key == "windows_account") c.windows.account = v;
    else if (key == "windows_password") c.windows.password = v;
    else bad_test_input(key + "=" + v);
}

servicekit::config make_config() {
    servicekit::config c;
    c.name = "sk-reliability";
    c.description = "servicekit reliability test service";
    c.stop_timeout = seconds(2);
    c.restart_delay = milliseconds(200);
    if (const char* edits = std::getenv("SERVICEKIT_TEST_CONFIG")) {
        std::istringstream in(edits);
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty()) continue;
            const auto eq = line.find('=');
            if (eq == std::string::npos) bad_test_input(line);
            apply(c, line.substr(0, eq), unescape(line.substr(eq + 1)));
        }
    }
    return c;
}

class test_service final : public servicekit::service {
public:
    void start(servicekit::context& ctx) override {
        const auto& args = ctx.arguments();
        std::optional<std::string> ready_file;
        for (std::size_t i = 0; i < args.size(); ++i) {
            const auto next = [&] { return i + 1 < args.size() ? args[++i] : std::string(); };
            if (args[i] == "ready") ready_file = next();
            else if (args[i] == "hang-stop") hang_stop_ = true;
            else if (args[i] == "hang-stop-in-log") ctx.log().sinks().push_back(std::make_shared<stuck_sink>());
            else if (args[i] == "exit-after") {
                const int ms = std::stoi(next());
                const int code = std::stoi(next());
                later(ms, [code] { std::_Exit(code); });
            } else if (args[i] == "crash-after") {
                later(std::stoi(next()), [] { std::abort(); });
            } else if (args[i] == "orphan") {
                orphan(next());
            } else if (args[i] == "children") {
                const std::string file = next();
                const int n = std::stoi(next());
                timers_.emplace_back([file, n] { own_children(file, n); });
            } else if (args[i] == "flood-wakes") {
                ctx.every(milliseconds(50), [](servicekit::context&) { std::this_thread::sleep_for(milliseconds(300)); });
                timers_.emplace_back([&ctx] {
                    for (int k = 0; k < 100'000; ++k) ctx.cancel(ctx.every(hours(1), [](servicekit::context&) {}));
                    ::kill(::getpid(), SIGTERM);
                });
            } else if (args[i] == "argv") {
                std::ofstream out(next(), std::ios::binary);
                for (const auto& a : args) out << a << '\0';
            }
        }
        if (ready_file) {
            std::ofstream(*ready_file, std::ios::app) << ::getpid() << '\n';
        }
        ctx.log().info("started");
    }

    void stop(servicekit::context& ctx) override {
        ctx.log().info("stop() hangs in a log call");  // a no-op without hang-stop-in-log
        ctx.log().info(hang_stop_ ? "stop() hangs" : "stopping");
        if (hang_stop_)
            for (;;) std::this_thread::sleep_for(hours(1));
        {
            std::lock_guard lock(m_);
            stopping_ = true;
        }
        cv_.notify_all();
        for (auto& t : timers_) t.join();
    }

private:
    template <class F>
    void later(int ms, F f) {
        timers_.emplace_back([this, ms, f] {
            std::unique_lock lock(m_);
            if (!cv_.wait_for(lock, milliseconds(ms), [this] { return stopping_; })) f();
        });
    }

    static void orphan(const std::string& file) {
        const pid_t child = ::fork();
        if (child == 0) {
            if (::fork() == 0) {
                ::usleep(200'000);
                std::ofstream(file) << ::getpid() << '\n';
                std::_Exit(0);
            }
            std::_Exit(0);
        }
        // The child is reaped by whoever reaps: run() as PID 1, else here.
        int st = 0;
        ::waitpid(child, &st, 0);
    }

    static void own_children(const std::string& file, int n) {
        int got = 0;
        for (int i = 0; i < n; ++i) {
            FILE* p = ::popen("exit 3", "r");
            if (p == nullptr) break;
            char buf[16];
            while (std::fread(buf, 1, sizeof buf, p) > 0) {}
            const int st = ::pclose(p);
            got += st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 3;
        }
        std::ofstream(file) << got << '\n';
    }

    bool hang_stop_ = false;
    std::mutex m_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::vector<std::thread> timers_;
};

}  // namespace

int main(int argc, char** argv) {
    test_service svc;
    return servicekit::cli::cli_main(argc, argv, make_config(), svc);
}
