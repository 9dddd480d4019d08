#!/usr/bin/env python3
"""A stand-in for macOS's /bin/launchctl, for testing the launchd backend on Linux.

It implements the modern subcommands servicekit uses (bootstrap, bootout,
enable, disable, kickstart, print, print-disabled) with launchctl's exit codes and messages,
and runs the jobs for real: each loaded job that runs has a supervisor process
(the launchd part) that starts ProgramArguments with launchd's minimal
environment plus XPC_SERVICE_NAME, forwards `bootout` as SIGTERM, sends
SIGKILL after ExitTimeOut, and applies KeepAlive/ThrottleInterval.

State lives in the directory $FAKE_LAUNCHCTL_STATE:
  calls.log              one JSON array per invocation (its argv)
  domains/<domain>/<label>.json   a loaded job, with the plist it was bootstrapped from
  disabled/<domain>/<label>       the label's override: "disabled" or "enabled"
                                  (the last `launchctl disable` / `enable`)
  requests/<domain>/<label>.*     bootout / restart requests to a supervisor
Behaviour switches (files in the state directory):
  euid          the effective uid to act as (default: the real one)
  no-gui        gui/<uid> domains do not exist (an ssh session)
  flavor        "newer": 5 for already loaded / disabled / bad ownership,
                and print-disabled says disabled / enabled
                (default "older": 37 / 119 / 122, and true / false)
  busy          a number N: the next N bootstraps fail with 5 as if a
                bootout were still finishing
  race          the next bootstrap finds the job loaded by someone else
Paths in a plist (WorkingDirectory, StandardOutPath, StandardErrorPath) are
taken relative to $SERVICEKIT_ROOT when it is set.
"""

import fcntl
import json
import os
import stat
import sys
import time

# plistlib, signal and subprocess are imported where needed: the fake starts
# for every launchctl call, and the driver polls.

EX_CONFIG = 78


def state_dir():
    d = os.environ.get("FAKE_LAUNCHCTL_STATE")
    if not d:
        sys.stderr.write("fake launchctl: set FAKE_LAUNCHCTL_STATE to its state directory\n")
        sys.exit(64)
    os.makedirs(d, exist_ok=True)
    return d


STATE = state_dir()


def switch(name, default=None):
    try:
        with open(os.path.join(STATE, name)) as f:
            return f.read().strip()
    except FileNotFoundError:
        return default


def newer():
    return switch("flavor", "older") == "newer"


def euid():
    v = switch("euid")
    return int(v) if v is not None else os.geteuid()


class Lock:
    def __enter__(self):
        self.f = open(os.path.join(STATE, ".lock"), "a")
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


def safe(domain):
    return domain.replace("/", "_")


def entry_path(domain, label):
    return os.path.join(STATE, "domains", safe(domain), label + ".json")


def request_path(domain, label, what):
    return os.path.join(STATE, "requests", safe(domain), label + "." + what)


def load(domain, label):
    try:
        with open(entry_path(domain, label)) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def save(e):
    p = entry_path(e["domain"], e["label"])
    os.makedirs(os.path.dirname(p), exist_ok=True)
    tmp = p + ".tmp"
    with open(tmp, "w") as f:
        json.dump(e, f)
    os.replace(tmp, p)


def drop(e):
    for p in (entry_path(e["domain"], e["label"]),
              request_path(e["domain"], e["label"], "bootout"),
              request_path(e["domain"], e["label"], "restart")):
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass


def request(e, what):
    p = request_path(e["domain"], e["label"], what)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "w").close()


def take_request(e, what):
    try:
        os.unlink(request_path(e["domain"], e["label"], what))
        return True
    except FileNotFoundError:
        return False


def disabled_dir(domain):
    return os.path.join(STATE, "disabled", safe(domain))


def disabled_path(domain, label):
    return os.path.join(disabled_dir(domain), label)


def is_disabled(domain, label):
    try:
        with open(disabled_path(domain, label)) as f:
            return f.read() == "disabled"
    except FileNotFoundError:
        return False


def fail(msg, rc):
    sys.stderr.write(msg + "\n")
    sys.exit(rc)


