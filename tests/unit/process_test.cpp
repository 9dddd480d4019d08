// make_pipe() (platform/posix/process.cpp): both ends close-on-exec, and
// non-blocking when asked, as soon as they exist.
#include <doctest/doctest.h>

#if !defined(_WIN32)
#include "detail/process.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace {

bool has_fd_flag(int fd, int flag) { return (::fcntl(fd, F_GETFD) & flag) != 0; }
bool has_status_flag(int fd, int flag) { return (::fcntl(fd, F_GETFL) & flag) != 0; }

}  // namespace

TEST_CASE("make_pipe: close-on-exec ends, non-blocking when asked") {
    for (const bool nonblocking : {false, true}) {
        CAPTURE(nonblocking);
        int fds[2] = {-1, -1};
        REQUIRE(servicekit::detail::make_pipe(fds, nonblocking));
        for (const int fd : fds) {
            CHECK(has_fd_flag(fd, FD_CLOEXEC));
            CHECK(has_status_flag(fd, O_NONBLOCK) == nonblocking);
        }
        CHECK(::write(fds[1], "x", 1) == 1);
        char c = 0;
        CHECK(::read(fds[0], &c, 1) == 1);
        CHECK(c == 'x');
        if (nonblocking) CHECK(::read(fds[0], &c, 1) == -1);  // empty: EAGAIN, not a wait
        ::close(fds[0]);
        ::close(fds[1]);
    }
}
#endif
