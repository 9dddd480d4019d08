// Windows side of the command-line property test, built with MinGW-w64 and
// run under Wine (or on Windows):
//
//   argv_w split FILE OUT   each NUL-terminated UTF-8 command line in FILE,
//                           split by the real CommandLineToArgvW
//   argv_w spawn FILE OUT   each command line started with CreateProcessW, as
//                           the SCM starts lpBinaryPathName; it must name this
//                           program, which then records how it was started
//   argv_w run …            (the started process) appends two records to
//                           %SERVICEKIT_RECORD%: CommandLineToArgvW(GetCommandLineW())
//                           and the C runtime's own argv
// OUT / the record file: per command line "argv N\n" then N "<length>:<UTF-8 bytes>\n",
// then "env 0\n" (the format of argv_recorder.cpp).
#include <windows.h>
#include <shellapi.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

std::wstring widen(const std::string& s) {
    if (s.empty()) return {};
    const int n = ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s.data(), static_cast<int>(s.size()), nullptr, 0);
    std::wstring w(static_cast<std::size_t>(n), L'\0');
    ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s.data(), static_cast<int>(s.size()), w.data(), n);
    return w;
}

std::string narrow(const wchar_t* w) {
    const int len = static_cast<int>(std::wcslen(w));
    if (len == 0) return {};
    const int n = ::WideCharToMultiByte(CP_UTF8, 0, w, len, nullptr, 0, nullptr, nullptr);
    std::string s(static_cast<std::size_t>(n), '\0');
    ::WideCharToMultiByte(CP_UTF8, 0, w, len, s.data(), n, nullptr, nullptr);
    return s;
}

std::string record(int argc, wchar_t** argv) {
    std::string r = "argv " + std::to_string(argc) + "\n";
    for (int i = 0; i < argc; ++i) {
        const auto a = narrow(argv[i]);
        r += std::to_string(a.size()) + ":" + a + "\n";
    }
    return r + "env 0\n";
}

std::vector<std::string> read_lines(const wchar_t* path) {
    std::FILE* f = ::_wfopen(path, L"rb");
    if (f == nullptr) std::exit(3);
    std::string data;
    char buf[65536];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) data.append(buf, n);
    std::fclose(f);
    std::vector<std::string> lines;
    for (std::size_t start = 0, nul; (nul = data.find('\0', start)) != std::string::npos; start = nul + 1)
        lines.push_back(data.substr(start, nul - start));
    return lines;
}

void append(const wchar_t* path, const std::string& s) {
    std::FILE* f = ::_wfopen(path, L"ab");
    if (f == nullptr) std::exit(4);
    std::fwrite(s.data(), 1, s.size(), f);
    std::fclose(f);
}

}  // namespace

int wmain(int argc, wchar_t** argv) {
    if (argc >= 2 && std::wstring(argv[1]) == L"run") {
        const wchar_t* out = ::_wgetenv(L"SERVICEKIT_RECORD");
        if (out == nullptr) return 5;
        int n = 0;
        wchar_t** parsed = ::CommandLineToArgvW(::GetCommandLineW(), &n);
        append(out, record(n, parsed) + record(argc, argv));
        ::LocalFree(parsed);
        return 0;
    }
    if (argc != 4) {
        std::fwprintf(stderr, L"usage: argv_w split|spawn FILE OUT\n");
        return 2;
    }
    const std::wstring mode = argv[1];
    const auto lines = read_lines(argv[2]);
    if (mode == L"split") {
        std::string out;
        for (const auto& line : lines) {
            int n = 0;
            wchar_t** parsed = ::CommandLineToArgvW(widen(line).c_str(), &n);
            out += record(n, parsed);
            ::LocalFree(parsed);
        }
        append(argv[3], out);
        return 0;
    }
    ::SetEnvironmentVariableW(L"SERVICEKIT_RECORD", argv[3]);
    for (const auto& line : lines) {
        std::wstring cmd = widen(line);
        STARTUPINFOW si{};
        si.cb = sizeof si;
        PROCESS_INFORMATION pi{};
        // Wine under load now and then fails a start with ERROR_INTERNAL_ERROR
        // (1 start in some thousands in CI) before the program runs, so
        // nothing was recorded: that one error is tried again, a few times.
        // Any other error, and a fourth internal one, fails the test.
        DWORD error = 0;
        for (int attempt = 0; attempt < 4; ++attempt) {
            if (::CreateProcessW(nullptr, cmd.data(), nullptr, nullptr, FALSE, 0, nullptr, nullptr, &si, &pi)) {
                error = 0;
                break;
            }
            error = ::GetLastError();
            if (error != ERROR_INTERNAL_ERROR || attempt == 3) break;
            ::Sleep(200);
        }
        if (error != 0) {
            std::fwprintf(stderr, L"CreateProcessW failed (%lu) for a command line\n", error);
            return 6;
        }
        ::WaitForSingleObject(pi.hProcess, INFINITE);
        ::CloseHandle(pi.hThread);
        ::CloseHandle(pi.hProcess);
    }
    return 0;
}
