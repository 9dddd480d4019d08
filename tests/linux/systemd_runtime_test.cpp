// Running under systemd, without systemd: sd_notify and the journal sink
// against datagram sockets of the test's own, and run() with NOTIFY_SOCKET
// pointing at one.
#include <doctest/doctest.h>

#include "linux/journal_sink.hpp"
#include "linux/notify.hpp"
#include "linux/systemd_backend.hpp"

#include <spdlog/logger.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>
#include <poll.h>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace servicekit;
namespace sd = servicekit::detail::systemd;

namespace {

// The AF_UNIX address of a path or an abstract name ("@…"). Built here, not
// by sd::unix_address(), which the sinks and the notifier use: these tests
// check that one against it.
struct socket_address {
    sockaddr_un sa{};
    socklen_t len = 0;
    explicit socket_address(std::string_view address) {
        sa.sun_family = AF_UNIX;
        // A path needs room for its NUL; an abstract name fills sun_path.
        REQUIRE(!address.empty());
        const bool abstract = address.front() == '@';
        REQUIRE(address.size() + (abstract ? 0 : 1) <= sizeof sa.sun_path);
        std::memcpy(sa.sun_path, address.data(), address.size());
        if (abstract) sa.sun_path[0] = '\0';
        len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size() + (abstract ? 0 : 1));
    }
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&sa); }
};

// A datagram socket bound to a path or an abstract name ("@…").
class listener {
public:
    explicit listener(std::string address) : address_(std::move(address)) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        const socket_address a(address_);
        if (address_.front() != '@') ::unlink(address_.c_str());
        REQUIRE(::bind(fd_, a.get(), a.len) == 0);
    }
    ~listener() {
        ::close(fd_);
        if (address_.front() != '@') ::unlink(address_.c_str());
    }
    listener(const listener&) = delete;
    listener& operator=(const listener&) = delete;

    // The next datagram, or its memfd's content; "" after `ms` without one.
    std::string receive(int ms = 2000) const {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, ms) <= 0) return {};
        std::string buf(1 << 20, '\0');
        iovec iov{buf.data(), buf.size()};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
        msghdr mh{};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = control;
        mh.msg_controllen = sizeof control;
        const auto n = ::recvmsg(fd_, &mh, 0);
        REQUIRE(n >= 0);
        buf.resize(static_cast<std::size_t>(n));
        if (cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr && c->cmsg_type == SCM_RIGHTS) {
            int fd = -1;
            std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
            struct stat st {};
            ::fstat(fd, &st);
            std::string content(static_cast<std::size_t>(st.st_size), '\0');
            CHECK(::pread(fd, content.data(), content.size(), 0) == st.st_size);
            ::close(fd);
            return content;
        }
        return buf;
    }
    const std::string& address() const { return address_; }

private:
    std::string address_;
    int fd_ = -1;
};

std::string scratch_socket(const char* what) {
    return (std::filesystem::temp_directory_path() / ("servicekit-" + std::to_string(::getpid()) + "-" + what)).string();
}

// Decodes a native journal entry: KEY=value lines and the binary-safe form.
std::multimap<std::string, std::string> decode_entry(const std::string& e) {
    std::multimap<std::string, std::string> fields;
    std::size_t i = 0;
    while (i < e.size()) {
        const auto nl = e.find('\n', i);
        REQUIRE(nl != std::string::npos);
        const auto eq = e.find('=', i);
        if (eq != std::string::npos && eq < nl) {
            fields.emplace(e.substr(i, eq - i), e.substr(eq + 1, nl - eq - 1));
            i = nl + 1;
            continue;
        }
        const std::string key = e.substr(i, nl - i);
        REQUIRE(nl + 9 <= e.size());
        std::uint64_t size = 0;
        for (int b = 7; b >= 0; --b) size = (size << 8) | static_cast<unsigned char>(e[nl + 1 + static_cast<std::size_t>(b)]);
        fields.emplace(key, e.substr(nl + 9, size));
        REQUIRE(e[nl + 9 + size] == '\n');
        i = nl + 10 + size;
    }
    return fields;
}

