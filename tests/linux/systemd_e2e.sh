#!/usr/bin/env bash
# End-to-end test of the systemd backend against a real systemd, booted in a
# namespace sandbox (systemd-sandbox.sh), with tests/linux/probe_systemd as the
# service.
#
#   systemd_e2e.sh system|user|bad-input PROBE WORK SHARE
#
#   system     the whole life of a system unit: install, start (READY=1, STATUS=),
#              status, journal fields, reload, restart, kill -9 and Restart=,
#              watchdog, install --force while running, stop, uninstall; the
#              argument, environment and working directory round-trip
#   user       the same for a user unit (systemctl --user, ~/.config/systemd/user)
#   bad-input  the documented errors, each leaving nothing behind
#
# WORK is a scratch directory (removed first); SHARE a directory holding PROBE
# and WORK (the build tree), made visible inside the sandbox.
# Exit 77 (skipped) only when root, unshare/nsenter, systemd or (for user) dbus
# are missing.
set -euo pipefail

mode=${1:?usage: systemd_e2e.sh system|user|bad-input PROBE WORK SHARE}
probe=$(realpath "${2:?}") work=$(realpath -m "${3:?}") share=$(realpath "${4:?}")
here=$(cd "$(dirname "$0")" && pwd)
sandbox=$here/systemd-sandbox.sh

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root: it boots a private systemd in new namespaces"
command -v unshare >/dev/null && command -v nsenter >/dev/null || skip "unshare/nsenter (util-linux) are not installed"
[ -x /lib/systemd/systemd ] && command -v systemctl >/dev/null || skip "systemd is not installed"
[ "$mode" != user ] || command -v dbus-daemon >/dev/null || skip "dbus is not installed (systemctl --user needs it)"

started=$(date +%s)
sb=$work/sandbox
out=$work/out
rm -rf "$work"
mkdir -p "$out"
cleanup() { "$sandbox" stop "$sb" >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$sandbox" start "$sb" "$share" >/dev/null

env_in=(PROBE_OUT="$out")
scope=()
name=skprobe-$mode
if [ "$mode" = user ]; then
    "$sandbox" user "$sb"
    env_in+=(XDG_RUNTIME_DIR=/run/user/0 DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/0/bus)
    scope=(--user)
    unit_dir=/root/.config/systemd/user
    wants=$unit_dir/default.target.wants/$name.service
    unit_field=_SYSTEMD_USER_UNIT
else
    unit_dir=/etc/systemd/system
    wants=$unit_dir/multi-user.target.wants/$name.service
    unit_field=_SYSTEMD_UNIT
fi
unit=$unit_dir/$name.service

# ---- helpers
in_sb() { "$sandbox" exec "$sb" env "${env_in[@]}" "$@"; }
sc() { in_sb systemctl "${scope[@]}" "$@"; }
prop() { sc show -p "$1" --value "$name.service"; }
# svc VERB [install options/-- args]: the probe's CLI for this test's service
svc() { local verb=$1; shift; in_sb "$probe" "$verb" --name "$name" "${scope[@]}" "$@"; }

diagnose() {
    echo "--- diagnostics" >&2
    sc status --no-pager "$name.service" >&2 || true
    in_sb journalctl --no-pager -n 40 >&2 || true
}
fail() { echo "FAIL: $*" >&2; diagnose; exit 1; }
step() { echo "--- $*"; }
# expect CODE DESCRIPTION CMD…: CMD exits with CODE; its output is in $said
expect() {
    local want=$1 what=$2; shift 2
    local got=0
    said=$("$@" 2>&1) || got=$?
    [ "$got" -eq "$want" ] || fail "$what: exit $got, expected $want; output: $said"
    [ "$want" -eq 0 ] || echo "    exit $got: $said"
}
# wait_for SECONDS DESCRIPTION CMD…: CMD succeeds within SECONDS
wait_for() {
    local secs=$1 what=$2; shift 2
    local deadline=$(( $(date +%s%N) + secs * 1000000000 ))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s%N)" -lt "$deadline" ] || fail "timed out after ${secs}s waiting for: $what"
        sleep 0.1
    done
}
is_active() { [ "$(prop ActiveState)" = active ]; }
journal_has() {  # PRIORITY MESSAGE: a native-protocol entry of the unit with that priority and identifier
    in_sb journalctl --no-pager -o cat "$unit_field=$name.service" _TRANSPORT=journal PRIORITY="$1" SYSLOG_IDENTIFIER="$name" |
        grep -qxF -- "$2"
}
events_have() { grep -qxF -- "$1" "$out/$name.events"; }

