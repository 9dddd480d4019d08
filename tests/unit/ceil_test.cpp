// servicekit's ceil(), which a SERVICEKIT_STATIC_RUNTIME program uses instead
// of libm's: it must be C's ceil for every double.
#include <doctest/doctest.h>

#include "detail/ceil.hpp"

#include <cmath>
#include <limits>

using servicekit::detail::ceil_of;

namespace {

// Equal as doubles, and with the same sign (0.0 and -0.0 differ here).
bool same(double a, double b) { return a == b && std::signbit(a) == std::signbit(b); }

}  // namespace

TEST_CASE("ceil_of: integers, fractions and signed zeros") {
    CHECK(same(ceil_of(0.0), 0.0));
    CHECK(same(ceil_of(-0.0), -0.0));
    CHECK(same(ceil_of(0.5), 1.0));
    CHECK(same(ceil_of(-0.5), -0.0));
    CHECK(same(ceil_of(-0.999999), -0.0));
    CHECK(same(ceil_of(1.0), 1.0));
    CHECK(same(ceil_of(1.0000001), 2.0));
    CHECK(same(ceil_of(2.5), 3.0));
    CHECK(same(ceil_of(-2.5), -2.0));
    CHECK(same(ceil_of(-3.0), -3.0));
    CHECK(same(ceil_of(std::numeric_limits<double>::denorm_min()), 1.0));
    CHECK(same(ceil_of(-std::numeric_limits<double>::denorm_min()), -0.0));
}

TEST_CASE("ceil_of: around 2^52, where doubles stop having fractions") {
    const double p52 = 4503599627370496.0;  // 2^52
    CHECK(same(ceil_of(p52 - 0.5), p52));
    CHECK(same(ceil_of(-(p52 - 0.5)), -(p52 - 1.0)));
    CHECK(same(ceil_of(p52), p52));
    CHECK(same(ceil_of(p52 + 1.0), p52 + 1.0));
    CHECK(same(ceil_of(1e300), 1e300));
    CHECK(same(ceil_of(-1e300), -1e300));
    CHECK(same(ceil_of(9.3e18), 9.3e18));  // beyond long long: not converted
}

TEST_CASE("ceil_of: infinities and NaN are their own ceiling") {
    const double inf = std::numeric_limits<double>::infinity();
    CHECK(same(ceil_of(inf), inf));
    CHECK(same(ceil_of(-inf), -inf));
    CHECK(std::isnan(ceil_of(std::numeric_limits<double>::quiet_NaN())));
}
