#pragma once
// ceil() without libm, for SERVICEKIT_STATIC_RUNTIME (lib/src/ceil.cpp).

namespace servicekit::detail {

/// The smallest integral double not less than `x`, as C's ceil() gives it for
/// every double: -0.5 gives -0.0; NaN, the infinities and anything from 2^52
/// up (all integers already) give themselves.
double ceil_of(double x) noexcept;

}  // namespace servicekit::detail
