#include <servicekit/error.hpp>
#include <servicekit/run.hpp>

#include "detail/backend.hpp"

#include <cstdio>
#include <exception>

namespace servicekit {

int run(const config& cfg, service& svc) {
    config effective = cfg;
    try {
        validate(effective);
        if (effective.executable.empty()) effective.executable = detail::current_executable();
    } catch (const error& e) {
        std::fprintf(stderr, "%s: %s\n", cfg.name.empty() ? "servicekit" : cfg.name.c_str(), e.what());
        return exit_failure;
    }
    try {
        return detail::make_native_backend()->run(effective, svc);
    } catch (const std::exception& e) {  // no signal pipe, no memory: nothing ran yet
        std::fprintf(stderr, "%s: cannot run: %s\n", effective.name.c_str(), e.what());
        return exit_failure;
    }
}

}  // namespace servicekit
