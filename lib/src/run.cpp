#include <servicekit/error.hpp>
#include <servicekit/run.hpp>

#include "detail/backend.hpp"
#include "detail/text.hpp"

#include <cstdio>
#include <exception>

namespace servicekit {

int run(const config& cfg, service& svc) {
    config effective = cfg;
    try {
        validate(effective);
        if (effective.executable.empty()) effective.executable = detail::current_executable();
    } catch (const error& e) {
        std::fprintf(stderr, "%s: %s\n", detail::printable_or(cfg.name, "servicekit").c_str(), e.what());
        return exit_failure;
    }
    try {
        return detail::make_native_backend()->run(effective, svc);
    } catch (const std::exception& e) {  // no signal pipe, no memory: nothing ran yet
        std::fprintf(stderr, "%s: cannot run: %s\n", detail::printable_or(effective.name, "servicekit").c_str(), e.what());
        return exit_failure;
    }
}

}  // namespace servicekit
