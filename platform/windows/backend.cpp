// The Windows backend: every verb through the Win32 service API (no sc.exe).
#include "detail/backend.hpp"

#include <servicekit/error.hpp>

#include "windows/log_sink.hpp"
#include "windows/scm_parameters.hpp"
#include "windows/service_main.hpp"
#include "windows/signals.hpp"
#include "windows/unicode.hpp"

#include <windows.h>

#include <fmt/format.h>

#include <chrono>
#include <cwchar>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace servicekit::detail {

namespace scm {

namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

constexpr std::string_view event_log_hint = "see Event Viewer (Windows Logs > Application, source {})";

// Win32 error → errc, with a message that says what to do.
[[noreturn]] void fail(const config& cfg, std::string_view what, DWORD code) {
    const std::string sys = win32_message(code);
    switch (code) {
        case ERROR_ACCESS_DENIED:
            throw error(errc::permission_denied,
                        fmt::format("cannot {} service {}: {}; run as Administrator (an elevated prompt)", what,
                                    cfg.name, sys));
        case ERROR_SERVICE_DOES_NOT_EXIST:
            throw error(errc::not_installed,
                        fmt::format("cannot {} service {}: it is not installed; install it first", what, cfg.name));
        case ERROR_SERVICE_EXISTS:
            throw error(errc::already_installed,
                        fmt::format("cannot {} service {}: it is already installed; use `install --force` to replace "
                                    "its configuration, or `uninstall` first", what, cfg.name));
        case ERROR_DUPLICATE_SERVICE_NAME:
            throw error(errc::already_installed,
                        fmt::format("cannot {} service {}: another service has that name or display name; choose "
                                    "another name or display_name", what, cfg.name));
        case ERROR_SERVICE_MARKED_FOR_DELETE:
            throw error(errc::manager_failed,
                        fmt::format("cannot {} service {}: it is marked for deletion; close the programs that have it "
                                    "open (Services, Event Viewer) or reboot, then try again", what, cfg.name));
        case ERROR_SERVICE_ALREADY_RUNNING:
            throw error(errc::manager_failed,
                        fmt::format("cannot {} service {}: it is already running; stop it first", what, cfg.name));
        case ERROR_SERVICE_NOT_ACTIVE:
            throw error(errc::manager_failed,
                        fmt::format("cannot {} service {}: it is not running; start it first", what, cfg.name));
        case ERROR_SERVICE_REQUEST_TIMEOUT:
            throw error(errc::timeout,
                        fmt::format("cannot {} service {}: it did not respond to the Service Control Manager in time; {}",
                                    what, cfg.name, fmt::format(fmt::runtime(event_log_hint), cfg.name)));
        case ERROR_SERVICE_DISABLED:
            throw error(errc::manager_failed,
                        fmt::format("cannot {} service {}: it is disabled; change its start type (install --force)",
                                    what, cfg.name));
        case ERROR_SERVICE_LOGON_FAILED:
        case ERROR_INVALID_SERVICE_ACCOUNT:
            throw error(errc::invalid_config,
                        fmt::format("cannot {} service {}: {}; check config.user and windows.password / "
                                    "windows.account", what, cfg.name, sys));
        case ERROR_SERVICE_CANNOT_ACCEPT_CTRL:
            throw error(errc::manager_failed,
                        fmt::format("cannot {} service {}: it cannot accept the request in its current state; wait "
                                    "and try again", what, cfg.name));
        case ERROR_INVALID_SERVICE_CONTROL:
            throw error(errc::not_supported,
                        fmt::format("cannot {} service {}: it does not accept this request", what, cfg.name));
        default:
            throw error(errc::manager_failed, fmt::format("cannot {} service {}: {}", what, cfg.name, sys));
    }
}

class sc_handle {
public:
    sc_handle() = default;
    explicit sc_handle(SC_HANDLE h) noexcept : h_(h) {}
    ~sc_handle() { reset(); }
    sc_handle(sc_handle&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
    sc_handle& operator=(sc_handle&& o) noexcept {
        if (this != &o) {
            reset();
            h_ = std::exchange(o.h_, nullptr);
        }
        return *this;
    }
    SC_HANDLE get() const noexcept { return h_; }
    explicit operator bool() const noexcept { return h_ != nullptr; }
    void reset() noexcept {
        if (h_ != nullptr) ::CloseServiceHandle(h_);
        h_ = nullptr;
    }

private:
    SC_HANDLE h_ = nullptr;
};

sc_handle open_manager(const config& cfg, DWORD access, std::string_view what) {
    sc_handle m(::OpenSCManagerW(nullptr, nullptr, access));
    if (!m) {
        const DWORD err = ::GetLastError();
        if (err == ERROR_ACCESS_DENIED) fail(cfg, what, err);
        throw error(errc::manager_unavailable,
                    fmt::format("cannot {} service {}: the Service Control Manager cannot be reached: {}", what,
                                cfg.name, win32_message(err)));
    }
    return m;
}

sc_handle open_service(const config& cfg, const sc_handle& manager, DWORD access, std::string_view what) {
    sc_handle s(::OpenServiceW(manager.get(), to_wide(cfg.name).c_str(), access));
    if (!s) fail(cfg, what, ::GetLastError());
    return s;
}

SERVICE_STATUS_PROCESS query_status(const config& cfg, const sc_handle& service, std::string_view what) {
    SERVICE_STATUS_PROCESS st{};
    DWORD needed = 0;
    if (!::QueryServiceStatusEx(service.get(), SC_STATUS_PROCESS_INFO, reinterpret_cast<BYTE*>(&st), sizeof st,
                                &needed))
        fail(cfg, what, ::GetLastError());
    return st;
}

std::string exit_detail(const SERVICE_STATUS_PROCESS& st) {
    if (st.dwWin32ExitCode == ERROR_SERVICE_SPECIFIC_ERROR)
        return fmt::format("exit code {}", st.dwServiceSpecificExitCode);
    if (st.dwWin32ExitCode != NO_ERROR && st.dwWin32ExitCode != ERROR_SERVICE_NEVER_STARTED)
        return win32_message(st.dwWin32ExitCode);
    return {};
}

// Waits until the service is in `target`, or in `give_up` (a state from which
// it will not get there: STOPPED while starting). Other states are passed
// through: right after ControlService(STOP) the SCM still reports RUNNING
// until the service itself reports STOP_PENDING. The bound restarts whenever
// the service advances its checkpoint (it is alive and says, in the wait
// hint, how long it needs), as Microsoft's samples do.
SERVICE_STATUS_PROCESS wait_for(const config& cfg, const sc_handle& service, DWORD target,
                                std::optional<DWORD> give_up, std::chrono::milliseconds bound, std::string_view what) {
    auto st = query_status(cfg, service, what);
    auto deadline = clock::now() + bound;
    DWORD checkpoint = st.dwCheckPoint;
    while (st.dwCurrentState != target && st.dwCurrentState != give_up) {
        if (st.dwCheckPoint != checkpoint) {
            checkpoint = st.dwCheckPoint;
            deadline = std::max(deadline, clock::now() + std::chrono::milliseconds(st.dwWaitHint) + 1s);
        }
        if (clock::now() >= deadline)
            throw error(errc::timeout,
                        fmt::format("cannot {} service {}: it did not finish within {} ms; {}", what, cfg.name,
                                    bound.count(), fmt::format(fmt::runtime(event_log_hint), cfg.name)));
        std::this_thread::sleep_for(100ms);
        st = query_status(cfg, service, what);
    }
    return st;
}

// A double-NUL-terminated list (lpDependencies, REG_MULTI_SZ).
std::wstring multi_sz(const std::vector<std::string>& items) {
    std::wstring out;
    for (const auto& s : items) {
        out += to_wide(s);
        out += L'\0';
    }
    out += L'\0';
    return out;
}

const wchar_t* or_null(const std::wstring& s) { return s.empty() ? nullptr : s.c_str(); }

class reg_key {
public:
    reg_key() = default;
    ~reg_key() {
        if (h_ != nullptr) ::RegCloseKey(h_);
    }
    reg_key(const reg_key&) = delete;
    reg_key& operator=(const reg_key&) = delete;
    HKEY* out() noexcept { return &h_; }
    HKEY get() const noexcept { return h_; }

private:
    HKEY h_ = nullptr;
};

void check_reg(const config& cfg, LSTATUS rc, std::string_view what) {
    if (rc != ERROR_SUCCESS) fail(cfg, what, static_cast<DWORD>(rc));
}

void set_string(const config& cfg, HKEY key, const wchar_t* name, DWORD type, const std::wstring& value) {
    check_reg(cfg,
              ::RegSetValueExW(key, name, 0, type, reinterpret_cast<const BYTE*>(value.c_str()),
                               static_cast<DWORD>((value.size() + 1) * sizeof(wchar_t))),
              "register the event source of");
}

// The service key's Environment value (REG_MULTI_SZ): the SCM merges it into
// the service's environment.
void write_environment(const config& cfg, const scm_parameters& p) {
    reg_key key;
    const std::wstring path = L"SYSTEM\\CurrentControlSet\\Services\\" + to_wide(p.name);
    check_reg(cfg, ::RegOpenKeyExW(HKEY_LOCAL_MACHINE, path.c_str(), 0, KEY_SET_VALUE, key.out()),
              "set the environment of");
    if (p.environment.empty()) {
        const LSTATUS rc = ::RegDeleteValueW(key.get(), L"Environment");
        if (rc != ERROR_FILE_NOT_FOUND) check_reg(cfg, rc, "set the environment of");
        return;
    }
    const std::wstring value = multi_sz(p.environment);
    check_reg(cfg,
              ::RegSetValueExW(key.get(), L"Environment", 0, REG_MULTI_SZ, reinterpret_cast<const BYTE*>(value.data()),
                               static_cast<DWORD>(value.size() * sizeof(wchar_t))),
              "set the environment of");
}

// HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\<name>:
// EventMessageFile names a message file whose message event_id is "%1", so
// Event Viewer shows the text as it was logged.
bool register_event_source(const config& cfg, const scm_parameters& p) {
    reg_key key;
    DWORD disposition = 0;
    check_reg(cfg,
              ::RegCreateKeyExW(HKEY_LOCAL_MACHINE, to_wide(p.event_source_key).c_str(), 0, nullptr, 0, KEY_SET_VALUE,
                                nullptr, key.out(), &disposition),
              "register the event source of");
    set_string(cfg, key.get(), L"EventMessageFile", REG_EXPAND_SZ, to_wide(p.event_message_file));
    const DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
    check_reg(cfg,
              ::RegSetValueExW(key.get(), L"TypesSupported", 0, REG_DWORD, reinterpret_cast<const BYTE*>(&types),
                               sizeof types),
              "register the event source of");
    return disposition == REG_CREATED_NEW_KEY;
}

void remove_event_source(const scm_parameters& p) {
    ::RegDeleteKeyW(HKEY_LOCAL_MACHINE, to_wide(p.event_source_key).c_str());
}

template <class T>
void change_config2(const config& cfg, const sc_handle& s, DWORD level, T& info, std::string_view what) {
    if (!::ChangeServiceConfig2W(s.get(), level, &info)) fail(cfg, what, ::GetLastError());
}

// ChangeServiceConfig2W for a level that only Windows Vista and later know:
// older SCMs (and Wine's, which stores the rest) answer ERROR_INVALID_LEVEL.
// There the setting cannot exist, so "off" is trivially true; "on" is
// reported as not supported.
template <class T>
void change_config2_newer(const config& cfg, const sc_handle& s, DWORD level, T& info, bool on,
                          std::string_view what) {
    if (::ChangeServiceConfig2W(s.get(), level, &info)) return;
    const DWORD err = ::GetLastError();
    if (err == ERROR_INVALID_LEVEL) {
        if (!on) return;
        if (level == SERVICE_CONFIG_FAILURE_ACTIONS_FLAG) return;  // failure actions still fire on crashes
        throw error(errc::not_supported,
                    fmt::format("cannot {} service {}: this Service Control Manager does not support it", what,
                                cfg.name));
    }
    fail(cfg, what, err);
}

// Everything after CreateServiceW / ChangeServiceConfigW. `fresh`: the
// service was just created with the SCM's defaults, so settings equal to the
// defaults need no call.
void apply_config2(const config& cfg, const sc_handle& s, const scm_parameters& p, bool fresh) {
    std::wstring description = to_wide(p.description);
    SERVICE_DESCRIPTIONW desc{description.data()};
    if (!fresh || !p.description.empty()) change_config2(cfg, s, SERVICE_CONFIG_DESCRIPTION, desc, "set the description of");

    if (!fresh || p.delayed_auto_start) {
        SERVICE_DELAYED_AUTO_START_INFO delayed{p.delayed_auto_start ? TRUE : FALSE};
        change_config2_newer(cfg, s, SERVICE_CONFIG_DELAYED_AUTO_START_INFO, delayed, p.delayed_auto_start,
                             "set delayed automatic start for");
    }

    std::vector<SC_ACTION> actions;
    for (const auto& a : p.failure_actions)
        actions.push_back(SC_ACTION{a.type == sc_action_restart ? SC_ACTION_RESTART : SC_ACTION_NONE, a.delay_ms});
    if (!fresh || !actions.empty()) {
        SC_ACTION none{SC_ACTION_NONE, 0};
        SERVICE_FAILURE_ACTIONSW fa{};
        fa.dwResetPeriod = p.failure_reset_period_s;
        fa.cActions = static_cast<DWORD>(actions.size());
        // cActions 0 with a non-null array deletes the failure actions.
        fa.lpsaActions = actions.empty() ? &none : actions.data();
        change_config2(cfg, s, SERVICE_CONFIG_FAILURE_ACTIONS, fa, "set the failure actions of");
    }
    if (!fresh || p.failure_actions_on_non_crash) {
        SERVICE_FAILURE_ACTIONS_FLAG flag{p.failure_actions_on_non_crash ? TRUE : FALSE};
        change_config2_newer(cfg, s, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, flag, p.failure_actions_on_non_crash,
                             "set the failure-actions flag of");
    }
    SERVICE_PRESHUTDOWN_INFO pre{p.preshutdown_timeout_ms};
    change_config2_newer(cfg, s, SERVICE_CONFIG_PRESHUTDOWN_INFO, pre, true, "set the pre-shutdown timeout of");
}

// What install --force replaces, to put back when a later step fails.
struct saved_config {
    DWORD start_type = 0, error_control = 0;
    std::wstring binary_path, dependencies, account, display_name;
};

std::optional<saved_config> save_config(const sc_handle& s) {
    DWORD needed = 0;
    ::QueryServiceConfigW(s.get(), nullptr, 0, &needed);
    if (needed == 0) return std::nullopt;
    std::vector<std::byte> buf(needed);
    auto* qc = reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buf.data());
    if (!::QueryServiceConfigW(s.get(), qc, needed, &needed)) return std::nullopt;
    saved_config c;
    c.start_type = qc->dwStartType;
    c.error_control = qc->dwErrorControl;
    if (qc->lpBinaryPathName) c.binary_path = qc->lpBinaryPathName;
    if (qc->lpServiceStartName) c.account = qc->lpServiceStartName;
    if (qc->lpDisplayName) c.display_name = qc->lpDisplayName;
    if (qc->lpDependencies)
        for (const wchar_t* d = qc->lpDependencies; *d != L'\0'; d += std::wcslen(d) + 1) c.dependencies.append(d).push_back(L'\0');
    c.dependencies.push_back(L'\0');
    return c;
}

void restore_config(const sc_handle& s, const saved_config& c) {
    ::ChangeServiceConfigW(s.get(), SERVICE_NO_CHANGE, c.start_type, c.error_control, c.binary_path.c_str(), nullptr,
                           nullptr, c.dependencies.c_str(), or_null(c.account), nullptr, c.display_name.c_str());
}

class scm_backend final : public backend {
public:
    std::string_view platform() const override { return "windows-scm"; }

