#!/usr/bin/env python3
"""Property tests of the renderers through the real parsers.

render_cases (C++) renders COUNT generated configs with one renderer; this
script hands every rendered file to the parser the manager itself uses and
checks it gives back exactly the command line and environment expected:

    check_renderers.py launchd RENDER_CASES RECORDER WORK [SEED COUNT]
        plists through Python's plistlib (expat): ProgramArguments,
        EnvironmentVariables, Label, WorkingDirectory, UserName and GroupName
        exactly; no key outside launchd's set
    check_renderers.py systemd-verify RENDER_CASES RECORDER WORK [SEED COUNT]
        units through `systemd-analyze verify` (systemd's own parser; needs no
        running systemd): no error, no warning (but systemd's note on a user
        or group name outside its strict rules); exactly one ExecStart=
    check_renderers.py systemd-exec RENDER_CASES RECORDER WORK SANDBOX [SEED COUNT]
        every rendered ExecStart= and Environment= line, in one oneshot unit
        started by a real systemd in the sandbox (SANDBOX: systemd-sandbox.sh):
        RECORDER, run by systemd, records its argv and environment; then
        every rendered unit loaded by that systemd, and Description=,
        WorkingDirectory=, User= and Group= read back with `systemctl show`

    check_renderers.py sysv RENDER_CASES RECORDER WORK [SEED COUNT]
        each init script's `start` run by sh, with the real env and a
        start-stop-daemon that execs what it would start: RECORDER records it,
        and the fake records the --chdir, --chuid and --group it was given

    check_renderers.py windows RENDER_CASES RECORDER WORK ARGV_W_EXE [SEED COUNT]
        lpBinaryPathName split by the real CommandLineToArgvW under Wine, and
        (150 of them) started with CreateProcessW: the started program records
        both CommandLineToArgvW(GetCommandLineW()) and the C runtime's argv

Exit 0: every case round-tripped or was rejected with invalid_config;
exit 77: the parser is not installed here.
"""
import os
import plistlib
import re
import shutil
import subprocess
import sys

SKIP = 77


def fail(msg):
    print(f"FAIL {msg}")
    return 1


# What render_cases writes to i.fields: the config as given.
FIELDS = ("name", "description", "display_name", "working_directory", "user", "group")


def working_directory(fields):
    """The directory every renderer writes: the configured one, else '/'."""
    return fields["working_directory"] or "/"


def read_list(path):
    data = open(path, "rb").read()
    return [w.decode("utf-8") for w in data.split(b"\0")[:-1]]


def cases(work):
    """(index, rendered text, argv, env) of rendered cases; count of rejected."""
    rendered, rejected = [], 0
    names = sorted({int(f.split(".")[0]) for f in os.listdir(work) if f[0].isdigit()})
    for i in names:
        base = os.path.join(work, str(i))
        if os.path.exists(base + ".rejected"):
            rejected += 1
            continue
        rendered.append((i, open(base + ".out", "rb").read(), read_list(base + ".argv"), read_list(base + ".env"),
                         dict(zip(FIELDS, read_list(base + ".fields")))))
    return rendered, rejected


def generate(render_cases, kind, work, recorder, seed, count):
    shutil.rmtree(work, ignore_errors=True)
    r = subprocess.run([render_cases, kind, str(seed), str(count), work, recorder], capture_output=True, text=True)
    print(r.stdout.strip() or r.stderr.strip())
    if r.returncode != 0:
        raise SystemExit(fail(f"render_cases {kind}: {r.stderr.strip()}"))
    rendered, rejected = cases(work)
    if len(rendered) < count // 2:
        raise SystemExit(fail(f"only {len(rendered)} of {count} cases rendered: the test would prove little"))
    return rendered


def parse_records(data):
    """The records argv_recorder appended: [(argv, env)]."""
    out, pos = [], 0

    def line():
        nonlocal pos
        end = data.index(b"\n", pos)
        s = data[pos:end]
        pos = end + 1
        return s

    def item():
        nonlocal pos
        colon = data.index(b":", pos)
        n = int(data[pos:colon])
        s = data[colon + 1:colon + 1 + n]
        pos = colon + 1 + n + 1
        return s.decode("utf-8")

    while pos < len(data):
        argc = int(line().split()[1])
        argv = [item() for _ in range(argc)]
        envc = int(line().split()[1])
        env = [item() for _ in range(envc)]
        out.append((argv, env))
    return out


