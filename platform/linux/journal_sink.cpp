#include "linux/journal_sink.hpp"

#include "detail/file.hpp"
#include "linux/notify.hpp"

#include <fmt/format.h>
#include <spdlog/details/os.h>
#include <spdlog/sinks/syslog_sink.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <initializer_list>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

namespace servicekit::detail::systemd {

int journal_priority(spdlog::level::level_enum level) noexcept {
    switch (level) {
        case spdlog::level::trace:
        case spdlog::level::debug: return LOG_DEBUG;
        case spdlog::level::info: return LOG_INFO;
        case spdlog::level::warn: return LOG_WARNING;
        case spdlog::level::err: return LOG_ERR;
        case spdlog::level::critical: return LOG_CRIT;
        default: return LOG_INFO;
    }
}

void append_journal_field(std::string& entry, std::string_view key, std::string_view value) {
    entry += key;
    // journald ends a plain value at the first newline; NUL bytes are kept
    // out of it too, so that no tool mistakes the field for text.
    // Two memchr()s: find_first_of would test every byte against the set.
    if (value.find('\n') == std::string_view::npos && value.find('\0') == std::string_view::npos) {
        entry += '=';
        entry += value;
    } else {
        entry += '\n';
        auto size = static_cast<std::uint64_t>(value.size());
        for (int i = 0; i < 8; ++i, size >>= 8) entry += static_cast<char>(size & 0xFF);
        entry += value;
    }
    entry += '\n';
}

journal_sink::journal_sink(std::string identifier, std::string socket_path)
    : identifier_(std::move(identifier)), socket_path_(std::move(socket_path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ >= 0) {
        // journald's own client library asks for an 8 MiB send buffer so that
        // bursts are not dropped; the kernel caps it at wmem_max.
        const int size = 8 << 20;
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
}

journal_sink::~journal_sink() {
    if (fd_ >= 0) ::close(fd_);
}

namespace {

// A last line for stderr: the parts and a newline, written at once so that
// no other line lands inside it (a longer line is cut), bounded to 1 s.
// Async-signal-safe.
void stderr_line(std::initializer_list<std::string_view> parts) noexcept {
    std::array<char, 1024> line;
    std::size_t n = 0;
    for (const std::string_view part : parts) {
        const std::size_t take = std::min(part.size(), line.size() - 1 - n);
        std::memcpy(line.data() + n, part.data(), take);
        n += take;
    }
    line[n++] = '\n';
    write_bounded(STDERR_FILENO, std::string_view(line.data(), n), std::chrono::seconds(1));
}

}  // namespace

bool journal_sink::deliver(std::string_view entry) {
    if (fd_ < 0) return false;
    sockaddr_un sa;
    socklen_t len = 0;
    if (!unix_address(socket_path_, sa, len)) return false;

    ssize_t n;
    do {
        n = ::sendto(fd_, entry.data(), entry.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&sa), len);
    } while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(entry.size())) return true;
    if (errno != EMSGSIZE && errno != ENOBUFS) return false;

    // Too big for a datagram: journald accepts a sealed memfd holding the
    // entry, passed with SCM_RIGHTS in an otherwise empty message.
    const int mfd = ::memfd_create("servicekit-journal", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (mfd < 0) return false;
    bool ok = ::write(mfd, entry.data(), entry.size()) == static_cast<ssize_t>(entry.size()) &&
              ::fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == 0;
    if (ok) {
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
        msghdr mh{};
        mh.msg_name = &sa;
        mh.msg_namelen = len;
        mh.msg_control = control;
        mh.msg_controllen = sizeof control;
        cmsghdr* cmsg = CMSG_FIRSTHDR(&mh);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(cmsg), &mfd, sizeof(int));
        do {
            n = ::sendmsg(fd_, &mh, MSG_NOSIGNAL);
        } while (n < 0 && errno == EINTR);
        ok = n >= 0;
    }
    ::close(mfd);
    return ok;
}

std::string journal_sink::entry(std::string_view text, spdlog::level::level_enum level, std::size_t thread_id,
                                const spdlog::source_loc& source) const {
    std::string e;
    e.reserve(text.size() + identifier_.size() + 96);
    append_journal_field(e, "MESSAGE", text);
    append_journal_field(e, "PRIORITY", std::to_string(journal_priority(level)));
    append_journal_field(e, "SYSLOG_IDENTIFIER", identifier_);
    append_journal_field(e, "TID", std::to_string(thread_id));
    if (!source.empty()) {
        append_journal_field(e, "CODE_FILE", source.filename);
        append_journal_field(e, "CODE_LINE", std::to_string(source.line));
        if (source.funcname != nullptr) append_journal_field(e, "CODE_FUNC", source.funcname);
    }
    return e;
}

