#!/usr/bin/env python3
"""run() in the foreground and as PID 1, through the real program.

    foreground.py APP stop        SIGTERM/SIGINT stop cleanly (exit 0); a stop()
                                  that hangs ends the process with exit 124
                                  once the stop timeout has passed, even
                                  when it hangs in a log call (under the
                                  Linux backends with no thread for it)
    foreground.py APP pid1        APP as PID 1 of a new PID namespace (unshare):
                                  SIGTERM stops it gracefully, the orphaned
                                  grandchild it inherits is reaped (after 5 s), not
                                  left a zombie, and the service's own children
                                  are left for it to wait for
"""
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import idle  # noqa: E402  (tests/common)

SKIP = 77


def wait_for(path, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path) and open(path).read().endswith("\n"):
            return True
        time.sleep(0.02)
    return False


def start(argv, config=""):
    env = dict(os.environ, SERVICEKIT_TEST_CONFIG=config)
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def finish(proc, timeout=15):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


class checker:
    def __init__(self):
        self.failures = 0

    def __call__(self, ok, what, detail=""):
        print(f"{'ok  ' if ok else 'FAIL'} {what}" + (f"\n       {detail.strip()}" if not ok and detail else ""))
        self.failures += not ok


def stop_tests(app, tmp, check):
    for sig in (signal.SIGTERM, signal.SIGINT):
        ready = os.path.join(tmp, f"ready-{sig.name}")
        p = start([app, "run", "--", "ready", ready])
        check(wait_for(ready), f"{sig.name}: the service started")
        idle.send(p.pid, sig)
        rc, err = finish(p)
        check(rc == 0 and "stopped" in err, f"{sig.name}: clean stop, exit 0 (got {rc})", err)

    # stop() hangs: run() must end the process itself once stop_timeout
    # passed; the Linux backends need no thread for that (a timer's signal),
    # the others have the watcher's (SERVICEKIT_TEST_STOP_TIMER, from CMake).
    timer = bool(os.environ.get("SERVICEKIT_TEST_STOP_TIMER"))
    sanitized = bool(os.environ.get("SERVICEKIT_TEST_SANITIZED"))
    ready = os.path.join(tmp, "ready-hang")
    p = start([app, "run", "--", "ready", ready, "hang-stop"], "stop_timeout_ms=700")
    check(wait_for(ready), "hang-stop: the service started")
    t0 = time.monotonic()
    idle.send(p.pid, signal.SIGTERM)
    time.sleep(0.3)
    threads = len(os.listdir(f"/proc/{p.pid}/task"))
    if timer and not sanitized:  # TSan's runtime has a thread of its own
        check(threads == 1, f"hang-stop: one thread while stop() hangs, none for the stop timeout (got {threads})")
    rc, err = finish(p)
    elapsed = time.monotonic() - t0
    check(rc == 124, f"hang-stop: exit 124 (exit_stop_timeout), got {rc}", err)
    check(0.6 <= elapsed <= 3.0, f"hang-stop: ended {elapsed:.2f} s after SIGTERM (stop timeout 0.7 s)")
    check(err.count("did not return within the stop timeout (700 ms); exiting with 124") == 1,
          "hang-stop: says why it exited, once", err)

    # stop() hangs inside a log call, holding the lock of a sink: the
    # stop-timeout line still reaches the terminal. The timer's handler
    # writes it without that lock, on time; the watcher's thread gives the
    # line 1 s and then ends the process with or without it.
    ready = os.path.join(tmp, "ready-hang-log")
    p = start([app, "run", "--", "ready", ready, "hang-stop-in-log"], "stop_timeout_ms=700")
    check(wait_for(ready), "hang-stop-in-log: the service started")
    t0 = time.monotonic()
    idle.send(p.pid, signal.SIGTERM)
    try:
        rc, err = finish(p, timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        rc, err = None, "still running 10 s after SIGTERM: " + p.communicate()[1]
    elapsed = time.monotonic() - t0
    check(rc == 124, f"hang-stop-in-log: exit 124 (exit_stop_timeout), got {rc}", err)
    if timer:
        low, high = 0.6, 3.0 if sanitized else 1.4
    else:
        low, high = 1.6, 4.0
    check(low <= elapsed <= high, f"hang-stop-in-log: ended {elapsed:.2f} s after SIGTERM (stop timeout 0.7 s"
          f"{'' if timer else ', then 1 s for the last line'})")
    check("did not return within the stop timeout" in err, "hang-stop-in-log: the terminal sink still got the line", err)

    # Wake-ups from other threads while the run thread is busy must not crowd
    # out a signal.
    p = start([app, "run", "--", "flood-wakes"])
    try:
        rc, err = finish(p, timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        rc, err = None, "still running 20 s after its SIGTERM: " + p.communicate()[1]
    check(rc == 0 and "stopped" in err, f"flood-wakes: the SIGTERM sent after the flood stops it, exit 0 (got {rc})", err)

    # No file descriptor left for the signal pipe: a one-line error and exit 1.
    if os.environ.get("SERVICEKIT_TEST_SANITIZED"):
        print("skipped: no file descriptors (a sanitizer's runtime needs some itself, and exits 1 without)")
    else:
        p = subprocess.Popen([app, "run"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (4, 4)))
        rc, err = finish(p)
        check(rc == 1 and "cannot run" in err and len(err.strip().splitlines()) == 1,
              f"no file descriptors: a one-line error, exit 1 (got {rc})", err)

    # The service ends itself with a code: the process exits with it, unstopped.
    p = start([app, "run", "--", "exit-after", "100", "7"])
    rc, err = finish(p)
    check(rc == 7, f"exit-after: the process's exit status is the service's (7), got {rc}", err)


def zombies_of(pid):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = open(f"/proc/{entry}/stat").read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] == "Z" and int(fields[1]) == pid:
            found.append(int(entry))
    return found


def pid1_tests(app, tmp, check):
    unshare = shutil.which("unshare")
    if unshare is None:
        print("skipped: unshare (util-linux) is not installed")
        return SKIP
    if os.geteuid() != 0:
        print("skipped: needs root for a PID namespace")
        return SKIP
    probe = subprocess.run([unshare, "--pid", "--fork", "--mount-proc", "true"], capture_output=True, text=True)
    # As root, a PID namespace that cannot be had is a failure, not a missing tool.
    check(probe.returncode == 0, f"a PID namespace as root: {probe.stderr.strip()}")
    if probe.returncode != 0:
        return 0

    for sig in (signal.SIGTERM, signal.SIGINT):
        ready = os.path.join(tmp, f"pid1-ready-{sig.name}")
        orphan = os.path.join(tmp, f"pid1-orphan-{sig.name}")
        p = start([unshare, "--pid", "--fork", "--mount-proc", "--kill-child", app, "run", "--",
                   "ready", ready, "orphan", orphan])
        check(wait_for(ready), f"PID 1, {sig.name}: the service started")
        check(wait_for(orphan), f"PID 1, {sig.name}: the orphaned grandchild ran")
        inner = open(ready).read().split()
        check(inner == ["1"], f"PID 1, {sig.name}: the service is PID 1 of its namespace (pid {inner})")
        # The app's pid in this namespace: unshare's only child.
        children = open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()
        app_pid = int(children[0])
        # The grandchild has exited (it wrote its file just before); run()
        # reaps a zombie once it has waited 5 s, not at once.
        time.sleep(0.5)
        zombies = zombies_of(app_pid)
        check(len(zombies) == 1, f"PID 1, {sig.name}: the orphan is not reaped at once (zombies: {zombies})")
        time.sleep(5.5)
        zombies = zombies_of(app_pid)
        check(not zombies, f"PID 1, {sig.name}: the orphan was reaped while running (zombies: {zombies})")
        idle.send(app_pid, sig)
        rc, err = finish(p)
        check(rc == 0 and "stopped" in err, f"PID 1, {sig.name}: graceful stop, exit 0 (got {rc})", err)

    # The service's own children are its to wait for: run() must not reap them first.
    ready = os.path.join(tmp, "pid1-ready-children")
    result = os.path.join(tmp, "pid1-children")
    p = start([unshare, "--pid", "--fork", "--mount-proc", "--kill-child", app, "run", "--",
               "ready", ready, "children", result, "40"])
    check(wait_for(ready), "PID 1, own children: the service started")
    check(wait_for(result, timeout=30), "PID 1, own children: the service ran them")
    got = open(result).read().strip() if os.path.exists(result) else "nothing"
    check(got == "40", f"PID 1, own children: pclose() got all 40 exit statuses (got {got})")
    app_pid = int(open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()[0])
    idle.send(app_pid, signal.SIGTERM)
    rc, err = finish(p)
    check(rc == 0, f"PID 1, own children: graceful stop, exit 0 (got {rc})", err)

    # The kernel drops signals PID 1 has no handler for; the stop timeout still holds.
    ready = os.path.join(tmp, "pid1-ready-hang")
    p = start([unshare, "--pid", "--fork", "--mount-proc", "--kill-child", app, "run", "--", "ready", ready,
               "hang-stop"], "stop_timeout_ms=500")
    check(wait_for(ready), "PID 1, hang-stop: the service started")
    app_pid = int(open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()[0])
    idle.send(app_pid, signal.SIGTERM)
    rc, err = finish(p)
    check(rc == 124, f"PID 1, hang-stop: exit 124 after the stop timeout, got {rc}", err)
    return 0


def main():
    app, what = os.path.abspath(sys.argv[1]), sys.argv[2]
    check = checker()
    with tempfile.TemporaryDirectory(prefix="sk-foreground-") as tmp:
        skipped = (stop_tests if what == "stop" else pid1_tests)(app, tmp, check)
    if skipped == SKIP:
        return SKIP
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
