#!/usr/bin/env bash
# End-to-end test of the SysV init backend, outside systemd:
#   sysv_e2e.sh PROBE      (PROBE: the built tests/linux/sysv_probe)
# install -> script and rc links -> start -> status 0 -> the probe's argv,
# environment, working directory and ids round-trip byte for byte -> syslog
# lines with the service's identifier and facility daemon -> reload -> restart
# (new pid) -> stop -> status 3 -> a failing start() is reported -> a stop()
# that hangs ends at the stop timeout, its line in syslog -> uninstall
# -> no script, links, pid file or process -> status 4; plus bad input.
#
# Runs in private mount and PID namespaces: /run and /tmp are fresh tmpfs,
# /etc and /dev are overlays whose writes vanish with the namespace (so the
# host's /etc/init.d and /etc/rc?.d are never touched), /dev/log is a socket
# this test reads, and no systemd is visible (no /run/systemd/system), so the
# program picks SysV. Every process left over dies with the namespace.
#
# With SYSV_E2E_SANITIZER_LOGS=DIR (a sanitizer build; tests/CMakeLists.txt)
# the installed services write their sanitizer reports to DIR/sysv-<tool>.PID
# (sysv_probe.cpp; DIR is /run/sanitizer-logs inside), for the test
# sanitizer_reports to read.
set -euo pipefail

if [ "${SYSV_E2E_INSIDE:-}" != 1 ]; then
    probe_built=${1:?usage: sysv_e2e.sh PROBE}
    [ -x "$probe_built" ] || { echo "not executable: $probe_built" >&2; exit 1; }
    if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP: needs root (mount namespaces, /etc/init.d, start-stop-daemon --chuid)"; exit 77
    fi
    for tool in unshare start-stop-daemon python3; do
        command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
    done
    if [ -n "${SYSV_E2E_SANITIZER_LOGS:-}" ]; then   # the daemons run as nobody
        mkdir -p "$SYSV_E2E_SANITIZER_LOGS" && chmod 1777 "$SYSV_E2E_SANITIZER_LOGS"
        SYSV_E2E_SANITIZER_LOGS=$(realpath "$SYSV_E2E_SANITIZER_LOGS")
        export SYSV_E2E_SANITIZER_LOGS
    fi
    exec env SYSV_E2E_INSIDE=1 unshare --mount --pid --fork --mount-proc --propagation private \
        bash "$0" "$(realpath "$probe_built")"
fi

probe_built=$1
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

# --- the sandbox (we are PID 1 of a fresh PID namespace with a private mount table)
[ -z "${SYSV_E2E_SANITIZER_LOGS:-}" ] || exec 9< "$SYSV_E2E_SANITIZER_LOGS"   # held before /tmp is hidden
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
if [ -n "${SYSV_E2E_SANITIZER_LOGS:-}" ]; then
    # The daemons run as nobody, who may not reach the build tree (a clone
    # under /root is mode 0700): they get the folder at a path of their own.
    # --no-canonicalize: mount would turn the descriptor back into its path.
    mkdir -p /run/sanitizer-logs
    mount --no-canonicalize --bind /proc/self/fd/9 /run/sanitizer-logs
    exec 9<&-
    export SYSV_PROBE_SANITIZER_LOGS=/run/sanitizer-logs
fi
for d in etc dev; do
    mkdir -p "/run/ovl/$d/up" "/run/ovl/$d/work"
    mount -t overlay overlay -o "lowerdir=/$d,upperdir=/run/ovl/$d/up,workdir=/run/ovl/$d/work" "/$d"
done
[ ! -e /run/systemd/system ] || { echo "systemd is visible inside the sandbox" >&2; exit 1; }

syslog=/run/syslog.out
rm -f /dev/log
python3 - "$syslog" <<'EOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('/dev/log')
os.chmod('/dev/log', 0o666)
with open(sys.argv[1], 'ab', buffering=0) as out:
    out.write(b'')
    while True:
        out.write(s.recv(65536).replace(b'\n', b' ') + b'\n')
EOF
for _ in $(seq 100); do [ -S /dev/log ] && [ -e "$syslog" ] && break; sleep 0.05; done
[ -S /dev/log ] || { echo "the syslog listener did not start" >&2; exit 1; }