def check_domain(domain, verb):
    """Exits with launchctl's answer when `domain` cannot be acted on."""
    if domain == "system":
        if euid() != 0 and verb != "print":
            fail(f"{verb.capitalize() if verb != 'bootout' else 'Boot-out'} failed: 1: Operation not permitted", 1)
        return
    kind, _, uid = domain.partition("/")
    if kind not in ("gui", "user") or not uid.isdigit():
        fail(f"Unrecognized target specifier: {domain}", 64)
    if kind == "gui" and switch("no-gui") is not None:
        if verb == "print":
            fail(f"Bad request.\nCould not find domain for {domain}", 113)
        fail(f"{verb.capitalize()} failed: 125: Domain does not support specified action", 125)
    if euid() not in (0, int(uid)) and verb != "print":
        fail(f"{verb.capitalize()} failed: 1: Operation not permitted", 1)


def split_target(target):
    domain, _, label = target.rpartition("/")
    if not domain or not label:
        fail(f"Unrecognized target specifier: {target}", 64)
    return domain, label


def root_path(p):
    root = os.environ.get("SERVICEKIT_ROOT")
    if root and p.startswith("/"):
        return os.path.join(root, p.lstrip("/"))
    return p


def spawn_supervisor(e):
    import subprocess
    proc = subprocess.Popen([sys.executable, "-S", os.path.abspath(__file__), "__supervise", e["domain"], e["label"]],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, close_fds=True)
    e["supervisor"] = proc.pid
    e["state"] = "spawn scheduled"


def not_found(domain, label):
    fail(f'Could not find service "{label}" in domain for {domain}', 113)


def cmd_bootstrap(args):
    if len(args) != 2:
        fail("Usage: launchctl bootstrap <domain-target> [service-path ...]", 64)
    domain, plist_path = args
    check_domain(domain, "bootstrap")
    import plistlib
    io_error = "Bootstrap failed: 5: Input/output error"
    try:
        st = os.lstat(plist_path)
        with open(plist_path, "rb") as f:
            text = f.read()
        plist = plistlib.loads(text)
    except FileNotFoundError:
        fail(io_error if newer() else "Bootstrap failed: 2: No such file or directory", 5 if newer() else 2)
    except Exception:  # unparseable
        fail(io_error, 5)
    label = plist.get("Label")
    if not isinstance(label, str) or not isinstance(plist.get("ProgramArguments"), list):
        fail(io_error, 5)
    if domain == "system" and (not stat.S_ISREG(st.st_mode) or st.st_uid != 0 or st.st_mode & 0o022):
        sys.stderr.write(f"{plist_path}: Path had bad ownership/permissions\n")
        fail(io_error if newer() else "Bootstrap failed: 122: Path had bad ownership/permissions", 5 if newer() else 122)
    with Lock():
        busy = int(switch("busy", "0"))
        if busy > 0:
            with open(os.path.join(STATE, "busy"), "w") as f:
                f.write(str(busy - 1))
            fail(io_error, 5)
        race = switch("race") is not None
        if race:
            os.unlink(os.path.join(STATE, "race"))
        if is_disabled(domain, label) and not race:
            fail(io_error if newer() else "Bootstrap failed: 119: Service is disabled", 5 if newer() else 119)
        e = load(domain, label)
        if e is None:
            # launchd keeps the definition it read: rewriting the file changes
            # nothing until the job is booted out and bootstrapped again.
            e = {"domain": domain, "label": label, "plist": plist_path, "definition": text.decode("latin-1"),
                 "state": "not running", "pid": None,
                 "supervisor": None, "stopping": False, "last_exit": None, "runs": 0}
            if plist.get("RunAtLoad") is True or plist.get("KeepAlive") is True:
                spawn_supervisor(e)
            save(e)
            if not race:
                return 0
        if e["stopping"]:
            fail(io_error, 5)
        fail(io_error if newer() else "Bootstrap failed: 37: Operation already in progress", 5 if newer() else 37)


def cmd_bootout(args):
    if len(args) != 1:
        fail("Usage: launchctl bootout <domain-target> [service-path ...] | <service-target>", 64)
    domain, label = split_target(args[0])
    check_domain(domain, "bootout")
    with Lock():
        e = load(domain, label)
        if e is None:
            fail("Boot-out failed: 3: No such process", 3)
        if e["stopping"]:
            fail("Boot-out failed: 36: Operation now in progress", 36)
        if e["supervisor"] is None:
            drop(e)
            return 0
        # Asynchronous: the supervisor sends SIGTERM, then SIGKILL after
        # ExitTimeOut, and removes the job once it has exited.
        e["stopping"] = True
        save(e)
        request(e, "bootout")
    return 0


