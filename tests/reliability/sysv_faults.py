#!/usr/bin/env python3
"""Failure injection for the SysV init backend, outside systemd, in private
mount and PID namespaces (/etc an overlay, /run a tmpfs: the host's
/etc/init.d and rc links are never touched, and no systemd is visible):

    sysv_faults.py APP

* update-rc.d failing (a failing script bind-mounted over it): install exits 1
  with its words; no script, no rc link is left
* a read-only or full /etc/init.d (tiny tmpfs): exit 1, the reason, nothing left
* not root: exit 4 saying it needs root, nothing written
* the binary gone after install: start fails with one line, status says not
  running, uninstall still removes everything
* a pid file start-stop-daemon cannot read: status says unknown, exit 1
* another daemon's init script of the name: status exits 1 and never runs it
* run with NOTIFY_SOCKET but not from the init script (a container's
  manager): READY=1, WATCHDOG=1, STOPPING=1; with no log socket, stderr
Exit 77 when not root or unshare/setpriv/start-stop-daemon are missing.
"""
import glob
import os
import shutil
import signal
import socket
import tempfile
import time
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import idle  # noqa: E402  (tests/common)

SKIP = 77
failures = 0


def check(ok, what, detail=""):
    global failures
    print(f"{'ok  ' if ok else 'FAIL'} {what}" + (f"\n       {detail.strip()[:1500]}" if not ok and detail else ""))
    failures += not ok


def sh(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"FAIL setting up: {' '.join(cmd)}: {r.stderr.strip()}")


def app(exe, verb, name, user=None):
    cmd = [exe, verb, "--name", name]
    if user:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, SERVICEKIT_TEST_CONFIG=""))


def one_line(r):
    return r.stderr.count("\n") == 1 and r.stderr.endswith("\n")


def traces(name):
    return [p for p in [f"/etc/init.d/{name}", f"/run/servicekit-{name}.pid"] if os.path.lexists(p)] + \
        glob.glob(f"/etc/rc?.d/[SK][0-9][0-9]{name}") + glob.glob("/etc/init.d/.*.tmp")


def nothing_left(name, what):
    left = traces(name)
    check(not left, f"{what}: nothing left {left}")


