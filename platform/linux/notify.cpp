#include "linux/notify.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace servicekit::detail::systemd {

notifier::notifier(std::string address) : address_(std::move(address)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

notifier::notifier(notifier&& other) noexcept : address_(std::move(other.address_)), fd_(other.fd_) {
    other.fd_ = -1;
}

notifier::~notifier() {
    if (fd_ >= 0) ::close(fd_);
}

std::optional<notifier> notifier::from_environment() {
    const char* address = std::getenv("NOTIFY_SOCKET");
    if (address == nullptr || *address == '\0') return std::nullopt;
    return std::optional<notifier>(std::in_place, address);
}

bool notifier::send(std::string_view state) noexcept {
    if (fd_ < 0 || address_.empty()) return false;
    if (address_.front() != '/' && address_.front() != '@') return false;  // sd_notify takes only these
    sockaddr_un sa;
    socklen_t len = 0;
    if (!unix_address(address_, sa, len)) return false;
    ssize_t n;
    do {
        n = ::sendto(fd_, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&sa), len);
    } while (n < 0 && errno == EINTR);
    return n == static_cast<ssize_t>(state.size());
}

bool unix_address(std::string_view address, sockaddr_un& sa, socklen_t& len) noexcept {
    sa = sockaddr_un{};
    sa.sun_family = AF_UNIX;
    if (address.empty() || address.size() >= sizeof sa.sun_path) return false;
    std::memcpy(sa.sun_path, address.data(), address.size());
    const bool abstract = address.front() == '@';
    if (abstract) sa.sun_path[0] = '\0';
    len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size() + (abstract ? 0 : 1));
    return true;
}

unsigned long long monotonic_usec() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<unsigned long long>(ts.tv_sec) * 1'000'000ULL +
           static_cast<unsigned long long>(ts.tv_nsec) / 1000ULL;
}

}  // namespace servicekit::detail::systemd