def cmd_able(verb, args):
    if len(args) != 1:
        fail(f"Usage: launchctl {verb} <service-target>", 64)
    domain, label = split_target(args[0])
    check_domain(domain, verb)
    # launchd keeps an override per label, enabled or disabled, and does not
    # touch a loaded job: a disabled one stays loaded (and running).
    p = disabled_path(domain, label)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(verb + "d")
    return 0


def cmd_print_disabled(args):
    if len(args) != 1:
        fail("Usage: launchctl print-disabled <domain-target>", 64)
    domain = args[0]
    check_domain(domain, "print")
    d = disabled_dir(domain)
    labels = sorted(os.listdir(d)) if os.path.isdir(d) else []
    words = ("disabled", "enabled") if newer() else ("true", "false")
    out = ["\tdisabled services = {"]
    out += [f'\t\t"{label}" => {words[0] if is_disabled(domain, label) else words[1]}' for label in labels]
    out += ["\t}", "", "\tlogin item associations = {", "\t}"]
    sys.stdout.write("\n".join(out) + "\n")
    return 0


def cmd_kickstart(args):
    flags = [a for a in args if a.startswith("-")]
    targets = [a for a in args if not a.startswith("-")]
    if len(targets) != 1 or any(set(f[1:]) - set("kps") for f in flags):
        fail("Usage: launchctl kickstart [-kp] <service-target>", 64)
    kill = any("k" in f for f in flags)
    domain, label = split_target(targets[0])
    check_domain(domain, "kickstart")
    with Lock():
        e = load(domain, label)
        if e is None:
            not_found(domain, label)
        if e["stopping"]:
            return 0
        if e["supervisor"] is None:
            spawn_supervisor(e)
            save(e)
            return 0
        if not kill:
            return 0
        old = e["pid"]
        request(e, "restart")
    # -k: wait until the supervisor has replaced the process.
    plist = definition(e)
    deadline = time.monotonic() + exit_timeout(plist) + 5
    while time.monotonic() < deadline:
        with Lock():
            cur = load(domain, label)
        if cur is None or cur["supervisor"] is None or (cur["pid"] not in (None, old) and cur["state"] == "running"):
            return 0
        time.sleep(0.02)
    return 0


def cmd_print(args):
    if len(args) != 1:
        fail("Usage: launchctl print <domain-target> | <service-target>", 64)
    domain, label = split_target(args[0])
    check_domain(domain, "print")
    with Lock():
        e = load(domain, label)
    if e is None:
        not_found(domain, label)
    plist = definition(e)
    argv = plist.get("ProgramArguments") or []
    running = e["state"] == "running" and e["pid"] is not None
    out = [f"{domain}/{label} = {{",
           f"\tactive count = {1 if running else 0}",
           f"\tpath = {e['plist']}",
           f"\ttype = {'LaunchDaemon' if domain == 'system' else 'LaunchAgent'}",
           # A nested block with its own state line comes first on purpose:
           # only the top-level `\tstate = ` line is the job's.
           "\tevent triggers = {",
           f"\t\t{label}.trigger => {{",
           "\t\t\tkeepalive = 0",
           "\t\t\tstate = active",
           "\t\t}",
           "\t}",
           f"\tstate = {'running' if running else e['state']}",
           "",
           f"\tprogram = {argv[0] if argv else ''}",
           "\targuments = {"]
    out += [f"\t\t{a}" for a in argv]
    out += ["\t}", ""]
    if running:
        out.append(f"\tpid = {e['pid']}")
    out.append(f"\tlast exit code = {e['last_exit'] if e['last_exit'] is not None else '(never exited)'}")
    out += ["\tendpoints = {", f'\t\t"{label}.port" = {{', "\t\t\tport = 0x1a03", "\t\t\tactive = 0",
            "\t\t\tstate = active", "\t\t}", "\t}", "}"]
    sys.stdout.write("\n".join(out) + "\n")
    return 0


