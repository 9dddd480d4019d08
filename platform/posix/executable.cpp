#include "detail/backend.hpp"

#include <servicekit/error.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#if defined(__APPLE__)
#include <mach-o/dyld.h>
#endif

namespace servicekit::detail {

std::filesystem::path current_executable() {
#if defined(__APPLE__)
    char buf[PATH_MAX];
    uint32_t size = sizeof buf;
    if (_NSGetExecutablePath(buf, &size) != 0)
        throw error(errc::io, "cannot find this program's path: set config.executable");
    char resolved[PATH_MAX];
    if (::realpath(buf, resolved) == nullptr)
        throw error(errc::io, fmt::format("cannot resolve this program's path {}: {}", buf, std::strerror(errno)));
    return resolved;
#else
    std::error_code ec;
    auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec)
        throw error(errc::io, fmt::format("cannot read /proc/self/exe ({}): set config.executable", ec.message()));
    return p;
#endif
}

}  // namespace servicekit::detail
