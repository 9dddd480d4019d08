#pragma once
// Files that are never half-written: temp file in the same directory, write,
// fchmod, fchown, fsync, rename, fsync the directory.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace servicekit::detail {

struct file_owner { unsigned uid, gid; };

/// Replaces `path` atomically with `content`, mode `mode`, owned by `owner`
/// when given. Creates missing parent directories (0755). Throws
/// servicekit::error (io, or permission_denied for EACCES/EPERM/EROFS).
void write_file_atomic(const std::filesystem::path& path, std::string_view content,
                       unsigned mode = 0644, std::optional<file_owner> owner = std::nullopt);

/// Removes `path` if it exists; throws like write_file_atomic.
void remove_file(const std::filesystem::path& path);

#if !defined(_WIN32)
/// Creates `dir` and its missing parents (0755), like `mkdir -p`; throws like
/// write_file_atomic.
void make_directories(const std::filesystem::path& dir);

/// The target of the symbolic link `path`, as readlink(2) gives it, however
/// long; nothing when it cannot be read (errno tells why: EINVAL for a path
/// that is not a symbolic link).
std::optional<std::string> link_target(const std::filesystem::path& path);

/// What `path` is, following symbolic links, as stat(2) tells it: the
/// S_IFMT bits of st_mode (S_IFREG, S_IFDIR, S_IFSOCK...), or 0 when nothing
/// is there or it cannot be looked at. std::filesystem::status with an
/// error_code says the same; this is one system call, not a library of them
/// in every program (docs/PERFORMANCE.md, the static build's size).
unsigned file_type(const std::filesystem::path& path) noexcept;

/// The whole file at `path`; nothing when it cannot be opened or read
/// (errno tells why).
std::optional<std::string> read_file(const std::filesystem::path& path);
#endif

}  // namespace servicekit::detail