    std::string render(const config& cfg) const override { return render_scm_parameters(parameters(cfg)); }

    void install(const config& cfg, install_mode mode) override {
        const auto p = parameters(cfg);
        const auto manager = open_manager(cfg, SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE, "install");
        const std::wstring name = to_wide(p.name), display = to_wide(p.display_name), path = to_wide(p.binary_path),
                           deps = multi_sz(p.dependencies), account = to_wide(p.account),
                           password = to_wide(p.password);
        sc_handle s(::CreateServiceW(manager.get(), name.c_str(), display.c_str(), SERVICE_ALL_ACCESS,
                                     SERVICE_WIN32_OWN_PROCESS, p.start_type, SERVICE_ERROR_NORMAL, path.c_str(),
                                     nullptr, nullptr, deps.c_str(), or_null(account), or_null(password)));
        if (s) {
            // Created: on any later failure, remove it again.
            bool new_source = false;
            try {
                apply_config2(cfg, s, p, true);
                write_environment(cfg, p);
                new_source = register_event_source(cfg, p);
            } catch (...) {
                ::DeleteService(s.get());
                if (new_source) remove_event_source(p);
                throw;
            }
            return;
        }
        const DWORD err = ::GetLastError();
        if (err != ERROR_SERVICE_EXISTS || mode != install_mode::replace) fail(cfg, "install", err);
        replace(cfg, manager, p);
    }

