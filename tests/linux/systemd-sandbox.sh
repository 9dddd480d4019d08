#!/usr/bin/env bash
# systemd-sandbox.sh: boot a private, throw-away systemd as PID 1 of new PID
# and mount namespaces, so that the end-to-end tests can install, start, stop
# and uninstall real units without touching the machine.
#
#   systemd-sandbox.sh start DIR [SHARE…]   boot one; DIR (used from outside only) keeps its pid and log
#   systemd-sandbox.sh exec DIR CMD…        run CMD inside it (systemctl, journalctl, a test binary)
#   systemd-sandbox.sh user DIR             also start dbus and root's user manager (systemctl --user)
#   systemd-sandbox.sh stop DIR             kill it and everything in it
#
# Each SHARE directory is visible inside at the same path and writable
# through to the host (give the build tree, so test binaries run and their
# output is seen outside), wherever it lives (not under /run).
#
# Needs root (CAP_SYS_ADMIN), util-linux (unshare, nsenter) and systemd.
# Isolation that matters: without it systemd-tmpfiles WIPES the host's /tmp
# and installed units land in the host's /etc:
#   /run, /tmp, /var/tmp and /root are fresh tmpfs (root's user units go to
#   /root/.config); /etc, /var and /dev are overlays whose writes vanish with the
#   sandbox; the tmpfiles units are masked. Everything else (/usr …) is the
#   host's. /proc is the sandbox's own (--mount-proc). The cgroups systemd
#   creates in the host's hierarchy are removed by `stop`.
#
# With SANDBOX_SANITIZER_LOGS=DIR at `start` (made, and shared), every
# process systemd starts, the system's units and root's user units, writes
# its sanitizer reports to DIR/asan.PID, DIR/ubsan.PID or DIR/tsan.PID (the
# *SAN_OPTIONS in effect at `start`, plus log_path): a daemon's report would
# otherwise end in the sandbox's journal, which vanishes with it.
set -euo pipefail

cmd=${1:?usage: systemd-sandbox.sh start|exec|user|stop DIR [ARGS…]}
dir=${2:?usage: systemd-sandbox.sh start|exec|user|stop DIR [ARGS…]}
shift 2

boot() {   # runs inside the new namespaces, then becomes systemd (PID 1)
  mount --make-rprivate /
  mount -t tmpfs -o mode=755 tmpfs /run
  # Keep the shares reachable before anything is mounted over them.
  local i=0 s
  local -a shares=()
  [ -n "${SANDBOX_SHARES:-}" ] && IFS=: read -r -a shares <<< "$SANDBOX_SHARES"
  for s in "${shares[@]}"; do
    mkdir -p "/run/sandbox-share/$i"
    mount --bind "$s" "/run/sandbox-share/$i"
    i=$((i + 1))
  done
  local d
  # /dev too: journald makes /dev/log a symlink into its own /run, which must
  # not appear on the host. The overlay hides /dev's sub-mounts, so bring them back.
  mkdir -p /run/host-dev
  mount --rbind /dev /run/host-dev
  for d in etc var dev; do
    mkdir -p /run/ovl/$d/up /run/ovl/$d/work
    mount -t overlay overlay -o lowerdir=/$d,upperdir=/run/ovl/$d/up,workdir=/run/ovl/$d/work /$d
  done
  local m
  for m in pts shm mqueue hugepages; do
    mountpoint -q /run/host-dev/$m && mount --rbind /run/host-dev/$m /dev/$m
  done
  mount -t tmpfs -o mode=1777 tmpfs /tmp
  mount -t tmpfs -o mode=1777 tmpfs /var/tmp
  mount -t tmpfs -o mode=700 tmpfs /root
  i=0
  for s in "${shares[@]}"; do
    mkdir -p "$s"
    mount --bind "/run/sandbox-share/$i" "$s"
    i=$((i + 1))
  done
  if [ -n "${SANDBOX_SANITIZER_LOGS:-}" ]; then
    local conf=$'[Manager]\nDefaultEnvironment=' tool var
    for tool in asan ubsan tsan; do
      var=${tool^^}_OPTIONS   # its value now, then where reports go
      conf+="\"$var=${!var:+${!var}:}log_path=$SANDBOX_SANITIZER_LOGS/$tool\" "
    done
    mkdir -p /etc/systemd/system.conf.d /etc/systemd/user.conf.d
    printf '%s\n' "$conf" | tee /etc/systemd/system.conf.d/90-sanitizer-logs.conf > /etc/systemd/user.conf.d/90-sanitizer-logs.conf
  fi
  mkdir -p /run/systemd/system
  local u
  for u in systemd-tmpfiles-setup.service systemd-tmpfiles-setup-dev.service \
           systemd-tmpfiles-clean.timer systemd-tmpfiles-clean.service; do
    ln -sf /dev/null /run/systemd/system/$u
  done
  # journald (and its syslog socket, /dev/log) from the start, so logs of the first unit are kept
  printf '[Unit]\nDescription=sandbox\nWants=systemd-journald.socket systemd-journald-dev-log.socket systemd-journald.service\nAfter=systemd-journald.service\n' \
    > /run/systemd/system/sandbox.target
  export container=sandbox
  exec /lib/systemd/systemd --system --unit=sandbox.target
}

