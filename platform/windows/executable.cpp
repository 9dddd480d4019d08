#include "detail/backend.hpp"

#include <servicekit/error.hpp>

#include "windows/unicode.hpp"

#include <string>

namespace servicekit::detail {

std::filesystem::path current_executable() {
    // MAX_PATH is not a limit for long-path-aware programs: grow until it fits.
    std::wstring buf(MAX_PATH, L'\0');
    for (;;) {
        const DWORD n = ::GetModuleFileNameW(nullptr, buf.data(), static_cast<DWORD>(buf.size()));
        if (n == 0)
            throw error(errc::io, "cannot find this program's path: " + scm::win32_message(::GetLastError()));
        if (n < buf.size()) {
            buf.resize(n);
            return std::filesystem::path(buf);
        }
        buf.resize(buf.size() * 2);
    }
}

}  // namespace servicekit::detail
