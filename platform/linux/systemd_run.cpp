// Running under systemd: readiness, reload and stop notifications, the
// watchdog, and logs to the journal. Outside systemd: the terminal.
#include "linux/journal_sink.hpp"
#include "linux/notify.hpp"
#include "linux/stop_alarm.hpp"
#include "linux/systemd_backend.hpp"

#include "detail/lifecycle.hpp"
#include "posix/signals.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace servicekit::detail::systemd {

namespace {

std::optional<long long> env_number(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return std::nullopt;
    char* end = nullptr;
    const long long n = std::strtoll(v, &end, 10);
    if (end == nullptr || *end != '\0' || n < 0) return std::nullopt;
    return n;
}

// What run() tells systemd. Notifications that cannot be sent are ignored:
// systemd then times the service out, which `status` and the journal show.
class systemd_link final : public manager_link {
public:
    explicit systemd_link(std::optional<notifier> n) : notifier_(std::move(n)) {}

    bool interactive() const override { return false; }
    void ready() override { send("READY=1"); }
    void reloading() override { send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}", monotonic_usec())); }
    void stopping(std::chrono::milliseconds) override { send("STOPPING=1"); }
    void status_text(std::string_view text) override {
        // One assignment per line: a newline would start a new (bogus) one.
        std::string line(text);
        for (char& c : line)
            if (c == '\n' || c == '\r') c = ' ';
        send("STATUS=" + line);
    }
    void watchdog() { send("WATCHDOG=1"); }

private:
    void send(std::string_view state) {
        if (notifier_) (void)notifier_->send(state);
    }
    std::optional<notifier> notifier_;
};

}  // namespace

bool started_by_systemd() {
    const auto set = [](const char* name) {
        const char* v = std::getenv(name);
        return v != nullptr && *v != '\0';
    };
    // NOTIFY_SOCKET first, as sd_notify() has it: a unit whose ExecStart is a
    // wrapper (`sh -c 'app run'`, NotifyAccess=all) starts the service as a
    // child of its main process, and the service must still report. A
    // program that starts others unsets it for them.
    if (set("NOTIFY_SOCKET")) return true;
    // systemd >= 248 names the process it started: a different PID means the
    // variables were inherited (a shell or CI job run by some other unit).
    if (set("SYSTEMD_EXEC_PID")) return env_number("SYSTEMD_EXEC_PID") == ::getpid();
    return set("INVOCATION_ID") && ::isatty(STDERR_FILENO) == 0;
}

int run_under_systemd(const config& cfg, service& svc) {
    linux_alarm::timer_alarm alarm;
    if (!started_by_systemd()) {
        terminal_link link;
        return posix::run_with_signals(cfg, svc, link, make_terminal_sink(), {}, &alarm);
    }
    systemd_link link(notifier::from_environment());
    posix::keepalive ka;
    // WATCHDOG_PID, when set, names the process that must ping; a child that
    // inherited the variables must not.
    const auto usec = env_number("WATCHDOG_USEC");
    const auto for_pid = env_number("WATCHDOG_PID");
    if (usec && *usec > 0 && (!for_pid || *for_pid == ::getpid())) {
        ka.period = std::chrono::milliseconds(std::max(1LL, *usec / 2000));
        ka.beat = [&link] { link.watchdog(); };
    }
    // A container whose manager speaks the notify protocol may have neither
    // journald's socket nor syslog's; its stderr is its log.
    auto sink = make_journal_sink(cfg.name);
    if (!sink) sink = make_terminal_sink();
    return posix::run_with_signals(cfg, svc, link, std::move(sink), ka, &alarm);
}

}  // namespace servicekit::detail::systemd
