#pragma once
// The Windows Event Log as an spdlog sink, in UTF-16.

#include <spdlog/sinks/sink.h>

#include <string>

namespace servicekit::detail::scm {

/// Event ID of every record: EventCreate.exe, the message file install
/// registers for the source, renders IDs 1–1000 as the record's text ("%1").
inline constexpr unsigned short event_id = 1;

/// A sink that reports each message to the Application log under `source`
/// (the service's name). Like spdlog's win_eventlog_sink (same level → event
/// type mapping), but it hands the text to ReportEventW as UTF-16, where
/// spdlog's sink uses the ANSI ReportEventA unless the whole build defines
/// SPDLOG_WCHAR_TO_UTF8_SUPPORT. Failing to log never throws: a service must
/// not die because the Event Log is full or unavailable.
spdlog::sink_ptr make_event_log_sink(const std::string& source);

}  // namespace servicekit::detail::scm
