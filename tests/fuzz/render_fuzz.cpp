// Fuzzes one renderer (SERVICEKIT_FUZZ_RENDERER: systemd or sysv; CMake builds
// one target per renderer in the tree) with configs from fuzz_input.hpp. A
// config validate() accepts is either rejected by the renderer with
// invalid_config and a one-line message, or rendered into text whose
// structure cannot have been bent by the strings in it:
//   systemd: one ExecStart= whose words, decoded by systemd's documented
//            quoting rules (C escapes in double quotes, %% and $$), are
//            exactly service_command_line(); Environment= lines decode to the
//            environment; every line is a comment, a section or Key=Value
//   sysv:    the LSB header holds only comment lines; shell_quote() of any
//            string decodes back to it; the script ends with its one `esac`
//   launchd: every '<' opens a plist tag and every '&' an entity the writer
//            uses; ProgramArguments, unescaped, is exactly service_command_line()
//   windows: the SCM's lpBinaryPathName, split by the CommandLineToArgvW rules
//            (re-implemented here; tests/property runs the real one under
//            Wine), is exactly service_command_line(), the executable quoted
// The real parsers check the same outputs in tests/property.
#include "fuzz_check.hpp"
#include "fuzz_input.hpp"

#include <servicekit/config.hpp>
#include <servicekit/error.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#if SERVICEKIT_FUZZ_RENDERER_systemd
#include "linux/systemd_unit.hpp"
#elif SERVICEKIT_FUZZ_RENDERER_sysv
#include "linux/sysv_script.hpp"
#elif SERVICEKIT_FUZZ_RENDERER_launchd
#include "macos/launchd_plist.hpp"
#elif SERVICEKIT_FUZZ_RENDERER_windows
#include "windows/scm_parameters.hpp"

#include "../common/windows_command_line_rules.hpp"
#endif

using namespace servicekit;
using namespace servicekit::fuzz;

namespace {

[[maybe_unused]] std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
        lines.push_back(text.substr(start, nl - start));
    if (start < text.size()) lines.push_back(text.substr(start));
    return lines;
}

#if SERVICEKIT_FUZZ_RENDERER_systemd

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    fail("bad hex digit in an escape");
}

// One double-quoted word at s[pos]; advances pos past it.
std::string decode_word(const std::string& s, std::size_t& pos, bool dollars_doubled) {
    check(pos < s.size() && s[pos] == '"', "a word is not double-quoted", s);
    std::string out;
    for (++pos; pos < s.size() && s[pos] != '"'; ++pos) {
        const char c = s[pos];
        if (c == '\\') {
            check(pos + 1 < s.size(), "a trailing backslash", s);
            const char e = s[++pos];
            switch (e) {
                case '\\': out += '\\'; break;
                case '"': out += '"'; break;
                case 'n': out += '\n'; break;
                case 't': out += '\t'; break;
                case 'r': out += '\r'; break;
                case 'x':
                    check(pos + 2 < s.size(), "a short \\x escape", s);
                    out += static_cast<char>(hex(s[pos + 1]) * 16 + hex(s[pos + 2]));
                    pos += 2;
                    break;
                default: fail("an escape systemd would not read the same way", s);
            }
        } else if (c == '%') {
            check(pos + 1 < s.size() && s[pos + 1] == '%', "a lone '%' (a specifier)", s);
            out += '%';
            ++pos;
        } else if (c == '$' && dollars_doubled) {
            check(pos + 1 < s.size() && s[pos + 1] == '$', "a lone '$' (a variable reference)", s);
            out += '$';
            ++pos;
        } else {
            const auto u = static_cast<unsigned char>(c);
            check(u >= 0x20 && u != 0x7F, "a raw control character in a quoted word", s);
            out += c;
        }
    }
    check(pos < s.size(), "an unterminated quoted word", s);
    ++pos;
    return out;
}

