#include "windows/log_sink.hpp"

#include "windows/unicode.hpp"

#include <spdlog/sinks/base_sink.h>

#include <mutex>

namespace servicekit::detail::scm {

namespace {

class event_log_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit event_log_sink(const std::string& source)
        : handle_(::RegisterEventSourceW(nullptr, to_wide(source).c_str())) {}
    ~event_log_sink() override {
        if (handle_ != nullptr) ::DeregisterEventSource(handle_);
    }
    event_log_sink(const event_log_sink&) = delete;
    event_log_sink& operator=(const event_log_sink&) = delete;

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        if (handle_ == nullptr) return;
        spdlog::memory_buf_t formatted;
        formatter_->format(msg, formatted);
        std::string_view text(formatted.data(), formatted.size());
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
        const std::wstring wide = to_utf16_lossy(text);
        const wchar_t* strings[] = {wide.c_str()};
        ::ReportEventW(handle_, event_type(msg.level), 0, event_id, nullptr, 1, 0, strings, nullptr);
    }
    void flush_() override {}

private:
    static WORD event_type(spdlog::level::level_enum level) {
        switch (level) {
            case spdlog::level::trace:
            case spdlog::level::debug:
            case spdlog::level::info: return EVENTLOG_INFORMATION_TYPE;
            case spdlog::level::warn: return EVENTLOG_WARNING_TYPE;
            default: return EVENTLOG_ERROR_TYPE;
        }
    }
    // A log message may hold any bytes a service formatted; invalid UTF-8
    // must not lose the record.
    static std::wstring to_utf16_lossy(std::string_view text) {
        try {
            return to_wide(text);
        } catch (...) {
            std::wstring out;
            for (const char c : text) out += static_cast<unsigned char>(c) < 0x80 ? static_cast<wchar_t>(c) : L'?';
            return out;
        }
    }

    HANDLE handle_;
};

}  // namespace

spdlog::sink_ptr make_event_log_sink(const std::string& source) {
    auto sink = std::make_shared<event_log_sink>(source);
    // The Event Log stamps time, source and level itself.
    sink->set_pattern("%v");
    return sink;
}

}  // namespace servicekit::detail::scm