# Paths with a space, a quote and a '$' prove the script quotes the
# executable and the working directory too.
work=/run/sk-sysv-e2e
dir="$work/it's a \$dir"
bindir="$work/bin dir"
mkdir -p "$dir" "$bindir"
probe="$bindir/sysv_probe"
cp "$probe_built" "$probe"
chown nobody:nogroup "$dir"
name=sk-sysv-e2e

corpus=(
    'two words' "it's" 'say "hi"' 'back\slash' 'trailing\' '100%' '%n%s' '$HOME' '${HOME}'
    '`id`' '$(id)' 'a;b' 'a&b' 'a|b' '<in' '>out' 'grüße ✓ 日本' '' ' ' '--help' '-x' '--name'
    $'line1\nline2' $'tab\there' $'cr\rhere' '*' '?' '~' '#hash' '\' "'" '"' "'\''" 'end\\'
)
export SYSV_PROBE_DIR="$dir" SYSV_PROBE_USER=nobody SYSV_PROBE_GROUP=nogroup
export SYSV_PROBE_ENV_SPACES='two words' SYSV_PROBE_ENV_QUOTES="it's \"both\"" SYSV_PROBE_ENV_DOLLAR='$HOME $(id) `id`'
export SYSV_PROBE_ENV_BACKSLASH='trailing\' SYSV_PROBE_ENV_NEWLINE=$'a\nb\tc' SYSV_PROBE_ENV_EMPTY=''
export SYSV_PROBE_ENV_UTF8='grüße ✓' SYSV_PROBE_ENV_PERCENT='100% %s' SYSV_PROBE_ENV_SHELL='a;b&c|d'
env_keys=(SYSV_PROBE_DIR SYSV_PROBE_ENV_SPACES SYSV_PROBE_ENV_QUOTES SYSV_PROBE_ENV_DOLLAR SYSV_PROBE_ENV_BACKSLASH
          SYSV_PROBE_ENV_NEWLINE SYSV_PROBE_ENV_EMPTY SYSV_PROBE_ENV_UTF8 SYSV_PROBE_ENV_PERCENT SYSV_PROBE_ENV_SHELL)

expect_exit() {  # expect_exit CODE WHAT COMMAND...
    local want=$1 what=$2; shift 2
    local got=0
    "$@" >/run/last.out 2>&1 || got=$?
    if [ "$got" -eq "$want" ]; then ok "$what (exit $got)"; else fail "$what: exit $got, expected $want: $(head -c 600 /run/last.out)"; fi
}

wait_for_log() {  # wait_for_log PATTERN: a syslog line matching the extended regex
    for _ in $(seq 100); do grep -aqE "$1" "$syslog" && return 0; sleep 0.05; done
    return 1
}

record() { cat "$dir/$1" 2>/dev/null || true; }

# --- install
expect_exit 0 "install" "$probe" --name "$name" install -- "${corpus[@]}"
script=/etc/init.d/$name
if [ -f "$script" ] && [ "$(stat -c '%a %U' "$script")" = "755 root" ]; then ok "script installed, 0755 root"; else fail "script: $(stat -c '%a %U' "$script" 2>&1)"; fi
if [ -L "/etc/rc2.d/S01$name" ] && [ -L "/etc/rc5.d/S01$name" ] && [ -L "/etc/rc0.d/K01$name" ] && [ -L "/etc/rc6.d/K01$name" ]; then
    ok "enabled (rc links)"
else
    fail "rc links missing: $(ls /etc/rc?.d | grep -F "$name" || true)"
fi
expect_exit 1 "install twice is already_installed" "$probe" --name "$name" install -- x
grep -q "already installed" /run/last.out || fail "install twice: $(cat /run/last.out)"
grep -qF "use \`sysv_probe install --force --name $name\` to replace it" /run/last.out ||
    fail "install twice: the hint lacks this instance's --name: $(cat /run/last.out)"
expect_exit 3 "status before start is 3" "$probe" --name "$name" status

# --- start: the records are written before start() returns, so they exist now
# Another daemon's pid file under the same name must not be touched.
echo 1 > "/run/$name.pid"
expect_exit 0 "start" "$probe" --name "$name" start
expect_exit 0 "status while running is 0" "$probe" --name "$name" status
grep -q "running (pid $(record pid))" /run/last.out || fail "status output: $(cat /run/last.out)"
expect_exit 0 "the script's own status is 0" "$script" status

