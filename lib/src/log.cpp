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
#include <spdlog/pattern_formatter.h>

#include <cerrno>
#include <chrono>
#include <type_traits>
#include <poll.h>
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

#if !defined(_WIN32)
namespace {

// spdlog's stderr sink, plain or coloured, which can also write the
// stop-timeout line from a signal handler: in spdlog's default pattern (a
// pattern the program set is not followed), with the default colours.
template <class Base>
class terminal_sink final : public Base, public last_line_sink {
public:
    std::string render_last_line(std::string_view name, std::string_view text,
                                 std::chrono::system_clock::time_point when) override {
        const spdlog::details::log_msg msg(when, spdlog::source_loc{}, spdlog::string_view_t(name.data(), name.size()),
                                           spdlog::level::critical, spdlog::string_view_t(text.data(), text.size()));
        spdlog::memory_buf_t buf;
        spdlog::pattern_formatter().format(msg, buf);
        std::string line(buf.data(), buf.size());
        if constexpr (std::is_same_v<Base, spdlog::sinks::ansicolor_stderr_sink_mt>) {
            if (this->should_color() && msg.color_range_end > msg.color_range_start) {
                line.insert(msg.color_range_end, "\033[m");
                line.insert(msg.color_range_start, "\033[1m\033[41m");  // bold on red
            }
        }
        return line;
    }

    // A terminal or pipe that nobody reads gets a second, then the line is
    // dropped; a pipe with room takes a line this short whole.
    void write_last_line(const std::string& rendered) const noexcept override {
        write_bounded(STDERR_FILENO, rendered, std::chrono::seconds(1));
    }
};

}  // namespace

void write_bounded(int fd, std::string_view text, std::chrono::milliseconds budget) noexcept {
    using namespace std::chrono;
    const auto deadline = steady_clock::now() + budget;
    std::size_t done = 0;
    while (done < text.size()) {
        const auto left = duration_cast<milliseconds>(deadline - steady_clock::now()).count();
        if (left <= 0) return;
        pollfd room{fd, POLLOUT, 0};
        const int ready = ::poll(&room, 1, static_cast<int>(left));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0 || (room.revents & POLLOUT) == 0) return;
        const auto n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        done += static_cast<std::size_t>(n);
    }
}
#endif

spdlog::sink_ptr make_terminal_sink() {
#if defined(_WIN32)
    if (SERVICEKIT_ISATTY(SERVICEKIT_FILENO(stderr))) return std::make_shared<spdlog::sinks::wincolor_stderr_sink_mt>();
    return std::make_shared<spdlog::sinks::stderr_sink_mt>();
#else
    if (SERVICEKIT_ISATTY(SERVICEKIT_FILENO(stderr)))
        return std::make_shared<terminal_sink<spdlog::sinks::ansicolor_stderr_sink_mt>>();
    return std::make_shared<terminal_sink<spdlog::sinks::stderr_sink_mt>>();
#endif
}

std::shared_ptr<spdlog::logger> make_logger(const config& cfg, spdlog::sink_ptr sink) {
    auto logger = std::make_shared<spdlog::logger>(cfg.name, std::move(sink));
    logger->set_level(cfg.log_level);
    logger->flush_on(spdlog::level::warn);
    return logger;
}

}  // namespace detail
}  // namespace servicekit
