#pragma once
// The portable half of running a service: the order of the service's
// callbacks, error handling, the stop timeout, request_stop(). The platform
// half (signals or the SCM control handler, readiness reports, the log sink)
// drives it through a manager_link and post().

#include <servicekit/config.hpp>
#include <servicekit/service.hpp>

#include <spdlog/logger.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace servicekit::detail {

/// How the running process talks to the manager that started it. The
/// foreground (terminal) link reports nothing.
class manager_link {
public:
    virtual ~manager_link() = default;
    /// False under a service manager.
    virtual bool interactive() const = 0;
    /// Non-zero: starting()/stopping() are called again at this period while
    /// start()/stop() run, so a manager with a start timeout (the SCM) sees
    /// progress. Zero (the default) costs no thread.
    virtual std::chrono::milliseconds progress_period() const { return std::chrono::milliseconds(0); }
    virtual void starting(std::chrono::milliseconds wait_hint) { (void)wait_hint; }
    virtual void ready() {}
    virtual void reloading() {}
    virtual void stopping(std::chrono::milliseconds wait_hint) { (void)wait_hint; }
    virtual void status_text(std::string_view text) { (void)text; }
};

/// No manager: `app run` in a terminal.
class terminal_link final : public manager_link {
public:
    bool interactive() const override { return true; }
};

/// The events a platform feeds into a running service.
enum class event { stop, shutdown, reload };

class lifecycle {
public:
    /// `wake` is called (from any thread, never from a signal handler) when
    /// request_stop() needs the platform's wait loop to look at stop_requested().
    lifecycle(config cfg, service& svc, manager_link& link,
              std::shared_ptr<spdlog::logger> logger, std::function<void()> wake);

    context& ctx() noexcept { return ctx_; }
    spdlog::logger& log() noexcept { return *logger_; }
    const config& cfg() const noexcept { return cfg_; }
    bool interactive() const noexcept { return link_.interactive(); }

    /// Calls service::start; false when it threw (logged) — then call finish().
    bool start();
    /// Calls service::reload around reloading()/ready().
    void reload();
    /// Calls service::stop (or shutdown) under the stop timeout: if it does
    /// not return in time the process ends with exit_stop_timeout.
    void stop(event why);
    /// The exit code run() returns.
    int exit_code() const noexcept;

    bool stop_requested() const noexcept { return stop_requested_.load(); }
    void request_stop(int exit_code) noexcept;
    void set_status(std::string_view text);

private:
    [[noreturn]] void last_words(std::chrono::milliseconds timeout) noexcept;

    config cfg_;
    service& svc_;
    manager_link& link_;
    std::shared_ptr<spdlog::logger> logger_;
    std::function<void()> wake_;
    context ctx_;
    std::atomic<bool> stop_requested_{false};
    std::atomic<int> requested_code_{0};
    bool failed_ = false;
    std::mutex status_mutex_;
};

/// The logger run() uses: named after the service, with `sink`, at cfg.log_level.
std::shared_ptr<spdlog::logger> make_logger(const config& cfg, spdlog::sink_ptr sink);

/// A coloured stderr sink when stderr is a terminal, plain otherwise.
spdlog::sink_ptr make_terminal_sink();

}  // namespace servicekit::detail