struct env_guard {
    std::map<std::string, std::optional<std::string>> saved;
    void set(const char* name, const std::optional<std::string>& value) {
        if (!saved.count(name)) {
            const char* old = std::getenv(name);
            saved[name] = old ? std::optional<std::string>(old) : std::nullopt;
        }
        if (value) ::setenv(name, value->c_str(), 1);
        else ::unsetenv(name);
    }
    ~env_guard() {
        for (const auto& [k, v] : saved) {
            if (v) ::setenv(k.c_str(), v->c_str(), 1);
            else ::unsetenv(k.c_str());
        }
    }
};

}  // namespace

TEST_CASE("sd_notify: a datagram to a path and to an abstract socket") {
    listener path(scratch_socket("notify"));
    sd::notifier n(path.address());
    CHECK(n.send("READY=1"));
    CHECK(path.receive() == "READY=1");

    listener abstract("@servicekit-test-" + std::to_string(::getpid()));
    sd::notifier a(abstract.address());
    CHECK(a.send("STATUS=working\nWATCHDOG=1"));
    CHECK(abstract.receive() == "STATUS=working\nWATCHDOG=1");

    CHECK_FALSE(sd::notifier(scratch_socket("nobody-listens")).send("READY=1"));
    CHECK_FALSE(sd::notifier("relative/path").send("READY=1"));

    env_guard env;
    env.set("NOTIFY_SOCKET", std::nullopt);
    CHECK_FALSE(sd::notifier::from_environment());
    env.set("NOTIFY_SOCKET", path.address());
    REQUIRE(sd::notifier::from_environment());
    CHECK(sd::notifier::from_environment()->address() == path.address());
}

TEST_CASE("journal: field encoding and priorities") {
    std::string e;
    sd::append_journal_field(e, "MESSAGE", "one line");
    CHECK(e == "MESSAGE=one line\n");
    e.clear();
    sd::append_journal_field(e, "MESSAGE", "a\nb");
    CHECK(e == std::string("MESSAGE\n\x03\0\0\0\0\0\0\0a\nb\n", 20));
    e.clear();
    sd::append_journal_field(e, "M", std::string_view("a\0b", 3));
    CHECK(e == std::string("M\n\x03\0\0\0\0\0\0\0a\0b\n", 14));
    CHECK(sd::journal_priority(spdlog::level::trace) == 7);
    CHECK(sd::journal_priority(spdlog::level::debug) == 7);
    CHECK(sd::journal_priority(spdlog::level::info) == 6);
    CHECK(sd::journal_priority(spdlog::level::warn) == 4);
    CHECK(sd::journal_priority(spdlog::level::err) == 3);
    CHECK(sd::journal_priority(spdlog::level::critical) == 2);
}

TEST_CASE("journal sink: entries as journald receives them") {
    listener journal(scratch_socket("journal"));
    auto sink = std::make_shared<sd::journal_sink>("myd", journal.address());
    spdlog::logger log("anything", sink);
    log.set_level(spdlog::level::trace);

    log.warn("disk {}% full", 91);
    auto f = decode_entry(journal.receive());
    CHECK(f.find("MESSAGE")->second == "disk 91% full");
    CHECK(f.find("PRIORITY")->second == "4");
    CHECK(f.find("SYSLOG_IDENTIFIER")->second == "myd");
    CHECK(f.count("TID") == 1);

    log.error("first\nsecond=third\n");
    f = decode_entry(journal.receive());
    CHECK(f.find("MESSAGE")->second == "first\nsecond=third\n");
    CHECK(f.find("PRIORITY")->second == "3");

    SPDLOG_LOGGER_CALL((&log), spdlog::level::info, "with a source location");
    f = decode_entry(journal.receive());
    CHECK(f.find("CODE_FILE") != f.end());
    CHECK(f.find("CODE_LINE") != f.end());

    // Bigger than any datagram the kernel takes: a sealed memfd instead.
    const std::string big(600 * 1024, 'x');
    log.info(big);
    f = decode_entry(journal.receive());
    CHECK(f.find("MESSAGE")->second == big);
}

namespace {

// What `body` writes to stderr.
template <class Body>
std::string stderr_of(Body body) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const int saved = ::dup(STDERR_FILENO);
    ::dup2(fds[1], STDERR_FILENO);
    ::close(fds[1]);
    body();
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    return out;
}

