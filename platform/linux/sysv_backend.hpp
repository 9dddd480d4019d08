#pragma once
// The SysV init backend, for machines where systemd is not running: an LSB
// init script in /etc/init.d, enabled with update-rc.d (or rc symlinks).

#include "detail/backend.hpp"
#include "detail/process.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace servicekit::detail::sysv {

/// The driver. Every path is taken under `root` ("/" on a real machine) and
/// every command goes through `run`, so tests point it at a temp directory
/// and a fake runner. update-rc.d is used when it exists under the root
/// (usr/sbin or sbin); otherwise the driver makes the rc?.d links itself,
/// the way update-rc.d does without insserv (S01/K01 per Default-Start/Stop).
/// Only the system scope exists: every verb of a user-scope config throws
/// errc::not_supported.
class script_backend final : public backend {
public:
    script_backend(std::filesystem::path root, command_runner run);

    std::string_view platform() const override { return "unix-sysv"; }
    std::string render(const config& cfg) const override;
    void install(const config& cfg, install_mode mode) override;
    void uninstall(const config& cfg) override;
    void start(const config& cfg) override;
    void stop(const config& cfg) override;
    void restart(const config& cfg) override;
    status_info query(const config& cfg) const override;
    int run(const config& cfg, service& svc) override;

private:
    struct rc_link {
        std::filesystem::path path, target;
    };
    struct snapshot {
        std::optional<std::string> script;
        std::vector<rc_link> links;
    };

    std::filesystem::path script(const config& cfg) const;
    std::optional<std::filesystem::path> update_rc_d() const;
    std::vector<rc_link> find_links(const config& cfg) const;
    snapshot take_snapshot(const config& cfg) const;
    void restore(const config& cfg, const snapshot& s) noexcept;
    void enable(const config& cfg);
    void disable(const config& cfg);
    command_result run_script(const config& cfg, const char* verb) const;
    /// Runs the script's start, stop or restart; throws manager_failed with its output.
    void control(const config& cfg, const char* verb);
    /// Whether the script is there; another daemon's is refused (`verb` names
    /// what was refused).
    bool installed(const config& cfg, const char* verb) const;
    void require_installed(const config& cfg, const char* verb) const;
    static void refuse_foreign(const config& cfg, const char* verb, std::string_view text);
    void require_root(const char* verb) const;

    std::filesystem::path root_;
    command_runner run_;
};

/// The backend for this machine: root "/", the real command runner.
std::unique_ptr<backend> make_backend();

}  // namespace servicekit::detail::sysv
