#include "detail/lifecycle.hpp"

#include <servicekit/run.hpp>

#include <fmt/format.h>
#include <spdlog/sinks/sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#if !defined(_WIN32)
#include <csignal>
#include <pthread.h>
#endif

namespace servicekit {

// context forwards to the lifecycle that owns it.
spdlog::logger& context::log() noexcept { return owner_.log(); }
const config& context::cfg() const noexcept { return owner_.cfg(); }
const std::vector<std::string>& context::arguments() const noexcept { return owner_.cfg().arguments; }
bool context::interactive() const noexcept { return owner_.interactive(); }
void context::set_status(std::string_view text) { owner_.set_status(text); }
void context::request_stop(int exit_code) noexcept { owner_.request_stop(exit_code); }
task_id context::every(std::chrono::milliseconds period, std::function<void(context&)> task) {
    return owner_.every(period, std::move(task));
}
void context::cancel(task_id id) noexcept { owner_.cancel(id); }

namespace detail {

namespace {

// How long the stop-timeout line may take to write before the process ends
// without it.
constexpr auto last_words_grace = std::chrono::seconds(1);

// Calls `f`, one of the service's callbacks. If it throws, returns what to
// put after "... failed" in the log line: ": <what()>", or " with an unknown
// exception".
template <class F>
std::optional<std::string> failure_of(F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return fmt::format(": {}", e.what());
    } catch (...) {
        return std::string(" with an unknown exception");
    }
    return std::nullopt;
}

// The stop timeout's line.
std::string timeout_line(std::chrono::milliseconds timeout) {
    return fmt::format("stop() did not return within the stop timeout ({} ms); exiting with {}", timeout.count(),
                       exit_stop_timeout);
}

// `t + period`, or the clock's end when that lies past it: a period of
// centuries (milliseconds::max(), an absurd WATCHDOG_USEC) would overflow the
// clock's nanoseconds and make the task due at once, over and over.
std::chrono::steady_clock::time_point after(std::chrono::steady_clock::time_point t,
                                            std::chrono::milliseconds period) noexcept {
    using std::chrono::steady_clock;
    if (period >= std::chrono::floor<std::chrono::milliseconds>(steady_clock::time_point::max() - t))
        return steady_clock::time_point::max();
    return t + period;
}

// The order of the periodic tasks: the next one due first.
constexpr auto by_due = [](const auto& a, const auto& b) { return a.due < b.due; };

}  // namespace

struct watcher::state {
    std::mutex m;
    std::condition_variable cv;
    bool closing = false;
    bool armed = false;
    std::chrono::milliseconds period{0};
    std::optional<clock::time_point> deadline;
    clock::time_point next_tick;
    std::function<void()> tick, late;
};

watcher::~watcher() {
    if (!state_) return;
    {
        std::lock_guard lock(state_->m);
        state_->closing = true;
    }
    state_->cv.notify_all();
}

// A thread of servicekit's own, with every signal blocked: a signal sent to
// the process then reaches only the program's threads, and none that run()
// unblocked on its thread (a parent's blocked SIGTERM) reaches a thread that
// outlives run(), to meet the program's own handler or SIG_DFL there.
template <class F>
std::thread quiet_thread(F&& f) {
#if defined(_WIN32)
    return std::thread(std::forward<F>(f));
#else
    sigset_t all, before;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &before);
    struct put_back {
        const sigset_t& mask;
        ~put_back() { ::pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
    } restore{before};
    return std::thread(std::forward<F>(f));
#endif
}

bool watcher::prepare() noexcept {
    if (state_) return true;
    try {
        auto s = std::make_shared<state>();
        quiet_thread([s] {
            std::unique_lock lock(s->m);
            while (!s->closing) {
                if (!s->armed) {
                    s->cv.wait(lock);
                    continue;
                }
                const auto now = clock::now();
                if (s->deadline && now >= *s->deadline) s->late();
                const bool ticks = s->period.count() > 0;
                if (ticks && now >= s->next_tick) {
                    s->tick();
                    s->next_tick = now + s->period;
                }
                s->cv.wait_until(lock, !ticks ? *s->deadline
                                       : s->deadline ? std::min(*s->deadline, s->next_tick) : s->next_tick);
            }
        }).detach();
        state_ = std::move(s);
        return true;
    } catch (...) {  // std::system_error (no thread) or std::bad_alloc
        return false;
    }
}

bool watcher::arm(std::chrono::milliseconds period, std::optional<clock::time_point> deadline,
                  std::function<void()> tick, std::function<void()> late) noexcept {
    if (!prepare()) return false;
    {
        std::lock_guard lock(state_->m);
        state_->armed = true;
        state_->period = period;
        state_->deadline = deadline;
        state_->next_tick = clock::now() + period;
        state_->tick = std::move(tick);
        state_->late = std::move(late);
    }
    state_->cv.notify_all();
    return true;
}

// No wake-up: a watcher that wakes to find nothing armed waits again.
void watcher::disarm() noexcept {
    std::lock_guard lock(state_->m);
    state_->armed = false;
    state_->tick = nullptr;
    state_->late = nullptr;
}

// The stop timeout has passed: log why and end the process. A stop() that hangs
// inside a log call holds the lock of the sink this line needs, so the line is
// written from a thread of its own, and the process ends at the latest
// last_words_grace later, whether it got through or not.
[[noreturn]] void lifecycle::last_words(std::chrono::milliseconds timeout) noexcept {
    const auto say = [this, timeout] {
        logger_->critical(timeout_line(timeout));
        logger_->flush();
        std::_Exit(exit_stop_timeout);
    };
    try {
        quiet_thread(say).detach();
    } catch (...) {  // no thread to spare: say it here, and hope
        say();
    }
    std::this_thread::sleep_for(last_words_grace);
    std::_Exit(exit_stop_timeout);
}

void lifecycle::prepare_lines() {
    auto sinks = logger_->sinks();
    std::vector<stop_alarm::line> lines;
    const auto text = timeout_line(cfg_.stop_timeout);
    for (const auto& sink : sinks) {
        if (auto* writer = dynamic_cast<last_line_sink*>(sink.get())) {
            auto rendered = writer->renders_without_time() ? writer->render_last_line(logger_->name(), text, {})
                                                           : std::string();
            lines.push_back({sink, writer, std::move(rendered)});
        }
    }
    // Only now, so that a throw above (std::bad_alloc) leaves what was there.
    line_sinks_ = std::move(sinks);
    lines_ = std::move(lines);
}

bool lifecycle::arm_alarm() {
    const auto timeout = cfg_.stop_timeout;
    std::vector<stop_alarm::line> lines;
    try {
        if (logger_->should_log(spdlog::level::critical)) {
            // A sink added or removed since start(): look again.
            if (logger_->sinks() != line_sinks_) prepare_lines();
            lines = std::move(lines_);
            line_sinks_.clear();  // lines_ is spent: another arm looks again
            std::erase_if(lines, [](const auto& l) { return !l.sink->should_log(spdlog::level::critical); });
            std::string text;  // for the sinks that render with the time
            const auto when = std::chrono::system_clock::now() + timeout;
            for (auto& l : lines) {
                if (l.writer->renders_without_time()) continue;
                if (text.empty()) text = timeout_line(timeout);
                l.text = l.writer->render_last_line(logger_->name(), text, when);
            }
        }
    } catch (...) {  // std::bad_alloc: the watcher's thread, if one can be had
        return false;
    }
    return alarm_->arm(timeout, std::move(lines));
}

lifecycle::lifecycle(config cfg, service& svc, manager_link& link,
                     std::shared_ptr<spdlog::logger> logger, std::function<void()> wake, stop_alarm* alarm)
    : cfg_(std::move(cfg)), svc_(svc), link_(link), logger_(std::move(logger)),
      wake_(std::move(wake)), ctx_(*this), alarm_(alarm) {
    // Plain spdlog::info(...) anywhere in the program reaches the same log.
    spdlog::set_default_logger(logger_);
}

bool lifecycle::start() {
    const auto hint = cfg_.stop_timeout;  // the SCM wait hint while starting
    bool ok = true;
    logger_->debug("starting");
    link_.starting(hint);
    watcher_.watch(link_.progress_period(), std::nullopt, [&] {
        if (const auto failure = failure_of([&] { svc_.start(ctx_); })) {
            logger_->critical("start() failed{}", *failure);
            ok = false;
        }
    }, [&] { link_.starting(hint); }, [] {});
    if (!ok) {
        failed_ = true;
        logger_->flush();
        return false;
    }
    link_.ready();
    logger_->info("started");
    // The stop timeout's timer or thread, now that the service is up: then a
    // stop creates neither.
    if (!uses_watcher()) {
        if (!alarm_->prepare()) logger_->warn("no timer could be created for the stop timeout; will try again at stop");
        try {
            prepare_lines();
        } catch (...) {  // std::bad_alloc: nothing prepared, the stop tries again
        }
    } else if (!watcher_.prepare()) {
        logger_->warn("no thread could be started to enforce the stop timeout; will try again at stop");
    }
    return true;
}

void lifecycle::reload() {
    logger_->info("reloading");
    link_.reloading();
    if (const auto failure = failure_of([&] { svc_.reload(ctx_); }))
        logger_->error("reload() failed{}", *failure);
    link_.ready();
}

void lifecycle::stop(event why) {
    const auto timeout = cfg_.stop_timeout;
    // The manager first (systemd's STOPPING=1, the SCM's STOP_PENDING), the log
    // line after: the manager's view of the service is what waits on us.
    link_.stopping(timeout);
    // Like "starting", "stopping" is a debug line: at info, a stop is the one
    // line "stopped", and each line on the stop path is a datagram to the log
    // daemon while the manager waits (docs/PERFORMANCE.md). A stop() that
    // hangs is still logged, by the stop timeout.
    const bool shutdown = why == event::shutdown;
    logger_->debug(shutdown ? "stopping (system shutdown)" : "stopping");

    const auto call_stop = [&] {
        const auto failure = failure_of([&] {
            if (shutdown) svc_.shutdown(ctx_);
            else svc_.stop(ctx_);
        });
        if (failure) {
            logger_->error("stop() failed{}", *failure);
            failed_ = true;
        }
    };
    // The stop timeout: the alarm, or else the watcher, ends the process if
    // stop() hangs.
    if (!uses_watcher() && arm_alarm()) {
        struct disarm_on_return {
            stop_alarm& alarm;
            ~disarm_on_return() { alarm.disarm(); }
        } guard{*alarm_};
        call_stop();
    } else {
        if (!watcher_.prepare())
            logger_->warn("no thread could be started to enforce the stop timeout; stop() runs without it");
        watcher_.watch(link_.progress_period(), std::chrono::steady_clock::now() + timeout, call_stop,
                       [&] { link_.stopping(timeout); }, [&] { last_words(timeout); });
    }
    logger_->info(shutdown ? "stopped (system shutdown)" : "stopped");
    logger_->flush();
}

int lifecycle::exit_code() const noexcept {
    if (failed_) return exit_failure;
    return requested_code_.load();
}

void lifecycle::request_stop(int exit_code) noexcept {
    // The first request wins; its code is stored before the loop can see it.
    bool expected = false;
    if (stop_claimed_.compare_exchange_strong(expected, true)) {
        requested_code_.store(exit_code);
        stop_requested_.store(true);
        if (wake_) wake_();
    }
}

task_id lifecycle::every(std::chrono::milliseconds period, std::function<void(context&)> task) {
    if (period.count() <= 0)
        throw std::invalid_argument(fmt::format("context::every: the period must be positive, not {} ms", period.count()));
    if (!task) throw std::invalid_argument("context::every: the task is empty");
    task_id id{};
    {
        std::lock_guard lock(tasks_mutex_);
        id = task_id{++last_task_id_};
        tasks_.push_back({id, period, after(std::chrono::steady_clock::now(), period),
                          std::make_shared<std::function<void(context&)>>(std::move(task))});
    }
    // The run thread looks at the tasks before it waits again; any other
    // thread must wake it, or it would sleep past the new task.
    if (std::this_thread::get_id() != run_thread_ && wake_) wake_();
    return id;
}

void lifecycle::cancel(task_id id) noexcept {
    std::lock_guard lock(tasks_mutex_);
    std::erase_if(tasks_, [id](const periodic& t) { return t.id == id; });
}

std::optional<std::chrono::milliseconds> lifecycle::time_to_next_task() const {
    using namespace std::chrono;
    std::lock_guard lock(tasks_mutex_);
    if (tasks_.empty()) return std::nullopt;
    const auto next = std::min_element(tasks_.begin(), tasks_.end(), by_due);
    return std::max(milliseconds(0), ceil<milliseconds>(next->due - steady_clock::now()));
}

void lifecycle::run_due_tasks() {
    const auto now = std::chrono::steady_clock::now();
    // One task at a time, looked up again after each call: a task may add or
    // cancel tasks. Each call moves the task's next time past `now`, so this
    // ends.
    while (!stop_requested()) {
        std::shared_ptr<std::function<void(context&)>> call;
        {
            std::lock_guard lock(tasks_mutex_);
            const auto due = std::min_element(tasks_.begin(), tasks_.end(), by_due);
            if (due == tasks_.end() || due->due > now) return;
            due->due = after(due->due, due->period);
            if (due->due <= now) due->due = after(now, due->period);  // late: once, not caught up
            call = due->call;
        }
        if (const auto failure = failure_of([&] { (*call)(ctx_); })) {
            logger_->critical("a periodic task failed{}; stopping", *failure);
            failed_ = true;
            request_stop(exit_failure);
        }
    }
}

void lifecycle::set_status(std::string_view text) {
    std::lock_guard lock(status_mutex_);
    logger_->debug("status: {}", text);
    link_.status_text(text);
}

}  // namespace detail
}  // namespace servicekit