def definition(e):
    """The plist as it was when the job was bootstrapped."""
    import plistlib
    return plistlib.loads(e["definition"].encode("latin-1"))


def exit_timeout(plist):
    v = plist.get("ExitTimeOut", 5)
    return v if isinstance(v, int) and v > 0 else 5


def supervise(domain, label):
    """The launchd part: runs one job until it is booted out."""
    import signal
    import subprocess
    with Lock():
        e = load(domain, label)
    if e is None:
        return
    plist = definition(e)
    argv = plist.get("ProgramArguments") or []
    env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "XPC_SERVICE_NAME": label, "XPC_FLAGS": "0x0"}
    env.update(plist.get("EnvironmentVariables") or {})
    cwd = root_path(plist.get("WorkingDirectory", "/"))

    def output(key):
        p = plist.get(key)
        return open(root_path(p), "ab") if p else subprocess.DEVNULL

    keep = plist.get("KeepAlive", False)
    throttle = plist.get("ThrottleInterval", 10)
    while True:
        spawned_at = time.monotonic()  # ThrottleInterval counts from the last spawn
        try:
            job = subprocess.Popen(argv, executable=argv[0] if argv else None, cwd=cwd, env=env,
                                   stdin=subprocess.DEVNULL, stdout=output("StandardOutPath"),
                                   stderr=output("StandardErrorPath"), close_fds=True, start_new_session=True)
        except (OSError, IndexError, ValueError):
            job = None
        with Lock():
            e = load(domain, label)
            if e is None:
                return
            e["runs"] += 1
            if job is not None:
                e["pid"], e["state"] = job.pid, "running"
            save(e)
        rc, termed_at, restart = EX_CONFIG, None, False
        while job is not None:
            rc = job.poll()
            if rc is not None:
                break
            if not os.path.exists(entry_path(domain, label)):
                job.kill()  # the state directory was removed: no job may outlive it
                job.wait()
                return
            bootout, kick = take_request(e, "bootout"), take_request(e, "restart")
            if termed_at is None and (bootout or kick):
                restart = kick and not bootout
                job.send_signal(signal.SIGTERM)
                termed_at = time.monotonic()
            elif termed_at is not None and time.monotonic() - termed_at > exit_timeout(plist):
                job.kill()
            time.sleep(0.02)
        if rc < 0:
            rc = 128 - rc
        with Lock():
            e = load(domain, label)
            if e is None:
                return
            if e["stopping"]:
                drop(e)  # bootout finished
                return
            e["pid"], e["last_exit"] = None, rc
            respawn = restart or keep is True or (isinstance(keep, dict) and keep.get("SuccessfulExit") is False and rc != 0)
            if not respawn or job is None:
                e["state"], e["supervisor"] = "not running", None
                save(e)
                return
            e["state"] = "spawn scheduled"
            save(e)
        if not restart:
            deadline = spawned_at + throttle
            while time.monotonic() < deadline:
                with Lock():
                    cur = load(domain, label)
                if cur is None or cur["stopping"]:
                    with Lock():
                        if cur is not None:
                            drop(cur)
                    return
                time.sleep(0.05)


def main(argv):
    if len(argv) >= 1 and argv[0] == "__supervise":
        supervise(argv[1], argv[2])
        return 0
    with open(os.path.join(STATE, "calls.log"), "a") as f:
        f.write(json.dumps(argv) + "\n")
    if not argv:
        fail("Usage: launchctl <subcommand> ... | help [subcommand]", 64)
    verb, args = argv[0], argv[1:]
    if verb == "bootstrap":
        return cmd_bootstrap(args)
    if verb == "bootout":
        return cmd_bootout(args)
    if verb in ("enable", "disable"):
        return cmd_able(verb, args)
    if verb == "kickstart":
        return cmd_kickstart(args)
    if verb == "print":
        return cmd_print(args)
    if verb == "print-disabled":
        return cmd_print_disabled(args)
    if verb in ("load", "unload", "start", "stop", "list", "submit", "remove"):
        # The real legacy subcommands exit 0 even when they fail; this fake
        # refuses them so that a test notices when they are used.
        fail(f"fake launchctl: legacy subcommand '{verb}' is not modelled; use bootstrap/bootout/kickstart", 64)
    fail(f"Unrecognized subcommand: {verb}", 64)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