# The argument corpus: every string must come back byte for byte.
corpus=(plain "with space" 'double"quote' "single'quote" 'back\slash' 'trailing\' '100%' '%n' '%%'
        '$HOME' '${X}' '$$' 'a;b' '&|<>' 'ünïcødé €' '' '--help' '-x' '--' 'run' $'line\nbreak'
        $'tab\there' '  spaced  ')
env_in+=(PROBE_ENV_SPACES='a b  c' PROBE_ENV_SPECIAL='%h $HOME ${X} \ " '"'"' ; &' PROBE_ENV_EMPTY=
         PROBE_ENV_LINES=$'multi\nline\ttab' PROBE_ENV_UTF8='ünï €')
workdir="$work/wd dir %h \$X ü"
mkdir -p "$workdir"
env_in+=(PROBE_WORKDIR="$workdir" PROBE_WATCHDOG_MS=2000 PROBE_RESTART_MS=1000)

case $mode in
system|user)
    step "install"
    expect 0 "install" svc install -- "${corpus[@]}"
    in_sb test -f "$unit" || fail "no unit file $unit after install"
    [ "$(in_sb stat -c %a "$unit")" = 644 ] || fail "unit file mode is $(in_sb stat -c %a "$unit"), not 644"
    [ "$(sc is-enabled "$name.service" || true)" = enabled ] || fail "unit not enabled after install"
    in_sb test -L "$wants" || fail "no wants symlink $wants"
    # install ran no daemon-reload of its own (enable does one): systemd must
    # still have the unit loaded as written, nothing pending
    [ "$(prop LoadState)" = loaded ] || fail "LoadState is $(prop LoadState) after install, not loaded"
    [ "$(prop NeedDaemonReload)" = no ] || fail "systemd wants a daemon-reload after install"
    [ "$(prop FragmentPath)" = "$unit" ] || fail "systemd loaded $(prop FragmentPath), not $unit"
    expect 3 "status of an installed, stopped service" svc status

    step "start"
    expect 0 "start" svc start
    # Type=notify: systemctl start returned, so READY=1 arrived.
    is_active || fail "not active after start: $(prop ActiveState)/$(prop SubState)"
    [ "$(prop StatusText)" = "probe running" ] || fail "STATUS= not seen: '$(prop StatusText)'"
    expect 0 "status of a running service" svc status
    [[ $said == *running* ]] || fail "status says: $said"
    pid=$(prop MainPID)
    [ "$pid" -gt 0 ] || fail "no MainPID"

    step "round-trip: argv, environment, working directory"
    expected_argv=("$probe" run --name "$name" "${scope[@]}" --log-level info -- "${corpus[@]}")
    printf '%s\0' "${expected_argv[@]}" > "$work/argv.expected"
    cmp "$work/argv.expected" "$out/$name.argv" ||
        fail "argv differs: expected $(od -c "$work/argv.expected" | head -20) got $(od -c "$out/$name.argv" | head -20)"
    printf '%s\0' PROBE_ENV_EMPTY= "PROBE_ENV_LINES=$(printf 'multi\nline\ttab')" \
        'PROBE_ENV_SPACES=a b  c' 'PROBE_ENV_SPECIAL=%h $HOME ${X} \ " '"'"' ; &' 'PROBE_ENV_UTF8=ünï €' \
        > "$work/env.expected"
    cmp "$work/env.expected" "$out/$name.env" || fail "environment differs: $(od -c "$out/$name.env" | head -20)"
    [ "$(cat "$out/$name.cwd")" = "$workdir" ] || fail "working directory is '$(cat "$out/$name.cwd")'"

    step "journal: priorities, identifier, a multi-line message"
    wait_for 10 "'probe started' at priority 6" journal_has 6 "probe started"
    journal_has 4 "probe warning" || fail "no 'probe warning' at priority 4 with identifier $name"
    journal_has 3 "probe error" || fail "no 'probe error' at priority 3 with identifier $name"
    in_sb journalctl --no-pager -o json "$unit_field=$name.service" SYSLOG_IDENTIFIER="$name" |
        grep -qF '"MESSAGE":"first line\nsecond line"' || fail "the two-line message is not one journal entry"

    step "reload (SIGHUP reaches reload())"
    expect 0 "systemctl reload" sc reload "$name.service"
    wait_for 10 "reload event" events_have "reload $pid"
    wait_for 10 "'probe reloaded' in the journal" journal_has 6 "probe reloaded"
    wait_for 5 "active after reload" is_active

    step "restart (a new process)"
    expect 0 "restart" svc restart
    is_active || fail "not active after restart"
    new=$(prop MainPID)
    [ "$new" -gt 0 ] && [ "$new" != "$pid" ] || fail "restart kept PID $pid (now $new)"
    events_have "stop $pid" || fail "the old process did not stop gracefully on restart"
    pid=$new

    step "kill -9: Restart= brings it back within RestartSec + margin"
    t0=$(date +%s%N)
    in_sb kill -9 "$pid"
    back() { local p; p=$(prop MainPID); [ "$p" -gt 0 ] && [ "$p" != "$pid" ] && is_active; }
    wait_for 8 "restart after kill -9" back
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    echo "back after ${ms} ms (RestartSec=1s)"
    [ "$ms" -le 4000 ] || fail "came back only after $ms ms"
    pid=$(prop MainPID)

    step "watchdog: WATCHDOG=1 keeps a WatchdogSec=2s service alive"
    sleep 3
    [ "$(prop MainPID)" = "$pid" ] && is_active || fail "the watchdog killed the service (WATCHDOG=1 missing)"

    step "install --force while running: stop, rewrite, reload, start again"
    expect 0 "install --force" svc install --force -- replaced "two words"
    is_active || fail "not running again after install --force"
    [ "$(prop MainPID)" != "$pid" ] || fail "install --force did not restart the service"
    printf '%s\0' "$probe" run --name "$name" "${scope[@]}" --log-level info -- replaced "two words" > "$work/argv2.expected"
    cmp "$work/argv2.expected" "$out/$name.argv" || fail "the replaced unit runs the old command line"
    [ "$(sc is-enabled "$name.service" || true)" = enabled ] || fail "not enabled after install --force"
    pid=$(prop MainPID)

    step "stop"
    expect 0 "stop" svc stop
    [ "$(prop ActiveState)" = inactive ] || fail "not inactive after stop: $(prop ActiveState)"
    events_have "stop $pid" || fail "stop() was not called"
    wait_for 10 "'probe graceful stop' in the journal" journal_has 6 "probe graceful stop"
    expect 3 "status of a stopped service" svc status

    step "uninstall"
    expect 0 "start again (uninstall stops it)" svc start
    pid=$(prop MainPID)
    expect 0 "uninstall" svc uninstall
    ! in_sb test -e "$unit" || fail "unit file left behind"
    ! in_sb test -L "$wants" || fail "wants symlink left behind"
    ! in_sb kill -0 "$pid" 2>/dev/null || fail "process $pid still running"
    ! in_sb pgrep -x probe_systemd >/dev/null || fail "a probe process is still running"
    events_have "stop $pid" || fail "uninstall did not stop the service gracefully"
    expect 4 "status after uninstall" svc status
    [ "$(prop LoadState)" = not-found ] || fail "systemd still knows the unit: $(prop LoadState)"
    ;;