    void uninstall(const config& cfg) override {
        const auto p = parameters(cfg);
        const auto manager = open_manager(cfg, SC_MANAGER_CONNECT, "uninstall");
        auto s = open_service(cfg, manager, DELETE | SERVICE_STOP | SERVICE_QUERY_STATUS, "uninstall");
        stop_and_wait(cfg, s, "uninstall");
        if (!::DeleteService(s.get())) {
            const DWORD err = ::GetLastError();
            if (err != ERROR_SERVICE_MARKED_FOR_DELETE) fail(cfg, "uninstall", err);
        }
        s.reset();
        remove_event_source(p);
        // The SCM removes a service once the last handle to it closes; a
        // program that holds one (Services, Event Viewer, a monitoring tool)
        // keeps it "marked for deletion". Give them a moment, then say so.
        const std::wstring name = to_wide(cfg.name);
        for (const auto deadline = clock::now() + 2s;;) {
            sc_handle still(::OpenServiceW(manager.get(), name.c_str(), SERVICE_QUERY_STATUS));
            if (!still && ::GetLastError() == ERROR_SERVICE_DOES_NOT_EXIST) return;
            if (clock::now() >= deadline) break;
            std::this_thread::sleep_for(100ms);
        }
        throw error(errc::manager_failed,
                    fmt::format("service {} is stopped and marked for deletion, but not gone yet: a program still has "
                                "it open; close Services and Event Viewer (or reboot) and it disappears",
                                cfg.name));
    }

