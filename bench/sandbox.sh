#!/usr/bin/env bash
# A private, throw-away systemd for the bench: PID 1 of new PID and mount
# namespaces, so units can be installed, started and stopped for real without
# touching the host.
#
#   bench/sandbox.sh start DIR      boot it; DIR keeps its pid and log (not under /tmp)
#   bench/sandbox.sh exec DIR CMD…  run CMD inside it
#   bench/sandbox.sh stop DIR       kill it and everything in it
#
# Needs root, util-linux (unshare, nsenter) and systemd. What keeps the host
# safe: /run, /tmp and /var/tmp are fresh tmpfs (systemd-tmpfiles would
# otherwise clean the host's /tmp, and its units are masked anyway); /etc and
# /var are overlays whose writes vanish with the sandbox. The rest (/work,
# /usr …) is the host's, so binaries in the build tree run inside; the host's
# /tmp is not visible inside. systemd runs in a cgroup of its own in every
# hierarchy (named in DIR/cgroup), so its units' cgroups cannot meet those of
# another sandbox on the same host (same unit names included); `stop` removes them.
set -euo pipefail

cmd=${1:?usage: sandbox.sh start|exec|stop DIR [CMD…]}
dir=${2:?usage: sandbox.sh start|exec|stop DIR [CMD…]}
shift 2

boot() {   # runs inside the new namespaces, then becomes systemd (PID 1)
  local id ctl path h cgroups
  cgroups=$(cat /proc/self/cgroup)   # read once: moving changes what it says
  while IFS=: read -r id ctl path; do   # a private cgroup, which systemd takes as its root
    h=${ctl#name=}; [ -n "$h" ] || h=unified
    [ -d "/sys/fs/cgroup/$h" ] || continue
    mkdir -p "/sys/fs/cgroup/$h$path/$SANDBOX_CGROUP" && echo 0 > "/sys/fs/cgroup/$h$path/$SANDBOX_CGROUP/cgroup.procs"
  done <<< "$cgroups"
  mount --make-rprivate /
  mount -t tmpfs -o mode=755 tmpfs /run
  local d u
  for d in etc var; do
    mkdir -p /run/ovl/$d/up /run/ovl/$d/work
    mount -t overlay overlay -o lowerdir=/$d,upperdir=/run/ovl/$d/up,workdir=/run/ovl/$d/work /$d
  done
  mount -t tmpfs -o mode=1777 tmpfs /tmp
  mount -t tmpfs -o mode=1777 tmpfs /var/tmp
  mkdir -p /run/systemd/system
  for u in systemd-tmpfiles-setup.service systemd-tmpfiles-setup-dev.service \
           systemd-tmpfiles-clean.timer systemd-tmpfiles-clean.service; do
    ln -sf /dev/null /run/systemd/system/$u
  done
  # journald and its syslog socket (/dev/log) from the start
  printf '[Unit]\nDescription=sandbox\nWants=systemd-journald.socket systemd-journald-dev-log.socket systemd-journald.service\nAfter=systemd-journald.service\n' \
    > /run/systemd/system/sandbox.target
  export container=sandbox
  exec /lib/systemd/systemd --system --unit=sandbox.target
}

pid_of() { cat "$dir/pid" 2>/dev/null || true; }

case $cmd in
  start)
    mkdir -p "$dir"
    if [ -n "$(pid_of)" ] && kill -0 "$(pid_of)" 2>/dev/null; then echo "already running: $(pid_of)" >&2; exit 1; fi
    SANDBOX_CGROUP="servicekit-bench-$$-$(date +%s%N)"
    echo "$SANDBOX_CGROUP" > "$dir/cgroup"
    export -f boot
    export SANDBOX_CGROUP
    setsid unshare --pid --fork --mount --mount-proc bash -c boot > "$dir/log" 2>&1 < /dev/null &
    launcher=$!
    pid=
    for _ in $(seq 100); do
      pid=$(pgrep -P "$launcher" -x systemd || true)
      [ -n "$pid" ] && break
      sleep 0.1
    done
    [ -n "$pid" ] || { echo "systemd did not start; see $dir/log" >&2; exit 1; }
    echo "$pid" > "$dir/pid"
    for _ in $(seq 300); do
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
  stop)
    pid=$(pid_of)
    if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi   # PID 1 of the namespace: takes all with it
    for _ in $(seq 50); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if [ -s "$dir/cgroup" ]; then   # its cgroups, deepest first
      find /sys/fs/cgroup -mindepth 2 -type d -name "$(cat "$dir/cgroup")" -prune 2>/dev/null |
        while read -r cg; do find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true; done
    fi
    rm -f "$dir/pid" "$dir/cgroup"
    ;;
  *) echo "unknown command: $cmd" >&2; exit 2 ;;
esac
