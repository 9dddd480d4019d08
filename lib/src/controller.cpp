#include <servicekit/controller.hpp>
#include <servicekit/error.hpp>

#include "detail/backend.hpp"
#include "detail/text.hpp"

#include <fmt/format.h>

#include <system_error>

namespace servicekit {

namespace {

// Installing a service that points at nothing would only fail later, at boot.
void check_executable(const config& cfg) {
    std::error_code ec;
    const auto st = std::filesystem::status(cfg.executable, ec);
    if (ec || !std::filesystem::exists(st))
        throw error(errc::invalid_config,
                    fmt::format("config.executable {} does not exist: install the program first, or fix the path",
                                detail::quote_for_message(detail::utf8_path(cfg.executable))));
    if (!std::filesystem::is_regular_file(st))
        throw error(errc::invalid_config,
                    fmt::format("config.executable {} is not a regular file",
                                detail::quote_for_message(detail::utf8_path(cfg.executable))));
}

}  // namespace

controller::controller(config cfg) : cfg_(std::move(cfg)) {
    validate(cfg_);
    if (cfg_.executable.empty()) cfg_.executable = detail::current_executable();
    backend_ = detail::make_native_backend();
}

controller::~controller() = default;
controller::controller(controller&&) noexcept = default;
controller& controller::operator=(controller&&) noexcept = default;

void controller::install(install_mode mode) {
    check_executable(cfg_);
    std::error_code ec;
    if (!cfg_.working_directory.empty() && !std::filesystem::is_directory(cfg_.working_directory, ec)) {
        // Missing is one thing (ENOENT, ENOTDIR); a directory that cannot be
        // looked at (EACCES on a parent) another.
        const bool missing = !ec || ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory;
        throw error(errc::invalid_config,
                    fmt::format("config.working_directory {} {}",
                                detail::quote_for_message(detail::utf8_path(cfg_.working_directory)),
                                missing ? std::string("is not a directory: create it first")
                                        : fmt::format("cannot be looked at ({}): fix its permissions", ec.message())));
    }
    backend_->install(cfg_, mode);
}

void controller::uninstall() { backend_->uninstall(cfg_); }
void controller::start() { backend_->start(cfg_); }
void controller::stop() { backend_->stop(cfg_); }
void controller::restart() { backend_->restart(cfg_); }
servicekit::status controller::status() const { return backend_->query(cfg_).state; }
status_info controller::query() const { return backend_->query(cfg_); }
std::string controller::render() const { return backend_->render(cfg_); }
std::string_view controller::platform() const { return backend_->platform(); }
const config& controller::cfg() const noexcept { return cfg_; }

std::string_view to_string(status s) noexcept {
    switch (s) {
        case status::not_installed: return "not-installed";
        case status::stopped: return "stopped";
        case status::starting: return "starting";
        case status::running: return "running";
        case status::stopping: return "stopping";
        case status::paused: return "paused";
        case status::unknown: return "unknown";
    }
    return "unknown";
}

}  // namespace servicekit
