#pragma once
// Files that are never half-written: temp file in the same directory, write,
// fchmod, fchown, fsync, rename, fsync the directory.

#include <filesystem>
#include <optional>
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

}  // namespace servicekit::detail
