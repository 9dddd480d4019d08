#include "macos/log_sink.hpp"

#include <spdlog/sinks/base_sink.h>

#include <os/log.h>

#include <memory>
#include <mutex>
#include <string>

namespace servicekit::detail {

static_assert(static_cast<int>(os_log_level::default_level) == OS_LOG_TYPE_DEFAULT);
static_assert(static_cast<int>(os_log_level::info) == OS_LOG_TYPE_INFO);
static_assert(static_cast<int>(os_log_level::debug) == OS_LOG_TYPE_DEBUG);
static_assert(static_cast<int>(os_log_level::error) == OS_LOG_TYPE_ERROR);
static_assert(static_cast<int>(os_log_level::fault) == OS_LOG_TYPE_FAULT);

namespace {

class os_log_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    os_log_sink(const std::string& subsystem, const std::string& category)
        : handle_(os_log_create(subsystem.c_str(), category.c_str())) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        text_.assign(msg.payload.data(), msg.payload.size());
        // The format must be a literal: os_log keeps only a pointer to it.
        os_log_with_type(handle_, static_cast<os_log_type_t>(os_log_level_for(msg.level)), "%{public}s",
                         text_.c_str());
    }
    void flush_() override {}

private:
    os_log_t handle_;  // never released: os_log handles live for the process
    std::string text_;
};

}  // namespace

spdlog::sink_ptr make_os_log_sink(const std::string& subsystem, const std::string& category) {
    return std::make_shared<os_log_sink>(subsystem, category);
}

}  // namespace servicekit::detail