detail::last_line_sink& last_line(const spdlog::sink_ptr& sink) {
    auto* writer = dynamic_cast<detail::last_line_sink*>(sink.get());
    REQUIRE(writer != nullptr);
    return *writer;
}

}  // namespace

TEST_CASE("the stop-timeout line to journald, or to stderr when journald does not take it") {
    listener journal(scratch_socket("journal-last"));
    const auto sink = std::make_shared<sd::journal_sink>("myd", journal.address());
    const auto now = std::chrono::system_clock::now();
    const auto line = last_line(sink).render_last_line("myd", "stop() did not return", now);
    CHECK(stderr_of([&] { last_line(sink).write_last_line(line); }).empty());
    auto f = decode_entry(journal.receive());
    CHECK(f.find("MESSAGE")->second == "stop() did not return");
    CHECK(f.find("PRIORITY")->second == "2");
    CHECK(f.find("SYSLOG_IDENTIFIER")->second == "myd");

    // journald's queue full: the datagram would wait, so stderr takes the line.
    // (Filled from as many sockets as it takes: each has a send buffer of its
    // own, and the queue is full when a fresh one cannot send.)
    const socket_address to(journal.address());
    const auto send_one = [&](int fd) { return ::sendto(fd, "x", 1, MSG_DONTWAIT, to.get(), to.len) == 1; };
    struct sockets {
        std::vector<int> fds;
        ~sockets() {
            for (const int fd : fds) ::close(fd);
        }
    } fillers;
    bool full = false;
    int error = 0;
    while (!full && fillers.fds.size() < 256) {
        fillers.fds.push_back(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        REQUIRE(fillers.fds.back() >= 0);
        full = !send_one(fillers.fds.back());
        while (!full && send_one(fillers.fds.back())) {}
        error = errno;
    }
    REQUIRE(full);
    CHECK(error == EAGAIN);
    CHECK(stderr_of([&] { last_line(sink).write_last_line(line); }) == "<2>myd: stop() did not return\n");

    // No journald at all; a message in the binary-safe form.
    const auto gone = std::make_shared<sd::journal_sink>("myd", scratch_socket("no-journal"));
    const auto two = last_line(gone).render_last_line("myd", "two\nlines", now);
    CHECK(stderr_of([&] { last_line(gone).write_last_line(two); }) == "<2>myd: two\nlines\n");
}

TEST_CASE("the stop-timeout line to syslog: a datagram, a NUL-ended record on a stream socket, or stderr") {
    const auto now = std::chrono::system_clock::now();
    {
        listener dgram(scratch_socket("syslog-dgram"));
        const auto sink = sd::make_syslog_sink("myd", dgram.address());
        const auto line = last_line(sink).render_last_line("myd", "stop() did not return", now);
        CHECK(line.rfind("<26>", 0) == 0);
        CHECK(line.find(" myd[" + std::to_string(::getpid()) + "]: stop() did not return") != std::string::npos);
        CHECK(stderr_of([&] { last_line(sink).write_last_line(line); }).empty());
        CHECK(dgram.receive() == line);
    }
    {
        const std::string path = scratch_socket("syslog-stream");
        const socket_address a(path);
        const int server = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(server >= 0);
        ::unlink(path.c_str());
        REQUIRE(::bind(server, a.get(), a.len) == 0);
        REQUIRE(::listen(server, 4) == 0);
        const auto sink = sd::make_syslog_sink("myd", path);
        const auto line = last_line(sink).render_last_line("myd", "stop() did not return", now);
        CHECK(stderr_of([&] { last_line(sink).write_last_line(line); }).empty());
        const int conn = ::accept(server, nullptr, nullptr);
        REQUIRE(conn >= 0);
        std::string got;
        char buf[4096];
        for (ssize_t n; (n = ::read(conn, buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
        CHECK(got == line + std::string(1, '\0'));
        ::close(conn);
        ::close(server);
        ::unlink(path.c_str());
    }
    {
        const auto sink = sd::make_syslog_sink("myd", scratch_socket("no-syslog"));
        const auto line = last_line(sink).render_last_line("myd", "stop() did not return", now);
        CHECK(stderr_of([&] { last_line(sink).write_last_line(line); }) ==
              "<2>myd[" + std::to_string(::getpid()) + "]: stop() did not return\n");
    }
}

TEST_CASE("detecting systemd from the environment") {
    env_guard env;
    for (const char* v : {"NOTIFY_SOCKET", "INVOCATION_ID", "SYSTEMD_EXEC_PID"}) env.set(v, std::nullopt);
    CHECK_FALSE(sd::started_by_systemd());
    env.set("SYSTEMD_EXEC_PID", std::to_string(::getpid() + 1));
    CHECK_FALSE(sd::started_by_systemd());  // a parent's, inherited
    env.set("SYSTEMD_EXEC_PID", std::to_string(::getpid()));
    CHECK(sd::started_by_systemd());
    env.set("SYSTEMD_EXEC_PID", std::nullopt);
    env.set("NOTIFY_SOCKET", "/run/systemd/notify");
    CHECK(sd::started_by_systemd());
    env.set("NOTIFY_SOCKET", std::nullopt);
    env.set("INVOCATION_ID", "0123456789abcdef0123456789abcdef");
    CHECK(sd::started_by_systemd() == (::isatty(STDERR_FILENO) == 0));
    env.set("SYSTEMD_EXEC_PID", "1");  // a job run by a CI runner's unit
    CHECK_FALSE(sd::started_by_systemd());
}

TEST_CASE("journal sink, syslog, or none, by which socket is there") {
    const auto sink = sd::make_journal_sink("myd");
    const auto is_socket = [](std::string_view path) {
        struct stat st {};
        return ::stat(std::string(path).c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
    };
    CHECK((dynamic_cast<sd::journal_sink*>(sink.get()) != nullptr) == is_socket(sd::journal_socket_path));
    CHECK((sink == nullptr) == (!is_socket(sd::journal_socket_path) && !is_socket(sd::syslog_socket_path)));
}

namespace {

class reloading_service final : public service {
public:
    void start(context& ctx) override {
        ctx.set_status("warming up\nsecond line");
        worker_ = std::thread([&ctx] {
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
            ::kill(::getpid(), SIGHUP);
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
            ctx.request_stop(0);
        });
    }
    void reload(context&) override { ++reloads; }
    void stop(context&) override {
        if (worker_.joinable()) worker_.join();
    }
    std::atomic<int> reloads{0};

private:
    std::thread worker_;
};

}  // namespace

TEST_CASE("run under systemd: READY, STATUS, RELOADING/READY, WATCHDOG, STOPPING") {
    listener notify(scratch_socket("run-notify"));
    env_guard env;
    env.set("NOTIFY_SOCKET", notify.address());
    env.set("WATCHDOG_USEC", "200000");  // a WATCHDOG=1 every 100 ms
    env.set("WATCHDOG_PID", std::nullopt);
    config c;
    c.name = "myd";
    c.executable = "/usr/bin/myd";
    reloading_service svc;
    CHECK(sd::run_under_systemd(c, svc) == 0);
    CHECK(svc.reloads == 1);

    std::vector<std::string> got;
    for (std::string m; !(m = notify.receive(200)).empty();) got.push_back(m);
    auto index_of = [&](const std::string& prefix) {
        for (std::size_t i = 0; i < got.size(); ++i)
            if (got[i].rfind(prefix, 0) == 0) return static_cast<long>(i);
        return -1L;
    };
    const auto status = index_of("STATUS=");
    const auto ready = index_of("READY=1");
    const auto reloading = index_of("RELOADING=1\nMONOTONIC_USEC=");
    const auto stopping = index_of("STOPPING=1");
    CAPTURE(got.size());
    REQUIRE(status >= 0);
    CHECK(got[static_cast<std::size_t>(status)] == "STATUS=warming up second line");
    REQUIRE(ready >= 0);
    REQUIRE(reloading > ready);
    CHECK(std::find(got.begin() + reloading, got.end(), "READY=1") != got.end());
    CHECK(stopping > reloading);
    CHECK(std::count(got.begin(), got.end(), "WATCHDOG=1") >= 2);
}
