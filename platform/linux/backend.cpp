#include "detail/backend.hpp"

#include "linux/systemd_backend.hpp"
#include "linux/sysv_backend.hpp"

namespace servicekit::detail {

// The init system is chosen at run time, the way systemd's own tools do it
// (sd_booted(3)): systemd is running when /run/systemd/system exists.
std::unique_ptr<backend> make_native_backend() {
    if (systemd::booted()) return systemd::make_backend();
    return sysv::make_backend();
}

}  // namespace servicekit::detail
