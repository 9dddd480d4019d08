#include <servicekit/error.hpp>

namespace servicekit {

const char* to_string(errc e) noexcept {
    switch (e) {
        case errc::invalid_config: return "invalid_config";
        case errc::permission_denied: return "permission_denied";
        case errc::already_installed: return "already_installed";
        case errc::not_installed: return "not_installed";
        case errc::manager_unavailable: return "manager_unavailable";
        case errc::manager_failed: return "manager_failed";
        case errc::timeout: return "timeout";
        case errc::io: return "io";
        case errc::not_supported: return "not_supported";
    }
    return "unknown";
}

namespace {
class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "servicekit"; }
    std::string message(int ev) const override { return to_string(static_cast<errc>(ev)); }
};
}  // namespace

const std::error_category& error_category() noexcept {
    static const category instance;
    return instance;
}

error::error(errc code, const std::string& message)
    : std::system_error(make_error_code(code), message), message_(message) {}

}  // namespace servicekit
