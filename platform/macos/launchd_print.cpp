#include "macos/launchd_print.hpp"

#include <charconv>

namespace servicekit::detail {

namespace {

// The next line of `out`, without its line ending (LF or CRLF); consumes it.
std::string_view next_line(std::string_view& out) {
    const auto nl = out.find('\n');
    std::string_view line = out.substr(0, nl);
    out = nl == std::string_view::npos ? std::string_view{} : out.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

}  // namespace

launchd_print_info parse_launchctl_print(std::string_view out) {
    launchd_print_info info;
    while (!out.empty()) {
        std::string_view line = next_line(out);
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

std::optional<bool> parse_launchctl_disabled(std::string_view out, std::string_view label) {
    const auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
        return s;
    };
    bool in_block = false;  // inside `disabled services = {`; other blocks list other things
    while (!out.empty()) {
        std::string_view line = trim(next_line(out));
        if (!in_block) {
            in_block = line == "disabled services = {";
            continue;
        }
        if (line == "}") break;
        // "<label>" => value; a label holds no quote, so the first closing one ends it.
        if (line.size() < label.size() + 2 || line.front() != '"' || line.substr(1, label.size()) != label ||
            line[label.size() + 1] != '"')
            continue;
        line = trim(line.substr(label.size() + 2));
        if (!line.starts_with("=>")) continue;
        const auto value = trim(line.substr(2));
        if (value == "disabled" || value == "true") return true;
        if (value == "enabled" || value == "false") return false;
        return std::nullopt;
    }
    if (in_block) return false;
    return std::nullopt;
}

}  // namespace servicekit::detail
