#pragma once
// Running under the Service Control Manager: the dispatcher, ServiceMain and
// the control handler.

#include <servicekit/config.hpp>
#include <servicekit/service.hpp>

#include <optional>

namespace servicekit::detail::scm {

/// True when this process's parent is services.exe, i.e. the SCM started it.
/// Instant, unlike StartServiceCtrlDispatcherW, which fails with
/// ERROR_FAILED_SERVICE_CONTROLLER_CONNECT only after ~10 s under Wine.
bool started_by_scm();

/// Connects to the SCM (StartServiceCtrlDispatcherW) and runs the service in
/// ServiceMain, on the thread the dispatcher creates, until it stops; returns
/// run()'s exit code. nullopt when the SCM did not start this process (then
/// run it in the console).
///
/// Reports START_PENDING / STOP_PENDING with checkpoints and wait hints while
/// start() / stop() run, then RUNNING and STOPPED. Handles STOP, SHUTDOWN and
/// PRESHUTDOWN (→ service::shutdown), PARAMCHANGE (→ reload), INTERROGATE,
/// and PAUSE / CONTINUE when windows_options::accept_pause. Sets the working
/// directory (config::working_directory, else the executable's folder: the
/// SCM starts services in System32) and logs to the Event Log. A failure, or
/// under restart_policy::always any end the SCM did not ask for, is reported
/// as ERROR_SERVICE_SPECIFIC_ERROR with the exit code, so that the failure
/// actions install configured fire.
std::optional<int> run_under_scm(const config& cfg, service& svc);

}  // namespace servicekit::detail::scm
