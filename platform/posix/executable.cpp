#include "detail/backend.hpp"
#include "detail/file.hpp"

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
    auto target = link_target("/proc/self/exe");
    if (!target)
        throw error(errc::io, fmt::format("cannot read /proc/self/exe ({}): set config.executable", std::strerror(errno)));
    return std::move(*target);
#endif
}

}  // namespace servicekit::detail