LAUNCHD_KEYS = {"Label", "ProgramArguments", "RunAtLoad", "KeepAlive", "ThrottleInterval", "ExitTimeOut",
                "ProcessType", "WorkingDirectory", "EnvironmentVariables", "UserName", "GroupName",
                "StandardOutPath", "StandardErrorPath"}


def check_launchd(rendered):
    bad = 0
    for i, text, argv, env, fields in rendered:
        try:
            d = plistlib.loads(text)
        except Exception as e:  # any parse error is a failure of the renderer
            bad += fail(f"case {i}: plistlib cannot read it: {e}")
            continue
        problems = []
        if d.get("ProgramArguments") != argv:
            problems.append(f"ProgramArguments {d.get('ProgramArguments')!r} != {argv!r}")
        want_env = dict(e.split("=", 1) for e in env)
        if d.get("EnvironmentVariables", {}) != want_env:
            problems.append(f"EnvironmentVariables {d.get('EnvironmentVariables')!r} != {want_env!r}")
        if d.get("Label") != f"org.servicekit.pt{i}":
            problems.append(f"Label {d.get('Label')!r}")
        for key, want in (("WorkingDirectory", working_directory(fields)),
                          ("UserName", fields["user"] or None), ("GroupName", fields["group"] or None)):
            if d.get(key) != want:
                problems.append(f"{key} {d.get(key)!r} != {want!r}")
        if set(d) - LAUNCHD_KEYS:
            problems.append(f"keys outside launchd's set: {sorted(set(d) - LAUNCHD_KEYS)}")
        for p in problems:
            bad += fail(f"case {i}: {p}")
    return bad


def exec_lines(text, i):
    lines = text.decode("utf-8").split("\n")
    execs = [l for l in lines if l.startswith("ExecStart=")]
    if len(execs) != 1:
        raise SystemExit(fail(f"case {i}: {len(execs)} ExecStart= lines"))
    return execs[0], [l for l in lines if l.startswith("Environment=")]


# Directory names an executable path may hold that ExecStart= must quote or
# escape (systemd refuses ', " and \\ in the path itself, and servicekit with it).
HOSTILE_DIRS = ["sp ace", "  two  spaces ", "per%cent%n%%", "dol$lar${X}$$", "semi;colon", "ünï-çødé ✓",
                "star*?[x]", "brace{a,b}", "hash#not-a-comment", "~tilde", "@at", "-dash", "a=b", "$(true)",
                "`true`", "back|pipe&amp<>"]


def hostile_executables(render_cases, work, recorder, seed):
    """Cases whose executable is the recorder reached through a directory with
    a hostile name, so that the path, too, goes through systemd's parser."""
    exe_root = os.path.join(work, "exe")  # work is shared with the sandbox
    out = []
    for k, name in enumerate(HOSTILE_DIRS, start=1):
        exe = os.path.join(exe_root, name, "rec")
        os.makedirs(os.path.dirname(exe))
        os.symlink(os.path.realpath(recorder), exe)
        cases_dir = f"{work}-exe{k}"
        got = generate(render_cases, "systemd", cases_dir, exe, seed + k, 4)
        if not any(argv[0] == exe for _i, _t, argv, _e, _f in got):
            raise SystemExit(fail(f"the cases for {exe!r} do not run it"))
        # Their environments are the main cases' business: the unit that runs
        # them all holds one Environment= per variable, and these reuse names.
        for i, text, argv, _env, fields in got:
            text = b"\n".join(l for l in text.split(b"\n") if not l.startswith(b"Environment="))
            out.append((k * 100000 + i, text, argv, [], fields))
    return out


