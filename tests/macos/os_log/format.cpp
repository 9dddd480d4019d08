// Compiled twice by CMakeLists.txt: with a literal format it must compile,
// with NON_LITERAL_FORMAT it must not (os_log keeps only a pointer to the
// format, and %{public} must be visible to the compiler).
#include <os/log.h>

#include <string>

void log_line(os_log_t h, const std::string& text);

void log_line(os_log_t h, const std::string& text) {
#if defined(NON_LITERAL_FORMAT)
    os_log_with_type(h, OS_LOG_TYPE_DEFAULT, text.c_str());
#else
    os_log_with_type(h, OS_LOG_TYPE_DEFAULT, "%{public}s", text.c_str());
#endif
}