void check_rendered(const config& c, const std::string& unit) {
    std::vector<std::string> exec_lines;
    std::map<std::string, std::string> env;
    for (const auto& line : lines_of(unit)) {
        if (line.empty() || line[0] == '#') continue;
        if (line[0] == '[') {
            check(line == "[Unit]" || line == "[Service]" || line == "[Install]", "an unexpected section", line);
            continue;
        }
        const auto eq = line.find('=');
        check(eq != std::string::npos && eq > 0, "a line that is not Key=Value", line);
        const auto key = line.substr(0, eq);
        for (const char k : key) check((k >= 'A' && k <= 'Z') || (k >= 'a' && k <= 'z'), "a bad key", line);
        check(line.back() != '\\', "a line continued onto the next", line);
        if (key == "ExecStart") exec_lines.push_back(line.substr(eq + 1));
        if (key == "Environment") {
            std::size_t pos = eq + 1;
            const auto assignment = decode_word(line, pos, false);
            check(pos == line.size(), "text after the Environment= word", line);
            const auto e = assignment.find('=');
            check(e != std::string::npos, "an Environment= word without '='", line);
            env[assignment.substr(0, e)] = assignment.substr(e + 1);
        }
    }
    check(exec_lines.size() == 1, "not exactly one ExecStart=");
    const std::string& exec = exec_lines.front();
    std::size_t pos = 0;
    const auto argv = service_command_line(c);
    if (exec[0] == '@') {
        ++pos;
        check(decode_word(exec, pos, false) == argv[0], "the @path is not the executable", exec);
        check(pos < exec.size() && exec[pos] == ' ', "no space after the @path", exec);
        ++pos;
    }
    std::vector<std::string> words;
    while (pos < exec.size()) {
        words.push_back(decode_word(exec, pos, true));
        if (pos < exec.size()) {
            check(exec[pos] == ' ', "words not separated by one space", exec);
            ++pos;
        }
    }
    check(words == argv, "ExecStart= does not decode to service_command_line()", exec);
    check(env == std::map<std::string, std::string>(c.environment.begin(), c.environment.end()),
          "Environment= lines do not decode to the environment");
}

std::string render(const config& c) { return detail::render_systemd_unit(c); }

#elif SERVICEKIT_FUZZ_RENDERER_sysv

std::string shell_unquote(const std::string& q) {
    std::string out;
    std::size_t pos = 0;
    check(!q.empty(), "shell_quote gave nothing");
    while (pos < q.size()) {
        if (q.compare(pos, 4, "'\\''") == 0 && pos > 0) {  // inside: close, escaped quote, reopen
            out += '\'';
            pos += 4;
            continue;
        }
        if (q[pos] == '\'') {
            const auto end = q.find('\'', pos + 1);
            check(end != std::string::npos, "an unterminated single quote", q);
            out += q.substr(pos + 1, end - pos - 1);
            pos = end + 1;
            continue;
        }
        if (q.compare(pos, 2, "\\'") == 0) {
            out += '\'';
            pos += 2;
            continue;
        }
        fail("shell_quote gave a character outside quotes", q);
    }
    return out;
}

// The lines the shell reads as code: a line inside a multi-line quoted word
// (an argument may hold "\nesac\n") is not one. Follows sh's quoting:
// '…' verbatim, "…" with backslash escapes, \x outside quotes, # comments.
std::vector<std::string> code_lines(const std::string& script) {
    std::vector<std::string> out;
    std::string line;
    enum { plain, single, dbl } state = plain;
    bool line_is_code = true;
    for (std::size_t i = 0; i < script.size(); ++i) {
        const char ch = script[i];
        if (ch == '\n') {
            if (line_is_code && state == plain) out.push_back(line);
            line.clear();
            line_is_code = state == plain;
            continue;
        }
        line += ch;
        if (state == single) {
            if (ch == '\'') state = plain;
        } else if (state == dbl) {
            if (ch == '\\' && i + 1 < script.size() && script[i + 1] != '\n') line += script[++i];
            else if (ch == '"') state = plain;
        } else if (ch == '\'') {
            state = single;
        } else if (ch == '"') {
            state = dbl;
        } else if (ch == '\\' && i + 1 < script.size() && script[i + 1] != '\n') {
            line += script[++i];
        } else if (ch == '#' && (line.size() == 1 || line[line.size() - 2] == ' ' || line[line.size() - 2] == '\t')) {
            while (i + 1 < script.size() && script[i + 1] != '\n') line += script[++i];
        }
    }
    if (!line.empty() && line_is_code && state == plain) out.push_back(line);
    check(state == plain, "the script ends inside a quoted word");
    return out;
}