def inside(exe, scratch):
    sh("mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", "/run")   # no /run/systemd/system: SysV
    os.makedirs("/run/ovl/up")
    os.makedirs("/run/ovl/work")
    sh("mount", "-t", "overlay", "overlay", "-o", "lowerdir=/etc,upperdir=/run/ovl/up,workdir=/run/ovl/work", "/etc")
    os.makedirs("/etc/init.d", exist_ok=True)

    tool = next((p for p in ("/usr/sbin/update-rc.d", "/sbin/update-rc.d") if os.path.isfile(p)), None)
    if tool:
        fake = os.path.join(scratch, "update-rc.d")
        with open(fake, "w") as f:
            f.write("#!/bin/sh\necho 'update-rc.d: injected failure' >&2\nexit 1\n")
        os.chmod(fake, 0o755)
        sh("mount", "--bind", fake, tool)
        r = app(exe, "install", "skr-sysv-rcd")
        check(r.returncode == 1 and "injected failure" in r.stderr and one_line(r),
              f"update-rc.d fails: install exits 1 with its words (exit {r.returncode})", r.stderr)
        nothing_left("skr-sysv-rcd", "update-rc.d fails")
        sh("umount", tool)
    else:
        print("(update-rc.d is not installed: the backend makes the rc links itself; that case is not run)")

    for options, prepare, what, expect in (
            ("ro,size=64k", None, "read-only /etc/init.d", "Read-only file system"),
            ("size=8k", "/etc/init.d/filler", "full /etc/init.d", "No space left on device")):
        sh("mount", "-t", "tmpfs", "-o", options if not prepare else "size=8k", "tmpfs", "/etc/init.d")
        if prepare:
            try:
                with open(prepare, "wb") as f:
                    f.write(b"\0" * 8192)
            except OSError:
                pass
        before = sorted(os.listdir("/etc/init.d"))
        r = app(exe, "install", "skr-sysv-fs")
        check(r.returncode == 1 and expect in r.stderr and one_line(r),
              f"{what}: install exits 1 saying {expect!r} (exit {r.returncode})", r.stderr)
        check(sorted(os.listdir("/etc/init.d")) == before, f"{what}: /etc/init.d is as it was")
        sh("umount", "/etc/init.d")
        nothing_left("skr-sysv-fs", what)

    # The unprivileged user may not reach the build tree (a clone under /root
    # is mode 0700): run a world-readable copy.
    nobody_dir = tempfile.mkdtemp(prefix="skr-nobody-")
    os.chmod(nobody_dir, 0o755)
    nobody_exe = os.path.join(nobody_dir, "app")
    shutil.copy2(exe, nobody_exe)
    os.chmod(nobody_exe, 0o755)
    r = app(nobody_exe, "install", "skr-sysv-user", user=65534)
    shutil.rmtree(nobody_dir, ignore_errors=True)
    # SysV has no per-user services, so the hint is root alone (not "or use --user").
    check(r.returncode == 4 and "need root" in r.stderr and one_line(r),
          f"not root: install exits 4 saying it needs root (exit {r.returncode})", r.stderr)
    nothing_left("skr-sysv-user", "not root")

    copy = os.path.join(scratch, "app-copy")
    shutil.copy2(exe, copy)
    r = app(copy, "install", "skr-sysv-gone")
    check(r.returncode == 0, "binary gone: installed a copy", r.stderr)
    os.unlink(copy)
    r = app(exe, "start", "skr-sysv-gone")
    check(r.returncode == 1 and one_line(r), f"binary gone: start exits 1 with one line (exit {r.returncode})",
          r.stderr)
    r = app(exe, "status", "skr-sysv-gone")
    check(r.returncode == 3, f"binary gone: status says not running (exit {r.returncode})", r.stdout + r.stderr)
    r = app(exe, "uninstall", "skr-sysv-gone")
    check(r.returncode == 0, "binary gone: uninstall still works", r.stderr)
    nothing_left("skr-sysv-gone", "binary gone, uninstalled")

    # A pid file start-stop-daemon cannot read: the script's status says 4,
    # "unknown", which status reports as a failure (1), not as "not running".
    r = app(exe, "install", "skr-sysv-pid")
    check(r.returncode == 0, "bad pid file: installed", r.stderr)
    with open("/run/servicekit-skr-sysv-pid.pid", "w") as f:
        f.write("not a pid\n")
    r = app(exe, "status", "skr-sysv-pid")
    check(r.returncode == 1 and "unknown" in r.stdout, f"bad pid file: status says unknown, exit 1 (exit {r.returncode})",
          r.stdout + r.stderr)
    app(exe, "uninstall", "skr-sysv-pid")
    nothing_left("skr-sysv-pid", "bad pid file, uninstalled")

    # Another daemon's init script of the name: status refuses it, and never runs it.
    ran = os.path.join(scratch, "foreign-ran")
    with open("/etc/init.d/skr-foreign", "w") as f:
        f.write(f"#!/bin/sh\n### BEGIN INIT INFO\n# Provides: skr-foreign\n### END INIT INFO\ntouch {ran}\nexit 0\n")
    os.chmod("/etc/init.d/skr-foreign", 0o755)
    r = app(exe, "status", "skr-foreign")
    check(r.returncode == 1 and "not written by servicekit" in r.stderr and one_line(r),
          f"another daemon's script: status exits 1 saying so (exit {r.returncode})", r.stdout + r.stderr)
    check(not os.path.exists(ran), "another daemon's script: status did not run it")
    os.unlink("/etc/init.d/skr-foreign")

    # Not under the init script but given NOTIFY_SOCKET (a container's
    # manager): READY=1, the watchdog, STOPPING=1; with neither journald's nor
    # syslog's socket (/run is empty here) the log is stderr.
    address = os.path.join(scratch, "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(address)
        sock.settimeout(10)
        proc = subprocess.Popen([exe, "run", "--name", "skr-notify"], stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, SERVICEKIT_TEST_CONFIG="", NOTIFY_SOCKET=address,
                                         WATCHDOG_USEC="200000"))
        got = []
        try:
            got.append(sock.recv(64).decode())
            got.append(sock.recv(64).decode())
            idle.send(proc.pid, signal.SIGTERM)  # in a TSan build, once it waits in poll()
            deadline = time.monotonic() + 20
            while got[-1] != "STOPPING=1" and time.monotonic() < deadline:
                got.append(sock.recv(64).decode())
        except OSError as e:
            got.append(f"<{e}>")
            proc.kill()
        code, err = proc.wait(), proc.stderr.read()
    check(got[:2] == ["READY=1", "WATCHDOG=1"] and got[-1] == "STOPPING=1" and code == 0,
          f"NOTIFY_SOCKET without the init script: READY=1, WATCHDOG=1, STOPPING=1, exit 0 (exit {code})", repr(got))
    if not os.path.exists("/dev/log"):
        check("started" in err and "stopped" in err, "no journald, no /dev/log: the log is stderr", err)
    return 1 if failures else 0


def main():
    exe = os.path.abspath(sys.argv[1])
    if os.environ.get("SERVICEKIT_SYSV_FAULTS_INSIDE") == "1":
        return inside(exe, sys.argv[2])
    if os.geteuid() != 0:
        print("skipped: needs root (mount and PID namespaces)")
        return SKIP
    missing = [t for t in ("unshare", "setpriv", "start-stop-daemon") if shutil.which(t) is None]
    if missing:
        print(f"skipped: not installed: {' '.join(missing)}")
        return SKIP
    scratch = os.path.abspath("sysv-faults")
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    os.chmod(scratch, 0o755)
    return subprocess.run(["unshare", "--mount", "--pid", "--fork", "--mount-proc", "--propagation", "private",
                           sys.executable, os.path.abspath(__file__), exe, scratch],
                          env=dict(os.environ, SERVICEKIT_SYSV_FAULTS_INSIDE="1")).returncode


if __name__ == "__main__":
    sys.exit(main())
