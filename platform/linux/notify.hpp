#pragma once
// sd_notify(3) without libsystemd: one datagram of "KEY=value" lines to the
// AF_UNIX socket named by $NOTIFY_SOCKET.

#include <optional>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/un.h>

namespace servicekit::detail::systemd {

class notifier {
public:
    /// A notifier for the socket `address`: a path, or "@name" for an
    /// abstract socket (what systemd hands out in containers).
    explicit notifier(std::string address);
    ~notifier();
    notifier(const notifier&) = delete;
    notifier& operator=(const notifier&) = delete;

    /// The notifier for $NOTIFY_SOCKET, or nullopt when it is unset or empty.
    static std::optional<notifier> from_environment();

    /// Sends `state` ("READY=1", "STATUS=…\nREADY=1", …) as one datagram.
    /// False when it could not be sent; systemd then keeps its own idea of
    /// the state, so callers log and carry on.
    bool send(std::string_view state) noexcept;

    const std::string& address() const noexcept { return address_; }

    notifier(notifier&& other) noexcept;
    notifier& operator=(notifier&&) = delete;

private:
    std::string address_;
    int fd_ = -1;
};

/// The address of an AF_UNIX socket: a path, or "@name" for an abstract
/// socket (its name starts with a NUL byte and is not terminated); false if it
/// does not fit. Async-signal-safe.
bool unix_address(std::string_view address, sockaddr_un& sa, socklen_t& len) noexcept;

/// CLOCK_MONOTONIC in microseconds, as systemd wants it in MONOTONIC_USEC=.
unsigned long long monotonic_usec() noexcept;

}  // namespace servicekit::detail::systemd
