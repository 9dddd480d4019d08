// The Windows backend: every verb through the Win32 service API (no sc.exe).
#include "detail/backend.hpp"
#include "detail/text.hpp"

#include <servicekit/error.hpp>

#include "windows/log_sink.hpp"
#include "windows/scm_parameters.hpp"
#include "windows/service_main.hpp"
#include "windows/signals.hpp"
#include "windows/unicode.hpp"

#include <windows.h>

#include <fmt/format.h>

#include <chrono>
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
    // A start that fails for the program's sake ("%1 is not a valid Win32
    // application") names it.
    const std::string sys = win32_message(code, to_utf8(cfg.executable.wstring()));
    switch (code) {
        case ERROR_ACCESS_DENIED:
            throw error(errc::permission_denied,
                        fmt::format("cannot {} service {}: {}; run as Administrator (an elevated prompt)", what,
                                    cfg.name, sys));
        case ERROR_SERVICE_DOES_NOT_EXIST:
            throw error(errc::not_installed,
                        fmt::format("cannot {} service {}: it is not installed; run `install` first", what, cfg.name));
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
                        fmt::format("cannot {} service {}: it is already running; `stop` it first", what, cfg.name));
        case ERROR_SERVICE_NOT_ACTIVE:
            throw error(errc::manager_failed,
                        fmt::format("cannot {} service {}: it is not running; `start` it first", what, cfg.name));
        case ERROR_SERVICE_REQUEST_TIMEOUT:
            throw error(errc::timeout,
                        fmt::format("cannot {} service {}: it did not respond to the Service Control Manager in time; {}",
                                    what, cfg.name, fmt::format(fmt::runtime(event_log_hint), cfg.name)));
        case ERROR_SERVICE_DISABLED:
            throw error(errc::manager_failed,
                        fmt::format("cannot {} service {}: it is disabled; change its start type (`install --force`)",
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

std::wstring service_key(const scm_parameters& p) {
    return L"SYSTEM\\CurrentControlSet\\Services\\" + to_wide(p.name);
}

// The service key's Environment value (REG_MULTI_SZ): the SCM merges it into
// the service's environment.
void write_environment(const config& cfg, const scm_parameters& p) {
    reg_key key;
    check_reg(cfg, ::RegOpenKeyExW(HKEY_LOCAL_MACHINE, service_key(p).c_str(), 0, KEY_SET_VALUE, key.out()),
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

void remove_event_source(const scm_parameters& p) {
    ::RegDeleteKeyW(HKEY_LOCAL_MACHINE, to_wide(p.event_source_key).c_str());
}

// HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\<name>:
// EventMessageFile names a message file whose message event_id is "%1", so
// Event Viewer shows the text as it was logged. A key it created is removed
// again when a value cannot be written.
void register_event_source(const config& cfg, const scm_parameters& p) {
    reg_key key;
    DWORD disposition = 0;
    check_reg(cfg,
              ::RegCreateKeyExW(HKEY_LOCAL_MACHINE, to_wide(p.event_source_key).c_str(), 0, nullptr, 0, KEY_SET_VALUE,
                                nullptr, key.out(), &disposition),
              "register the event source of");
    try {
        set_string(cfg, key.get(), L"EventMessageFile", REG_EXPAND_SZ, to_wide(p.event_message_file));
        const DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
        check_reg(cfg,
                  ::RegSetValueExW(key.get(), L"TypesSupported", 0, REG_DWORD, reinterpret_cast<const BYTE*>(&types),
                                   sizeof types),
                  "register the event source of");
    } catch (...) {
        if (disposition == REG_CREATED_NEW_KEY) remove_event_source(p);
        throw;
    }
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

// What install --force changes, saved before its first change so that a
// failure puts back the service exactly as it was. The one thing Windows
// does not give back is a password: a failed --force that set one leaves it.

// A registry value under HKEY_LOCAL_MACHINE: its type and bytes, or none
// when it is absent.
struct saved_value {
    std::wstring key, name;
    std::optional<DWORD> type;
    std::vector<BYTE> data;
};

saved_value save_value(const config& cfg, std::wstring key, std::wstring name) {
    saved_value v{std::move(key), std::move(name), std::nullopt, {}};
    // RRF_NOEXPAND: a REG_EXPAND_SZ as stored, its %NAME% not expanded.
    const auto get = [&](DWORD& type, BYTE* data, DWORD& size) {
        return ::RegGetValueW(HKEY_LOCAL_MACHINE, v.key.c_str(), v.name.c_str(), RRF_RT_ANY | RRF_NOEXPAND, &type,
                              data, &size);
    };
    DWORD type = 0, size = 0;
    LSTATUS rc = get(type, nullptr, size);
    if (rc == ERROR_FILE_NOT_FOUND) return v;
    check_reg(cfg, rc, "read the configuration of");
    v.data.resize(size);
    check_reg(cfg, get(type, v.data.data(), size), "read the configuration of");
    v.data.resize(size);
    v.type = type;
    return v;
}

bool restore_value(const saved_value& v) {
    if (!v.type) {
        const LSTATUS rc = ::RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, v.key.c_str(), v.name.c_str());
        return rc == ERROR_SUCCESS || rc == ERROR_FILE_NOT_FOUND;
    }
    return ::RegSetKeyValueW(HKEY_LOCAL_MACHINE, v.key.c_str(), v.name.c_str(), *v.type, v.data.data(),
                             static_cast<DWORD>(v.data.size())) == ERROR_SUCCESS;
}

// The ChangeServiceConfig2W levels apply_config2 sets.
constexpr DWORD config2_levels[] = {SERVICE_CONFIG_DESCRIPTION, SERVICE_CONFIG_DELAYED_AUTO_START_INFO,
                                    SERVICE_CONFIG_FAILURE_ACTIONS, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG,
                                    SERVICE_CONFIG_PRESHUTDOWN_INFO};

struct saved_service {
    std::vector<BYTE> main;  // QUERY_SERVICE_CONFIGW with its strings
    // QueryServiceConfig2W's answer per level; none for a level this SCM
    // does not know (Wine's: delayed start, the failure-actions flag, and
    // it cannot read back the failure actions it stores).
    std::vector<std::pair<DWORD, std::vector<BYTE>>> config2;
    saved_value environment;
    bool source_existed = false;
    saved_value message_file, types_supported;
};

std::vector<BYTE> query_config(const config& cfg, const sc_handle& s) {
    DWORD needed = 0;
    ::QueryServiceConfigW(s.get(), nullptr, 0, &needed);
    std::vector<BYTE> buf(needed);
    if (!::QueryServiceConfigW(s.get(), reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buf.data()), needed, &needed))
        fail(cfg, "read the configuration of", ::GetLastError());
    return buf;
}

// A service servicekit installed runs `"<executable>" run --name <name> …`
// (windows_command_line: the name, letters, digits, '-', '_' and '.', is
// never quoted). Any other command line is another program's service of
// the same name, which install --force, uninstall, start and stop leave
// alone: `--name wuauserv` must not reconfigure or stop Windows Update.
// `main` is query_config()'s answer.
void refuse_foreign(const config& cfg, const std::vector<BYTE>& main, std::string_view what) {
    const auto* qc = reinterpret_cast<const QUERY_SERVICE_CONFIGW*>(main.data());
    const std::wstring path = qc->lpBinaryPathName != nullptr ? qc->lpBinaryPathName : L"";
    const std::wstring marker = L" run --name " + to_wide(cfg.name) + L" ";
    const auto close = path.size() > 1 && path[0] == L'"' ? path.find(L'"', 1) : std::wstring::npos;
    const std::wstring after = close == std::wstring::npos ? L"" : path.substr(close + 1, marker.size());
    const bool ours = after.size() == marker.size() &&  // service names compare without case
                      ::CompareStringOrdinal(after.c_str(), static_cast<int>(after.size()), marker.c_str(),
                                             static_cast<int>(marker.size()), TRUE) == CSTR_EQUAL;
    if (!ours)
        throw error(errc::already_installed,
                    fmt::format("cannot {} service {}: it was not installed by servicekit (it runs {}): it is another "
                                "program's service; choose another --name",
                                what, cfg.name, quote_for_message(to_utf8(path))));
}

// `main` is query_config()'s answer, read already.
saved_service save_service(const config& cfg, const sc_handle& s, const scm_parameters& p, std::vector<BYTE> main) {
    saved_service saved;
    saved.main = std::move(main);
    for (const DWORD level : config2_levels) {
        DWORD needed = 0;
        if (!::QueryServiceConfig2W(s.get(), level, nullptr, 0, &needed)) {
            const DWORD err = ::GetLastError();
            if (err == ERROR_INVALID_LEVEL) continue;
            if (err != ERROR_INSUFFICIENT_BUFFER) fail(cfg, "read the configuration of", err);
        }
        std::vector<BYTE> buf(needed);
        if (!::QueryServiceConfig2W(s.get(), level, buf.data(), needed, &needed)) {
            const DWORD err = ::GetLastError();
            if (err == ERROR_INVALID_LEVEL) continue;
            fail(cfg, "read the configuration of", err);
        }
        saved.config2.emplace_back(level, std::move(buf));
    }
    saved.environment = save_value(cfg, service_key(p), L"Environment");
    const std::wstring source = to_wide(p.event_source_key);
    reg_key key;
    saved.source_existed = ::RegOpenKeyExW(HKEY_LOCAL_MACHINE, source.c_str(), 0, KEY_READ, key.out()) == ERROR_SUCCESS;
    saved.message_file = save_value(cfg, source, L"EventMessageFile");
    saved.types_supported = save_value(cfg, source, L"TypesSupported");
    return saved;
}

// Puts back everything save_service() saved; false when a part of it could
// not be written.
bool put_back(const sc_handle& s, saved_service& saved, const scm_parameters& p) {
    const auto* qc = reinterpret_cast<const QUERY_SERVICE_CONFIGW*>(saved.main.data());
    // The password stays as it is (nullptr): Windows does not give it back.
    bool ok = ::ChangeServiceConfigW(s.get(), qc->dwServiceType, qc->dwStartType, qc->dwErrorControl,
                                     qc->lpBinaryPathName, qc->lpLoadOrderGroup, nullptr,
                                     qc->lpDependencies ? qc->lpDependencies : L"\0", qc->lpServiceStartName, nullptr,
                                     qc->lpDisplayName) != 0;
    // What QueryServiceConfig2W answers is what ChangeServiceConfig2W takes,
    // except that "none" reads back as a null pointer, which
    // ChangeServiceConfig2W takes as "leave it".
    wchar_t no_description[] = L"";
    SC_ACTION no_action{SC_ACTION_NONE, 0};
    for (auto& [level, info] : saved.config2) {
        if (level == SERVICE_CONFIG_DESCRIPTION) {
            auto* d = reinterpret_cast<SERVICE_DESCRIPTIONW*>(info.data());
            if (d->lpDescription == nullptr) d->lpDescription = no_description;
        }
        if (level == SERVICE_CONFIG_FAILURE_ACTIONS) {
            auto* fa = reinterpret_cast<SERVICE_FAILURE_ACTIONSW*>(info.data());
            if (fa->cActions == 0) fa->lpsaActions = &no_action;
        }
        ok = ::ChangeServiceConfig2W(s.get(), level, info.data()) != 0 && ok;
    }
    ok = restore_value(saved.environment) && ok;
    if (!saved.source_existed) {
        remove_event_source(p);
        return ok;
    }
    ok = restore_value(saved.message_file) && ok;
    return restore_value(saved.types_supported) && ok;
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
            // Created: on any later failure, remove it again (a failing
            // register_event_source removes its own key).
            try {
                apply_config2(cfg, s, p, true);
                write_environment(cfg, p);
                register_event_source(cfg, p);
            } catch (...) {
                ::DeleteService(s.get());
                throw;
            }
            return;
        }
        const DWORD err = ::GetLastError();
        if (err != ERROR_SERVICE_EXISTS) fail(cfg, "install", err);
        if (mode != install_mode::replace) {
            // Another program's service of the name: "use install --force"
            // would only be refused in turn.
            if (sc_handle existing(::OpenServiceW(manager.get(), to_wide(cfg.name).c_str(), SERVICE_QUERY_CONFIG)); existing)
                refuse_foreign(cfg, query_config(cfg, existing), "install");
            fail(cfg, "install", err);
        }
        replace(cfg, manager, p);
    }

    void uninstall(const config& cfg) override {
        const auto p = parameters(cfg);
        const auto manager = open_manager(cfg, SC_MANAGER_CONNECT, "uninstall");
        auto s = open_service(cfg, manager, DELETE | SERVICE_STOP | SERVICE_QUERY_STATUS | SERVICE_QUERY_CONFIG,
                              "uninstall");
        refuse_foreign(cfg, query_config(cfg, s), "uninstall");
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

    void start(const config& cfg) override { start_and_wait(cfg, open_own(cfg, SERVICE_START, "start"), "start"); }

    void stop(const config& cfg) override { stop_and_wait(cfg, open_own(cfg, SERVICE_STOP, "stop"), "stop"); }

    // One connection for both halves, and errors that name the restart.
    void restart(const config& cfg) override {
        const auto s = open_own(cfg, SERVICE_START | SERVICE_STOP, "restart");
        stop_and_wait(cfg, s, "restart");
        start_and_wait(cfg, s, "restart");
    }

    status_info query(const config& cfg) const override {
        check_scope(cfg);
        // SC_MANAGER_CONNECT, SERVICE_QUERY_STATUS and SERVICE_QUERY_CONFIG:
        // no elevation needed (a service's default access for users).
        const auto manager = open_manager(cfg, SC_MANAGER_CONNECT, "query");
        sc_handle s(::OpenServiceW(manager.get(), to_wide(cfg.name).c_str(), SERVICE_QUERY_STATUS | SERVICE_QUERY_CONFIG));
        status_info info;
        if (!s) {
            const DWORD err = ::GetLastError();
            if (err == ERROR_SERVICE_DOES_NOT_EXIST) {
                info.state = status::not_installed;
                return info;
            }
            fail(cfg, "query", err);
        }
        // Only servicekit's own: `--name wuauserv status` is not this program.
        refuse_foreign(cfg, query_config(cfg, s), "query");
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

    // install --force: the service changed in place. A running service is
    // stopped for the change and started again, unless its new start type is
    // disabled. When a step fails, everything is put back as it was and a
    // service that was running is started again with its old configuration.
    static void replace(const config& cfg, const sc_handle& manager, const scm_parameters& p) {
        const auto s = open_service(cfg, manager, SERVICE_ALL_ACCESS, "replace");
        auto main = query_config(cfg, s);
        refuse_foreign(cfg, main, "replace");
        const bool was_running = query_status(cfg, s, "replace").dwCurrentState != SERVICE_STOPPED;
        auto saved = save_service(cfg, s, p, std::move(main));
        if (was_running) stop_and_wait(cfg, s, "replace");
        try {
            const std::wstring display = to_wide(p.display_name), path = to_wide(p.binary_path),
                               deps = multi_sz(p.dependencies), password = to_wide(p.password);
            // LocalSystem must be named explicitly to replace another account.
            const std::wstring account = p.account.empty() ? L"LocalSystem" : to_wide(p.account);
            if (!::ChangeServiceConfigW(s.get(), SERVICE_WIN32_OWN_PROCESS, p.start_type, SERVICE_ERROR_NORMAL,
                                        path.c_str(), nullptr, nullptr, deps.c_str(), account.c_str(),
                                        or_null(password), display.c_str()))
                fail(cfg, "replace", ::GetLastError());
            apply_config2(cfg, s, p, false);
            write_environment(cfg, p);
            register_event_source(cfg, p);
            if (was_running && p.start_type != service_disabled) start_and_wait(cfg, s, "start again");
        } catch (const error& e) {
            const std::string trouble = roll_back(cfg, s, saved, p, was_running);
            if (trouble.empty()) throw;
            throw error(e.reason(), fmt::format("{} ({})", e.what(), trouble));
        } catch (...) {
            roll_back(cfg, s, saved, p, was_running);
            throw;
        }
    }

    // After a failed step of replace(): the old configuration back, and the
    // service started again if it was running. Returns what could not be
    // done, for the message; empty when all is as it was.
    static std::string roll_back(const config& cfg, const sc_handle& s, saved_service& saved,
                                 const scm_parameters& p, bool was_running) {
        try {
            stop_and_wait(cfg, s, "replace");  // a start with the new configuration may still be pending
        } catch (...) {
        }
        if (!put_back(s, saved, p))
            return "the old configuration could not be fully put back; check the service in Services";
        if (!was_running) return {};
        try {
            start_and_wait(cfg, s, "start again");
            return {};
        } catch (const std::exception& e) {
            return fmt::format("the old configuration is back, but the service did not start again: {}", e.what());
        } catch (...) {
            return "the old configuration is back, but the service did not start again";
        }
    }

    // The installed service, opened with `access` (and the right to query it),
    // once it is known to be servicekit's: a wrong --name must not control
    // another program's service.
    static sc_handle open_own(const config& cfg, DWORD access, std::string_view what) {
        check_scope(cfg);
        const auto manager = open_manager(cfg, SC_MANAGER_CONNECT, what);
        auto s = open_service(cfg, manager, access | SERVICE_QUERY_STATUS | SERVICE_QUERY_CONFIG, what);
        refuse_foreign(cfg, query_config(cfg, s), what);
        return s;
    }

    // How long a start may take: the SCM's own limit, or the stop timeout
    // when that is longer.
    static std::chrono::milliseconds start_bound(const config& cfg) {
        return std::max<std::chrono::milliseconds>(cfg.stop_timeout, 30s);
    }

    // StartServiceW and the wait for SERVICE_RUNNING; a running service is
    // left as it is.
    static void start_and_wait(const config& cfg, const sc_handle& s, std::string_view what) {
        if (!::StartServiceW(s.get(), 0, nullptr)) {
            const DWORD err = ::GetLastError();
            if (err != ERROR_SERVICE_ALREADY_RUNNING) fail(cfg, what, err);
            const DWORD state = query_status(cfg, s, what).dwCurrentState;
            if (state == SERVICE_RUNNING || state == SERVICE_PAUSED) return;  // started already: done
        }
        const auto st = wait_for(cfg, s, SERVICE_RUNNING, SERVICE_STOPPED, start_bound(cfg), what);
        if (st.dwCurrentState == SERVICE_RUNNING || st.dwCurrentState == SERVICE_PAUSED) return;
        const auto why = exit_detail(st);
        throw error(errc::manager_failed,
                    fmt::format("service {} did not start: it {}{}; {}", cfg.name,
                                st.dwCurrentState == SERVICE_STOPPED ? "stopped" : "is in another state",
                                why.empty() ? "" : " (" + why + ")",
                                fmt::format(fmt::runtime(event_log_hint), cfg.name)));
    }

    // Stops a service unless it is stopped, and waits for SERVICE_STOPPED:
    // run() ends a stop() that overruns the stop timeout itself, so the
    // bound is that plus time for the process to exit. A service that is
    // still starting accepts no stop (ERROR_SERVICE_CANNOT_ACCEPT_CTRL):
    // its start is waited for first, as `start` would.
    static void stop_and_wait(const config& cfg, const sc_handle& s, std::string_view what) {
        auto st = query_status(cfg, s, what);
        if (st.dwCurrentState == SERVICE_START_PENDING)
            st = wait_for(cfg, s, SERVICE_RUNNING, SERVICE_STOPPED, start_bound(cfg), what);
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
