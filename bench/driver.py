#!/usr/bin/env python3
"""Runs the servicekit bench (see bench/run.sh) and prints the table.

Everything that needs systemd runs in a private, sandboxed systemd
(bench/sandbox.sh); the sandbox is stopped whatever happens.
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# The measured processes run at a raised priority: the timings are of the
# programs, not of whatever else the machine is busy with.
NICE = ["nice", "-n", "-10"]


class Bench:
    def __init__(self, build, static_build, reps, deadline, seed):
        self.build = build
        self.reps = reps
        # Each repetition runs the programs in a new order: in a fixed one,
        # each would always follow the same program (and its traces in the
        # caches), a bias the medians would keep.
        self.seed = seed
        self.rng = random.Random(seed)
        self.deadline = deadline
        self.sandbox = os.path.join(build, "sandbox")
        self.out = os.path.join(build, "results")
        minimal = os.path.join("servicekit", "samples", "minimal", "minimal")
        self.bin = {
            "floor": os.path.join(build, "floor"),
            "floor_libs": os.path.join(build, "floor_libs"),
            "noop": os.path.join(build, "noop"),
            "minimal": os.path.join(build, minimal),
        }
        if static_build:   # SERVICEKIT_STATIC_RUNTIME=ON
            self.bin["noop_static"] = os.path.join(static_build, "noop")
            self.bin["minimal_static"] = os.path.join(static_build, minimal)
        self.probe = os.path.join(build, "probe")
        self.log_bench = os.path.join(build, "log_bench")
        self.results = {}   # metric -> {variant: [samples]}
        self.notes = []

    # --- plumbing
    def left(self):
        return self.deadline - time.monotonic()

    def run(self, argv, timeout=30, check=True, env=None):
        timeout = max(1.0, min(timeout, self.left()))
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout, env=env)
        if check and p.returncode != 0:
            raise RuntimeError("%s failed (%d): %s" % (" ".join(argv), p.returncode, p.stderr.strip()))
        return p

    def inside(self, argv, timeout=30, check=True):
        return self.run([os.path.join(HERE, "sandbox.sh"), "exec", self.sandbox] + argv, timeout, check)

    def shuffled(self, items):
        items = list(items)
        self.rng.shuffle(items)
        return items

    def add(self, metric, variant, value):
        self.results.setdefault(metric, {}).setdefault(variant, []).append(value)

    @staticmethod
    def parse(text):
        kv = {}
        for tok in text.split():
            if "=" in tok:
                k, v = tok.split("=", 1)
                kv[k] = float(v)
        return kv

    # --- measurements
    def sizes(self):
        d = os.path.join(self.build, "stripped")
        os.makedirs(d, exist_ok=True)
        for name, path in self.bin.items():
            dst = os.path.join(d, name)
            shutil.copyfile(path, dst)
            self.run(["strip", dst])
            self.add("size_kib", name, os.path.getsize(dst) / 1024)
            self.add("size_unstripped_kib", name, os.path.getsize(path) / 1024)

    def start_sandbox(self):
        self.run([os.path.join(HERE, "sandbox.sh"), "start", self.sandbox], timeout=90)
        # journald: keep everything in memory, no rate limit (the bench logs
        # faster than the default 10000 per 30 s), no forwarding.
        self.inside(["sh", "-c",
                     "mkdir -p /etc/systemd/journald.conf.d && printf '[Journal]\\nStorage=volatile\\n"
                     "RateLimitIntervalSec=0\\nRateLimitBurst=0\\nForwardToSyslog=no\\nForwardToWall=no\\n"
                     "ForwardToConsole=no\\nForwardToKMsg=no\\n' > /etc/systemd/journald.conf.d/bench.conf && "
                     "systemctl restart systemd-journald && "
                     "renice -n -10 -p 1 $(systemctl show -p MainPID --value systemd-journald) >/dev/null"])

    def stop_sandbox(self):
        subprocess.run([os.path.join(HERE, "sandbox.sh"), "stop", self.sandbox],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)

    def spawn(self):
        """Idle footprint 2 s after exec; exec -> READY=1 and SIGTERM -> exit,
        also from extra runs with a short idle time (they are noisier)."""
        # (idle ms, repetitions, read the footprint, the split rows' name:
        # after a long idle time, after a short one)
        runs = [(2000, self.reps, True, "cold"), (100, 3 * self.reps, False, "warm")]
        os.makedirs(self.out, exist_ok=True)
        for idle, reps, footprint, phase in runs:
            for _ in range(reps):
                for name, path in self.shuffled(self.bin.items()):
                    argv = [path] if name.startswith("floor") else [path, "run"]
                    smaps = os.path.join(self.out, "smaps.%s" % name)
                    extra = ["--smaps", smaps] if footprint else []
                    p = self.inside(NICE + [self.probe, "spawn", "--idle", str(idle), "--timeout", "5000",
                                            "--socket", "/run/bench-notify.sock"] + extra + ["--"] + argv,
                                    timeout=15)
                    kv = self.parse(p.stdout)
                    if kv.get("ready_us", -1) >= 0:
                        self.add("ready_us", name, kv["ready_us"])
                        self.add("ready_%s_us" % phase, name, kv["ready_us"])
                        if "ready_cpu_us" in kv:   # the probe leaves out a read that failed
                            self.add("ready_cpu_us", name, kv["ready_cpu_us"])
                    else:
                        self.notes.append("%s sent no READY=1" % name)
                    self.add("term_us", name, kv["term_us"])
                    self.add("term_%s_us" % phase, name, kv["term_us"])
                    self.add("term_cpu_us", name, kv["term_cpu_us"])
                    if "term_stopping_us" in kv:
                        self.add("term_stopping_us", name, kv["term_stopping_us"])
                    if footprint:
                        for k in ("rss_kb", "pss_kb", "anon_kb", "threads"):
                            self.add(k, name, kv[k])
                    if kv.get("exit", 1) != 0:
                        self.notes.append("%s exited with %d after SIGTERM" % (name, kv.get("exit", -1)))

    def logging(self, count):
        # A socket for NOTIFY_SOCKET, so that run() picks the journal sink.
        notify_path = os.path.join(self.build, "logbench-notify.sock")
        if os.path.exists(notify_path):
            os.unlink(notify_path)
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        env = ["env", "NOTIFY_SOCKET=" + notify_path]
        # syslog: journald's socket hidden (a bind-mounted /dev/null), so
        # servicekit falls back to syslog(3) as on a machine without journald;
        # /dev/log still reaches journald.
        no_journal = ["unshare", "-m", "sh", "-c",
                      'mount --bind /dev/null /run/systemd/journal/socket && exec "$@"', "sh"]
        try:
            for _ in range(self.reps):
                for threads in (1, 2, 4):
                    for sink in ("journal", "syslog"):
                        prefix = env + (no_journal if sink == "syslog" else [])
                        p = self.inside(NICE + prefix + [self.log_bench, "throughput", sink, str(threads),
                                                         str(count)], timeout=60)
                        kv = self.parse(p.stdout)
                        for variant in ("servicekit", "raw"):
                            self.add("log_%s_%dt" % (sink, threads), variant, kv[variant + "_msgs_per_s"])
                            self.add("log_cpu_%s_%dt" % (sink, threads), variant, kv[variant + "_cpu_ns_per_msg"])
                for sink in ("journal", "syslog"):
                    prefix = env + (no_journal if sink == "syslog" else [])
                    p = self.inside(NICE + prefix + [self.log_bench, "latency", sink, "3000"], timeout=30)
                    kv = self.parse(p.stdout)
                    for variant in ("servicekit", "raw"):
                        for q in ("p50", "p99"):
                            self.add("log_lat_%s_%s" % (q, sink), variant, kv["%s_%s_ns" % (variant, q)])
        finally:
            notify.close()
            os.unlink(notify_path)

    def units(self):
        """install -> active, status, stop -> inactive under the sandboxed systemd."""
        floor_unit = os.path.join(self.build, "floor.service")
        with open(floor_unit, "w") as f:
            f.write("[Unit]\nDescription=servicekit bench: the C floor\n\n"
                    "[Service]\nType=notify\nExecStart=%s\n\n"
                    "[Install]\nWantedBy=multi-user.target\n" % self.bin["floor"])
        def cli(path):
            return {"install": [path, "install"], "start": [path, "start"], "status": [path, "status"],
                    "stop": [path, "stop"], "uninstall": [path, "uninstall"], "unit": "minimal.service"}
        steps = {
            "minimal": cli(self.bin["minimal"]),
            "floor": {
                "install": ["sh", "-c", "install -m 0644 %s /etc/systemd/system/floor.service && "
                            "systemctl daemon-reload && systemctl enable --quiet floor.service" % floor_unit],
                "start": ["systemctl", "start", "floor.service"],
                "status": ["systemctl", "is-active", "--quiet", "floor.service"],
                "stop": ["systemctl", "stop", "floor.service"],
                "uninstall": ["sh", "-c", "systemctl disable --quiet --now floor.service && "
                              "rm /etc/systemd/system/floor.service && systemctl daemon-reload"],
                "unit": "floor.service",
            },
        }
        if "minimal_static" in self.bin:
            steps["minimal_static"] = cli(self.bin["minimal_static"])

        def timed(argv, n=1):
            p = self.inside(NICE + [self.probe, "time", str(n), "--"] + argv, timeout=60)
            runs = [self.parse(line) for line in p.stdout.splitlines()]
            bad = [r for r in runs if r.get("rc", 1) != 0]
            if bad:
                raise RuntimeError("%s exited with %d" % (" ".join(argv), bad[0]["rc"]))
            return [r["us"] for r in runs]

        def state(unit):
            return self.inside(["systemctl", "is-active", unit], check=False).stdout.strip()

        for _ in range(self.reps):
            for name, s in self.shuffled(steps.items()):
                t_install = timed(s["install"])[0]
                t_start = timed(s["start"])[0]
                if state(s["unit"]) != "active":
                    raise RuntimeError("%s is not active after install and start" % s["unit"])
                self.add("install_active_ms", name, (t_install + t_start) / 1000)
                self.add("install_only_ms", name, t_install / 1000)
                self.add("start_only_ms", name, t_start / 1000)
                for t in timed(s["status"], 10):
                    self.add("status_ms", name, t / 1000)
                self.add("stop_inactive_ms", name, timed(s["stop"])[0] / 1000)
                if state(s["unit"]) not in ("inactive", "failed"):
                    raise RuntimeError("%s is still %s after stop" % (s["unit"], state(s["unit"])))
                self.add("uninstall_ms", name, timed(s["uninstall"])[0] / 1000)
                # systemd refuses a 6th start within 10 s (StartLimitBurst); forget the count.
                self.inside(["systemctl", "reset-failed", s["unit"]], check=False)


# --- the table
class Limit:
    """A target on the value itself (the sample's median), not on its ratio to the floor."""
    def __init__(self, value, unit=""):
        self.value, self.unit = value, unit


ROWS = [
    # metric, label, unit, better ("lower"/"higher"), target: on servicekit/floor, or a Limit
    ("size_kib", "stripped binary size", "KiB", "lower", Limit(1024, " KiB")),
    ("rss_kb", "idle RSS (2 s after exec)", "KiB", "lower", 2.0),
    ("pss_kb", "idle PSS (2 s after exec)", "KiB", "lower", None),
    ("anon_kb", "idle anonymous memory (heap, stacks)", "KiB", "lower", None),
    ("threads", "threads (2 s after exec)", "", "lower", Limit(2)),
    ("ready_us", "exec -> READY=1", "ms", "lower", 1.5),
    ("ready_cpu_us", "  of which on a CPU", "ms", "lower", None),
    ("ready_cold_us", "  runs after 2 s idle", "ms", "lower", None),
    ("ready_warm_us", "  runs after 0.1 s idle", "ms", "lower", None),
    ("term_us", "SIGTERM -> exit", "ms", "lower", 1.2),
    ("term_cpu_us", "  of which on a CPU", "ms", "lower", None),
    ("term_cold_us", "  runs after 2 s idle", "ms", "lower", None),
    ("term_warm_us", "  runs after 0.1 s idle", "ms", "lower", None),
    ("term_stopping_us", "  SIGTERM -> STOPPING=1", "ms", "lower", None),
    ("status_ms", "status (CLI vs systemctl is-active)", "ms", "lower", None),
    ("install_active_ms", "install+start -> active", "ms", "lower", 1.0),
    ("install_only_ms", "  of which install", "ms", "lower", None),
    ("start_only_ms", "  of which start", "ms", "lower", None),
    ("stop_inactive_ms", "stop -> inactive", "ms", "lower", None),
    ("uninstall_ms", "uninstall", "ms", "lower", None),
]
# A timing is a metric recorded in microseconds (..._us) or milliseconds
# (..._ms) and shown in milliseconds, as "median (min)"; the ratio is of the
# medians.
TIMED_SUFFIXES = ("_us", "_ms")


def med(xs):
    return statistics.median(xs) if xs else None


def fmt(v):
    if v is None:
        return "n/a"
    return "%.0f" % v if abs(v) >= 100 else "%.2f" % v


def verdict(value, target, better, unit="", interval=None):
    if target is None or value is None:
        return ""
    ok = value <= target if better == "lower" else value >= target
    spread = "; 90 %% interval %.2f-%.2f" % interval if interval else ""
    return ("ok" if ok else "MISSED") + " (%s %s%s%s)" % ("<=" if better == "lower" else ">=", target, unit, spread)


def ratio_interval(xs, base, seed, n=2000):
    """A 90 % bootstrap interval of med(xs) / med(base): how far the ratio a
    verdict judges could move with other samples of the same runs."""
    if len(xs) < 2 or len(base) < 2:
        return None
    rng = random.Random(seed)
    rs = sorted(med(rng.choices(xs, k=len(xs))) / med(rng.choices(base, k=len(base))) for _ in range(n))
    return rs[n // 20], rs[n - n // 20 - 1]


def table(b):
    lines = []
    variants = [v for v in ("floor_libs", "noop", "minimal", "noop_static", "minimal_static") if v in b.bin]
    judged = [v for v in ("minimal", "minimal_static") if v in b.bin]   # the targets are the sample's
    head = "| metric | floor (C) | " + " | ".join("%s | ratio" % v for v in variants) + " | target |"
    lines += [head, "|" + "---|" * (head.count("|") - 1)]
    for metric, label, unit, better, target in ROWS:
        r = b.results.get(metric)
        if not r:
            continue
        scale = 1e-3 if metric.endswith("_us") else 1
        timed = metric.endswith(TIMED_SUFFIXES)
        floor = med(r.get("floor", []))

        def cell(xs):
            m = med(xs)
            if m is None:
                return "n/a"
            return fmt(m * scale) + (" (%s)" % fmt(min(xs) * scale) if timed else "")
        cells = ["%s%s" % (label, " (%s)" % unit if unit else ""), cell(r.get("floor", []))]
        ratios = {}
        for v in variants:
            m = med(r.get(v, []))
            ratio = ratios[v] = m / floor if (m is not None and floor) else None
            cells += [cell(r.get(v, [])), "%.2fx" % ratio if ratio is not None else "n/a"]
        verdicts = []
        for v in judged:
            if isinstance(target, Limit):
                verdicts.append("%s %s" % (v, verdict(med(r.get(v, [])), target.value, better, target.unit) or "n/a"))
            elif target is not None:
                interval = ratio_interval(r.get(v, []), r.get("floor", []), b.seed)
                verdicts.append("%s %s" % (v, verdict(ratios.get(v), target, better, interval=interval) or "n/a"))
        cells.append("; ".join(verdicts))
        lines.append("| " + " | ".join(cells) + " |")

    log_rows = []
    for sink in ("journal", "syslog"):
        for threads in (1, 2, 4):
            r = b.results.get("log_%s_%dt" % (sink, threads))
            if r:
                sk, raw = med(r.get("servicekit", [])), med(r.get("raw", []))
                ratio = sk / raw if sk and raw else None
                interval = ratio_interval(r.get("servicekit", []), r.get("raw", []), b.seed)
                log_rows.append("| %s, %d thread%s (msgs/s) | %s | %s | %s | %s |" % (
                    sink, threads, "" if threads == 1 else "s", fmt(raw), fmt(sk),
                    "%.2fx" % ratio if ratio else "n/a", verdict(ratio, 0.9, "higher", interval=interval)))
        for threads in (1, 2, 4):
            r = b.results.get("log_cpu_%s_%dt" % (sink, threads))
            if r:
                sk, raw = med(r.get("servicekit", [])), med(r.get("raw", []))
                log_rows.append("| %s, %d thread%s: CPU per message in the caller (ns) | %s | %s | %s | |" % (
                    sink, threads, "" if threads == 1 else "s", fmt(raw), fmt(sk),
                    "%.2fx" % (sk / raw) if raw else "n/a"))
        for q in ("p50", "p99"):
            r = b.results.get("log_lat_%s_%s" % (q, sink))
            if r:
                sk, raw = med(r.get("servicekit", [])), med(r.get("raw", []))
                log_rows.append("| %s, latency in the caller %s (us) | %s | %s | %s | |" % (
                    sink, q, fmt(raw / 1000), fmt(sk / 1000), "%.2fx" % (sk / raw) if raw else "n/a"))
    if log_rows:
        raw_name = {"journal": "native datagram", "syslog": "syslog(3)"}
        lines += ["", "| logging | raw call (%s / %s) | servicekit logger | ratio | target |" % (
            raw_name["journal"], raw_name["syslog"]), "|---|---|---|---|---|"] + log_rows
    return "\n".join(lines)


def smaps_breakdown(b):
    """Idle RSS and PSS by mapping (the last footprint run of each program)."""
    rows = {}
    for name in b.bin:
        path = os.path.join(b.out, "smaps.%s" % name)
        if not os.path.exists(path):
            continue
        cur = None
        for line in open(path):
            parts = line.split()
            if len(parts) >= 5 and "-" in parts[0] and not parts[0].endswith(":"):
                cur = parts[5] if len(parts) > 5 else "[anonymous]"
                cur = os.path.basename(cur) if cur.startswith("/") else cur
                if cur.startswith("[") and cur not in ("[heap]", "[stack]"):
                    cur = "[anonymous]" if cur == "[anonymous]" else "[kernel: vdso, vvar]"
            elif parts[0] in ("Rss:", "Pss:") and cur:
                r = rows.setdefault(cur, {}).setdefault(name, [0, 0])
                r[0 if parts[0] == "Rss:" else 1] += int(parts[1])
    if not rows:
        return ""
    names = [n for n in b.bin if any(n in v for v in rows.values())]
    lines = ["| mapping (idle RSS / PSS, KiB) | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for m in sorted(rows, key=lambda m: -max(v[0] for v in rows[m].values())):
        cells = ["%d / %d" % tuple(rows[m][n]) if n in rows[m] else "" for n in names]
        if any(rows[m][n][0] for n in rows[m]):
            lines.append("| %s | %s |" % (m, " | ".join(cells)))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--static-build", help="the bench built with SERVICEKIT_STATIC_RUNTIME=ON")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--log-count", type=int, default=20000,
                    help="messages per throughput run, for each of servicekit and the raw call")
    ap.add_argument("--budget", type=float, default=270, help="seconds the measurements may take")
    ap.add_argument("--only", default="sizes,spawn,logging,units")
    ap.add_argument("--seed", type=int, default=random.SystemRandom().randrange(1 << 31),
                    help="of the programs' order in each repetition (printed, to run the same order again)")
    a = ap.parse_args()
    b = Bench(os.path.abspath(a.build), a.static_build and os.path.abspath(a.static_build), a.reps,
              time.monotonic() + a.budget, a.seed)
    only = a.only.split(",")
    # SIGTERM/SIGINT (run.sh's timeout, Ctrl+C) must still stop the sandbox.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    started = time.monotonic()
    load_before = open("/proc/loadavg").read().split()[0]
    failed = None
    try:
        if "sizes" in only:
            b.sizes()
        if set(only) & {"spawn", "logging", "units"}:
            b.start_sandbox()
            for phase, fn in (("spawn", b.spawn), ("logging", lambda: b.logging(a.log_count)),
                              ("units", b.units)):
                if phase in only:
                    t = time.monotonic()
                    fn()
                    print("bench: %s took %.0f s" % (phase, time.monotonic() - t), file=sys.stderr, flush=True)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        failed = str(e)
    finally:
        b.stop_sandbox()
    out = table(b)
    breakdown = smaps_breakdown(b)
    if breakdown:
        out += "\n\n" + breakdown
    print(out)
    for n in sorted(set(b.notes)):
        print("note: " + n)
    load_after = open("/proc/loadavg").read().split()[0]
    summary = ("%d repetitions (x3 for the short-idle latency runs), medians (min); ratios are of the "
               "medians, to the C floor; programs in a new order each repetition (--seed %d); %d CPUs, "
               "load average %s before, %s after; %.0f s" % (
                   b.reps, b.seed, os.cpu_count(), load_before, load_after, time.monotonic() - started))
    print("\n" + summary)
    b.results["_summary"] = summary
    os.makedirs(b.out, exist_ok=True)
    with open(os.path.join(b.out, "results.json"), "w") as f:
        json.dump({"reps": b.reps, "seed": b.seed, "results": b.results, "notes": sorted(set(b.notes))}, f, indent=1)
    with open(os.path.join(b.out, "table.md"), "w") as f:
        f.write(out + "\n\n" + summary + "\n")
    if failed:
        print("bench: stopped early: " + failed, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
