#pragma once
// A child process for tests: spawned with its output in a file, signalled,
// waited for with a bound.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define SERVICEKIT_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SERVICEKIT_TEST_ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define SERVICEKIT_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SERVICEKIT_TEST_TSAN 1
#endif
#endif

extern char** environ;

namespace test {

class temp_dir {
public:
    temp_dir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "servicekit-test-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~temp_dir() { std::error_code ec; std::filesystem::remove_all(path_, ec); }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
private:
    std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// Calls `done` every 5 ms until it returns true (then true) or `bound` has
/// passed (then false).
template <class Done>
bool wait_until(Done done, std::chrono::milliseconds bound) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

class child {
public:
    child(const std::vector<std::string>& argv, const std::filesystem::path& output,
          const std::map<std::string, std::string>& env = {}) : output_(output) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        std::vector<std::string> env_strings;
        for (char** e = environ; *e; ++e) {
            const std::string s = *e;
            if (!env.count(s.substr(0, s.find('=')))) env_strings.push_back(s);
        }
        for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
        std::vector<char*> args, envp;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        for (const auto& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
        envp.push_back(nullptr);
        if (::posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), envp.data()) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&fa);
    }
    ~child() {
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    child(const child&) = delete;
    child& operator=(const child&) = delete;

    pid_t pid() const { return pid_; }
    /// Sends `s`. In a ThreadSanitizer build, first waits (at most 5 s) until
    /// the child is idle: TSan's runtime holds back a signal that reaches a
    /// running thread until the thread next calls into the runtime, and the
    /// runtime of gcc 12 now and then never hands it on (a 20-line program
    /// with no servicekit in it, signalled right after its first line of
    /// output, lost 2 SIGTERMs in 1500), while a signal that reaches a thread
    /// blocked in poll() is handed on at once (none lost in 1500).
    /// tests/common/idle.py does the same for the Python harnesses.
    void signal(int s) const {
#if defined(SERVICEKIT_TEST_TSAN)
        wait_until([this] { return idle(); }, std::chrono::seconds(5));
#endif
        ::kill(pid_, s);
    }

    std::string output() const { return read_file(output_); }

    /// The exit code; 128+N when killed by signal N; -1 when still running after `bound`.
    int wait(std::chrono::milliseconds bound = std::chrono::seconds(20)) {
        int st = 0;
        if (!wait_until([&] { return ::waitpid(pid_, &st, WNOHANG) == pid_; }, bound)) return -1;
        reaped_ = true;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }

private:
    /// True when the child's main thread, which runs the run loop, is blocked
    /// in poll() or ppoll() (/proc/PID/syscall: the call's number, or
    /// "running"). Without /proc (macOS), always true: signal at once.
    bool idle() const {
#if defined(__linux__)
        std::ifstream in("/proc/" + std::to_string(pid_) + "/syscall");
        long nr = -1;
        if (!(in >> nr)) return false;
#if defined(SYS_poll)
        if (nr == SYS_poll) return true;
#endif
        return nr == SYS_ppoll;
#else
        return true;
#endif
    }

    pid_t pid_ = -1;
    bool reaped_ = false;
    std::filesystem::path output_;
};

/// Waits until `file` contains `text`; false after `bound`.
inline bool wait_for_text(const std::filesystem::path& file, const std::string& text,
                          std::chrono::milliseconds bound = std::chrono::seconds(10)) {
    return wait_until([&] { return read_file(file).find(text) != std::string::npos; }, bound);
}

}  // namespace test