bad-input)
    snapshot() { in_sb find /etc/systemd/system /root -xdev 2>/dev/null | sort; sc list-units --all --plain --no-legend | grep -c skprobe || true; }
    before=$(snapshot)

    step "install twice: already installed (exit 1), the first unit untouched"
    expect 0 "install" svc install -- first
    sum=$(in_sb sha256sum "$unit")
    expect 1 "second install" svc install -- second
    [[ $said == *"already installed"* ]] || fail "message: $said"
    # The hint is the command to type for this instance: --name and --user kept.
    force="\`${probe##*/} install --force --name $name${scope:+ ${scope[*]}}\`"
    [[ $said == *"use $force to replace it"* ]] || fail "hint without this instance's options: $said"
    [ "$(in_sb sha256sum "$unit")" = "$sum" ] || fail "the second install changed the unit"
    expect 0 "uninstall" svc uninstall

    step "not installed: uninstall, start, stop (exit 5), status (exit 4)"
    expect 5 "uninstall when not installed" svc uninstall
    expect 5 "start when not installed" svc start
    expect 5 "stop when not installed" svc stop
    expect 4 "status when not installed" svc status

    step "another program's unit of the name: status does not report it (exit 4, exit 1)"
    # systemd-journald.service is loaded and running, from /lib/systemd/system.
    expect 4 "status --name systemd-journald" in_sb "$probe" status --name systemd-journald
    in_sb sh -c "printf '[Service]\\nExecStart=/bin/true\\n' > '$unit'"
    expect 1 "status of a hand-written unit of the name" svc status
    [[ $said == *"was not written by servicekit"* ]] || fail "message: $said"
    expect 1 "start of a hand-written unit of the name" svc start
    in_sb rm -f "$unit"

    step "a service whose start() fails: systemctl's words, the journalctl hint (exit 1)"
    expect 0 "install" in_sb env PROBE_ENV_FAIL_START=1 "$probe" install --name "$name"
    expect 1 "start of a failing service" svc start
    [[ $said == *"systemctl start $name.service failed: Job for $name.service failed"* ]] || fail "message: $said"
    [[ $said == *"journalctl -u $name"* ]] || fail "no journalctl hint: $said"
    wait_for 10 "start()'s failure in the journal" journal_has 2 "start() failed: probe asked to fail"
    expect 0 "uninstall" svc uninstall

    step "invalid names and descriptions (exit 6)"
    expect 6 "install --name ../x" in_sb "$probe" install --name ../x
    [[ $said == *config.name* ]] || fail "message: $said"
    expect 6 "a description with a newline" in_sb env PROBE_DESCRIPTION=$'two\nlines' "$probe" install --name "$name"
    [[ $said == *config.description* ]] || fail "message: $said"
    expect 6 "a description ending in a backslash" in_sb env 'PROBE_DESCRIPTION=ends\' "$probe" install --name "$name"
    [[ $said == *config.description* ]] || fail "message: $said"

    step "not root: permission denied (exit 4) with the hint"
    # Unprivileged systemctl talks to systemd over the system bus.
    in_sb systemctl start dbus.socket
    # nobody may not reach the build tree (a clone under /root is mode 0700):
    # it runs a world-readable copy in the sandbox's /var/tmp, working there.
    copy=/var/tmp/sk-e2e-notroot/probe
    in_sb install -D -m 0755 "$probe" "$copy"
    nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups env PROBE_WORKDIR=/var/tmp/sk-e2e-notroot)
    expect 4 "install as nobody" in_sb "${nobody[@]}" "$copy" install --name "$name"
    [[ $said == *"run as root, or use --user"* ]] || fail "message: $said"
    expect 0 "install" svc install
    expect 4 "start as nobody" in_sb "${nobody[@]}" "$copy" start --name "$name"
    [[ $said == *"run as root, or use --user"* ]] || fail "message: $said"
    expect 0 "uninstall" svc uninstall
    in_sb rm -rf /var/tmp/sk-e2e-notroot

    [ "$(snapshot)" = "$before" ] || fail "something was left behind: $(diff <(echo "$before") <(snapshot))"
    ;;
*) echo "unknown mode $mode" >&2; exit 2 ;;
esac

echo "PASS: systemd e2e ($mode) in $(( $(date +%s) - started )) s"
