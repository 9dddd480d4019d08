// The watcher behind the stop timeout and the SCM's progress ticks: it ticks
// only while the body runs, and one thread serves every watch. (Its `late`,
// which ends the process, is tested from outside: tests/core/lifecycle_test.cpp.)
#include <doctest/doctest.h>

#include "detail/lifecycle.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <set>
#include <string>
#include <thread>

using servicekit::detail::watcher;
using namespace std::chrono_literals;

namespace {

[[noreturn]] void never_late() {
    FAIL("the deadline passed");
    std::abort();
}

#if defined(__linux__)
// The thread ids of this process (/proc/self/task). Ids are handed out in
// turn, so a new thread shows up as an id not seen before.
std::set<std::string> threads_of_this_process() {
    std::set<std::string> ids;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task"))
        ids.insert(task.path().filename().string());
    return ids;
}

std::set<std::string> minus(const std::set<std::string>& a, const std::set<std::string>& b) {
    std::set<std::string> d;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(d, d.end()));
    return d;
}
#endif

}  // namespace

TEST_CASE("watcher: without a period or a deadline the body just runs") {
    watcher w;
    bool ran = false;
    w.watch(0ms, std::nullopt, [&] { ran = true; }, [] { FAIL("ticked"); }, never_late);
    CHECK(ran);
}

TEST_CASE("watcher: ticks while the body runs, on its own thread, and never after") {
    watcher w;
    std::atomic<int> ticks{0};
    std::set<std::thread::id> tickers;  // written by the watcher under its mutex, read after
    const auto body = [] { std::this_thread::sleep_for(200ms); };
    const auto tick = [&] {
        tickers.insert(std::this_thread::get_id());
        ++ticks;
    };
    w.watch(20ms, watcher::clock::now() + 1h, body, tick, never_late);
    const int during = ticks.load();
    CHECK(during >= 3);
    std::this_thread::sleep_for(100ms);
    CHECK(ticks.load() == during);  // disarmed when the body returned

    // A second watch is served by the same thread.
    w.watch(20ms, std::nullopt, body, tick, never_late);
    CHECK(ticks.load() > during);
    CHECK(tickers.size() == 1);
    CHECK(tickers.count(std::this_thread::get_id()) == 0);
}

#if defined(__linux__)
TEST_CASE("watcher: prepare() starts the one thread; a watch after it starts none") {
    const auto before = threads_of_this_process();
    std::set<std::string> with_watcher, during;
    {
        watcher w;
        REQUIRE(w.prepare());
        with_watcher = threads_of_this_process();
        CHECK(w.prepare());
        w.watch(0ms, watcher::clock::now() + 1h, [&] { during = threads_of_this_process(); }, [] {}, never_late);
    }
    const auto started = minus(with_watcher, before);
    REQUIRE(started.size() == 1);
    CHECK(minus(during, with_watcher).empty());
    CHECK(during.count(*started.begin()) == 1);

    // Destroyed, the watcher's thread ends by itself, a moment later.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (threads_of_this_process().count(*started.begin()) == 1 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(5ms);
    CHECK(threads_of_this_process().count(*started.begin()) == 0);
}
#endif
