#pragma once
// Turns a fuzzer's bytes into structured input: small integers, strings
// (length-prefixed, so NUL and every other byte can appear inside), and a
// whole config built by a sequence of edits on a valid one. Deterministic:
// the same bytes always give the same config, so a crash reproduces from the
// file libFuzzer writes.

#include <servicekit/config.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace servicekit::fuzz {

class byte_source {
public:
    byte_source(const std::uint8_t* data, std::size_t size) noexcept : p_(data), n_(size) {}

    bool empty() const noexcept { return n_ == 0; }

    /// The next byte; 0 once the input is used up.
    std::uint8_t byte() noexcept {
        if (n_ == 0) return 0;
        --n_;
        return *p_++;
    }

    /// Two bytes, little-endian.
    std::uint16_t u16() noexcept {
        const std::uint16_t lo = byte();
        return static_cast<std::uint16_t>(lo | (byte() << 8));
    }

    /// A string: one length byte (255: two more bytes extend it, so the size
    /// limits of validate() are reachable), then that many bytes or what is left.
    std::string string() {
        std::size_t len = byte();
        if (len == 255) len += u16();
        if (len > n_) len = n_;
        std::string s(reinterpret_cast<const char*>(p_), len);
        p_ += len;
        n_ -= len;
        return s;
    }

private:
    const std::uint8_t* p_;
    std::size_t n_;
};

/// A config that passes validate(): the starting point of every fuzzed config.
inline config valid_config() {
    config c;
    c.name = "fz";
    c.executable = "/usr/bin/fz";
    return c;
}

/// Applies edits read from `in` to valid_config() until the input ends: each
/// edit is one selector byte and its operands. Every field of config is
/// reachable, with any bytes, and enum fields with out-of-range values.
inline config config_from(byte_source& in) {
    using std::chrono::milliseconds;
    config c = valid_config();
    for (int edits = 0; !in.empty() && edits < 64; ++edits) {
        switch (in.byte() % 29) {
            case 0: c.name = in.string(); break;
            case 1: c.display_name = in.string(); break;
            case 2: c.description = in.string(); break;
            case 3: c.executable = in.string(); break;
            case 4: c.arguments.push_back(in.string()); break;
            case 5: c.working_directory = in.string(); break;
            case 6: {
                auto key = in.string();
                c.environment[key] = in.string();
                break;
            }
            case 7: c.user = in.string(); break;
            case 8: c.group = in.string(); break;
            case 9: c.dependencies.push_back(in.string()); break;
            case 10: c.start_type = static_cast<start_type>(in.byte() % 6); break;
            case 11: c.scope = static_cast<scope>(in.byte() % 3); break;
            case 12: c.restart = static_cast<restart_policy>(in.byte() % 4); break;
            case 13: c.restart_delay = milliseconds(static_cast<std::int16_t>(in.u16()) * 1000LL + in.byte()); break;
            case 14: c.stop_timeout = milliseconds(static_cast<std::int16_t>(in.u16()) * 100LL + in.byte()); break;
            case 15: c.log_level = static_cast<spdlog::level::level_enum>(in.byte() % 8); break;
            case 16: c.systemd.watchdog = milliseconds(static_cast<std::int16_t>(in.u16()) * 1000LL); break;
            case 17: c.systemd.require_dependencies = in.byte() & 1; break;
            case 18: c.launchd.label = in.string(); break;
            case 19: c.launchd.standard_out_path = in.string(); break;
            case 20: c.launchd.standard_error_path = in.string(); break;
            case 21: c.windows.account = in.string(); break;
            case 22: c.windows.password = in.string(); break;
            case 23: c.windows.accept_pause = in.byte() & 1; break;
            case 24: c.windows.failure_reset_period = std::chrono::seconds(static_cast<std::int16_t>(in.u16())); break;
            case 25: {  // an oversized value: up to 64 KiB of one byte, appended to a field
                const std::string big(std::size_t{in.u16()}, static_cast<char>(in.byte()));
                switch (in.byte() % 4) {
                    case 0: c.name += big; break;
                    case 1: c.arguments.push_back(big); break;
                    case 2: c.description += big; break;
                    default: c.environment["BIG"] = big; break;
                }
                break;
            }
            case 26: c.arguments.clear(); break;
            case 27: c.environment.clear(); break;
            default: c.dependencies.clear(); break;
        }
    }
    return c;
}

}  // namespace servicekit::fuzz
