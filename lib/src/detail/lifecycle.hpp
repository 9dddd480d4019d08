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
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

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
    /// progress (from the watcher's thread). Zero (the default): no ticks.
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

/// The thread that watches start() and stop(): while one of them runs, it calls
/// `tick` every `period` (so a manager with a start/stop timeout, the SCM,
/// sees progress) and `late` once a deadline has passed (the stop timeout,
/// where no stop_alarm does it: macOS, the SCM, a failed alarm).
/// The thread is started once, by prepare() or by the first watch that needs
/// it, and then waits for the next watch: a stop starts no thread. That keeps
/// thread creation off the stop path, which is both faster (docs/PERFORMANCE.md)
/// and surer: the stop timeout cannot be lost at shutdown for want of a
/// thread. The thread is detached; it ends when the watcher is destroyed, or
/// with the process.
class watcher {
public:
    using clock = std::chrono::steady_clock;
    watcher() = default;
    watcher(const watcher&) = delete;
    watcher& operator=(const watcher&) = delete;
    ~watcher();

    /// Starts the thread if it is not running; false if it could not be.
    bool prepare() noexcept;

    /// Runs `body` under watch. `late` must not return. `tick` and `late` are
    /// called only while `body` has not returned, under a mutex that its
    /// return takes, so they may use the caller's state. Without a period or
    /// a deadline there is nothing to watch; without a thread (prepare()
    /// failed) `body` runs unwatched.
    template <class Body>
    void watch(std::chrono::milliseconds period, std::optional<clock::time_point> deadline, Body&& body,
               std::function<void()> tick, std::function<void()> late) {
        if ((period.count() <= 0 && !deadline) || !arm(period, deadline, std::move(tick), std::move(late))) {
            body();
            return;
        }
        struct disarm_on_return {
            watcher& w;
            ~disarm_on_return() { w.disarm(); }
        } guard{*this};
        body();
    }

private:
    struct state;
    bool arm(std::chrono::milliseconds period, std::optional<clock::time_point> deadline,
             std::function<void()> tick, std::function<void()> late) noexcept;
    void disarm() noexcept;
    std::shared_ptr<state> state_;
};

/// A sink that can also write the stop-timeout line from a signal handler,
/// where spdlog cannot be used (a stop_alarm's). The line is rendered while
/// the process is well: once the service is up if the sink renders it without
/// the time, otherwise as stop() begins; written, if at all, when stop() has
/// hung past the stop timeout.
class last_line_sink {
public:
    /// `text` at level critical from the logger `name`, as this sink would
    /// write it at `when`.
    virtual std::string render_last_line(std::string_view name, std::string_view text,
                                         std::chrono::system_clock::time_point when) = 0;
    /// True when render_last_line() does not use `when` (journald stamps an
    /// entry as it receives it): the line is then rendered once, after
    /// start(), and not on the stop's path.
    virtual bool renders_without_time() const noexcept { return false; }
    /// Writes what render_last_line() returned. Async-signal-safe, and never
    /// waits for a reader.
    virtual void write_last_line(const std::string& rendered) const noexcept = 0;

protected:
    ~last_line_sink() = default;
};

#if !defined(_WIN32)
/// Writes `text` to `fd` for a last line: waits for room before each write
/// (poll), for `budget` in all, then gives up on what is left, so a terminal
/// or pipe that nobody reads cannot hold the process. Async-signal-safe.
void write_bounded(int fd, std::string_view text, std::chrono::milliseconds budget) noexcept;
#endif