    void start(const config& cfg) override {
        check_scope(cfg);
        const auto manager = open_manager(cfg, SC_MANAGER_CONNECT, "start");
        const auto s = open_service(cfg, manager, SERVICE_START | SERVICE_QUERY_STATUS, "start");
        if (!::StartServiceW(s.get(), 0, nullptr)) {
            const DWORD err = ::GetLastError();
            if (err != ERROR_SERVICE_ALREADY_RUNNING) fail(cfg, "start", err);
            const DWORD state = query_status(cfg, s, "start").dwCurrentState;
            if (state == SERVICE_RUNNING || state == SERVICE_PAUSED) return;  // started already: done
        }
        const auto st = wait_for(cfg, s, SERVICE_RUNNING, SERVICE_STOPPED,
                                 std::max<std::chrono::milliseconds>(cfg.stop_timeout, 30s), "start");
        if (st.dwCurrentState == SERVICE_RUNNING || st.dwCurrentState == SERVICE_PAUSED) return;
        const auto why = exit_detail(st);
        throw error(errc::manager_failed,
                    fmt::format("service {} did not start: it {}{}; {}", cfg.name,
                                st.dwCurrentState == SERVICE_STOPPED ? "stopped" : "is in another state",
                                why.empty() ? "" : " (" + why + ")",
                                fmt::format(fmt::runtime(event_log_hint), cfg.name)));
    }

