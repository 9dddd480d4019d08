// The file helpers of lib/src/file.cpp: atomic writes and what stat(2) says.
#include "test_support.hpp"

#include "detail/file.hpp"

#if !defined(_WIN32)
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

using servicekit::detail::file_type;
using servicekit::detail::write_file_atomic;
using servicekit::test::read_all;
using servicekit::test::scratch_dir;

TEST_CASE("file_type: what stat(2) says, following links; 0 for nothing") {
    scratch_dir dir;
    const auto file = dir.path / "file";
    write_file_atomic(file, "x");
    CHECK(file_type(file) == S_IFREG);
    CHECK(file_type(dir.path) == S_IFDIR);
    CHECK(file_type(dir.path / "missing") == 0);
    CHECK(file_type(file / "below-a-file") == 0);  // ENOTDIR
    CHECK(file_type("") == 0);

    REQUIRE(::symlink("file", (dir.path / "to-file").c_str()) == 0);
    REQUIRE(::symlink(".", (dir.path / "to-dir").c_str()) == 0);
    REQUIRE(::symlink("missing", (dir.path / "dangling").c_str()) == 0);
    CHECK(file_type(dir.path / "to-file") == S_IFREG);
    CHECK(file_type(dir.path / "to-dir") == S_IFDIR);
    CHECK(file_type(dir.path / "dangling") == 0);

    // journald's socket is told from a file of the same name this way.
    const auto socket_path = dir.path / "socket";
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(socket_path.native().size() < sizeof addr.sun_path);
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.native().size());
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    REQUIRE(fd >= 0);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    CHECK(file_type(socket_path) == S_IFSOCK);
    ::close(fd);
}

TEST_CASE("write_file_atomic: replaces the content, sets the mode, leaves no temp file") {
    scratch_dir dir;
    const auto file = dir.path / "sub" / "dir" / "unit";
    write_file_atomic(file, "first", 0600);
    write_file_atomic(file, "second\n", 0644);
    CHECK(read_all(file) == "second\n");
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0644);
    int entries = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(file.parent_path())) ++entries;
    CHECK(entries == 1);  // the temp file was renamed, not left beside it
}
#endif
