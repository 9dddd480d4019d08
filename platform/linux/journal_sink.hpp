#pragma once
// An spdlog sink that speaks journald's native protocol (systemd.journal-fields(7),
// "Native Journal Protocol"): one datagram per entry on /run/systemd/journal/socket,
// no libsystemd needed.

#include "detail/lifecycle.hpp"

#include <spdlog/common.h>
#include <spdlog/sinks/base_sink.h>

#include <mutex>
#include <string>
#include <string_view>

namespace servicekit::detail::systemd {

/// Where journald listens for native entries.
inline constexpr std::string_view journal_socket_path = "/run/systemd/journal/socket";

/// Writes each message as a journal entry with MESSAGE (the message alone:
/// journald adds time, PID and unit), PRIORITY (syslog level),
/// SYSLOG_IDENTIFIER (the service's name), TID and, when spdlog knows it,
/// CODE_FILE/CODE_LINE/CODE_FUNC. Entries too big for one datagram go in a
/// sealed memfd, as sd_journal_send does. When an entry cannot be delivered
/// (journald restarting) the line goes to stderr instead of being lost.
/// The stop-timeout line it writes from a signal handler is one datagram
/// (MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, TID), sent without waiting; if
/// journald does not take it (its queue full, or restarting), the line goes to
/// stderr as "<2>identifier: text", bounded to 1 s, like any other line.
class journal_sink final : public spdlog::sinks::base_sink<std::mutex>, public last_line_sink {
public:
    explicit journal_sink(std::string identifier, std::string socket_path = std::string(journal_socket_path));
    ~journal_sink() override;
    journal_sink(const journal_sink&) = delete;
    journal_sink& operator=(const journal_sink&) = delete;

    std::string render_last_line(std::string_view name, std::string_view text,
                                 std::chrono::system_clock::time_point when) override;
    // journald stamps the entry when it gets it.
    bool renders_without_time() const noexcept override { return true; }
    void write_last_line(const std::string& rendered) const noexcept override;

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override;
    void flush_() override {}

private:
    std::string entry(std::string_view text, spdlog::level::level_enum level, std::size_t thread_id,
                      const spdlog::source_loc& source) const;
    bool deliver(std::string_view entry);
    std::string identifier_, socket_path_;
    int fd_ = -1;
};

/// Where syslog(3) writes.
inline constexpr std::string_view syslog_socket_path = "/dev/log";

/// A syslog(3) sink (LOG_DAEMON, with the PID) whose stop-timeout line, from a
/// signal handler, goes to `last_line_socket` in syslog(3)'s own format and
/// the way syslog(3) sends it: one datagram, or, where the syslog daemon
/// listens on a stream socket, one record ended by a NUL byte; without a
/// daemon that takes it, to stderr as "<2>name[pid]: text" (bounded to 1 s). Tests point
/// `last_line_socket` elsewhere; syslog(3) itself always writes to /dev/log.
spdlog::sink_ptr make_syslog_sink(const std::string& identifier,
                                  std::string last_line_socket = std::string(syslog_socket_path));

/// The syslog priority (0 emerg … 7 debug) for an spdlog level.
int journal_priority(spdlog::level::level_enum level) noexcept;

/// Appends one field of a native entry: "KEY=value\n", or, when the value
/// holds a newline or a NUL byte, the binary-safe form "KEY\n" + 64-bit little-endian
/// length + value + "\n".
void append_journal_field(std::string& entry, std::string_view key, std::string_view value);

/// The journal sink when journald's socket exists, else a syslog sink with
/// the same identifier (LOG_DAEMON, with the PID) when /dev/log does, else
/// nullptr: there is no system log (a container), and the caller logs
/// elsewhere.
spdlog::sink_ptr make_journal_sink(const std::string& identifier);

}  // namespace servicekit::detail::systemd
