// A program that links servicekit and calls none of it, then ends in
// std::terminate(): whose handler runs comes from the link alone
// (tests/static/terminate.sh).
#include <cstring>
#include <exception>
#include <stdexcept>

namespace {

struct not_a_std_exception {};

}  // namespace

int main(int argc, char** argv) {
    const char* how = argc > 1 ? argv[1] : "";
    if (std::strcmp(how, "std") == 0) throw std::runtime_error("out of cheese");
    if (std::strcmp(how, "other") == 0) throw not_a_std_exception{};
    std::terminate();
}
