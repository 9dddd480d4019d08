// A main() for the fuzz targets in builds without libFuzzer (GCC, MSVC):
// runs every file of the given corpus directories (or files) through
// LLVMFuzzerTestOneInput once, so the committed corpus is a regression test
// in every build, sanitizers included.
#include "fuzz_check.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>


namespace {

void run_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
    LLVMFuzzerInitialize(&argc, &argv);
    std::size_t n = 0;
    for (int i = 1; i < argc; ++i) {
        const std::filesystem::path arg = argv[i];
        if (std::filesystem::is_directory(arg)) {
            std::vector<std::filesystem::path> files;
            for (const auto& e : std::filesystem::directory_iterator(arg))
                if (e.is_regular_file()) files.push_back(e.path());
            std::sort(files.begin(), files.end());
            for (const auto& f : files) run_file(f), ++n;
        } else if (std::filesystem::is_regular_file(arg)) {
            run_file(arg);
            ++n;
        } else {
            std::fprintf(stderr, "%s: no such corpus file or directory\n", argv[i]);
            return 1;
        }
    }
    if (n == 0) {
        std::fprintf(stderr, "no corpus files given\n");
        return 1;
    }
    std::printf("replayed %zu inputs\n", n);
    return 0;
}