    void stop(const config& cfg) override {
        check_scope(cfg);
        const auto manager = open_manager(cfg, SC_MANAGER_CONNECT, "stop");
        const auto s = open_service(cfg, manager, SERVICE_STOP | SERVICE_QUERY_STATUS, "stop");
        stop_and_wait(cfg, s, "stop");
    }

    void restart(const config& cfg) override {
        stop(cfg);
        start(cfg);
    }

    status_info query(const config& cfg) const override {
        check_scope(cfg);
        // SC_MANAGER_CONNECT and SERVICE_QUERY_STATUS: no elevation needed.
        const auto manager = open_manager(cfg, SC_MANAGER_CONNECT, "query");
        sc_handle s(::OpenServiceW(manager.get(), to_wide(cfg.name).c_str(), SERVICE_QUERY_STATUS));
        status_info info;
        if (!s) {
            const DWORD err = ::GetLastError();
            if (err == ERROR_SERVICE_DOES_NOT_EXIST) {
                info.state = status::not_installed;
                return info;
            }
            fail(cfg, "query", err);
        }
        const auto st = query_status(cfg, s, "query");
        switch (st.dwCurrentState) {
            case SERVICE_STOPPED:
                info.state = status::stopped;
                info.detail = exit_detail(st);
                break;
            case SERVICE_START_PENDING: info.state = status::starting; break;
            case SERVICE_STOP_PENDING: info.state = status::stopping; break;
            case SERVICE_RUNNING: info.state = status::running; break;
            case SERVICE_CONTINUE_PENDING:
                info.state = status::starting;
                info.detail = "continue pending";
                break;
            case SERVICE_PAUSE_PENDING:
                info.state = status::paused;
                info.detail = "pause pending";
                break;
            case SERVICE_PAUSED: info.state = status::paused; break;
            default: info.state = status::unknown; break;
        }
        if (st.dwProcessId != 0) info.pid = st.dwProcessId;
        return info;
    }

