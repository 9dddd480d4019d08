#include "detail/file.hpp"

#include <servicekit/error.hpp>

#include "detail/text.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

#if defined(_WIN32)
#include <fstream>
#include <random>
#else
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#if defined(__APPLE__)
#include <sys/random.h>  // getentropy
#endif
#endif

namespace servicekit::detail {

namespace {

[[noreturn]] void fail(const std::filesystem::path& path, std::string_view what, int err) {
    // EROFS is io: a read-only file system stays read-only for root too.
    const bool denied = err == EACCES || err == EPERM;
    throw error(denied ? errc::permission_denied : errc::io,
                fmt::format("cannot {} {}: {}{}", what, quote_for_message(utf8_path(path)), std::strerror(err),
                            denied ? " (run as root, or use --user for a per-user service)" : ""));
}

// A name beside `path` that no one else is writing: 64 random bits (and on
// POSIX the file is created with O_EXCL, so a clash would fail, not share).
std::string temp_name(const std::filesystem::path& path) {
    std::uint64_t r = 0;
#if defined(_WIN32)
    std::random_device rd;
    r = (std::uint64_t{rd()} << 32) | rd();
#else
    // getentropy(3) (glibc 2.25, macOS 10.12): the kernel's random numbers,
    // without std::random_device's sources and token parsing in the program.
    if (::getentropy(&r, sizeof r) != 0)
        r = (static_cast<std::uint64_t>(::getpid()) << 32) ^
            static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
    return fmt::format(".{}.{:016x}.tmp", path.filename().string(), r);
}

}  // namespace

#if defined(_WIN32)

void write_file_atomic(const std::filesystem::path& path, std::string_view content, unsigned,
                       std::optional<file_owner>) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    const auto tmp = path.parent_path() / temp_name(path);
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
        out.flush();
        if (!out) fail(path, "write", EIO);
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        fail(path, "replace", EIO);
    }
}

void remove_file(const std::filesystem::path& path) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (ec) fail(path, "remove", ec.value());
}

#else

namespace {

class fd_guard {
public:
    explicit fd_guard(int fd) noexcept : fd_(fd) {}
    ~fd_guard() { if (fd_ >= 0) ::close(fd_); }
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    int get() const noexcept { return fd_; }
    int release() noexcept { return std::exchange(fd_, -1); }
private:
    int fd_;
};

}  // namespace

void make_directories(const std::filesystem::path& dir) {
    if (dir.empty()) return;
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) return;
    } else if (errno == EACCES) {
        fail(dir, "look into", errno);  // creating it would fail the same way
    }
    make_directories(dir.parent_path());
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) fail(dir, "create directory", errno);
}

std::optional<std::string> link_target(const std::filesystem::path& path) {
    std::string target(256, '\0');
    for (;;) {
        const auto n = ::readlink(path.c_str(), target.data(), target.size());
        if (n < 0) return std::nullopt;
        if (static_cast<std::size_t>(n) < target.size()) {
            target.resize(static_cast<std::size_t>(n));
            return target;
        }
        target.resize(target.size() * 2);  // it may not have fit
    }
}

void write_file_atomic(const std::filesystem::path& path, std::string_view content, unsigned mode,
                       std::optional<file_owner> owner) {
    const auto dir = path.parent_path();
    make_directories(dir);
    const auto tmp = dir / temp_name(path);
    fd_guard fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (fd.get() < 0) fail(path, "write", errno);

    auto abandon = [&](std::string_view what, int err) {
        ::unlink(tmp.c_str());
        fail(path, what, err);
    };
    for (std::size_t done = 0; done < content.size();) {
        const auto n = ::write(fd.get(), content.data() + done, content.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            abandon("write", errno);
        }
        done += static_cast<std::size_t>(n);
    }
    if (owner && ::fchown(fd.get(), owner->uid, owner->gid) != 0) abandon("set the owner of", errno);
    if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0) abandon("set the mode of", errno);
    if (::fsync(fd.get()) != 0) abandon("sync", errno);
    if (::close(fd.release()) != 0) abandon("write", errno);
    if (::rename(tmp.c_str(), path.c_str()) != 0) abandon("replace", errno);

    // The rename is durable only once the directory is synced.
    fd_guard dfd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.get() >= 0) ::fsync(dfd.get());
}

unsigned file_type(const std::filesystem::path& path) noexcept {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<unsigned>(st.st_mode & S_IFMT) : 0U;
}

std::optional<std::string> read_file(const std::filesystem::path& path) {
    fd_guard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return std::nullopt;
    std::string text;
    char buf[4096];
    for (;;) {
        const ssize_t r = ::read(fd.get(), buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return std::nullopt;
        if (r == 0) return text;
        text.append(buf, static_cast<std::size_t>(r));
    }
}

void remove_file(const std::filesystem::path& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) fail(path, "remove", errno);
    fd_guard dfd(::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.get() >= 0) ::fsync(dfd.get());
}

#endif

}  // namespace servicekit::detail
