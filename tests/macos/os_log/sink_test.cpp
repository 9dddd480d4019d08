// The os_log sink through the stand-in <os/log.h>: one handle, the level
// mapping, the text as a public %s argument.
#include "macos/log_sink.hpp"
#include "stand_in.hpp"

#include <spdlog/logger.h>

#include <cstdio>

namespace {

int failures = 0;

void check(bool ok, const char* what) {
    if (!ok) {
        std::printf("FAIL: %s\n", what);
        ++failures;
    }
}

}  // namespace

int main() {
    spdlog::logger log("svc", servicekit::detail::make_os_log_sink("org.servicekit.svc", "service"));
    log.set_level(spdlog::level::trace);
    log.trace("t {}", 1);
    log.debug("d");
    log.info("i <&> %s %{public}s 100%");
    log.warn("w");
    log.error("e");
    log.critical("c");

    check(g_os_log_handles.size() == 1, "os_log_create is called once");
    check(!g_os_log_handles.empty() && g_os_log_handles[0].first == "org.servicekit.svc" &&
              g_os_log_handles[0].second == "service",
          "subsystem and category");
    const std::vector<std::pair<std::uint8_t, std::string>> want{
        {0x02, "t 1"}, {0x02, "d"}, {0x01, "i <&> %s %{public}s 100%"}, {0x00, "w"}, {0x10, "e"}, {0x11, "c"}};
    check(g_os_log_records.size() == want.size(), "one record per message");
    for (std::size_t i = 0; i < want.size() && i < g_os_log_records.size(); ++i) {
        const auto& r = g_os_log_records[i];
        std::printf("type 0x%02x public=%d format=%s text=%s\n", r.type, r.is_public, r.format.c_str(),
                    r.text.c_str());
        check(r.type == want[i].first, "level mapping");
        check(r.text == want[i].second, "the message text, verbatim");
        check(r.format == "%{public}s", "the format is the literal %{public}s");
        check(r.is_public, "the argument is marked public");
        check(r.handle == 1, "the one handle");
    }
    return failures == 0 ? 0 : 1;
}
