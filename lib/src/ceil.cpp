// With SERVICEKIT_STATIC_RUNTIME a program needs only libc and the dynamic
// loader, not libm: this file defines the one libm function it would call.
//
// Once the C++ runtime, spdlog and fmt are linked in, the only function of
// libm a servicekit program calls is ceil(), from fmt's floating-point
// formatting (fmt/format.h). For that one function the dynamic loader would
// map libm.so.6 at every start: about 300 KiB more RSS and 90 KiB more PSS
// while idle, and a library more to search for every symbol it binds
// (docs/PERFORMANCE.md). Defined here (hidden: it binds only within the
// program) and linked with --as-needed (servicekit_static_runtime() in
// cmake/servicekit_link.cmake), it leaves libm out; tests/static/needed.sh
// checks that it stays out. Other builds compile ceil_of() alone.
#include "detail/ceil.hpp"

#include <cmath>

namespace servicekit::detail {

double ceil_of(double x) noexcept {
    // From 2^52 up every double is an integer; NaN and the infinities fail
    // the comparison and are their own ceiling too.
    if (!(std::fabs(x) < 0x1p52)) return x;
    // Toward zero, exact in this range; then up, for a positive fraction.
    double up = static_cast<double>(static_cast<long long>(x));
    if (up < x) up += 1.0;
    return std::copysign(up, x);  // ceil(-0.5) is -0.0
}

}  // namespace servicekit::detail

#if defined(SERVICEKIT_DEFINE_CEIL)
extern "C" double ceil(double x) noexcept { return servicekit::detail::ceil_of(x); }
#endif
