#pragma once
// The launchd driver: writes the plist and drives `launchctl` with the modern
// commands only (enable, disable, bootstrap, bootout, kickstart, print);
// legacy load/unload exit 0 even when they fail.

#include "detail/backend.hpp"
#include "detail/process.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>

namespace servicekit::detail {

/// Everything the driver touches, so that tests can point it at a fake.
struct launchd_environment {
    /// The launchctl program.
    std::filesystem::path launchctl{"/bin/launchctl"};
    /// Prefix of every filesystem location (/Library/LaunchDaemons, the home
    /// folder). "/" except in tests.
    std::filesystem::path root{"/"};
    /// The effective uid: agents live in gui/<uid> (or user/<uid>).
    unsigned uid = 0;
    /// The user's home folder: agents go to <home>/Library/LaunchAgents.
    std::filesystem::path home;
    /// Runs launchctl.
    command_runner run;
    /// Waits between polls.
    std::function<void(std::chrono::milliseconds)> sleep;
    /// How long start/restart wait for `state = running`.
    std::chrono::milliseconds start_wait{std::chrono::seconds(10)};
    /// The first pause before bootstrap is tried again after 5/37; it doubles
    /// for each of the 5 attempts.
    std::chrono::milliseconds bootstrap_backoff{100};
    /// Added to ExitTimeOut when stop waits for bootout to finish.
    std::chrono::milliseconds stop_margin{std::chrono::seconds(5)};
};

/// The real environment: /bin/launchctl, "/", geteuid(), the effective
/// user's home from the password database (else $HOME). In the cross-platform test build only
/// (SERVICEKIT_LAUNCHD_INJECTABLE: SERVICEKIT_PLATFORM=macos on a non-Apple
/// host), SERVICEKIT_LAUNCHCTL and SERVICEKIT_ROOT replace the first two.
launchd_environment native_launchd_environment();

/// The launchd backend ("darwin-launchd") over `env`.
std::unique_ptr<backend> make_launchd_backend(launchd_environment env);

/// Where install writes the plist of cfg under `env`.
std::filesystem::path launchd_plist_path(const launchd_environment& env, const config& cfg);

}  // namespace servicekit::detail
