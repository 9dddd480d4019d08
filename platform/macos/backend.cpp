#include "detail/backend.hpp"

#include "macos/launchd_backend.hpp"

namespace servicekit::detail {

std::unique_ptr<backend> make_native_backend() { return make_launchd_backend(native_launchd_environment()); }

}  // namespace servicekit::detail