def normal_directory(path):
    """The directory systemd takes WorkingDirectory= to name: without "//",
    "/./" or a trailing '/' (it rewrites them; ".." is rejected before)."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return "/" + "/".join(parts)


def expected_unit_properties(fields):
    """What `systemctl show` must give back for the configured fields."""
    return {"Description": fields["description"] or fields["display_name"] or fields["name"],
            "WorkingDirectory": normal_directory(working_directory(fields)),
            "User": fields["user"], "Group": fields["group"]}


def check_unit_properties(rendered, work, inside):
    """Every rendered unit loaded by the sandbox's systemd; Description=,
    WorkingDirectory=, User= and Group= read back from it."""
    units = os.path.join(work, "units-load")
    os.makedirs(units)
    for i, text, _argv, _env, _fields in rendered:
        open(os.path.join(units, f"pt{i}.service"), "wb").write(text)
    for cmd in (["sh", "-c", 'cp "$1"/*.service /etc/systemd/system/', "sh", units], ["systemctl", "daemon-reload"]):
        r = inside(*cmd)
        if r.returncode != 0:
            return fail(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
    bad = checked = 0
    keys = ("Id", "LoadState", "Description", "WorkingDirectory", "User", "Group")
    for start in range(0, len(rendered), 100):
        batch = rendered[start:start + 100]
        r = inside("systemctl", "show", *[f"--property={k}" for k in keys], *[f"pt{c[0]}.service" for c in batch])
        blocks = r.stdout.split("\n\n")
        if r.returncode != 0 or len(blocks) != len(batch):
            return fail(f"systemctl show: exit {r.returncode}, {len(blocks)} blocks for {len(batch)} units: "
                        f"{r.stderr.strip()[:2000]}")
        for (i, _text, _argv, _env, fields), block in zip(batch, blocks):
            got = dict(line.split("=", 1) for line in block.strip("\n").split("\n") if "=" in line)
            if got.get("Id") != f"pt{i}.service" or got.get("LoadState") != "loaded":
                bad += fail(f"case {i}: not loaded: {got!r}")
                continue
            for key, want in expected_unit_properties(fields).items():
                if got.get(key, "") != want:
                    bad += fail(f"case {i}: {key}={got.get(key)!r} from systemd, configured {want!r}")
            checked += 1
    print(f"properties of {checked} units read back from systemd")
    return bad


# systemd takes a user or group name outside its strict rules (a '.', an '@',
# a trailing '$', more than 31 characters: "first.last", a machine account)
# and uses it as written, warning once per load; the exec check reads such
# names back. That warning, for a name configured so, is the only one allowed.
STRICT_ACCOUNT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,30}|[0-9]+")
RELAXED_WARNING = re.compile(r"Accepting user/group name '(.*)', which does not match strict user/group name rules\.")


def relaxed_name_note(line, relaxed):
    """True when `line` is systemd's note on one of the `relaxed` names."""
    m = RELAXED_WARNING.fullmatch(line)
    return m is not None and m.group(1) in relaxed


def check_systemd_verify(rendered, work):
    if shutil.which("systemd-analyze") is None:
        print("skipped: systemd-analyze is not installed")
        raise SystemExit(SKIP)
    units = os.path.join(work, "units")
    os.makedirs(units)
    paths, relaxed = [], set()
    for i, text, _argv, _env, fields in rendered:
        relaxed.update(a for a in (fields["user"], fields["group"]) if a and not STRICT_ACCOUNT.fullmatch(a))
        exec_lines(text, i)
        p = os.path.join(units, f"pt{i}.service")
        open(p, "wb").write(text)
        paths.append(p)
    bad = 0
    for start in range(0, len(paths), 400):
        batch = paths[start:start + 400]
        r = subprocess.run(["systemd-analyze", "verify", "--man=no", *batch], capture_output=True, text=True)
        said = "\n".join(line for line in (r.stdout + r.stderr).strip().split("\n")
                         if line and not relaxed_name_note(line, relaxed))
        if r.returncode != 0 or said:
            bad += fail(f"systemd-analyze verify on cases {start}..: exit {r.returncode}\n{said[:3000]}")
    return bad


