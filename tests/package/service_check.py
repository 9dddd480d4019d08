#!/usr/bin/env python3
"""Runs a servicekit program in the foreground and checks what it does.

    service_check.py foreground [--until REGEX] [--expect REGEX]... -- PROGRAM [ARGS...]
        starts PROGRAM (it must run in the foreground), waits until it logs
        "started" (and a line matching --until), sends SIGTERM, and expects
        exit status 0 with "stopped" logged (plus every
        --expect pattern, anywhere in the output).
    service_check.py heartbeat PROGRAM
        samples/heartbeat: a changed config file is picked up on SIGHUP, a
        broken one is rejected and the old settings kept.
    service_check.py http-api PROGRAM
        samples/http-api: /health and /status answer, SIGTERM stops it cleanly.

Exits 0 when every check passed, 1 otherwise (printing the program's output).
"""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import idle  # noqa: E402  (tests/common)

TIMEOUT = 30.0  # seconds for any single step; generous for loaded CI machines


class failure(Exception):
    pass


children = []  # every program started, for the report


class running:
    """A child process whose merged stdout/stderr is collected line by line."""

    def __init__(self, argv):
        children.append(self)
        self.argv = argv
        self.lines = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True, errors="replace")
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, pattern, after=0, what=None):
        """Waits for a line matching pattern at index >= after; returns (index, match)."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + TIMEOUT
        with self.cond:
            while True:
                for i in range(after, len(self.lines)):
                    m = rx.search(self.lines[i])
                    if m:
                        return i, m
                if self.proc.poll() is not None and not self.reader.is_alive():
                    raise failure(f"{what or pattern!r} not logged; the program exited with {self.proc.returncode}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise failure(f"{what or pattern!r} not logged within {TIMEOUT:.0f} s")
                self.cond.wait(min(left, 0.2))

    def signal(self, signo):
        idle.send(self.proc.pid, signo)

    def wait_exit(self):
        try:
            rc = self.proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise failure(f"did not exit within {TIMEOUT:.0f} s of SIGTERM")
        self.reader.join(TIMEOUT)
        return rc

    def output(self):
        with self.cond:
            return "\n".join(self.lines)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def stop_cleanly(p, after):
    """SIGTERM, then exit status 0 with the stop logged after line `after`."""
    p.signal(signal.SIGTERM)
    rc = p.wait_exit()
    if rc != 0:
        raise failure(f"exit status {rc} after SIGTERM, expected 0")
    p.wait_for(r"\] stopped$", after, "stopped")


def check_foreground(argv, until, expects):
    p = running(argv)
    try:
        started, _ = p.wait_for(r"\] started$", 0, "started")
        if until:
            p.wait_for(until, started)
        stop_cleanly(p, started)
        for rx in expects:
            p.wait_for(rx)
    finally:
        p.kill()
    return p


def check_heartbeat(program):
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "heartbeat.conf")

        def write(text):
            # Replace the file the way editors and config managers do.
            with open(conf + ".new", "w") as f:
                f.write(text)
            os.replace(conf + ".new", conf)

        write("# first version\ninterval_ms = 100\nmessage = first\n")
        p = running([program, "run", "--", conf])
        try:
            started, _ = p.wait_for(r"\] started$", 0, "started")
            first, _ = p.wait_for(r"first \(beat \d+\)", started, "a 'first' heartbeat")

            write("interval_ms = 150\nmessage = second\n")
            p.signal(signal.SIGHUP)
            reloaded, _ = p.wait_for(r"\] reloading$", first, "reloading")
            p.wait_for(r"configuration loaded: every 150 ms, message 'second'", reloaded)
            second, _ = p.wait_for(r"second \(beat \d+\)", reloaded, "a 'second' heartbeat")

            write("interval_ms = soon\nmessage = third\n")
            p.signal(signal.SIGHUP)
            broken, _ = p.wait_for(r"\] reloading$", second, "the second reloading")
            p.wait_for(r"reload\(\) failed: .*line 1.*interval_ms", broken, "the rejected file")
            p.wait_for(r"second \(beat \d+\)", broken, "'second' heartbeats after the rejected reload")
            if re.search(r"third \(beat", p.output()):
                raise failure("the rejected configuration was used")

            stop_cleanly(p, broken)
        finally:
            p.kill()
    return p


def http_get(url):
    with urllib.request.urlopen(url, timeout=TIMEOUT) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read().decode()


def check_http_api(program):
    p = running([program, "run", "--", "--port", "0"])
    try:
        started, _ = p.wait_for(r"\] started$", 0, "started")
        _, m = p.wait_for(r"listening on (http://127\.0\.0\.1:\d+)", 0, "the listening address")
        base = m.group(1)
        status, ctype, body = http_get(base + "/health")
        if status != 200 or body.strip() != "ok":
            raise failure(f"/health answered {status} {body!r}, expected 200 'ok'")
        status, ctype, body = http_get(base + "/status")
        doc = json.loads(body)
        if status != 200 or "application/json" not in ctype or doc.get("service") != "http-api" \
                or doc.get("requests", 0) < 2:
            raise failure(f"/status answered {status} {ctype} {body!r}")
        stop_cleanly(p, started)
        try:
            http_get(base + "/health")
            raise failure("the server still answers after the process exited")
        except OSError:
            pass
    finally:
        p.kill()
    return p


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    mode, rest = argv[1], argv[2:]
    try:
        if mode == "foreground":
            until, expects = None, []
            while len(rest) >= 2 and rest[0] in ("--until", "--expect"):
                if rest[0] == "--until":
                    until = rest[1]
                else:
                    expects.append(rest[1])
                rest = rest[2:]
            if not rest or rest[0] != "--" or len(rest) < 2:
                print("usage: service_check.py foreground [--until REGEX] [--expect REGEX]... -- PROGRAM [ARGS...]", file=sys.stderr)
                return 2
            check_foreground(rest[1:], until, expects)
        elif mode == "heartbeat" and len(rest) == 1:
            check_heartbeat(rest[0])
        elif mode == "http-api" and len(rest) == 1:
            check_http_api(rest[0])
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except failure as e:
        for c in children:
            print(f"--- {' '.join(c.argv)}\n{c.output()}")
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    for c in children:
        print(f"--- {' '.join(c.argv)}\n{c.output()}")
    print(f"passed: {mode}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
