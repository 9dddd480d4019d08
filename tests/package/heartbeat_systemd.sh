#!/usr/bin/env bash
# samples/heartbeat as a real systemd service, in the namespace sandbox of
# tests/linux/systemd-sandbox.sh: what its README promises.
#
#   heartbeat_systemd.sh HEARTBEAT WORK SHARE
#
# install -- CONF, start; the unit has WatchdogSec=30s and systemd sees the
# pings; `heartbeat status` shows the set_status line; `systemctl reload`
# picks up a changed file; the log reaches the journal; stop, uninstall.
# WORK is a scratch directory (removed first); SHARE a directory holding
# HEARTBEAT and WORK (the build tree), made visible inside the sandbox.
# Exit 77 (skipped) only when root, unshare/nsenter or systemd are missing.
set -euo pipefail

heartbeat=$(realpath "${1:?usage: heartbeat_systemd.sh HEARTBEAT WORK SHARE}")
work=$(realpath -m "${2:?}") share=$(realpath "${3:?}")
here=$(cd "$(dirname "$0")" && pwd)
sandbox=$here/../linux/systemd-sandbox.sh

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root: it boots a private systemd in new namespaces"
command -v unshare >/dev/null && command -v nsenter >/dev/null || skip "unshare/nsenter (util-linux) are not installed"
[ -x /lib/systemd/systemd ] && command -v systemctl >/dev/null || skip "systemd is not installed"

sb=$work/sandbox
conf=$work/heartbeat.conf
rm -rf "$work"
mkdir -p "$work"
cleanup() { "$sandbox" stop "$sb" >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$sandbox" start "$sb" "$share" >/dev/null

in_sb() { "$sandbox" exec "$sb" "$@"; }
prop() { in_sb systemctl show -p "$1" --value heartbeat.service; }
fail() {
    echo "FAIL: $*" >&2
    in_sb systemctl status --no-pager heartbeat.service >&2 || true
    in_sb journalctl --no-pager -n 30 -u heartbeat.service >&2 || true
    exit 1
}
wait_for() {  # SECONDS DESCRIPTION CMD…
    local secs=$1 what=$2; shift 2
    local deadline=$(( $(date +%s) + secs ))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "timed out after ${secs}s waiting for: $what"
        sleep 0.2
    done
}
journal_has() { in_sb journalctl --no-pager -o cat -u heartbeat.service | grep -qE -- "$1"; }
status_has() { in_sb "$heartbeat" status | grep -qE -- "$1"; }

printf 'interval_ms = 200\nmessage = first message\n' > "$conf"

echo "--- install, start"
in_sb "$heartbeat" install -- "$conf" || fail "install"
in_sb "$heartbeat" start || fail "start"
[ "$(prop ActiveState)" = active ] || fail "not active after start"
[ "$(prop WatchdogUSec)" = 30s ] || fail "WatchdogUSec is '$(prop WatchdogUSec)', expected 30s"

echo "--- status shows the set_status line"
wait_for 20 "'beat N, every 200 ms' in heartbeat status" status_has "running .*beat [0-9]+, every 200 ms"
in_sb "$heartbeat" status
wait_for 20 "the first message in the journal" journal_has "first message \(beat [0-9]+\)"

echo "--- systemctl reload picks up the changed file"
pid=$(prop MainPID)
printf 'interval_ms = 300\nmessage = second message\n' > "$conf.new" && mv "$conf.new" "$conf"
in_sb systemctl reload heartbeat.service || fail "systemctl reload"
wait_for 20 "the second message in the journal" journal_has "second message \(beat [0-9]+\)"
wait_for 20 "'every 300 ms' in heartbeat status" status_has "every 300 ms"
[ "$(prop MainPID)" = "$pid" ] || fail "reload restarted the process ($pid -> $(prop MainPID))"

echo "--- stop, uninstall"
in_sb "$heartbeat" stop || fail "stop"
journal_has "\] stopped$|^stopped$" || fail "no 'stopped' in the journal"
[ "$(prop Result)" = success ] || fail "Result is '$(prop Result)' after stop"
in_sb "$heartbeat" uninstall || fail "uninstall"
rc=0; in_sb "$heartbeat" status >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 4 ] || fail "status after uninstall exits $rc, expected 4 (not installed)"
echo "passed"