void journal_sink::sink_it_(const spdlog::details::log_msg& msg) {
    const std::string_view text(msg.payload.data(), msg.payload.size());
    if (!deliver(entry(text, msg.level, msg.thread_id, msg.source)))
        std::fprintf(stderr, "<%d>%s: %.*s\n", journal_priority(msg.level), identifier_.c_str(),
                     static_cast<int>(text.size()), text.data());
}

std::string journal_sink::render_last_line(std::string_view, std::string_view text,
                                           std::chrono::system_clock::time_point) {
    return entry(text, spdlog::level::critical, spdlog::details::os::thread_id(), {});
}

void journal_sink::write_last_line(const std::string& rendered) const noexcept {
    sockaddr_un sa;
    socklen_t len = 0;
    if (fd_ >= 0 && unix_address(socket_path_, sa, len) &&
        ::sendto(fd_, rendered.data(), rendered.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&sa), len) == static_cast<ssize_t>(rendered.size()))
        return;
    // To stderr, as sink_it_() does: "<2>identifier: text". The text is the
    // entry's first field, MESSAGE, in either of its forms (entry()).
    std::string_view message(rendered);
    if (message.substr(0, 8) == "MESSAGE=") {
        message = message.substr(8, message.find('\n') - 8);
    } else if (message.substr(0, 8) == "MESSAGE\n" && message.size() >= 16) {
        std::uint64_t size = 0;
        for (std::size_t i = 16; i-- > 8;) size = (size << 8) | static_cast<unsigned char>(message[i]);
        message = message.substr(16, static_cast<std::size_t>(size));
    } else {
        return;
    }
    stderr_line({"<2>", identifier_, ": ", message});
}

namespace {

class syslog_sink final : public spdlog::sinks::syslog_sink_mt, public last_line_sink {
public:
    syslog_sink(const std::string& identifier, std::string last_line_socket)
        : spdlog::sinks::syslog_sink_mt(identifier, LOG_PID, LOG_DAEMON, false), identifier_(identifier),
          socket_path_(std::move(last_line_socket)) {}

    // "<26>Nov 22 09:05:01 name[pid]: text", as syslog(3) writes it (the C
    // locale's month names), at the time the line is due.
    std::string render_last_line(std::string_view, std::string_view text,
                                 std::chrono::system_clock::time_point when) override {
        static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        const std::time_t t = std::chrono::system_clock::to_time_t(when);
        std::tm local{};
        ::localtime_r(&t, &local);
        return fmt::format("<{}>{} {:2} {:02}:{:02}:{:02} {}[{}]: {}", LOG_DAEMON | LOG_CRIT,
                           months[static_cast<std::size_t>(local.tm_mon) % months.size()], local.tm_mday,
                           local.tm_hour, local.tm_min, local.tm_sec, identifier_, ::getpid(), text);
    }

    // As syslog(3) sends it: a datagram, or on a stream socket (some
    // syslog-ng set-ups) the line and a NUL byte. If neither is taken, stderr
    // gets "<2>name[pid]: text", like the journal sink's (under the SysV
    // script, start-stop-daemon points stderr at /dev/null).
    void write_last_line(const std::string& rendered) const noexcept override {
        sockaddr_un sa;
        socklen_t len = 0;
        if (unix_address(socket_path_, sa, len) &&
            (send_to(SOCK_DGRAM, sa, len, rendered, false) || send_to(SOCK_STREAM, sa, len, rendered, true)))
            return;
        const std::string_view line(rendered);
        if (line.size() >= header_size) stderr_line({"<2>", line.substr(header_size)});
    }

private:
    // Async-signal-safe; never waits for the daemon.
    static bool send_to(int type, const sockaddr_un& sa, socklen_t len, const std::string& text, bool nul) noexcept {
        const int fd = ::socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) return false;
        bool sent = false;
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&sa), len) == 0) {
            char end = '\0';
            iovec iov[2] = {{const_cast<char*>(text.data()), text.size()}, {&end, nul ? 1U : 0U}};
            msghdr mh{};
            mh.msg_iov = iov;
            mh.msg_iovlen = 2;
            sent = ::sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) == static_cast<ssize_t>(text.size() + (nul ? 1 : 0));
        }
        ::close(fd);
        return sent;
    }

    // "<26>Nov 22 09:05:01 ": the priority and the time, before "name[pid]: ".
    static constexpr std::size_t header_size = 20;

    std::string identifier_;
    std::string socket_path_;
};

}  // namespace

spdlog::sink_ptr make_syslog_sink(const std::string& identifier, std::string last_line_socket) {
    return std::make_shared<syslog_sink>(identifier, std::move(last_line_socket));
}

spdlog::sink_ptr make_journal_sink(const std::string& identifier) {
    if (file_type(journal_socket_path) == S_IFSOCK) return std::make_shared<journal_sink>(identifier);
    if (file_type(syslog_socket_path) == S_IFSOCK) return make_syslog_sink(identifier);
    return nullptr;
}

}  // namespace servicekit::detail::systemd
