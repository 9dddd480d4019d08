#!/usr/bin/env python3
"""The bad-input catalogue: each bad config field or command line, run through
the real program (reliability_app, a cli_main program), must exit with its
documented status and print one line naming the problem, print nothing on
stdout, and leave nothing behind: no new file under the managers' directories,
no unit known to systemd, no process.

    bad_inputs.py APP [--prefix CMD...]   run the catalogue (CMD: run everything
                                          through it, e.g. nsenter into a sandbox)
    bad_inputs.py --markdown              print the table docs/SECURITY.md carries
    bad_inputs.py --check-doc DOC         fail when DOC's table differs from this one
"""
import os
import re
import shutil
import subprocess
import sys

NAME = "sk-reliability"  # reliability_app's default config.name
LONG = "a" * 65

# (what, config edits (field=value lines; C escapes), argv, exit status, message part)
# Config cases use `install`, the verb with the most to lose.
CONFIG = 6
USAGE = 2
CASES = [
    # names
    ("empty name", ["name="], ["install"], CONFIG, "config.name is empty"),
    ("name with a path", ["name=../etc/x"], ["install"], CONFIG, "must not contain a path separator"),
    ("name with a backslash", ["name=a\\\\b"], ["install"], CONFIG, "must not contain a path separator"),
    ("name with a space", ["name=my service"], ["install"], CONFIG, "must not contain whitespace"),
    ("name with a newline", ["name=a\\nb"], ["install"], CONFIG, "must not contain whitespace"),
    ("name with \"..\"", ["name=a..b"], ["install"], CONFIG, 'must not contain ".."'),
    ("name starting with '-'", ["name=-x"], ["install"], CONFIG, "must not start with '-'"),
    ("name of 65 characters", ["name=" + LONG], ["install"], CONFIG, "longer than 64 characters"),
    ("name ending with '.'", ["name=x."], ["install"], CONFIG, "must not end with '.'"),
    ("name ending with .service", [], ["--name", "web.service", "install"], CONFIG, 'use "web"'),
    ("name with '$'", ["name=a$b"], ["install"], CONFIG, "'$' is not allowed"),
    ("name with UTF-8", ["name=caf\\xc3\\xa9"], ["install"], CONFIG, "is not allowed"),
    ("Windows-reserved name CON", ["name=CON"], ["install"], CONFIG, "reserved Windows device name"),
    ("Windows-reserved name nul.svc", ["name=nul.svc"], ["install"], CONFIG, "reserved Windows device name"),
    ("Windows-reserved name COM1", ["name=COM1"], ["install"], CONFIG, "reserved Windows device name"),
    ("Windows-reserved name lpt9", ["name=lpt9"], ["install"], CONFIG, "reserved Windows device name"),
    # one-line texts
    ("display name with a newline", ["display_name=a\\nb"], ["install"], CONFIG, "must be one line"),
    ("description of 1025 bytes", ["description=" + "d" * 1025], ["install"], CONFIG, "longer than 1024 bytes"),
    ("description not UTF-8", ["description=\\xff"], ["install"], CONFIG, "not valid UTF-8"),
    ("description with ESC", ["description=\\x1b[2J"], ["install"], CONFIG, "contains a control character"),
    ("description with a trailing space", ["description=serves "], ["install"], CONFIG,
     "must not start or end with a space"),
    ("description ending with a backslash", ["description=serves\\\\"], ["install"], CONFIG,
     "must not end with a backslash"),
    # paths
    ("relative executable", ["executable=bin/app"], ["install"], CONFIG, "must be an absolute path"),
    ("executable with a newline", ["executable=/bin/a\\nb"], ["install"], CONFIG, "must be one line"),
    ("missing executable", ["executable=/nonexistent/app"], ["install"], CONFIG, "does not exist"),
    ("executable is a directory", ["executable=/"], ["install"], CONFIG, "is not a regular file"),
    ("relative working directory", ["working_directory=srv"], ["install"], CONFIG, "must be an absolute path"),
    ("missing working directory", ["working_directory=/nonexistent-dir"], ["install"], CONFIG, "is not a directory"),
    ("relative launchd log path", ["launchd_stdout=log.txt"], ["install"], CONFIG, "must be an absolute path"),
    # arguments
    ("argument with NUL", ["argument=a\\x00b"], ["install"], CONFIG, "contains a NUL byte"),
    ("argument with a control character", ["argument=\\x01"], ["install"], CONFIG, "control character other than TAB"),
    ("argument of 4097 bytes", ["argument=" + "x" * 4097], ["install"], CONFIG, "longer than 4096 bytes"),
    ("argument not UTF-8", ["argument=\\xc3\\x28"], ["install"], CONFIG, "not valid UTF-8"),
    ("command line over 16 KiB", ["argument=" + "x" * 4000] * 5, ["install"], CONFIG, "the limit is 16384"),
    # environment
    ("variable name starting with a digit", ["env=1ABC=x"], ["install"], CONFIG, "a variable name must be"),
    ("variable name with '-'", ["env=A-B=x"], ["install"], CONFIG, "a variable name must be"),
    ("empty variable name", ["env==x"], ["install"], CONFIG, "a variable name must be"),
    ("variable value with ESC", ["env=TERM=\\x1b[31m"], ["install"], CONFIG, "control character other than TAB"),
    # users
    ("user starting with '-'", ["user=-root"], ["install"], CONFIG, "must not start with '-'"),
    ("user with ':'", ["user=a:b"], ["install"], CONFIG, "must not contain ':'"),
    ("blank user", ["user=   "], ["install"], CONFIG, "is blank"),
    ("user with a newline", ["user=bob\\nroot"], ["install"], CONFIG, "must be one line"),
    ("group starting with '-'", ["group=-g"], ["install"], CONFIG, "must not start with '-'"),
    ("user for a user-scope service", ["user=bob", "scope=1"], ["install"], CONFIG, "user-scope service"),
    ("Windows account unknown", ["windows_account=Administrator"], ["install"], CONFIG, "config.windows.account"),
    ("Windows password without user", ["windows_password=x"], ["install"], CONFIG, "password is set without"),
    # dependencies
    ("empty dependency", ["dependency="], ["install"], CONFIG, "an empty name"),
    ("dependency with a space", ["dependency=a b"], ["install"], CONFIG, "use letters, digits"),
    ("dependency with a path", ["dependency=../x"], ["install"], CONFIG, "use letters, digits"),
    ("dependency starting with '-'", ["dependency=-x"], ["install"], CONFIG, "must start with a letter"),
    ("dependency on itself", ["dependency=" + NAME], ["install"], CONFIG, "cannot depend on itself"),
    # timeouts and enums
    ("stop timeout 0", ["stop_timeout_ms=0"], ["install"], CONFIG, "config.stop_timeout = 0 ms is not valid"),
    ("stop timeout over 1 h", ["stop_timeout_ms=3600001"], ["install"], CONFIG, "between 100 ms and 3600000 ms"),
    ("negative restart delay", ["restart_delay_ms=-1"], ["install"], CONFIG, "config.restart_delay = -1 ms"),
    ("watchdog under 1 s", ["watchdog_ms=500"], ["install"], CONFIG, "config.systemd.watchdog"),
    ("start type out of range", ["start_type=7"], ["install"], CONFIG, "config.start_type is not one of"),
    ("restart policy out of range", ["restart=9"], ["install"], CONFIG, "config.restart is not one of"),
    ("launchd label with \"..\"", ["launchd_label=com..x"], ["install"], CONFIG, "use reverse-DNS"),
    # the same rules on the other verbs: nothing reaches the backend
    ("bad name, run", ["name=../x"], ["run"], CONFIG, "must not contain a path separator"),
    ("bad name, start", ["name=../x"], ["start"], CONFIG, "must not contain a path separator"),
    ("bad name, print-config", ["name=../x"], ["print-config"], CONFIG, "must not contain a path separator"),
    ("bad argument, uninstall", ["argument=\\x07"], ["uninstall"], CONFIG, "control character other than TAB"),
    # verbs and options
    ("unknown verb", [], ["frobnicate"], USAGE, "unknown command 'frobnicate'"),
    ("verbs are case-sensitive", [], ["INSTALL"], USAGE, "unknown command 'INSTALL'"),
    ("verb holding a newline", [], ["fo\no"], USAGE, "unknown command 'fo\\x0ao'"),
    ("two verbs", [], ["status", "start"], USAGE, "unexpected argument 'start'"),
    ("second word holding ESC", [], ["status", "\x1b[2J"], USAGE, "unexpected argument '\\x1b[2J'"),
    ("unknown option", [], ["--bogus"], USAGE, "unrecognised option '--bogus'"),
    ("abbreviated option", [], ["--nam", "x", "status"], USAGE, "unrecognised option '--nam'"),
    ("option holding a placeholder", [], ["--%canonical_option%"], USAGE, "unrecognised option '--%canonical_option%'"),
    ("option holding a newline", [], ["--a\nb"], USAGE, "unrecognised option '--a\\x0ab'"),
    ("--name without a value", [], ["--name"], USAGE, "the required argument for option '--name' is missing"),
    ("--name= without a value", [], ["--name=", "status"], USAGE, "option '--name' needs a value after '='"),
    ("--force without install", [], ["--force", "status"], USAGE, "--force goes with install"),
    ("--json without status", [], ["--json", "install"], USAGE, "--json goes with status"),
    ("--force twice", [], ["install", "--force", "--force"], USAGE, "cannot be specified more than once"),
    ("unknown log level", [], ["--log-level", "loud", "run"], USAGE, "--log-level 'loud' is not one of"),
    ("log level holding a newline", [], ["--log-level", "x\ny", "run"], USAGE, "--log-level 'x\\x0ay' is not one of"),
    ("service arguments with start", [], ["start", "--", "--port", "80"], USAGE,
     "'--' with service arguments goes with install, run or print-config, not start"),
    ("--log-level with status", [], ["--log-level", "debug", "status"], USAGE,
     "--log-level goes with install, run or print-config, not status"),
    ("--name with a path", [], ["--name", "../x", "install"], CONFIG, "must not contain a path separator"),
    ("--name empty", [], ["--name", "", "install"], CONFIG, "config.name is empty"),
    ("--name reserved on Windows", [], ["--name", "aux", "install"], CONFIG, "reserved Windows device name"),
    ("--name of 65 characters", [], ["--name", LONG, "install"], CONFIG, "longer than 64 characters"),
    ("--user with config.user", ["user=bob"], ["--user", "install"], CONFIG, "user-scope service"),
    ("service argument with a control character", [], ["run", "--", "\x01"], CONFIG, "control character other than TAB"),
    ("oversized service argument", [], ["run", "--", "y" * 4097], CONFIG, "longer than 4096 bytes"),
]

