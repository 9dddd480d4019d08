#include "windows/service_main.hpp"

#include <servicekit/run.hpp>

#include "detail/lifecycle.hpp"
#include "windows/log_sink.hpp"
#include "windows/signals.hpp"
#include "windows/unicode.hpp"

#include <windows.h>
#include <tlhelp32.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>

namespace servicekit::detail::scm {

namespace {

using std::chrono::milliseconds;

// The SCM treats a service whose checkpoint does not advance within the wait
// hint as hung; lifecycle ticks every progress_period, so the hint covers
// several ticks.
constexpr milliseconds tick{1000};
constexpr milliseconds min_wait_hint{3000};

class scm_link final : public manager_link {
public:
    scm_link(SERVICE_STATUS_HANDLE handle, DWORD accepted) : handle_(handle), accepted_(accepted) {
        status_.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    }
    bool interactive() const override { return false; }
    milliseconds progress_period() const override { return tick; }
    void starting(milliseconds hint) override { pending(SERVICE_START_PENDING, hint); }
    void stopping(milliseconds hint) override { pending(SERVICE_STOP_PENDING, hint); }
    void ready() override { report(paused_ ? SERVICE_PAUSED : SERVICE_RUNNING, accepted_, 0, 0); }

    void set_paused(bool paused) {
        {
            std::lock_guard lock(mutex_);
            paused_ = paused;
        }
        ready();
    }

    // Nothing may touch the service's state after this: the process is
    // being torn down.
    void stopped(DWORD win32_exit_code, DWORD specific_exit_code) {
        std::lock_guard lock(mutex_);
        status_.dwCurrentState = SERVICE_STOPPED;
        status_.dwControlsAccepted = 0;
        status_.dwWin32ExitCode = win32_exit_code;
        status_.dwServiceSpecificExitCode = specific_exit_code;
        status_.dwCheckPoint = 0;
        status_.dwWaitHint = 0;
        ::SetServiceStatus(handle_, &status_);
    }

private:
    void pending(DWORD state, milliseconds hint) {
        std::lock_guard lock(mutex_);
        if (status_.dwCurrentState != state) status_.dwCheckPoint = 0;
        status_.dwCurrentState = state;
        status_.dwControlsAccepted = 0;  // no control while changing state
        status_.dwWin32ExitCode = NO_ERROR;
        ++status_.dwCheckPoint;
        status_.dwWaitHint = static_cast<DWORD>(std::max(hint, min_wait_hint).count());
        ::SetServiceStatus(handle_, &status_);
    }
    void report(DWORD state, DWORD accepted, DWORD checkpoint, DWORD hint) {
        std::lock_guard lock(mutex_);
        status_.dwCurrentState = state;
        status_.dwControlsAccepted = accepted;
        status_.dwWin32ExitCode = NO_ERROR;
        status_.dwCheckPoint = checkpoint;
        status_.dwWaitHint = hint;
        ::SetServiceStatus(handle_, &status_);
    }