printf '%s\0' "$probe" run --name "$name" --log-level info -- "${corpus[@]}" > /run/argv.expected
if cmp -s /run/argv.expected "$dir/argv"; then ok "argv round-trips byte for byte (${#corpus[@]} service arguments)"; else
    fail "argv differs:"; diff <(tr '\0' '\n' < /run/argv.expected | od -c) <(tr '\0' '\n' < "$dir/argv" | od -c) | head -20 >&2 || true
fi
for key in "${env_keys[@]}"; do
    found=0
    while IFS= read -r -d '' entry; do
        [ "$entry" != "$key=${!key}" ] || found=1
    done < "$dir/env"
    [ $found = 1 ] || fail "environment $key does not round-trip"
done
ok "environment round-trips (${#env_keys[@]} variables)"
if tr '\0' '\n' < "$dir/env" | grep -q '^SERVICEKIT_INIT='; then fail "the SysV marker leaked into the service's environment"; else ok "marker consumed"; fi
[ "$(record cwd)" = "$dir" ] && ok "working directory" || fail "cwd: $(record cwd)"
[ "$(record ids)" = "$(id -u nobody) $(getent group nogroup | cut -d: -f3)" ] && ok "runs as nobody:nogroup" || fail "ids: $(record ids)"
[ "$(record interactive)" = 0 ] && ok "not interactive under SysV" || fail "interactive: $(record interactive)"
pid1=$(record pid)
pidfile=/run/servicekit-$name.pid
[ "$(cat "$pidfile")" = "$pid1" ] && ok "pid file" || fail "pid file $(cat "$pidfile" 2>&1) vs $pid1"
[ "$(cat "/run/$name.pid")" = 1 ] && ok "another daemon's /run/$name.pid untouched" || fail "/run/$name.pid: $(cat "/run/$name.pid" 2>&1)"

# syslog: <30> is facility daemon (3) and priority info (6); the identifier is the service name
if wait_for_log "^<30>.* $name\[$pid1\]: probe started$"; then ok "syslog: daemon.info, identifier $name"; else
    fail "no 'probe started' in syslog: $(tail -c 800 "$syslog")"
fi

# --- reload, restart
expect_exit 0 "reload through the script" "$script" reload
wait_for_log "$name\[$pid1\]: probe reloaded$" && ok "reload reached the service" || fail "no 'probe reloaded' in syslog"
expect_exit 0 "restart" "$probe" --name "$name" restart
pid2=$(record pid)
if [ -n "$pid2" ] && [ "$pid2" != "$pid1" ] && ! kill -0 "$pid1" 2>/dev/null; then ok "restart: new pid $pid2"; else fail "restart: pid $pid1 -> $pid2"; fi
wait_for_log "^<28>.* $name\[$pid1\]: probe stopping$" && ok "graceful stop logged at warning" || fail "no 'probe stopping' for $pid1"

# --- stop
expect_exit 0 "stop" "$probe" --name "$name" stop
for _ in $(seq 50); do kill -0 "$pid2" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid2" 2>/dev/null; then fail "pid $pid2 still running after stop"; else ok "process gone"; fi
expect_exit 3 "status after stop is 3" "$probe" --name "$name" status
expect_exit 3 "the script's own status is 3" "$script" status
[ ! -e "$pidfile" ] && ok "pid file removed by stop" || fail "pid file left after stop"
expect_exit 0 "stop when stopped is fine" "$probe" --name "$name" stop

# --- a start() that throws is reported by start, promptly (readiness, not a timeout)
fail_name=sk-sysv-e2e-fail
expect_exit 0 "install a failing service" env SYSV_PROBE_ENV_FAIL=1 "$probe" --name "$fail_name" install
t0=$(date +%s)
expect_exit 1 "start of a failing service fails" "$probe" --name "$fail_name" start
[ $(( $(date +%s) - t0 )) -lt 20 ] && ok "failure reported within $(( $(date +%s) - t0 )) s" || fail "failure took too long"
grep -q "program failed to initialize.*did not start" /run/last.out || fail "start failure message: $(cat /run/last.out)"
wait_for_log "$fail_name\[[0-9]+\]: start\(\) failed: asked to fail" && ok "start() failure in syslog" || fail "no start() failure in syslog"
expect_exit 3 "failing service is not running" "$probe" --name "$fail_name" status
expect_exit 0 "uninstall the failing service" "$probe" --name "$fail_name" uninstall

