#pragma once
/// @file
/// What you write: a servicekit::service, and the context it runs in.

#include <servicekit/config.hpp>
#include <servicekit/export.hpp>

#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace servicekit {

namespace detail { class lifecycle; }

/// Names a periodic task (context::every) for context::cancel.
enum class task_id : std::uint64_t {};

/// What a running service may ask for. run() owns it; a service gets a
/// reference in every callback and may keep it until stop() returns.
class SERVICEKIT_EXPORT context {
public:
    context(const context&) = delete;
    context& operator=(const context&) = delete;

    /// The process's logger: the platform's log (journald or syslog, the Event
    /// Log, os_log) under a manager, the terminal otherwise. run() also makes
    /// it spdlog's default logger, so spdlog::info(...) goes there too.
    /// Thread-safe.
    spdlog::logger& log() noexcept;
    /// The effective config (after `--name`, `--log-level` and the arguments
    /// from the command line were applied).
    const config& cfg() const noexcept;
    /// The service's own arguments, verbatim: what followed `--` on the
    /// command line, else config::arguments.
    const std::vector<std::string>& arguments() const noexcept;
    /// True when no service manager started this process (`app run` in a terminal).
    bool interactive() const noexcept;
    /// A one-line status for the manager: systemd `STATUS=` (shown by
    /// `systemctl status` and `app status`); logged at debug level elsewhere.
    /// Any thread.
    void set_status(std::string_view text);
    /// Ends the service: run() calls stop() and returns exit_code. Any thread,
    /// any time, also from inside start(); later calls do not change the code.
    /// A process's exit status keeps only the low 8 bits on POSIX systems
    /// (256 reads as 0, success): use 0-255, and avoid 124 (exit_stop_timeout).
    void request_stop(int exit_code = 0) noexcept;

    /// Calls `task` every `period`, the first time one period from now, on
    /// the thread that runs start() and stop(), until cancel() or until the
    /// service begins to stop: periodic work with no thread of your own. The
    /// calls come between the service's other callbacks, never during them,
    /// so a task may use the service's state without a lock; it should return
    /// promptly, because signals and stop requests wait for it. A call that
    /// comes late (a slow task, a suspended machine) is made once, not caught
    /// up, and the schedule goes on from then. An exception from a task is
    /// logged and stops the service with exit_failure. Any thread; throws
    /// std::invalid_argument when `period` is not positive or `task` is empty.
    task_id every(std::chrono::milliseconds period, std::function<void(context&)> task);
    /// The task is not called again (a call already under way finishes).
    /// Unknown and already cancelled ids are ignored. Any thread.
    void cancel(task_id id) noexcept;

private:
    friend class detail::lifecycle;
    explicit context(detail::lifecycle& owner) noexcept : owner_(owner) {}
    detail::lifecycle& owner_;
};

/// What you write. run() calls it on one thread, in this order:
/// start, then any number of reload, then stop (or shutdown when the machine
/// is going down). Exceptions thrown from start() are logged and make run()
/// return exit_failure; from reload() they are logged and ignored; from stop()
/// they are logged and make run() return exit_failure.
class service {
public:
    virtual ~service() = default;
    /// Must return promptly: start your own threads, or schedule periodic
    /// work with context::every(). Under systemd READY=1 is sent when it
    /// returns; under the SCM, RUNNING.
    virtual void start(context& ctx) = 0;
    /// Must make your threads finish, then return, within config::stop_timeout;
    /// past it the process exits with exit_stop_timeout anyway.
    virtual void stop(context& ctx) = 0;
    /// SIGHUP (systemctl reload), SCM PARAMCHANGE. Default: nothing.
    virtual void reload(context& ctx) { (void)ctx; }
    /// The machine is going down (SCM SHUTDOWN / PRESHUTDOWN). Default: stop().
    virtual void shutdown(context& ctx) { stop(ctx); }
};

}  // namespace servicekit
