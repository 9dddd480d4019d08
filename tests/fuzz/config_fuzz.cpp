// Fuzzes servicekit::validate() and service_command_line(): any config is
// either rejected with invalid_config and a one-line message, or it obeys
// every rule config.hpp documents — checked here independently of the
// validator's own code — and its command line carries the arguments verbatim.
#include "fuzz_check.hpp"
#include "fuzz_input.hpp"

#include <servicekit/config.hpp>
#include <servicekit/error.hpp>

#include <algorithm>
#include <string>

using namespace servicekit;
using namespace servicekit::fuzz;

namespace {

bool alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

bool one_line(std::string_view s) {
    return std::none_of(s.begin(), s.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c < 0x20 || c == 0x7F;
    });
}

// Passed through verbatim: TAB, LF and CR are allowed, no other C0 control.
bool carryable(std::string_view s) {
    return std::none_of(s.begin(), s.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
    });
}

bool absolute_or_empty(const std::filesystem::path& p) {
    const auto s = p.string();
    return s.empty() || (s.front() == '/' && one_line(s));
}

void check_accepted(const config& c) {
    const std::string& n = c.name;
    check(!n.empty() && n.size() <= 64, "accepted a name of bad length", n);
    check(std::all_of(n.begin(), n.end(), [](char ch) { return alnum(ch) || ch == '-' || ch == '_' || ch == '.'; }),
          "accepted a name with a character outside [A-Za-z0-9._-]", n);
    check(alnum(n.front()) && n.back() != '.' && n.find("..") == std::string::npos,
          "accepted a name with a bad first/last character or \"..\"", n);
    check(one_line(c.display_name) && one_line(c.description), "accepted a multi-line display name or description");
    for (const auto* text : {&c.display_name, &c.description})
        check(text->empty() || (text->front() != ' ' && text->back() != ' ' && text->back() != '\\'),
              "accepted a display name or description a unit file would change (edge space, trailing backslash)",
              *text);
    check(absolute_or_empty(c.executable) && absolute_or_empty(c.working_directory),
          "accepted a relative or multi-line path", c.executable.string() + " | " + c.working_directory.string());
    check(absolute_or_empty(c.launchd.standard_out_path) && absolute_or_empty(c.launchd.standard_error_path),
          "accepted a relative launchd log path");
    for (const auto& a : c.arguments) check(carryable(a), "accepted an argument with a control character", a);
    for (const auto& [k, v] : c.environment) {
        check(!k.empty() && (alnum(k[0]) || k[0] == '_') && !(k[0] >= '0' && k[0] <= '9') &&
                  std::all_of(k.begin(), k.end(), [](char ch) { return alnum(ch) || ch == '_'; }),
              "accepted a bad environment variable name", k);
        check(carryable(v), "accepted an environment value with a control character", v);
    }
    for (const auto* account : {&c.user, &c.group}) {
        check(one_line(*account), "accepted a multi-line user/group", *account);
        check(account->empty() || (account->front() != '-' && account->find(':') == std::string::npos),
              "accepted a user/group starting with '-' or holding ':'", *account);
    }
    for (const auto& d : c.dependencies)
        check(!d.empty() && d.find('/') == std::string::npos && d.find("..") == std::string::npos && one_line(d) &&
                  d.find(' ') == std::string::npos && d.front() != '-',
              "accepted a bad dependency name", d);
    using namespace std::chrono_literals;
    check(c.stop_timeout >= 100ms && c.stop_timeout <= 1h, "accepted a stop timeout out of range");
    check(c.restart_delay >= 0ms && c.restart_delay <= 1h, "accepted a restart delay out of range");
    check(static_cast<unsigned>(c.start_type) <= 3 && static_cast<unsigned>(c.scope) <= 1 &&
              static_cast<unsigned>(c.restart) <= 2 && static_cast<unsigned>(c.log_level) <= 6,
          "accepted an enum value out of range");

    const auto argv = service_command_line(c);
    check(argv.size() >= 4 && argv[0] == c.executable.string() && argv[1] == "run" && argv[2] == "--name" &&
              argv[3] == c.name,
          "service_command_line does not start with {exe, run, --name, name}");
    // Always "--", even before no arguments: none means none at run, not the
    // program's compiled-in ones.
    check(argv.size() >= c.arguments.size() + 7, "service_command_line lost arguments or its log level");
    const auto tail = argv.end() - static_cast<std::ptrdiff_t>(c.arguments.size());
    check(*(tail - 1) == "--" && std::equal(tail, argv.end(), c.arguments.begin()),
          "service_command_line does not end with \"--\" and the arguments verbatim");
    check(*(tail - 3) == "--log-level", "service_command_line does not carry the log level");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) { return 0; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    byte_source in(data, size);
    const config c = config_from(in);
    try {
        validate(c);
    } catch (const error& e) {
        check_rejection(e);
        return 0;
    }
    check_accepted(c);
    return 0;
}
