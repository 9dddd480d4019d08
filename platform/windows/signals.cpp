#include "windows/signals.hpp"

#include <windows.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <system_error>

namespace servicekit::detail::scm {

namespace {

// The handler is process-wide, so is its state; run() is called once per process.
HANDLE wake_event = nullptr;
HANDLE done_event = nullptr;
std::atomic<long> received{-1};
std::atomic<DWORD> close_wait_ms{0};

BOOL WINAPI on_console_ctrl(DWORD type) {
    switch (type) {
        case CTRL_C_EVENT:
        case CTRL_BREAK_EVENT:
            received.store(static_cast<long>(type));
            ::SetEvent(wake_event);
            return TRUE;
        case CTRL_CLOSE_EVENT:
        case CTRL_LOGOFF_EVENT:
        case CTRL_SHUTDOWN_EVENT:
            // Returning ends the process (Windows also ends it after about
            // 5 s for close, 20 s for shutdown): wait for stop() first.
            received.store(static_cast<long>(type));
            ::SetEvent(wake_event);
            ::WaitForSingleObject(done_event, close_wait_ms.load());
            return TRUE;
        default:
            return FALSE;
    }
}

const char* ctrl_name(long type) {
    switch (type) {
        case CTRL_C_EVENT: return "Ctrl+C";
        case CTRL_BREAK_EVENT: return "Ctrl+Break";
        case CTRL_CLOSE_EVENT: return "console closed";
        case CTRL_LOGOFF_EVENT: return "logoff";
        case CTRL_SHUTDOWN_EVENT: return "system shutdown";
        default: return "console control";
    }
}

class console_scope {
public:
    explicit console_scope(std::chrono::milliseconds stop_timeout) {
        wake_event = ::CreateEventW(nullptr, FALSE, FALSE, nullptr);
        done_event = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
        if (wake_event == nullptr || done_event == nullptr) throw std::system_error(
            static_cast<int>(::GetLastError()), std::system_category(), "CreateEventW");
        received.store(-1);
        close_wait_ms.store(static_cast<DWORD>(stop_timeout.count()) + 1000);
        ::SetConsoleCtrlHandler(on_console_ctrl, TRUE);
    }
    ~console_scope() {
        ::SetConsoleCtrlHandler(on_console_ctrl, FALSE);
        ::SetEvent(done_event);
        // The handles stay open: a handler thread may still be waiting on done_event.
    }
    console_scope(const console_scope&) = delete;
    console_scope& operator=(const console_scope&) = delete;
    void done() { ::SetEvent(done_event); }
};

}  // namespace

unsigned long task_wait_ms(const lifecycle& lc) {
    const auto wait = lc.time_to_next_task();
    if (!wait) return INFINITE;
    return static_cast<DWORD>(std::min<long long>(wait->count(), INFINITE - 1));
}

int run_with_console_ctrl(const config& cfg, service& svc, manager_link& link, spdlog::sink_ptr sink) {
    console_scope console(cfg.stop_timeout);
    HANDLE wake = wake_event;
    lifecycle lc(cfg, svc, link, make_logger(cfg, std::move(sink)), [wake] { ::SetEvent(wake); });
    if (!lc.start()) return lc.exit_code();

    event why = event::stop;
    while (!lc.stop_requested()) {
        ::WaitForSingleObject(wake, task_wait_ms(lc));
        const long type = received.load();
        if (type >= 0) {
            lc.log().debug("{}: stopping", ctrl_name(type));
            if (type == CTRL_SHUTDOWN_EVENT) why = event::shutdown;
            break;
        }
        lc.run_due_tasks();
    }
    lc.stop(why);
    console.done();
    return lc.exit_code();
}

}  // namespace servicekit::detail::scm