    SERVICE_STATUS_HANDLE handle_;
    DWORD accepted_;
    std::mutex mutex_;
    SERVICE_STATUS status_{};
    bool paused_ = false;
};

// One service per process (SERVICE_WIN32_OWN_PROCESS): the dispatcher's
// callbacks take no user pointer, so they find it here.
struct service_state {
    const config& cfg;
    service& svc;
    int exit_code = exit_failure;
    HANDLE wake = nullptr;
    std::mutex mutex;
    std::deque<DWORD> controls;
};
service_state* current = nullptr;

DWORD WINAPI on_control(DWORD control, DWORD, LPVOID, LPVOID context) {
    auto& s = *static_cast<service_state*>(context);
    switch (control) {
        case SERVICE_CONTROL_INTERROGATE:
            return NO_ERROR;  // the SCM already knows the last reported state
        case SERVICE_CONTROL_STOP:
        case SERVICE_CONTROL_SHUTDOWN:
        case SERVICE_CONTROL_PRESHUTDOWN:
        case SERVICE_CONTROL_PARAMCHANGE:
        case SERVICE_CONTROL_PAUSE:
        case SERVICE_CONTROL_CONTINUE: {
            std::lock_guard lock(s.mutex);
            s.controls.push_back(control);
            ::SetEvent(s.wake);
            return NO_ERROR;
        }
        default:
            return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

std::filesystem::path working_directory(const config& cfg) {
    if (!cfg.working_directory.empty()) return cfg.working_directory;
    return cfg.executable.parent_path();
}

void WINAPI service_main(DWORD, LPWSTR*) {
    service_state& s = *current;
    const config& cfg = s.cfg;
    const SERVICE_STATUS_HANDLE handle = ::RegisterServiceCtrlHandlerExW(L"", on_control, &s);
    if (handle == nullptr) return;  // nothing to report to; the dispatcher returns

    DWORD accepted = SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_PRESHUTDOWN |
                     SERVICE_ACCEPT_PARAMCHANGE;
    if (cfg.windows.accept_pause) accepted |= SERVICE_ACCEPT_PAUSE_CONTINUE;
    scm_link link(handle, accepted);
    link.starting(cfg.stop_timeout);  // within the SCM's 30 s, before anything slow

    DWORD win32_exit = NO_ERROR, specific_exit = 0;
    {
        auto logger = make_logger(cfg, make_event_log_sink(cfg.name));
        const auto dir = working_directory(cfg);
        if (!::SetCurrentDirectoryW(dir.c_str())) {
            const DWORD err = ::GetLastError();
            logger->critical("cannot change to the working directory {}: {}", to_utf8(dir.wstring()),
                             win32_message(err));
            logger->flush();
            s.exit_code = exit_failure;
            link.stopped(err, 0);
            return;
        }
        lifecycle lc(cfg, s.svc, link, logger, [&s] { ::SetEvent(s.wake); });
        bool from_scm = false;
        if (lc.start()) {
            event why = event::stop;
            while (!lc.stop_requested() && !from_scm) {
                ::WaitForSingleObject(s.wake, task_wait_ms(lc));
                std::deque<DWORD> controls;
                {
                    std::lock_guard lock(s.mutex);
                    controls.swap(s.controls);
                }
                for (const DWORD control : controls) {
                    if (control == SERVICE_CONTROL_STOP) {
                        from_scm = true;
                    } else if (control == SERVICE_CONTROL_SHUTDOWN || control == SERVICE_CONTROL_PRESHUTDOWN) {
                        from_scm = true;
                        why = event::shutdown;
                    } else if (control == SERVICE_CONTROL_PARAMCHANGE) {
                        if (!from_scm) lc.reload();
                    } else if (control == SERVICE_CONTROL_PAUSE) {
                        lc.log().info("paused");
                        link.set_paused(true);
                    } else if (control == SERVICE_CONTROL_CONTINUE) {
                        lc.log().info("continued");
                        link.set_paused(false);
                    }
                    if (from_scm) break;
                }
                if (!from_scm) lc.run_due_tasks();
            }
            lc.stop(why);
        }
        s.exit_code = lc.exit_code();
        if (s.exit_code != 0 || (!from_scm && cfg.restart == restart_policy::always)) {
            win32_exit = ERROR_SERVICE_SPECIFIC_ERROR;
            specific_exit = static_cast<DWORD>(s.exit_code);
        }
        logger->flush();
    }
    link.stopped(win32_exit, specific_exit);
}

}  // namespace

bool started_by_scm() {
    const HANDLE snapshot = ::CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
    if (snapshot == INVALID_HANDLE_VALUE) return false;
    const DWORD self = ::GetCurrentProcessId();
    DWORD parent = 0;
    PROCESSENTRY32W entry{};
    entry.dwSize = sizeof entry;
    for (BOOL ok = ::Process32FirstW(snapshot, &entry); ok; ok = ::Process32NextW(snapshot, &entry))
        if (entry.th32ProcessID == self) {
            parent = entry.th32ParentProcessID;
            break;
        }
    bool result = false;
    if (parent != 0) {
        entry.dwSize = sizeof entry;
        for (BOOL ok = ::Process32FirstW(snapshot, &entry); ok; ok = ::Process32NextW(snapshot, &entry))
            if (entry.th32ProcessID == parent) {
                result = ::_wcsicmp(entry.szExeFile, L"services.exe") == 0;
                break;
            }
    }
    ::CloseHandle(snapshot);
    return result;
}

std::optional<int> run_under_scm(const config& cfg, service& svc) {
    service_state state{cfg, svc, exit_failure, nullptr, {}, {}};
    state.wake = ::CreateEventW(nullptr, FALSE, FALSE, nullptr);
    if (state.wake == nullptr) {
        std::fprintf(stderr, "%s: CreateEventW: %s\n", cfg.name.c_str(), win32_message(::GetLastError()).c_str());
        return exit_failure;
    }
    current = &state;
    std::wstring name = to_wide(cfg.name);
    SERVICE_TABLE_ENTRYW table[] = {{name.data(), service_main}, {nullptr, nullptr}};
    const BOOL connected = ::StartServiceCtrlDispatcherW(table);
    const DWORD err = connected ? NO_ERROR : ::GetLastError();
    current = nullptr;
    ::CloseHandle(state.wake);
    if (connected) return state.exit_code;
    if (err == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) return std::nullopt;
    std::fprintf(stderr, "%s: cannot connect to the Service Control Manager: %s\n", cfg.name.c_str(),
                 win32_message(err).c_str());
    return exit_failure;
}

}  // namespace servicekit::detail::scm
