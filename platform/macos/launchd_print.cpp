#include "macos/launchd_print.hpp"

#include <charconv>

namespace servicekit::detail {

launchd_print_info parse_launchctl_print(std::string_view out) {
    launchd_print_info info;
    while (!out.empty()) {
        const auto nl = out.find('\n');
        std::string_view line = out.substr(0, nl);
        out = nl == std::string_view::npos ? std::string_view{} : out.substr(nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        // Top level of the service block: exactly one leading tab.
        if (line.size() < 2 || line[0] != '\t' || line[1] == '\t' || line[1] == ' ') continue;
        line.remove_prefix(1);
        if (line.starts_with("state = ")) {
            if (info.state.empty()) info.state = std::string(line.substr(8));
        } else if (line.starts_with("pid = ") && !info.pid) {
            const auto v = line.substr(6);
            long long pid = 0;
            const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), pid);
            if (ec == std::errc() && end == v.data() + v.size() && pid > 0) info.pid = pid;
        }
    }
    return info;
}

}  // namespace servicekit::detail
