#pragma once
// What the stand-in os_log runtime recorded.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

struct os_log_record {
    std::uintptr_t handle = 0;
    std::uint8_t type = 0xff;
    std::string format, text;
    bool is_public = false;
};

extern std::vector<os_log_record> g_os_log_records;
extern std::vector<std::pair<std::string, std::string>> g_os_log_handles;  // os_log_create calls
