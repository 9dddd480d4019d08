// The stand-in os_log runtime: decodes what __builtin_os_log_format encoded
// and records it for sink_test.cpp.
#include "stand_in.hpp"

#include <os/log.h>

#include <cstring>

std::vector<os_log_record> g_os_log_records;
std::vector<std::pair<std::string, std::string>> g_os_log_handles;

extern "C" os_log_t os_log_create(const char* subsystem, const char* category) {
    g_os_log_handles.emplace_back(subsystem, category);
    return reinterpret_cast<os_log_t>(g_os_log_handles.size());
}

extern "C" bool os_log_type_enabled(os_log_t, os_log_type_t) { return true; }

// Layout: summary byte, argument count, then per argument a descriptor byte
// (type in the high nibble, 2 = string; flag 0x2 = public), a size byte and
// the value (for %s, the pointer).
extern "C" void _os_log_impl(void*, os_log_t log, os_log_type_t type, const char* format, uint8_t* buf,
                             uint32_t size) {
    os_log_record r;
    r.handle = reinterpret_cast<std::uintptr_t>(log);
    r.type = type;
    r.format = format;
    if (size >= 4 + sizeof(const char*) && buf[1] == 1 && (buf[2] >> 4) == 2 && buf[3] == sizeof(const char*)) {
        r.is_public = (buf[2] & 0x2) != 0;
        const char* s = nullptr;
        std::memcpy(&s, buf + 4, sizeof s);
        r.text = s;
    }
    g_os_log_records.push_back(r);
}
