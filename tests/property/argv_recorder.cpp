// The program the managers run in the property tests: appends one record to
// the file named by $SERVICEKIT_RECORD (or argv's first word's sibling
// "record" file): its argc, each argument as <length>:<bytes>, and the
// environment variables whose names start with "V" and a digit (the ones the
// property cases set), so that a test can compare byte for byte.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

extern char** environ;

int main(int argc, char** argv) {
    const char* path = std::getenv("SERVICEKIT_RECORD");
    std::string fallback;
    if (path == nullptr) {
        fallback = std::string(argv[0]) + ".record";
        path = fallback.c_str();
    }
    std::string rec = "argv " + std::to_string(argc) + "\n";
    for (int i = 0; i < argc; ++i) rec += std::to_string(std::strlen(argv[i])) + ":" + argv[i] + "\n";
    std::string env;
    int n = 0;
    for (char** e = environ; *e != nullptr; ++e)
        if ((*e)[0] == 'V' && (*e)[1] >= '0' && (*e)[1] <= '9') {
            env += std::to_string(std::strlen(*e)) + ":" + *e + "\n";
            ++n;
        }
    rec += "env " + std::to_string(n) + "\n" + env;
    std::FILE* f = std::fopen(path, "ab");
    if (f == nullptr) return 1;
    std::fwrite(rec.data(), 1, rec.size(), f);
    return std::fclose(f) == 0 ? 0 : 1;
}
