// Fuzzes the command line of cli_main: the input's bytes, split at NUL, are
// argv[1…]. Built only against the null backend (SERVICEKIT_PLATFORM=null),
// so install/start/stop/… reach a backend that changes nothing and answers
// "not supported"; `run` runs a service that stops as soon as it starts.
// Checks: the exit status is a documented one, and a service that runs got
// exactly the words after the first "--", verbatim.
#include "fuzz_check.hpp"

#include <servicekit/cli.hpp>
#include <servicekit/config.hpp>
#include <servicekit/error.hpp>

#include "detail/backend.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

using namespace servicekit;
using namespace servicekit::fuzz;

namespace {

class recorder final : public service {
public:
    void start(context& ctx) override {
        started = true;
        arguments = ctx.arguments();
        name = ctx.cfg().name;
        ctx.request_stop(0);
    }
    void stop(context&) override {}

    bool started = false;
    std::vector<std::string> arguments;
    std::string name;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (detail::make_native_backend()->platform() != "null")
        fail("the CLI fuzzer must be built with SERVICEKIT_PLATFORM=null: with a real backend it would "
             "install and start services on this machine");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string> words{"fz"};
    std::string word;
    for (std::size_t i = 0; i < size && words.size() < 32; ++i) {
        if (data[i] == 0) {
            words.push_back(word);
            word.clear();
        } else {
            word += static_cast<char>(data[i]);
        }
    }
    if (words.size() < 32 && (!word.empty() || size == 0 || data[size - 1] == 0)) words.push_back(word);

    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);

    config cfg;
    cfg.name = "fz";
    cfg.log_level = spdlog::level::off;
    recorder svc;
    const int rc = cli::cli_main(static_cast<int>(words.size()), argv.data(), cfg, svc);

    check(rc >= 0 && rc <= 6, "cli_main returned an undocumented exit status", std::to_string(rc));
    if (svc.started) {
        const auto dashdash = std::find(words.begin() + 1, words.end(), "--");
        const std::vector<std::string> expected(dashdash == words.end() ? words.end() : dashdash + 1, words.end());
        check(svc.arguments == expected, "the service's arguments are not the words after \"--\", verbatim");
        config effective = cfg;
        effective.name = svc.name;
        try {
            validate(effective);
        } catch (const error& e) {
            fail("a service ran under a name validate() rejects", e.what());
        }
        check(rc == 0, "a service that stopped cleanly did not exit 0", std::to_string(rc));
    }
    return 0;
}
