/* A stand-in for the macOS SDK's <os/log.h>, so that servicekit's os_log sink
 * compiles with clang on any host. It keeps what the sink relies on:
 *  - the OS_LOG_TYPE_* values;
 *  - os_log_with_type() needs a string-literal format, as in the SDK: the
 *    format initialises a static char array, and __builtin_os_log_format
 *    (clang, every target) encodes the arguments and rejects a format that
 *    is not a string constant;
 *  - the encoded buffer goes to _os_log_impl, which the test defines to
 *    decode and record it.
 * Used as a system header, like the SDK's. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct os_log_s* os_log_t;
typedef uint8_t os_log_type_t;

#define OS_LOG_TYPE_DEFAULT ((os_log_type_t)0x00)
#define OS_LOG_TYPE_INFO ((os_log_type_t)0x01)
#define OS_LOG_TYPE_DEBUG ((os_log_type_t)0x02)
#define OS_LOG_TYPE_ERROR ((os_log_type_t)0x10)
#define OS_LOG_TYPE_FAULT ((os_log_type_t)0x11)

#ifdef __cplusplus
extern "C" {
#endif
os_log_t os_log_create(const char* subsystem, const char* category);
bool os_log_type_enabled(os_log_t log, os_log_type_t type);
void _os_log_impl(void* dso, os_log_t log, os_log_type_t type, const char* format, uint8_t* buf, uint32_t size);
#ifdef __cplusplus
}
#endif

#define os_log_with_type(log, type, format, ...) __extension__({                                         \
    os_log_t _log_tmp = (log);                                                                            \
    os_log_type_t _type_tmp = (type);                                                                     \
    if (os_log_type_enabled(_log_tmp, _type_tmp)) {                                                       \
        static const char _os_fmt_str[] = format;                                                         \
        uint8_t _os_fmt_buf[__builtin_os_log_format_buffer_size(format, ##__VA_ARGS__)]                   \
            __attribute__((aligned(16)));                                                                 \
        _os_log_impl(0, _log_tmp, _type_tmp, _os_fmt_str,                                                 \
                     (uint8_t*)__builtin_os_log_format(_os_fmt_buf, format, ##__VA_ARGS__),               \
                     (uint32_t)sizeof(_os_fmt_buf));                                                      \
    }                                                                                                     \
})