void check_rendered(const config& c, const std::string& script) {
    const auto lines = lines_of(script);
    bool in_header = false;
    for (const auto& line : lines) {
        if (line == "### BEGIN INIT INFO") in_header = true;
        if (in_header) check(!line.empty() && line[0] == '#', "a header line that is not a comment", line);
        if (line == "### END INIT INFO") in_header = false;
    }
    check(!in_header, "the LSB header is not closed");
    const auto code = code_lines(script);
    const auto esacs = std::count(code.begin(), code.end(), "esac");
    check(esacs == 1 && !code.empty() && code.back() == "esac", "the script does not end with its one top-level esac");
    for (const auto& a : c.arguments) check(shell_unquote(detail::sysv::shell_quote(a)) == a, "shell_quote", a);
}

std::string render(const config& c) { return detail::sysv::render_sysv_script(c); }

#elif SERVICEKIT_FUZZ_RENDERER_launchd

std::string xml_unescape(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '&') {
            out += s[i];
            continue;
        }
        const auto semi = s.find(';', i);
        check(semi != std::string::npos, "an unterminated entity", s);
        const auto entity = s.substr(i + 1, semi - i - 1);
        if (entity == "amp") out += '&';
        else if (entity == "lt") out += '<';
        else if (entity == "gt") out += '>';
        else if (entity == "#13") out += '\r';
        else fail("an entity the writer does not use", entity);
        i = semi;
    }
    return out;
}

void check_rendered(const config& c, const std::string& plist) {
    static const std::vector<std::string> tags{
        "?xml ", "!DOCTYPE ", "!-- ", "plist", "/plist", "dict", "/dict", "key", "/key", "string", "/string", "array",
        "/array", "integer", "/integer", "true/", "false/"};
    for (std::size_t i = plist.find('<'); i != std::string::npos; i = plist.find('<', i + 1)) {
        bool known = false;
        for (const auto& t : tags)
            if (plist.compare(i + 1, t.size(), t) == 0 &&
                (t.back() == ' ' || plist[i + 1 + t.size()] == '>' || plist[i + 1 + t.size()] == ' '))
                known = true;
        check(known, "a '<' that does not open a plist tag", plist.substr(i, 40));
    }
    check(detail::written_by_servicekit(plist), "no comment saying servicekit wrote it");
    const std::string start = "<key>ProgramArguments</key>\n\t<array>\n";
    auto pos = plist.find(start);
    check(pos != std::string::npos, "no ProgramArguments array");
    pos += start.size();
    std::vector<std::string> words;
    const auto end = plist.find("\t</array>", pos);
    while (pos < end) {
        const auto open = plist.find("<string>", pos);
        const auto close = plist.find("</string>", open);
        check(open < end && close < end, "a malformed ProgramArguments entry");
        words.push_back(xml_unescape(plist.substr(open + 8, close - open - 8)));
        pos = plist.find('\n', close) + 1;
    }
    check(words == service_command_line(c), "ProgramArguments does not unescape to service_command_line()");
}

std::string render(const config& c) { return detail::render_launchd_plist(c); }

#elif SERVICEKIT_FUZZ_RENDERER_windows

void check_rendered(const config& c, const std::string& line) {
    check(!line.empty() && line[0] == '"', "the executable is not quoted", line);
    check(test::split_windows_command_line(line) == service_command_line(c),
          "the command line does not split back into service_command_line()", line);
}

// The SCM has no per-user services: make_scm_parameters() says not_supported
// for scope::user (checked here), so the rest is checked as a system service.
config for_renderer(const config& c) {
    if (c.scope != scope::user) return c;
    try {
        (void)detail::scm::make_scm_parameters(c, c.executable.string());
        fail("a user-scope service was accepted for the SCM");
    } catch (const error& e) {
        check(e.reason() == errc::not_supported, "a user-scope service not rejected with not_supported", e.what());
    }
    config system = c;
    system.scope = scope::system;
    return system;
}

std::string render(const config& c) {
    return detail::scm::make_scm_parameters(c, c.executable.string()).binary_path;
}

#else
#error "SERVICEKIT_FUZZ_RENDERER_<name> must be defined"
#endif

#if !SERVICEKIT_FUZZ_RENDERER_windows
const config& for_renderer(const config& c) { return c; }
#endif

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) { return 0; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    byte_source in(data, size);
    const config fuzzed = config_from(in);
    try {
        validate(fuzzed);
    } catch (const error&) {
        return 0;  // config_fuzz checks validation
    }
    const config c = for_renderer(fuzzed);
    std::string text;
    try {
        text = render(c);
    } catch (const error& e) {
        check_rejection(e);
        return 0;
    }
    check_rendered(c, text);
    return 0;
}
