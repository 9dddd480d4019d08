// Writes property-test cases for one renderer: COUNT configs with hostile
// strings (string_generator.hpp, seed SEED), each rendered by the real
// renderer, with what the manager must hand back. check_renderers.py then
// feeds the rendered files to the real parsers and compares.
//
//   render_cases KIND SEED COUNT OUTDIR EXECUTABLE
//
// KIND: the renderers this build has (see `render_cases --kinds`). For case i:
//   OUTDIR/i.out        the rendered text (a unit, a plist, a command line…)
//   OUTDIR/i.argv       the command line the manager must run, each word NUL-terminated
//   OUTDIR/i.env        the environment, "KEY=value" each NUL-terminated
//   OUTDIR/i.fields     name, description, display name, working directory, user
//                       and group as configured, each NUL-terminated
//   OUTDIR/i.rejected   instead of the above when the config is rejected: the message
// A rejection that is not errc::invalid_config, or any other exception, fails
// at once (exit 1).
#include "string_generator.hpp"

#include <servicekit/config.hpp>
#include <servicekit/error.hpp>

#if defined(SERVICEKIT_PROPERTY_SYSTEMD)
#include "linux/systemd_unit.hpp"
#endif
#if defined(SERVICEKIT_PROPERTY_LAUNCHD)
#include "macos/launchd_plist.hpp"
#endif
#if defined(SERVICEKIT_PROPERTY_WINDOWS)
#include "windows/scm_parameters.hpp"
#endif
#if defined(SERVICEKIT_PROPERTY_SYSV)
#include "linux/sysv_script.hpp"
#endif

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>

using namespace servicekit;
namespace fs = std::filesystem;

namespace {

// (config, the executable as the manager names it) -> the rendered text.
using renderer = std::function<std::string(const config&, const std::string&)>;

std::map<std::string, renderer> renderers() {
    std::map<std::string, renderer> r;
#if defined(SERVICEKIT_PROPERTY_SYSTEMD)
    r["systemd"] = [](const config& c, const std::string&) { return detail::render_systemd_unit(c); };
#endif
#if defined(SERVICEKIT_PROPERTY_LAUNCHD)
    r["launchd"] = [](const config& c, const std::string&) { return detail::render_launchd_plist(c); };
#endif
#if defined(SERVICEKIT_PROPERTY_WINDOWS)
    // The exact lpBinaryPathName the SCM stores and CommandLineToArgvW splits.
    // EXECUTABLE is a Windows path here (config::executable gets a POSIX
    // stand-in so that validate() passes on this host).
    r["windows"] = [](const config& c, const std::string& exe) {
        return detail::scm::make_scm_parameters(c, exe).binary_path;
    };
#endif
#if defined(SERVICEKIT_PROPERTY_SYSV)
    r["sysv"] = [](const config& c, const std::string&) { return detail::sysv::render_sysv_script(c); };
#endif
    return r;
}

void write(const fs::path& p, const std::string& s) {
    std::ofstream out(p, std::ios::binary);
    out << s;
    if (!out) {
        std::fprintf(stderr, "render_cases: cannot write %s\n", p.c_str());
        std::exit(1);
    }
}

std::string nul_list(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& w : v) s += w + '\0';
    return s;
}

config make_case(property::string_generator& gen, std::size_t i, const std::string& exe) {
    config c;
    c.name = "pt" + std::to_string(i);
    c.executable = exe.starts_with("/") ? exe : "/windows/stand-in.exe";
    // Mostly strings validation accepts, so that the renderer sees them.
    const bool hostile = gen.one_in(10);
    c.arguments = gen.arguments(hostile);
    for (std::size_t n = gen.below(4); n > 0; --n) c.environment[gen.variable(i * 10 + n)] = gen.text(hostile);
    if (gen.one_in(3)) c.description = gen.line(hostile);
    if (gen.one_in(4)) c.display_name = gen.line(hostile);
    if (gen.one_in(4)) c.log_level = static_cast<spdlog::level::level_enum>(gen.below(7));
    if (gen.one_in(3)) c.working_directory = gen.directory(hostile);
    if (gen.one_in(4)) c.user = gen.account(hostile);
    if (gen.one_in(4)) c.group = gen.account(hostile);
    return c;
}

}  // namespace

int main(int argc, char** argv) {
    const auto all = renderers();
    if (argc == 2 && std::string(argv[1]) == "--kinds") {
        for (const auto& [kind, r] : all) std::printf("%s\n", kind.c_str());
        return 0;
    }
    if (argc != 6 || !all.count(argv[1])) {
        std::fprintf(stderr, "usage: render_cases KIND SEED COUNT OUTDIR EXECUTABLE (KIND: see --kinds)\n");
        return 2;
    }
    const auto& render = all.at(argv[1]);
    property::string_generator gen(std::strtoull(argv[2], nullptr, 10));
    const std::size_t count = std::strtoull(argv[3], nullptr, 10);
    const fs::path out = argv[4];
    fs::create_directories(out);
    std::size_t rendered = 0, rejected = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const config c = make_case(gen, i, argv[5]);
        const auto base = out / std::to_string(i);
        try {
            validate(c);
            const std::string text = render(c, argv[5]);
            write(base.string() + ".out", text);
            auto command_line = service_command_line(c);
            command_line[0] = argv[5];
            write(base.string() + ".argv", nul_list(command_line));
            std::vector<std::string> env;
            for (const auto& [k, v] : c.environment) env.push_back(k + "=" + v);
            write(base.string() + ".env", nul_list(env));
            write(base.string() + ".fields", nul_list({c.name, c.description, c.display_name,
                                                       c.working_directory.string(), c.user, c.group}));
            ++rendered;
        } catch (const error& e) {
            if (e.reason() != errc::invalid_config) {
                std::fprintf(stderr, "case %zu: rejected with %s, not invalid_config: %s\n", i, to_string(e.reason()),
                             e.what());
                return 1;
            }
            write(base.string() + ".rejected", e.what());
            ++rejected;
        }
    }
    std::printf("%s: %zu rendered, %zu rejected with invalid_config\n", argv[1], rendered, rejected);
    return 0;
}
