#pragma once
/// @file
/// The command line every servicekit program gets: install, start, status…
/// Link servicekit::cli (it adds Boost.Program_options).

#include <servicekit/config.hpp>
#include <servicekit/export.hpp>
#include <servicekit/service.hpp>

namespace servicekit::cli {

/// Exit statuses of cli_main (LSB init-script conventions where one exists).
enum exit_code : int {
    ok = 0,
    failure = 1,            ///< the manager failed, an I/O error, a timeout, already installed
    usage = 2,              ///< bad command line; a one-line hint was printed
    not_supported = 3,      ///< this platform has no supported service manager
    permission_denied = 4,  ///< run as root / Administrator, or use --user
    not_installed = 5,      ///< the verb needs an installed service
    invalid_config = 6,     ///< the config breaks a rule; nothing was written
    // `status` alone: 0 running, 3 not running (stopped, starting, stopping,
    // paused), 4 not installed, 6 invalid config, 1 an unknown state or any
    // other failure (also not supported and permission denied: 3 and 4 are
    // its states).
    status_stopped = 3,
    status_not_installed = 4,
};

/// The whole program: parses argv, then installs, controls or runs `svc`.
///
///     app [options] [VERB] [-- service arguments…]
///     verbs: install uninstall start stop restart status run print-config
///            (no verb: run)
///     options: --name NAME   --user   --log-level LEVEL (install, run,
///              print-config)   --force (install)   --json (status)
///              --help   --version
///
/// Everything after the first `--` reaches the service verbatim through
/// context::arguments() (install, run and print-config take it; the other
/// verbs refuse it, exit 2). `--name` runs several instances of one program side
/// by side; the installed command line carries it. Errors print one line to
/// stderr and return the exit codes above. Call it from main() and return
/// its result.
SERVICEKIT_EXPORT int cli_main(int argc, char** argv, config cfg, service& svc);

}  // namespace servicekit::cli
