#include "detail/process.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace servicekit::detail {

namespace {

struct pipe_pair {
    int r = -1, w = -1;
    pipe_pair() {
        int fds[2];
        if (make_pipe(fds, false)) {
            r = fds[0];
            w = fds[1];
        }
    }
    ~pipe_pair() { close_r(); close_w(); }
    void close_r() { if (r >= 0) ::close(r); r = -1; }
    void close_w() { if (w >= 0) ::close(w); w = -1; }
    pipe_pair(const pipe_pair&) = delete;
    pipe_pair& operator=(const pipe_pair&) = delete;
};

int decode_status(int st) {
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return -1;
}

}  // namespace

bool make_pipe(int fds[2], bool nonblocking) noexcept {
#if defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__)
    return ::pipe2(fds, O_CLOEXEC | (nonblocking ? O_NONBLOCK : 0)) == 0;
#else  // macOS has no pipe2(): the flags are set after the fact
    if (::pipe(fds) != 0) return false;
    for (int i = 0; i < 2; ++i) {
        ::fcntl(fds[i], F_SETFD, FD_CLOEXEC);
        if (nonblocking) ::fcntl(fds[i], F_SETFL, ::fcntl(fds[i], F_GETFL) | O_NONBLOCK);
    }
    return true;
#endif
}

command_result run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    command_result result;
    if (argv.empty()) {
        result.exit_code = 127;
        result.err = "no command";
        return result;
    }
    pipe_pair out, err;
    if (out.r < 0 || err.r < 0) {
        result.exit_code = 127;
        result.err = std::string("pipe: ") + std::strerror(errno);
        return result;
    }

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out.w, 1);
    posix_spawn_file_actions_adddup2(&actions, err.w, 2);
    // The child starts with default signal handling, whatever this process set up.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigemptyset(&all);
    for (const int s : {SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGPIPE}) sigaddset(&all, s);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    out.close_w();
    err.close_w();
    if (rc != 0) {
        result.exit_code = 127;
        result.err = argv[0] + ": " + std::strerror(rc);
        return result;
    }

    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + timeout;
    bool killed = false;
    pollfd fds[2] = {{out.r, POLLIN, 0}, {err.r, POLLIN, 0}};
    char buf[4096];
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
        if (left <= 0 && !killed) {
            ::kill(pid, SIGKILL);
            killed = true;
        }
        const int n = ::poll(fds, 2, killed ? 1000 : static_cast<int>(std::min<long long>(left, 60'000)));
        if (n < 0 && errno != EINTR) break;
        if (n == 0 && killed) break;  // a grandchild keeps the pipe open; give up on the rest
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            const auto got = ::read(fds[i].fd, buf, sizeof buf);
            if (got > 0) (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(got));
            else if (got == 0 || errno != EINTR) fds[i].fd = -1;
        }
    }
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    result.exit_code = killed ? 137 : decode_status(st);
    if (killed) result.err += "\n(killed after " + std::to_string(timeout.count()) + " ms)";
    return result;
}

std::string describe_command(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& a : argv) {
        if (!out.empty()) out += ' ';
        const bool plain = !a.empty() && a.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@%+,") == std::string::npos;
        if (plain) {
            out += a;
            continue;
        }
        out += '\'';
        for (const char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
        out += '\'';
    }
    return out;
}

}  // namespace servicekit::detail
