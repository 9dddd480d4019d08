#!/usr/bin/env python3
"""Writes the hand-made seed inputs of the fuzz targets into corpus/<target>/.

The seeds are committed; this script documents how they were made and adds
new ones idempotently (file name = content hash). Inputs libFuzzer finds are
merged in by merge-corpus.sh.
"""
import hashlib
import pathlib

here = pathlib.Path(__file__).resolve().parent


def s(text):
    """A length-prefixed string in fuzz_input.hpp's encoding."""
    b = text.encode() if isinstance(text, str) else text
    if len(b) < 255:
        return bytes([len(b)]) + b
    extra = len(b) - 255
    return bytes([255, extra & 0xFF, extra >> 8]) + b


# Selector bytes of config_from() in fuzz_input.hpp.
NAME, DISPLAY, DESCRIPTION, EXE, ARG, WORKDIR, ENV, USER, GROUP, DEP = range(10)
START_TYPE, SCOPE, RESTART, RESTART_DELAY, STOP_TIMEOUT, LOG_LEVEL, WATCHDOG = range(10, 17)
LABEL, STDOUT, STDERR, ACCOUNT, PASSWORD, BIG = 18, 19, 20, 21, 22, 25

config_seeds = [
    b"",
    bytes([NAME]) + s("../x"),
    bytes([NAME]) + s("CON"),
    bytes([NAME]) + s("my-d_1.2"),
    bytes([NAME]) + s("a" * 65),
    bytes([ARG]) + s("it's \"quoted\" \\\\ %h $HOME `id` ;& <>") + bytes([ARG]) + s("") + bytes([ARG]) + s("-x"),
    bytes([ARG]) + s("line\nbreak\ttab\r") + bytes([ARG]) + s("nul\x00byte") + bytes([ARG]) + s("\x01"),
    bytes([ARG]) + s("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80".encode("latin-1")) + bytes([ARG]) + s(b"\xff\xfe"),
    bytes([ENV]) + s("PATH") + s("/bin:$PATH %i") + bytes([ENV]) + s("1BAD") + s("x"),
    bytes([ENV]) + s("A B") + s("v") + bytes([ENV]) + s("") + s(""),
    bytes([USER]) + s("-root") + bytes([GROUP]) + s("a:b"),
    bytes([USER]) + s("svc") + bytes([SCOPE, 1]),
    bytes([DEP]) + s("network-online.target") + bytes([DEP]) + s("a b") + bytes([DEP]) + s("fz"),
    bytes([DEP]) + s("../etc/passwd"),
    bytes([EXE]) + s("relative/bin") + bytes([WORKDIR]) + s("/srv/with space"),
    bytes([EXE]) + s("/opt/my app/bin\n"),
    bytes([DISPLAY]) + s("two\nlines") + bytes([DESCRIPTION]) + s("bell\x07"),
    bytes([START_TYPE, 5, SCOPE, 2, RESTART, 3, LOG_LEVEL, 7]),
    bytes([STOP_TIMEOUT, 0, 0, 0]) + bytes([RESTART_DELAY, 0xFF, 0xFF, 0]),
    bytes([WATCHDOG, 1, 0]) + bytes([STOP_TIMEOUT, 0xFF, 0x7F, 0]),
    bytes([LABEL]) + s("com..example") + bytes([STDOUT]) + s("log.txt"),
    bytes([ACCOUNT]) + s("LocalService") + bytes([PASSWORD]) + s("secret"),
    bytes([ACCOUNT]) + s("Administrator") + bytes([USER]) + s("bob"),
    bytes([BIG, 0x00, 0x40, ord("A"), 1]),
    bytes([BIG, 0x10, 0x00, ord("x"), 0]),
]

cli_seeds = [
    b"",
    b"--help",
    b"--version",
    b"print-config",
    b"status\x00--json",
    b"--name\x00other\x00status",
    b"--name\x00../x\x00run",
    b"--name\x00\x00install",
    b"install\x00--force",
    b"run\x00--\x00a\x00--name\x00b\x00--\x00",
    b"--log-level\x00off\x00run\x00--\x00-x\x00it's\x00%h $HOME",
    b"--log-level\x00loud",
    b"--bogus",
    b"-h",
    b"--nam\x00x",
    b"frobnicate",
    b"status\x00extra",
    b"--force\x00status",
    b"--json\x00install",
    b"--user\x00start",
    b"--name",
    b"--name=x=y\x00stop",
    b"uninstall\x00--user\x00--name\x00CON",
]

for target, seeds in (("config", config_seeds), ("cli", cli_seeds)):
    d = here / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        (d / ("seed-" + hashlib.sha1(seed).hexdigest()[:16])).write_bytes(seed)