# Where an install would leave something.
WATCHED = ["/etc/systemd/system", "/run/systemd/system", "/etc/init.d", "/etc/rc0.d", "/etc/rc1.d",
           "/etc/rc2.d", "/etc/rc3.d", "/etc/rc4.d", "/etc/rc5.d", "/etc/rc6.d", "/etc/default",
           os.path.expanduser("~/.config/systemd/user")]


TOKEN = f"SERVICEKIT_CATALOGUE_RUN={os.getpid()}".encode()


def shown(argv):
    return " ".join(a if a and re.fullmatch(r"[\w./=-]+", a) else repr(a) for a in argv)


def markdown():
    lines = ["| bad input | command | exit | message contains |", "|---|---|---|---|"]
    for what, _edits, argv, status, part in CASES:
        cmd = shown([a if len(a) < 20 else a[:8] + "…" for a in argv])
        cell = part.replace("|", "\\|")
        lines.append(f"| {what} | `app {cmd}` | {status} | `{cell}` |")
    return "\n".join(lines) + "\n"


def snapshot(prefix, app):
    """What exists that a failed command must not have added."""
    files = set()
    for d in WATCHED:
        for root, dirs, names in os.walk(d) if not prefix else []:
            files.update(os.path.join(root, n) for n in names + dirs)
    if prefix:  # another mount namespace: list it from inside
        out = subprocess.run(prefix + ["find"] + WATCHED, capture_output=True, text=True).stdout
        files.update(out.split("\n"))
    units = ""
    systemctl = subprocess.run(prefix + ["systemctl", "list-units", "--all", "--plain", "--no-legend", NAME + "*"],
                               capture_output=True, text=True) if prefix or os.path.isdir("/run/systemd/system") else None
    if systemctl is not None:
        units = systemctl.stdout
    procs = set()  # processes this catalogue started (they carry TOKEN), wherever they were reparented
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if TOKEN in open(f"/proc/{pid}/environ", "rb").read():
                    procs.add(pid)
            except OSError:
                pass
    return files, units, procs


