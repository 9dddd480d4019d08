// Failure injection for the atomic file writer every backend installs with:
// a full file system, a read-only one, a directory the caller may not write,
// a symlink planted where the file goes. Each runs on a tiny tmpfs mounted in
// a private mount namespace (so the host sees nothing), and checks that the
// old file is intact, no temporary file is left, and the error says what to do.
// Needs root (a mount namespace); exits 77 otherwise.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <servicekit/error.hpp>

#include "detail/file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sched.h>
#include <sstream>
#include <string>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace servicekit;

namespace {

fs::path scratch;  // a fresh directory, a mount point for each case's tmpfs

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_plain(const fs::path& p, const std::string& content) {
    std::ofstream(p, std::ios::binary) << content;
}

// A tmpfs of `size` on a new directory; unmounted by the destructor.
struct tiny_fs {
    fs::path dir;
    explicit tiny_fs(const char* name, const char* options) : dir(scratch / name) {
        fs::create_directories(dir);
        REQUIRE_MESSAGE(::mount("tmpfs", dir.c_str(), "tmpfs", 0, options) == 0, std::strerror(errno));
    }
    ~tiny_fs() {
        ::umount2(dir.c_str(), MNT_DETACH);
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    void remount_read_only() const {
        REQUIRE(::mount(nullptr, dir.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0);
    }
    std::size_t entries() const {
        std::size_t n = 0;
        for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
        return n;
    }
};

error expect_error(const fs::path& path, const std::string& content) {
    try {
        detail::write_file_atomic(path, content);
    } catch (const error& e) {
        return e;
    }
    FAIL("write_file_atomic succeeded");
    return error(errc::io, "unreachable");
}

}  // namespace

TEST_CASE("a full file system: the old file stays whole, no temporary file is left") {
    tiny_fs t("full", "size=16k,mode=0755");
    const auto unit = t.dir / "svc.service";
    write_plain(unit, "old contents\n");
    const auto e = expect_error(unit, std::string(256 * 1024, 'x'));
    CHECK(e.reason() == errc::io);
    CHECK(std::string(e.what()).find("No space left on device") != std::string::npos);
    CHECK(read(unit) == "old contents\n");
    CHECK(t.entries() == 1);
}

TEST_CASE("a read-only file system: nothing changes, and the message does not blame permissions") {
    tiny_fs t("ro", "size=64k,mode=0755");
    const auto unit = t.dir / "svc.service";
    write_plain(unit, "old contents\n");
    t.remount_read_only();
    const auto e = expect_error(unit, "new contents\n");
    const std::string msg = e.what();
    CAPTURE(msg);
    CHECK(msg.find("Read-only file system") != std::string::npos);
    CHECK(e.reason() == errc::io);  // root cannot help: no "run as root" hint
    CHECK(msg.find("run as root") == std::string::npos);
    CHECK(read(unit) == "old contents\n");
    CHECK(t.entries() == 1);
    CHECK_THROWS_AS(detail::remove_file(unit), error);
    CHECK(read(unit) == "old contents\n");
}

namespace {

// Runs write_file_atomic(path) as nobody in a child process; the verdict comes
// back through the exit status: 0 when it threw permission_denied with the hint.
int write_as_nobody(const fs::path& path) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) std::_Exit(10);
        try {
            detail::write_file_atomic(path, "new\n");
        } catch (const error& e) {
            const std::string msg = e.what();
            const bool hint = msg.find("run as root, or use --user") != std::string::npos;
            std::_Exit(e.reason() == errc::permission_denied && hint ? 0 : 11);
        } catch (...) {
            std::_Exit(12);  // anything but servicekit::error breaks the documented contract
        }
        std::_Exit(13);
    }
    int st = 0;
    ::waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

}  // namespace

TEST_CASE("not allowed to write the directory: permission_denied that says to use root or --user") {
    tiny_fs t("denied", "size=64k,mode=0755");
    const auto unit = t.dir / "svc.service";
    write_plain(unit, "old contents\n");
    CHECK(write_as_nobody(unit) == 0);
    CHECK(read(unit) == "old contents\n");
    CHECK(t.entries() == 1);
    // A parent directory nobody may even look into (12: a std::filesystem error escaped).
    fs::create_directories(t.dir / "private");
    fs::permissions(t.dir / "private", fs::perms::owner_all);
    CHECK(write_as_nobody(t.dir / "private" / "sub" / "svc.service") == 0);
}

TEST_CASE("the mode is exactly the one asked for, whatever the umask; never world-writable") {
    tiny_fs t("mode", "size=64k,mode=0755");
    const auto old_mask = ::umask(0);
    detail::write_file_atomic(t.dir / "a", "x", 0644);
    ::umask(077);
    detail::write_file_atomic(t.dir / "b", "x", 0644, detail::file_owner{0, 0});
    ::umask(old_mask);
    for (const char* f : {"a", "b"}) {
        struct stat st {};
        REQUIRE(::stat((t.dir / f).c_str(), &st) == 0);
        CAPTURE(f);
        CHECK((st.st_mode & 07777) == 0644);
        CHECK(st.st_uid == 0);
    }
}

TEST_CASE("a symlink planted at the path is replaced, its target is not written") {
    tiny_fs t("link", "size=64k,mode=0755");
    const auto victim = t.dir / "victim";
    write_plain(victim, "precious\n");
    const auto unit = t.dir / "svc.service";
    fs::create_symlink(victim, unit);
    detail::write_file_atomic(unit, "unit\n");
    CHECK(read(victim) == "precious\n");
    CHECK(fs::is_regular_file(fs::symlink_status(unit)));
    CHECK(read(unit) == "unit\n");
}

TEST_CASE("missing parent directories are created 0755") {
    tiny_fs t("parents", "size=64k,mode=0755");
    const auto old_mask = ::umask(0);
    detail::write_file_atomic(t.dir / "a" / "b" / "svc.service", "x");
    ::umask(old_mask);
    struct stat st {};
    REQUIRE(::stat((t.dir / "a").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0755);
}

int main(int argc, char** argv) {
    if (::geteuid() != 0) {
        std::printf("skipped: needs root for a private mount namespace\n");
        return 77;
    }
    // As root, a namespace that cannot be had is a broken machine, not a
    // missing tool: fail.
    if (::unshare(CLONE_NEWNS) != 0) {
        std::printf("FAIL: root, but no private mount namespace: %s\n", std::strerror(errno));
        return 1;
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        std::printf("FAIL: cannot make the mount namespace private: %s\n", std::strerror(errno));
        return 1;
    }
    char tmpl[] = "/tmp/servicekit-file-failure-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return 1;
    scratch = tmpl;
    fs::permissions(scratch, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                 fs::perms::others_read | fs::perms::others_exec);
    doctest::Context ctx(argc, argv);
    const int rc = ctx.run();
    std::error_code ec;
    fs::remove_all(scratch, ec);
    return rc;
}