    int run(const config& cfg, service& svc) override {
        if (started_by_scm())
            if (const auto code = run_under_scm(cfg, svc)) return *code;
        terminal_link link;
        return run_with_console_ctrl(cfg, svc, link, make_terminal_sink());
    }

private:
    static void check_scope(const config& cfg) {
        if (cfg.scope == scope::user)
            throw error(errc::not_supported,
                        "per-user services (--user) are not supported by the Windows SCM: use a system service from "
                        "an elevated prompt");
    }

    static scm_parameters parameters(const config& cfg) {
        return make_scm_parameters(cfg, to_utf8(cfg.executable.wstring()));
    }

    // install --force: ChangeServiceConfigW in place. A running service is
    // stopped first and started again afterwards; a failure puts the old
    // main configuration back.
    static void replace(const config& cfg, const sc_handle& manager, const scm_parameters& p) {
        auto s = open_service(cfg, manager, SERVICE_ALL_ACCESS, "replace");
        const bool was_running = query_status(cfg, s, "replace").dwCurrentState != SERVICE_STOPPED;
        const auto saved = save_config(s);
        if (was_running) stop_and_wait(cfg, s, "replace");
        const std::wstring display = to_wide(p.display_name), path = to_wide(p.binary_path),
                           deps = multi_sz(p.dependencies), password = to_wide(p.password);
        // LocalSystem must be named explicitly to replace another account.
        const std::wstring account = p.account.empty() ? L"LocalSystem" : to_wide(p.account);
        if (!::ChangeServiceConfigW(s.get(), SERVICE_WIN32_OWN_PROCESS, p.start_type, SERVICE_ERROR_NORMAL,
                                    path.c_str(), nullptr, nullptr, deps.c_str(), account.c_str(), or_null(password),
                                    display.c_str()))
            fail(cfg, "replace", ::GetLastError());
        try {
            apply_config2(cfg, s, p, false);
            write_environment(cfg, p);
            register_event_source(cfg, p);
        } catch (...) {
            if (saved) restore_config(s, *saved);
            throw;
        }
        if (was_running) {
            if (!::StartServiceW(s.get(), 0, nullptr)) fail(cfg, "start again", ::GetLastError());
            const auto st = wait_for(cfg, s, SERVICE_RUNNING, SERVICE_STOPPED,
                                     std::max<std::chrono::milliseconds>(cfg.stop_timeout, 30s), "start again");
            if (st.dwCurrentState != SERVICE_RUNNING)
                throw error(errc::manager_failed,
                            fmt::format("service {} was reconfigured but did not start again; {}", cfg.name,
                                        fmt::format(fmt::runtime(event_log_hint), cfg.name)));
        }
    }

    // Stops a service unless it is stopped, and waits for SERVICE_STOPPED:
    // run() ends a stop() that overruns the stop timeout itself, so the
    // bound is that plus time for the process to exit.
    static void stop_and_wait(const config& cfg, const sc_handle& s, std::string_view what) {
        auto st = query_status(cfg, s, what);
        if (st.dwCurrentState == SERVICE_STOPPED) return;
        if (st.dwCurrentState != SERVICE_STOP_PENDING) {
            SERVICE_STATUS ignored{};
            if (!::ControlService(s.get(), SERVICE_CONTROL_STOP, &ignored)) {
                const DWORD err = ::GetLastError();
                if (err != ERROR_SERVICE_NOT_ACTIVE) fail(cfg, what, err);
                return;
            }
        }
        wait_for(cfg, s, SERVICE_STOPPED, std::nullopt, cfg.stop_timeout + 10s, what);
    }
};

}  // namespace

}  // namespace scm

std::unique_ptr<backend> make_native_backend() { return std::make_unique<scm::scm_backend>(); }

}  // namespace servicekit::detail
