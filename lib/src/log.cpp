#include <servicekit/config.hpp>
#include <servicekit/log.hpp>

#include "detail/lifecycle.hpp"

#include <spdlog/sinks/ansicolor_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <cstdio>

#if defined(_WIN32)
#include <io.h>
#define SERVICEKIT_ISATTY(fd) _isatty(fd)
#define SERVICEKIT_FILENO(f) _fileno(f)
#include <spdlog/sinks/wincolor_sink.h>
#else
#include <unistd.h>
#define SERVICEKIT_ISATTY(fd) ::isatty(fd)
#define SERVICEKIT_FILENO(f) ::fileno(f)
#endif

namespace servicekit {

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) noexcept {
    using namespace spdlog::level;
    if (name == "trace") return trace;
    if (name == "debug") return debug;
    if (name == "info") return info;
    if (name == "warn" || name == "warning") return warn;
    if (name == "error" || name == "err") return err;
    if (name == "critical") return critical;
    if (name == "off") return off;
    return std::nullopt;
}

namespace detail {

spdlog::sink_ptr make_terminal_sink() {
    if (SERVICEKIT_ISATTY(SERVICEKIT_FILENO(stderr))) {
#if defined(_WIN32)
        return std::make_shared<spdlog::sinks::wincolor_stderr_sink_mt>();
#else
        return std::make_shared<spdlog::sinks::ansicolor_stderr_sink_mt>();
#endif
    }
    return std::make_shared<spdlog::sinks::stderr_sink_mt>();
}

std::shared_ptr<spdlog::logger> make_logger(const config& cfg, spdlog::sink_ptr sink) {
    auto logger = std::make_shared<spdlog::logger>(cfg.name, std::move(sink));
    logger->set_level(cfg.log_level);
    logger->flush_on(spdlog::level::warn);
    return logger;
}

}  // namespace detail
}  // namespace servicekit
