"""Signalling a service from a test in a ThreadSanitizer build.

TSan's runtime holds back a signal that reaches a running thread until the
thread next calls into the runtime, and the runtime of gcc 12 now and then
never hands it on: a 20-line program with no servicekit in it, signalled
right after its first line of output, lost 2 SIGTERMs in 1500. A signal that
reaches a thread blocked in poll() is handed on at once (none lost in 1500).
So where SERVICEKIT_TEST_TSAN is set (tests/CMakeLists.txt sets it in a TSan
build), send() first waits until the process's main thread, which runs the
run loop, is blocked in poll(). tests/core/child.hpp does the same in C++.
"""
import os
import platform
import sys
import time

# This machine's poll() and ppoll() system calls (Linux: asm/unistd.h); none
# known elsewhere, where send() signals at once.
POLL_SYSCALLS = {"x86_64": {7, 271}, "aarch64": {73}}.get(platform.machine(), set()) \
    if sys.platform.startswith("linux") else set()


def idle(pid):
    """True when the main thread of `pid` is blocked in poll() or ppoll()."""
    try:
        with open(f"/proc/{pid}/syscall") as f:
            first = f.read().split(maxsplit=1)[0]  # the call's number, or "running"
    except (OSError, IndexError):
        return False
    return first.isdigit() and int(first) in POLL_SYSCALLS


def send(pid, sig, timeout=5.0):
    """Sends `sig` to `pid`; in a TSan build, once it is idle (at most `timeout` s later)."""
    if os.environ.get("SERVICEKIT_TEST_TSAN") and POLL_SYSCALLS:
        deadline = time.monotonic() + timeout
        while not idle(pid) and time.monotonic() < deadline:
            time.sleep(0.002)
    os.kill(pid, sig)
