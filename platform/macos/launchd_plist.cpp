#include "macos/launchd_plist.hpp"

#include <servicekit/error.hpp>

#include "detail/backend.hpp"
#include "detail/text.hpp"

#include <fmt/format.h>

#include <array>

namespace servicekit::detail {

namespace {

// The plist's first comment says who wrote it. No "--" in it: XML forbids
// that inside a comment.
constexpr std::string_view written_by =
    "<!-- Written by servicekit. Change the program's configuration and install it again "
    "instead of editing this file. -->\n";

constexpr std::array<plist_key, 13> keys{{
    {"Label", plist_type::string},
    {"ProgramArguments", plist_type::string_array},
    {"RunAtLoad", plist_type::boolean},
    {"KeepAlive", plist_type::keep_alive},
    {"ThrottleInterval", plist_type::integer},
    {"ExitTimeOut", plist_type::integer},
    {"ProcessType", plist_type::string},
    {"WorkingDirectory", plist_type::string},
    {"EnvironmentVariables", plist_type::string_dictionary},
    {"UserName", plist_type::string},
    {"GroupName", plist_type::string},
    {"StandardOutPath", plist_type::string},
    {"StandardErrorPath", plist_type::string},
}};

// Character data of a <string> or <key>. '>' is escaped too so that "]]>"
// cannot appear; CR becomes &#13; because a parser turns a literal CR (and
// CR LF) into LF.
std::string escape(std::string_view field, std::string_view s) {
    if (!valid_utf8(s))
        throw error(errc::invalid_config,
                    fmt::format("config.{} {} cannot be written to a plist: not valid UTF-8", field,
                                quote_for_message(s)));
    if (find_non_xml_char(s) != std::string_view::npos)
        throw error(errc::invalid_config,
                    fmt::format("config.{} {} cannot be written to a plist: XML 1.0 cannot carry control "
                                "characters other than TAB, LF and CR (nor U+FFFE/U+FFFF); remove them",
                                field, quote_for_message(s)));
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '\r': out += "&#13;"; break;
            default: out += c;
        }
    }
    return out;
}

class plist_writer {
public:
    void key(std::string_view k) { out_ += fmt::format("\t<key>{}</key>\n", k); }
    void string(std::string_view k, std::string_view field, std::string_view v) {
        key(k);
        out_ += fmt::format("\t<string>{}</string>\n", escape(field, v));
    }
    void boolean(std::string_view k, bool v) {
        key(k);
        out_ += v ? "\t<true/>\n" : "\t<false/>\n";
    }
    void integer(std::string_view k, long long v) {
        key(k);
        out_ += fmt::format("\t<integer>{}</integer>\n", v);
    }
    void raw(std::string_view s) { out_ += s; }
    std::string_view text() const noexcept { return out_; }

private:
    std::string out_;
};

long long ceil_seconds(std::chrono::milliseconds d) noexcept {
    return (d.count() + 999) / 1000;
}

}  // namespace

std::span<const plist_key> launchd_plist_keys() noexcept { return keys; }

std::string_view to_string(plist_type t) noexcept {
    switch (t) {
        case plist_type::string: return "string";
        case plist_type::boolean: return "boolean";
        case plist_type::integer: return "integer";
        case plist_type::string_array: return "string-array";
        case plist_type::string_dictionary: return "string-dictionary";
        case plist_type::keep_alive: return "keep-alive";
    }
    return "unknown";
}

long long launchd_throttle_interval(const config& cfg) noexcept {
    const auto s = ceil_seconds(cfg.restart_delay);
    return s < 1 ? 1 : s;
}

long long launchd_exit_timeout(const config& cfg) noexcept {
    return ceil_seconds(manager_stop_limit(cfg));
}

bool written_by_servicekit(std::string_view plist) noexcept {
    const auto head = plist.substr(0, plist.find("<dict>"));
    return head.find(written_by) != std::string_view::npos;
}

bool runs_instance(std::string_view plist, std::string_view name) {
    // As render_launchd_plist() writes ProgramArguments' second to fourth
    // strings; a name is letters, digits, '-', '_' and '.', nothing to escape.
    const std::string words = fmt::format("\t\t<string>run</string>\n\t\t<string>--name</string>\n"
                                          "\t\t<string>{}</string>\n",
                                          name);
    return plist.find(words) != std::string_view::npos;
}

std::string render_launchd_plist(const config& cfg) {
    if (cfg.scope == scope::user && (!cfg.user.empty() || !cfg.group.empty()))
        throw error(errc::invalid_config,
                    "config.user/group are set for a launchd agent (user scope): an agent runs as its owner; "
                    "clear them or use scope::system");

    plist_writer w;
    w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n");
    w.raw(written_by);
    w.raw("<plist version=\"1.0\">\n"
          "<dict>\n");
    w.string("Label", "launchd.label", launchd_label(cfg));

    w.key("ProgramArguments");
    w.raw("\t<array>\n");
    const auto argv = service_command_line(cfg);
    for (std::size_t i = 0; i < argv.size(); ++i)
        w.raw(fmt::format("\t\t<string>{}</string>\n", escape(i == 0 ? "executable" : "arguments", argv[i])));
    w.raw("\t</array>\n");

    // Not starting at boot for `disabled` is `launchctl disable`, done by install.
    w.boolean("RunAtLoad", starts_at_boot(cfg));
    switch (cfg.restart) {
        case restart_policy::never: w.boolean("KeepAlive", false); break;
        case restart_policy::always: w.boolean("KeepAlive", true); break;
        case restart_policy::on_failure:
            // Restart only after a non-zero exit or a crash.
            w.key("KeepAlive");
            w.raw("\t<dict>\n\t\t<key>SuccessfulExit</key>\n\t\t<false/>\n\t</dict>\n");
            break;
    }
    w.integer("ThrottleInterval", launchd_throttle_interval(cfg));
    // Always written: launchd's own default (about 5 s, clamped for agents)
    // would SIGKILL a service that needs longer to stop.
    w.integer("ExitTimeOut", launchd_exit_timeout(cfg));
    // Background would let macOS throttle CPU and I/O of a server.
    w.string("ProcessType", "", "Standard");
    w.string("WorkingDirectory", "working_directory",
             cfg.working_directory.empty() ? std::string("/") : cfg.working_directory.string());
    if (!cfg.environment.empty()) {
        w.key("EnvironmentVariables");
        w.raw("\t<dict>\n");
        for (const auto& [k, v] : cfg.environment) {
            w.raw(fmt::format("\t\t<key>{}</key>\n", escape("environment", k)));
            w.raw(fmt::format("\t\t<string>{}</string>\n", escape("environment[" + k + "]", v)));
        }
        w.raw("\t</dict>\n");
    }
    if (!cfg.user.empty()) w.string("UserName", "user", cfg.user);
    if (!cfg.group.empty()) w.string("GroupName", "group", cfg.group);
    if (!cfg.launchd.standard_out_path.empty())
        w.string("StandardOutPath", "launchd.standard_out_path", cfg.launchd.standard_out_path.string());
    if (!cfg.launchd.standard_error_path.empty())
        w.string("StandardErrorPath", "launchd.standard_error_path", cfg.launchd.standard_error_path.string());
    w.raw("</dict>\n</plist>\n");
    return std::string(w.text());
}

}  // namespace servicekit::detail