def check_systemd_exec(rendered, work, sandbox, recorder):
    if os.geteuid() != 0:
        print("skipped: needs root to boot a sandboxed systemd")
        raise SystemExit(SKIP)
    missing = [t for t in ("unshare", "nsenter", "systemctl") if shutil.which(t) is None]
    if missing or not os.path.exists("/lib/systemd/systemd"):
        print(f"skipped: not installed: {' '.join(missing) or 'systemd'}")
        raise SystemExit(SKIP)
    record = os.path.join(work, "record")
    unit = ["[Unit]", "Description=servicekit property test", "[Service]", "Type=oneshot",
            "TimeoutStartSec=infinity", f"Environment=SERVICEKIT_RECORD={record}"]
    want_env = set()
    for i, text, _argv, env, _fields in rendered:
        exec_line, env_lines = exec_lines(text, i)
        unit.append(exec_line)
        unit.extend(env_lines)
        want_env.update(env)
    path = os.path.join(work, "skprop.service")
    open(path, "w", encoding="utf-8").write("\n".join(unit) + "\n")
    sb = os.path.join(work, "sandbox")
    share = os.path.dirname(os.path.abspath(recorder))
    r = subprocess.run([sandbox, "start", sb, share, work], capture_output=True, text=True)
    if r.returncode == SKIP:
        print(f"skipped: {r.stdout.strip()} {r.stderr.strip()}")
        raise SystemExit(SKIP)
    try:
        if r.returncode != 0:
            return fail(f"the sandbox did not start: {r.stderr.strip()}")

        def inside(*cmd):
            return subprocess.run([sandbox, "exec", sb, *cmd], capture_output=True, text=True)

        for cmd in (["cp", path, "/etc/systemd/system/skprop.service"], ["systemctl", "daemon-reload"],
                    ["systemctl", "start", "skprop.service"]):
            r = inside(*cmd)
            if r.returncode != 0:
                status = inside("systemctl", "status", "--no-pager", "skprop.service").stdout
                return fail(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}\n{status[-3000:]}")
        bad_properties = check_unit_properties(rendered, work, inside)
    finally:
        subprocess.run([sandbox, "stop", sb], capture_output=True)
    records = parse_records(open(record, "rb").read())
    if len(records) != len(rendered):
        return fail(f"{len(records)} records for {len(rendered)} ExecStart= lines")
    bad = bad_properties
    for (i, _text, argv, _env, _f), (got, env) in zip(rendered, records):
        if got != argv:
            bad += fail(f"case {i}: systemd ran {got!r}, expected {argv!r}")
        if set(env) != want_env:
            bad += fail(f"case {i}: environment differs: missing {sorted(want_env - set(env))[:5]!r}, "
                        f"unexpected {sorted(set(env) - want_env)[:5]!r}")
            break
    return bad


def check_sysv(rendered, work):
    """`sh SCRIPT start` with start-stop-daemon replaced by one that execs what
    it would start (--startas, the words after --); env is the real one."""
    fake = os.path.join(work, "bin")
    os.makedirs(fake)
    ssd = os.path.join(fake, "start-stop-daemon")
    with open(ssd, "w") as f:
        f.write("#!/bin/sh\n# runs the --startas program with the words after --, as the real one would;\n"
                "# records the values of --chdir, --chuid and --group\n"
                "exe=\nwhile [ $# -gt 0 ]; do\n  case $1 in\n    --startas) exe=$2; shift 2 ;;\n"
                "    --chdir|--chuid|--group) printf '%s=%s\\n' \"${1#--}\" \"$2\" >> \"$SERVICEKIT_RECORD.options\"; shift 2 ;;\n"
                "    --) shift; break ;;\n    *) shift ;;\n  esac\ndone\nexec \"$exe\" \"$@\"\n")
    os.chmod(ssd, 0o755)
    bad = 0
    for i, text, argv, env, fields in rendered:
        script = os.path.join(work, f"pt{i}.sh")
        open(script, "wb").write(text)
        record = os.path.join(work, f"pt{i}.record")
        r = subprocess.run(["sh", script, "start"], capture_output=True,
                           env={"PATH": f"{fake}:/usr/sbin:/usr/bin:/sbin:/bin", "SERVICEKIT_RECORD": record})
        if r.returncode != 0 or not os.path.exists(record):
            bad += fail(f"case {i}: the script did not run the program (exit {r.returncode}): {r.stderr[:500]!r}")
            continue
        got, got_env = parse_records(open(record, "rb").read())[0]
        if got != argv:
            bad += fail(f"case {i}: sh ran {got!r}, expected {argv!r}")
        if sorted(got_env) != sorted(env):
            bad += fail(f"case {i}: environment {sorted(got_env)!r} != {sorted(env)!r}")
        options = open(record + ".options", encoding="utf-8").read().split("\n")[:-1]
        user, group = fields["user"], fields["group"]
        want = [f"chdir={working_directory(fields)}"]
        if user:
            want.append(f"chuid={user}:{group}" if group else f"chuid={user}")
        elif group:
            want.append(f"group={group}")
        if options != want:
            bad += fail(f"case {i}: start-stop-daemon got {options!r}, expected {want!r}")
    return bad


