#pragma once
/// @file
/// The one exception type of servicekit and its error codes.

#include <servicekit/export.hpp>

#include <stdexcept>
#include <string>
#include <system_error>

namespace servicekit {

/// Why an operation failed. Every servicekit::error carries one of these.
/// The CLI maps each to a documented exit status (see cli.hpp).
enum class errc {
    invalid_config = 1,   ///< the config breaks a rule; nothing was written
    permission_denied,    ///< needs root / Administrator, or use the user scope
    already_installed,    ///< install over an existing service without install_mode::replace
    not_installed,        ///< the service is not installed
    manager_unavailable,  ///< the service manager is not running or cannot be reached
    manager_failed,       ///< the manager refused or failed the request; the message says why
    timeout,              ///< the state change did not happen within the bound
    io,                   ///< reading or writing a file failed
    not_supported,        ///< this platform or this build has no such feature
};

/// The std::error_category of errc ("servicekit").
SERVICEKIT_EXPORT const std::error_category& error_category() noexcept;

/// Makes errc usable as a std::error_code.
inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

/// The exception servicekit throws. what() is one line that says what went
/// wrong and what to do about it, e.g.
/// `config.name "../x" is not valid: must not contain a path separator; use 1-64
/// letters, digits, '-', '_' or '.', starting with a letter or digit`.
class SERVICEKIT_EXPORT error : public std::system_error {
public:
    /// An error with `code` and `message` (one line: what is wrong, what to do).
    error(errc code, const std::string& message);
    /// The servicekit reason; code() holds the same value as a std::error_code.
    errc reason() const noexcept { return static_cast<errc>(code().value()); }
    /// Exactly the message (std::system_error would append the code's name).
    const char* what() const noexcept override { return message_.what(); }

private:
    std::runtime_error message_;  // copying it cannot throw
};

/// The short name of a code: "invalid_config", "permission_denied", ...
SERVICEKIT_EXPORT const char* to_string(errc e) noexcept;

}  // namespace servicekit

/// @cond INTERNAL
namespace std {
/// errc converts to std::error_code implicitly.
template <>
struct is_error_code_enum<servicekit::errc> : true_type {};
}  // namespace std
/// @endcond