def main():
    if sys.argv[1:2] == ["--markdown"]:
        sys.stdout.write(markdown())
        return 0
    if sys.argv[1:2] == ["--check-doc"]:
        doc = open(sys.argv[2], encoding="utf-8").read()
        if markdown() not in doc:
            print(f"{sys.argv[2]}: the bad-input table is not the catalogue's; regenerate it with "
                  f"tests/reliability/bad_inputs.py --markdown")
            return 1
        print(f"{sys.argv[2]}: the table matches the catalogue ({len(CASES)} cases)")
        return 0
    app = os.path.abspath(sys.argv[1])
    prefix = sys.argv[3:] if sys.argv[2:3] == ["--prefix"] else []
    if not prefix and os.geteuid() == 0 and shutil.which("unshare") and not os.environ.get("SERVICEKIT_CATALOGUE_PRIVATE"):
        # As root on the host a case that wrongly got through would install a
        # real service: run in a private mount namespace where /etc is an
        # overlay that vanishes with it (the checks see the same paths).
        os.environ["SERVICEKIT_CATALOGUE_PRIVATE"] = "1"
        os.execvp("unshare", ["unshare", "--mount", "--propagation", "private", sys.executable,
                              os.path.abspath(__file__), *sys.argv[1:]])
    if os.environ.get("SERVICEKIT_CATALOGUE_PRIVATE") == "1":
        os.environ["SERVICEKIT_CATALOGUE_PRIVATE"] = "2"  # the services the cases start must not recurse
        scratch = os.path.abspath("catalogue-etc")  # a mount point in the test's working (build) directory
        for cmd in (["mkdir", "-p", scratch],
                    ["mount", "-t", "tmpfs", "tmpfs", scratch],
                    ["mkdir", "-p", f"{scratch}/up", f"{scratch}/work"],
                    ["mount", "-t", "overlay", "overlay", "-o",
                     f"lowerdir=/etc,upperdir={scratch}/up,workdir={scratch}/work", "/etc"]):
            if subprocess.run(cmd).returncode != 0:
                print(f"cannot set up the private /etc: {' '.join(cmd)}")
                return 1
        print("running in a private mount namespace: /etc is a throw-away overlay")
    before = snapshot(prefix, app)
    failures = 0
    for what, edits, argv, status, part in CASES:
        env = dict(os.environ, SERVICEKIT_TEST_CONFIG="\n".join(edits))
        env.update([TOKEN.decode().split("=")])
        try:
            r = subprocess.run(prefix + [app] + argv, env=env, capture_output=True, timeout=30)
        except subprocess.TimeoutExpired:
            print(f"FAIL {what}: app {shown(argv)[:60]} did not end within 30 s")
            failures += 1
            continue
        err = r.stderr.decode("utf-8", "replace")
        problems = []
        if r.returncode != status:
            problems.append(f"exit {r.returncode}, expected {status}")
        if part not in err:
            problems.append(f"message lacks {part!r}")
        if err.count("\n") != 1 or not err.endswith("\n"):
            problems.append("not exactly one line on stderr")
        if any(b < 0x20 and b != 0x0A or b == 0x7F for b in r.stderr):
            problems.append("a control byte on stderr")
        try:
            r.stderr.decode("utf-8")
        except UnicodeDecodeError:
            problems.append("stderr is not UTF-8")
        if r.stdout:
            problems.append(f"printed on stdout: {r.stdout[:80]!r}")
        after = snapshot(prefix, app)
        if after != before:
            problems.append(f"left something behind: files {sorted(after[0] - before[0])}, "
                            f"units {after[1]!r}, processes {sorted(after[2] - before[2])}")
            before = after
        status_word = "FAIL" if problems else "ok"
        print(f"{status_word:4} {what}: app {shown(argv)[:60]} -> {r.returncode}: {err.strip()[:150]}")
        for p in problems:
            print(f"       {p}")
        failures += bool(problems)
    print(f"{len(CASES) - failures}/{len(CASES)} bad inputs handled as documented")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
