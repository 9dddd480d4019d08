// Renders plists for a corpus of tricky strings into a folder, with what each
// must parse back to (expected.json) and the key→type table, for
// check_plists.py (xmllint, plistlib) and `plutil -lint` on a Mac.
//   launchd_render_corpus <folder>
#include <servicekit/config.hpp>
#include <servicekit/error.hpp>

#include "macos/launchd_plist.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace servicekit;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> corpus{
    "plain", "with space", "  lead and trail  ", "\"double\" 'single'", "<tag>", "a&b", "&amp; stays",
    "&#13; stays", "]]>", "<![CDATA[x]]>", "<!-- c -->", "back\\slash\\\\", "%s %n %%", "$HOME ${X} $(id) `id`",
    "ünïcödé €", "日本語", "emoji 😀", "", "--help", "-x", "--", "tab\there", "line1\nline2", "cr\rhere",
    "crlf\r\nhere", "\r", "\n", "\r\n\r\n", "del\x7f", "\xe2\x80\xa8 U+2028", "; rm -rf / #", "'\\''",
};

std::string json(std::string_view s) {
    std::string out = "\"";
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            default:
                if (c < 0x20 || c == 0x7f) out += fmt::format("\\u{:04x}", c);
                else out += ch;
        }
    }
    return out + "\"";
}

std::string json(const std::vector<std::string>& v) {
    std::string out = "[";
    for (const auto& s : v) out += (out.size() > 1 ? "," : "") + json(s);
    return out + "]";
}

// What the plist of c must contain, built from the config (not from the renderer).
std::string expected(const config& c) {
    std::vector<std::string> fields;
    fields.push_back("\"Label\":" + json(launchd_label(c)));
    fields.push_back("\"ProgramArguments\":" + json(service_command_line(c)));
    fields.push_back(fmt::format("\"RunAtLoad\":{}",
                                 c.start_type == start_type::automatic || c.start_type == start_type::delayed));
    switch (c.restart) {
        case restart_policy::never: fields.push_back("\"KeepAlive\":false"); break;
        case restart_policy::always: fields.push_back("\"KeepAlive\":true"); break;
        case restart_policy::on_failure: fields.push_back("\"KeepAlive\":{\"SuccessfulExit\":false}"); break;
    }
    fields.push_back(fmt::format("\"ThrottleInterval\":{}", std::max<long long>(1, (c.restart_delay.count() + 999) / 1000)));
    fields.push_back(fmt::format("\"ExitTimeOut\":{}", (c.stop_timeout.count() + 2000 + 999) / 1000));
    fields.push_back("\"ProcessType\":\"Standard\"");
    fields.push_back("\"WorkingDirectory\":" +
                     json(c.working_directory.empty() ? std::string("/") : c.working_directory.string()));
    if (!c.environment.empty()) {
        std::string env = "{";
        for (const auto& [k, v] : c.environment) env += (env.size() > 1 ? "," : "") + json(k) + ":" + json(v);
        fields.push_back("\"EnvironmentVariables\":" + env + "}");
    }
    if (!c.user.empty()) fields.push_back("\"UserName\":" + json(c.user));
    if (!c.group.empty()) fields.push_back("\"GroupName\":" + json(c.group));
    if (!c.launchd.standard_out_path.empty())
        fields.push_back("\"StandardOutPath\":" + json(c.launchd.standard_out_path.string()));
    if (!c.launchd.standard_error_path.empty())
        fields.push_back("\"StandardErrorPath\":" + json(c.launchd.standard_error_path.string()));
    std::string out = "{";
    for (const auto& f : fields) out += (out.size() > 1 ? "," : "") + f;
    return out + "}";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <folder>\n", argv[0]);
        return 2;
    }
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);

    std::vector<config> configs;
    config every;  // every corpus value as an argument and as an environment value
    every.name = "corpus";
    every.executable = "/Applications/A & B <c>/bin/ünï d";
    every.arguments = corpus;
    for (std::size_t i = 0; i < corpus.size(); ++i) every.environment[fmt::format("V{}", i)] = corpus[i];
    every.user = "_svc";
    every.group = "wheel";
    every.restart = restart_policy::always;
    every.start_type = start_type::manual;
    every.restart_delay = 0ms;
    every.stop_timeout = 1500ms;
    every.log_level = spdlog::level::trace;
    every.launchd.label = "com.example.corpus";
    configs.push_back(every);

    // One-line values (paths) in the path keys, where validation lets them through.
    int accepted = 0, rejected = 0;
    for (std::size_t i = 0; i < corpus.size(); ++i) {
        config c;
        c.name = fmt::format("path{}", i);
        c.executable = "/opt/" + corpus[i] + "/bin";
        c.working_directory = "/srv/" + corpus[i];
        c.launchd.standard_out_path = "/var/log/" + corpus[i] + ".out";
        c.launchd.standard_error_path = "/var/log/" + corpus[i] + ".err";
        c.scope = i % 2 == 0 ? scope::system : scope::user;
        c.restart = i % 3 == 0 ? restart_policy::on_failure : restart_policy::never;
        try {
            validate(c);
            configs.push_back(c);
            ++accepted;
        } catch (const error&) {
            ++rejected;  // a newline or control character in a one-line field
        }
    }

    // Validation refuses exactly the corpus entries with a control character
    // in these one-line fields; if it refused more, fewer plists would carry
    // the hostile paths than this test claims.
    const auto one_line = [](const std::string& s) {
        return std::none_of(s.begin(), s.end(), [](char ch) {
            const auto b = static_cast<unsigned char>(ch);
            return b < 0x20 || b == 0x7F;
        });
    };
    const auto expected_accepted = std::count_if(corpus.begin(), corpus.end(), one_line);
    if (accepted != expected_accepted || accepted == 0) {
        std::fprintf(stderr, "%d path cases accepted, expected %td: validation refuses paths it should let through\n",
                     accepted, expected_accepted);
        return 1;
    }

    std::ofstream out(dir / "expected.json", std::ios::binary);
    out << "{\"keys\":{";
    bool first = true;
    for (const auto& k : detail::launchd_plist_keys()) {
        out << (first ? "" : ",") << json(k.key) << ":" << json(detail::to_string(k.type));
        first = false;
    }
    out << "},\"cases\":[";
    for (std::size_t i = 0; i < configs.size(); ++i) {
        const auto file = launchd_label(configs[i]) + ".plist";
        std::ofstream(dir / file, std::ios::binary) << detail::render_launchd_plist(configs[i]);
        out << (i ? "," : "") << "{\"file\":" << json(file) << ",\"expect\":" << expected(configs[i]) << "}";
    }
    out << "]}\n";
    std::printf("%zu plists in %s (%d path cases accepted, %d rejected by validation)\n", configs.size(),
                dir.c_str(), accepted, rejected);
    return out.good() ? 0 : 1;
}