def check_windows(rendered, work, argv_w, spawned):
    """Command lines split by the real CommandLineToArgvW under Wine; the first
    `spawned` also started with CreateProcessW, recording both
    CommandLineToArgvW(GetCommandLineW()) and the C runtime's argv."""
    lines = os.path.join(work, "lines")
    with open(lines, "wb") as f:
        for _i, text, _argv, _env, _f in rendered:
            f.write(text + b"\0")
    with open(os.path.join(work, "spawn-lines"), "wb") as f:
        for _i, text, _argv, _env, _f in rendered[:spawned]:
            f.write(text + b"\0")
    env = dict(os.environ, WINEPREFIX=os.path.join(work, "..", "wineprefix"), WINEDEBUG="-all")
    bad = 0
    for mode, src, per_case in (("split", "lines", 1), ("spawn", "spawn-lines", 2)):
        out = os.path.join(work, f"{mode}.out")
        r = subprocess.run(["wine", argv_w, mode, os.path.join(work, src), out], env=env, capture_output=True,
                           text=True, timeout=900)
        if r.returncode != 0:
            return fail(f"argv_w {mode} under Wine: exit {r.returncode}: {r.stderr[-2000:]}")
        records = parse_records(open(out, "rb").read())
        cases = rendered if mode == "split" else rendered[:spawned]
        if len(records) != per_case * len(cases):
            return fail(f"{mode}: {len(records)} records for {len(cases)} command lines")
        for k, (i, text, argv, _env, _f) in enumerate(cases):
            for got, _ in records[k * per_case:(k + 1) * per_case]:
                if got != argv:
                    bad += fail(f"case {i} ({mode}): {text!r} gave {got!r}, expected {argv!r}")
        print(f"{mode}: {len(cases)} command lines checked")
    return bad


def main():
    kind, render_cases, recorder, work = sys.argv[1:5]
    rest = sys.argv[5:]
    sandbox = rest.pop(0) if kind == "systemd-exec" else None
    argv_w = rest.pop(0) if kind == "windows" else None
    if kind == "windows":
        if shutil.which("wine") is None:
            print("skipped: wine is not installed")
            return SKIP
        # The command lines name argv_w.exe by its Windows path (Wine maps / to Z:).
        recorder = "Z:" + os.path.abspath(argv_w).replace("/", "\\")
    seed = int(rest[0]) if rest else 20261121
    count = int(rest[1]) if len(rest) > 1 else 2000
    render_kind = {"systemd-verify": "systemd", "systemd-exec": "systemd"}.get(kind, kind)
    exe = recorder if kind == "windows" else os.path.abspath(recorder)
    rendered = generate(render_cases, render_kind, os.path.abspath(work), exe, seed, count)
    if kind == "systemd-exec":
        rendered += hostile_executables(render_cases, os.path.abspath(work), exe, seed)
    if kind == "launchd":
        bad = check_launchd(rendered)
    elif kind == "systemd-verify":
        bad = check_systemd_verify(rendered, work)
    elif kind == "windows":
        bad = check_windows(rendered, os.path.abspath(work), argv_w, 150)
    elif kind == "sysv":
        bad = check_sysv(rendered, work)
    elif kind == "systemd-exec":
        bad = check_systemd_exec(rendered, os.path.abspath(work), sandbox, recorder)
    else:
        return fail(f"unknown kind {kind}")
    print(f"{kind}: {len(rendered) - min(bad, len(rendered))}/{len(rendered)} rendered cases round-tripped")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