# --- a stop() that hangs: run() ends the process with 124 at the stop timeout,
# and syslog has the line its timer's signal handler wrote: <26> is daemon.crit
hang_name=sk-sysv-e2e-hang
expect_exit 0 "install a service whose stop() hangs" env SYSV_PROBE_ENV_HANG=1 "$probe" --name "$hang_name" install
expect_exit 0 "start it" "$probe" --name "$hang_name" start
hang_pid=$(record pid)
expect_exit 0 "stop it" "$probe" --name "$hang_name" stop
wait_for_log "^<26>[A-Z][a-z]{2} [ 0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} $hang_name\[$hang_pid\]: stop\(\) did not return within the stop timeout \(500 ms\); exiting with 124$" &&
    ok "the stop-timeout line in syslog, at daemon.crit" || fail "no stop-timeout line for $hang_pid in syslog: $(tail -c 800 "$syslog")"
expect_exit 0 "uninstall it" "$probe" --name "$hang_name" uninstall

# --- uninstall
expect_exit 0 "start again" "$probe" --name "$name" start
pid3=$(record pid)
expect_exit 0 "uninstall (stops it first)" "$probe" --name "$name" uninstall
[ ! -e "$script" ] && ok "script removed" || fail "script left behind"
left=$(find /etc/rc?.d -name "*$name*" 2>/dev/null || true)
[ -z "$left" ] && ok "links removed" || fail "links left behind: $left"
[ ! -e "$pidfile" ] && ok "pid file removed" || fail "pid file left behind"
[ "$(cat "/run/$name.pid")" = 1 ] && ok "another daemon's pid file still untouched" || fail "/run/$name.pid: $(cat "/run/$name.pid" 2>&1)"
for _ in $(seq 50); do kill -0 "$pid3" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid3" 2>/dev/null && fail "process $pid3 left behind" || ok "no process left"
expect_exit 4 "status after uninstall is 4" "$probe" --name "$name" status
expect_exit 5 "start when not installed" "$probe" --name "$name" start
expect_exit 5 "uninstall when not installed" "$probe" --name "$name" uninstall

# --- without update-rc.d the driver makes and removes the rc links itself
# (a device node where update-rc.d was: present, but not a program to run)
mount --bind /dev/null /usr/sbin/update-rc.d
plain=sk-sysv-e2e-plain
expect_exit 0 "install without update-rc.d" "$probe" --name "$plain" install
links=$(cd /etc && ls -d rc?.d/*"$plain" 2>/dev/null | tr '\n' ' ')
[ "$links" = "rc0.d/K01$plain rc1.d/K01$plain rc2.d/S01$plain rc3.d/S01$plain rc4.d/S01$plain rc5.d/S01$plain rc6.d/K01$plain " ] &&
    ok "rc links made by the driver" || fail "links without update-rc.d: $links"
[ "$(readlink "/etc/rc2.d/S01$plain")" = "../init.d/$plain" ] && ok "link target" || fail "link target $(readlink "/etc/rc2.d/S01$plain")"
expect_exit 0 "start without update-rc.d" "$probe" --name "$plain" start
expect_exit 0 "status 0" "$probe" --name "$plain" status
expect_exit 0 "uninstall without update-rc.d" "$probe" --name "$plain" uninstall
[ -z "$(find /etc/init.d /etc/rc?.d /run -name "*$plain*" 2>/dev/null)" ] && ok "nothing left" || fail "leftovers of $plain"
umount /usr/sbin/update-rc.d

# --- bad input leaves nothing behind
expect_exit 3 "user scope is not supported" env -u SYSV_PROBE_USER -u SYSV_PROBE_GROUP "$probe" --name "$name" --user install
expect_exit 6 "name ../x is invalid" "$probe" --name ../x install
expect_exit 6 "a name with a newline is invalid" "$probe" --name $'a\nb' install
[ -z "$(find /etc/init.d /etc/rc?.d -name "*sk-sysv*" 2>/dev/null)" ] && ok "nothing left in /etc" || fail "leftovers in /etc"

if [ $failures -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "all passed"