/// The stop timeout without a thread, where the platform has the means (Linux:
/// a POSIX timer, platform/linux/stop_alarm.cpp). If the deadline passes before
/// disarm(), a signal handler writes each line through its sink and ends the
/// process with exit_stop_timeout. Without an alarm, the watcher's thread
/// enforces the timeout (docs/PERFORMANCE.md says why a thread costs the stop).
class stop_alarm {
public:
    struct line {
        spdlog::sink_ptr sink;  // kept alive while armed
        last_line_sink* writer;
        std::string text;
    };
    virtual ~stop_alarm() = default;
    /// Sets up what arm() needs, once the service is up, on the thread that
    /// will call arm(); false if it could not (arm() tries again).
    virtual bool prepare() noexcept = 0;
    /// False when the alarm cannot be set (no timer): the caller watches
    /// another way.
    virtual bool arm(std::chrono::milliseconds timeout, std::vector<line> lines) noexcept = 0;
    /// Returns only if the deadline had not passed; otherwise the process is
    /// ending, and this waits for it.
    virtual void disarm() noexcept = 0;
};

/// The events a platform feeds into a running service.
enum class event { stop, shutdown, reload };

class lifecycle {
public:
    /// `wake` is called (from any thread, never from a signal handler) when
    /// request_stop() needs the platform's wait loop to look at stop_requested().
    /// With an `alarm` (which must outlive the lifecycle), it enforces the stop
    /// timeout, and no thread is started for it.
    lifecycle(config cfg, service& svc, manager_link& link,
              std::shared_ptr<spdlog::logger> logger, std::function<void()> wake,
              stop_alarm* alarm = nullptr);

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

    /// context::every and context::cancel.
    task_id every(std::chrono::milliseconds period, std::function<void(context&)> task);
    void cancel(task_id id) noexcept;
    /// How long the platform's wait loop may sleep before a periodic task is
    /// due, rounded up to whole milliseconds; nullopt when there is none. The
    /// loop asks before every wait (on the run thread), and is woken when
    /// another thread adds a task.
    std::optional<std::chrono::milliseconds> time_to_next_task() const;
    /// Runs the periodic tasks that are due, on the run thread, unless a stop
    /// has been requested.
    void run_due_tasks();

private:
    [[noreturn]] void last_words(std::chrono::milliseconds timeout) noexcept;
    /// Finds the logger's sinks that can write the stop-timeout line from a
    /// signal handler, and renders the line for those that render it without
    /// the time. After start(), while the service idles: the stop then does
    /// not look for them (a dynamic_cast each) nor format the line.
    void prepare_lines();
    /// Arms the alarm, if there is one, for the configured stop timeout (the
    /// one prepare_lines() renders), with the stop-timeout line rendered for
    /// every sink that can write it from a signal handler.
    bool arm_alarm();
    bool uses_watcher() const noexcept { return alarm_ == nullptr || link_.progress_period().count() > 0; }

    struct periodic {
        task_id id;
        std::chrono::milliseconds period;
        std::chrono::steady_clock::time_point due;
        // Shared, so that a task which cancels itself is not destroyed
        // while it runs.
        std::shared_ptr<std::function<void(context&)>> call;
    };

    config cfg_;
    service& svc_;
    manager_link& link_;
    std::shared_ptr<spdlog::logger> logger_;
    std::function<void()> wake_;
    context ctx_;
    std::atomic<bool> stop_claimed_{false};    // a request_stop() has begun
    std::atomic<int> requested_code_{0};       // its exit code, stored before...
    std::atomic<bool> stop_requested_{false};  // ...the run thread is told
    bool failed_ = false;
    std::mutex status_mutex_;
    const std::thread::id run_thread_ = std::this_thread::get_id();
    mutable std::mutex tasks_mutex_;
    std::vector<periodic> tasks_;
    std::uint64_t last_task_id_ = 0;
    stop_alarm* alarm_;
    // What prepare_lines() found: the logger's sinks at the time (a stop that
    // finds others looks again), and a line for each last_line_sink among
    // them, its text empty where the sink renders it as the stop begins.
    std::vector<spdlog::sink_ptr> line_sinks_;
    std::vector<stop_alarm::line> lines_;
    watcher watcher_;
};

/// The logger run() uses: named after the service, with `sink`, at cfg.log_level.
std::shared_ptr<spdlog::logger> make_logger(const config& cfg, spdlog::sink_ptr sink);

/// A coloured stderr sink when stderr is a terminal, plain otherwise.
spdlog::sink_ptr make_terminal_sink();

}  // namespace servicekit::detail
