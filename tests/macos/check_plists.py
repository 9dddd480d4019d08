#!/usr/bin/env python3
"""Renders the tricky-string corpus (launchd_render_corpus) and reads every
plist back with two independent parsers: xmllint (libxml2) must accept it,
and Python's plistlib must return exactly the expected values, each key with
the type of the key table.

    check_plists.py <launchd_render_corpus> <folder>
"""
import json
import os
import plistlib
import shutil
import subprocess
import sys

SKIP = 77


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def type_ok(kind, v):
    if kind == "string":
        return isinstance(v, str)
    if kind == "boolean":
        return isinstance(v, bool)
    if kind == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if kind == "string-array":
        return isinstance(v, list) and all(isinstance(x, str) for x in v)
    if kind == "string-dictionary":
        return isinstance(v, dict) and all(isinstance(k, str) and isinstance(x, str) for k, x in v.items())
    if kind == "keep-alive":
        return isinstance(v, bool) or (isinstance(v, dict) and set(v) == {"SuccessfulExit"}
                                       and isinstance(v["SuccessfulExit"], bool))
    fail(f"unknown type {kind!r} in the key table")


def xmllint(path):
    return subprocess.run(["xmllint", "--noout", path], capture_output=True, text=True)


def main():
    render, folder = sys.argv[1], sys.argv[2]
    if shutil.which("xmllint") is None:
        print("skipped: xmllint not found (Debian: libxml2-utils; scripts/install-deps.sh --tests)")
        return SKIP
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([render, folder], check=True)
    with open(os.path.join(folder, "expected.json"), encoding="utf-8") as f:
        spec = json.load(f)
    keys = spec["keys"]
    for case in spec["cases"]:
        path = os.path.join(folder, case["file"])
        r = xmllint(path)
        if r.returncode != 0:
            fail(f"xmllint rejects {path}: {r.stderr.strip()}")
        with open(path, "rb") as f:
            got = plistlib.load(f)
        if got != case["expect"]:
            for k in sorted(set(got) | set(case["expect"])):
                if got.get(k) != case["expect"].get(k):
                    print(f"  {k}: got {got.get(k)!r}\n  {k}: expected {case['expect'].get(k)!r}")
            fail(f"{path} does not parse back to the config's values")
        for k, v in got.items():
            if k not in keys:
                fail(f"{path}: key {k} is not in the key table")
            if not type_ok(keys[k], v):
                fail(f"{path}: {k} = {v!r} is not a {keys[k]}")

    # The checks can fail: unescaped markup, and a literal CR (which XML turns into LF).
    broken = os.path.join(folder, "broken.xml")
    first = os.path.join(folder, spec["cases"][0]["file"])
    with open(first, encoding="utf-8") as f:
        text = f.read()
    with open(broken, "w", encoding="utf-8") as f:
        f.write(text.replace("&lt;tag&gt;", "<tag>", 1))
    if xmllint(broken).returncode == 0:
        fail("xmllint accepted unescaped markup: the check proves nothing")
    with open(broken, "w", encoding="utf-8", newline="") as f:
        f.write(text.replace("cr&#13;here", "cr\rhere", 1))
    with open(broken, "rb") as f:
        if "cr\rhere" in plistlib.load(f)["ProgramArguments"]:
            fail("a literal CR survived parsing: &#13; would not be needed")
    os.unlink(broken)
    print(f"{len(spec['cases'])} plists: xmllint ok, plistlib values and key types ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
