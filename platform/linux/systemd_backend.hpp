#pragma once
// The systemd backend: units in /etc/systemd/system (user scope:
// ~/.config/systemd/user), driven through systemctl.

#include "detail/backend.hpp"

#include <memory>

namespace servicekit::detail::systemd {

/// True when systemd is the running init system (/run/systemd/system exists).
bool booted();

/// The backend for this machine.
std::unique_ptr<backend> make_backend();

}  // namespace servicekit::detail::systemd
