#pragma once
// The SysV init backend, for machines where systemd is not running: an LSB
// init script in /etc/init.d, enabled with update-rc.d (or rc symlinks).

#include "detail/backend.hpp"

#include <memory>

namespace servicekit::detail::sysv {

/// The backend for this machine.
std::unique_ptr<backend> make_backend();

}  // namespace servicekit::detail::sysv
