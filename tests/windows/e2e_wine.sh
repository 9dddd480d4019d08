#!/usr/bin/env bash
# Runs windows_e2e under Wine in a fresh prefix with a persistent wineserver,
# so that services outlive each `wine` call, and captures the Event Log:
# Wine's is a stub that prints each record on its "eventlog" debug channel,
# on the stderr of the process that reports it; services inherit stderr from
# services.exe, which inherits it from the first `wine` of the server.
#
#   e2e_wine.sh <windows_e2e.exe> <windows_probe.exe> <work dir>
set -euo pipefail
e2e=$1 probe=$2 work=$3

for tool in wine wineboot wineserver; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP: $tool not found (apt-get install wine wine64; scripts/install-deps.sh --tests)"
        exit 77
    fi
done

rm -rf "$work"
mkdir -p "$work"
export WINEPREFIX=$work/prefix WINEARCH=win64 WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d"
unset DISPLAY WAYLAND_DISPLAY

cleanup() {
    wineserver -k >/dev/null 2>&1 || true
    wineserver -w >/dev/null 2>&1 || true
}
trap cleanup EXIT

# Order matters: boot, wait until that server is gone, then one persistent
# server (otherwise two services.exe and a flaky SCM).
wineboot -i >"$work/boot.log" 2>&1
wineserver -w
wineserver -p
# This first process starts services.exe: its stderr is the capture. Every
# output goes to a file: ctest would wait on an inherited pipe.
WINEDEBUG=-all,+eventlog wine cmd /c exit >"$work/services.out" 2>"$work/eventlog.txt" </dev/null
capture=$(winepath -w "$work/eventlog.txt")

status=0
wine "$e2e" "$(winepath -w "$probe")" "$capture" </dev/null 2>"$work/e2e.err" || status=$?
# The tools were checked above: anything the test calls a skip here is a failure.
[ $status -ne 77 ] || status=1
if [ $status -ne 0 ]; then
    echo "--- stderr"; tail -n 40 "$work/e2e.err"
    echo "--- eventlog channel"; tail -n 40 "$work/eventlog.txt"
fi

# Console mode (`run` in a terminal): Ctrl+C stops the service gracefully.
# SIGINT to a backgrounded `wine app.exe` reaches SetConsoleCtrlHandler as
# CTRL_C_EVENT.
check() {  # condition description
    if eval "$1"; then echo "ok   $2"; else echo "FAIL $2"; status=1; fi
}
console=$WINEPREFIX/drive_c/console
mkdir -p "$console"
cp "$probe" "$console/probe.exe"
record=$console/record-console-probe.txt
wine 'C:\console\probe.exe' run --name console-probe -- "a b" >"$work/console.out" 2>"$work/console.err" </dev/null &
pid=$!
for _ in $(seq 100); do [ -s "$record" ] && break; sleep 0.2; done
check '[ -s "$record" ]' "console mode: the service started"
kill -INT "$pid" 2>/dev/null || true
code=0
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"; code=timeout
else
    wait "$pid" || code=$?
fi
check '[ "$code" = 0 ]' "console mode: Ctrl+C ends run with exit 0 (got $code)"
check 'grep -qx "start interactive=1" "$record"' "console mode: the service knows it is interactive"
check 'grep -qx "arg a b" "$record"' "console mode: the service got its argument"
check 'grep -qx stop "$record"' "console mode: Ctrl+C called stop()"
check 'grep -q "stopped" "$work/console.err"' "console mode: the terminal log shows the graceful stop"
[ $status -eq 0 ] || { echo "--- console stderr"; tail -n 20 "$work/console.err"; }
exit $status