pid_of() { cat "$dir/pid" 2>/dev/null || true; }

case $cmd in
  start)
    mkdir -p "$dir"
    [ -n "$(pid_of)" ] && kill -0 "$(pid_of)" 2>/dev/null && { echo "already running: $(pid_of)" >&2; exit 1; }
    shares=""
    for s in "$@"; do
      s=$(realpath "$s")
      case $s in /run|/run/*) echo "a share cannot be under /run: $s" >&2; exit 2 ;; *:*) echo "a share path cannot contain ':': $s" >&2; exit 2 ;; esac
      shares=${shares:+$shares:}$s
    done
    if [ -n "${SANDBOX_SANITIZER_LOGS:-}" ]; then   # shared too; any service user may write there
      mkdir -p "$SANDBOX_SANITIZER_LOGS" && chmod 1777 "$SANDBOX_SANITIZER_LOGS"
      SANDBOX_SANITIZER_LOGS=$(realpath "$SANDBOX_SANITIZER_LOGS")
      export SANDBOX_SANITIZER_LOGS
      shares=${shares:+$shares:}$SANDBOX_SANITIZER_LOGS
    fi
    export SANDBOX_SHARES=$shares
    # systemd makes cgroups in the host's hierarchy; remember what was there to clean up after
    find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null | sort > "$dir/cgroups.before" || true
    export -f boot
    # setsid: own session, so the sandbox outlives this shell's job control.
    setsid unshare --pid --fork --mount --mount-proc bash -c boot > "$dir/log" 2>&1 < /dev/null &
    launcher=$!
    for _ in $(seq 100); do        # wait for systemd (the launcher's only child) to appear
      pid=$(pgrep -P "$launcher" -x systemd || true)
      [ -n "$pid" ] && break
      sleep 0.1
    done
    [ -n "${pid:-}" ] || { echo "systemd did not start; see $dir/log" >&2; exit 1; }
    echo "$pid" > "$dir/pid"
    for _ in $(seq 300); do        # systemd is up once its private bus socket exists
      nsenter -t "$pid" -m -p test -S /run/systemd/private && break
      sleep 0.1
    done
    timeout 60 nsenter -t "$pid" -m -p systemctl is-system-running --wait >/dev/null ||
      { echo "systemd did not come up; see $dir/log" >&2; exit 1; }
    echo "$pid"
    ;;
  exec)
    pid=$(pid_of); [ -n "$pid" ] || { echo "no sandbox in $dir" >&2; exit 1; }
    exec nsenter -t "$pid" -m -p "$@"
    ;;
  user)
    pid=$(pid_of); [ -n "$pid" ] || { echo "no sandbox in $dir" >&2; exit 1; }
    nsenter -t "$pid" -m -p systemctl start dbus.socket user@0.service
    for _ in $(seq 100); do
      state=$(nsenter -t "$pid" -m -p env XDG_RUNTIME_DIR=/run/user/0 systemctl --user is-system-running --wait 2>/dev/null || true)
      case $state in running|degraded) exit 0 ;; esac
      sleep 0.1
    done
    echo "the user manager did not come up; see: $0 exec $dir systemctl status user@0.service" >&2
    exit 1
    ;;
  stop)
    pid=$(pid_of)
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true   # PID 1 of the namespace: takes all with it
    for _ in $(seq 50); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if [ -f "$dir/cgroups.before" ]; then   # remove the cgroups this sandbox created, deepest first
      find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null | sort | comm -13 "$dir/cgroups.before" - |
        sort -r | while read -r cg; do rmdir "$cg" 2>/dev/null || true; done
    fi
    rm -f "$dir/pid"
    ;;
  *) echo "unknown command: $cmd" >&2; exit 2 ;;
esac
