#!/usr/bin/env bash
# The bench's sandboxed systemd: tests/linux/systemd-sandbox.sh (same commands:
# start DIR, exec DIR CMD…, stop DIR), booted inside cgroups of its own.
#
# Without a cgroup namespace (cgroup v1/hybrid hosts) a sandboxed systemd
# takes the cgroup it starts in as its root, so two sandboxes started from the
# same cgroup would create the same /system.slice/<unit>.service directories,
# and the populated flag of the unified hierarchy counts the processes of both.
# Starting each sandbox in a private cgroup, in every hierarchy, keeps a bench
# run apart from end-to-end tests running beside it; `stop` removes it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sandbox=$here/../tests/linux/systemd-sandbox.sh
cmd=${1:?usage: sandbox.sh start|exec|stop DIR [ARGS…]}
dir=${2:?usage: sandbox.sh start|exec|stop DIR [ARGS…]}

case $cmd in
  start)
    mkdir -p "$dir"
    name="servicekit-bench-$$-$(date +%s%N)"
    echo "$name" > "$dir/bench-cgroup"
    cgroups=$(cat /proc/self/cgroup)   # read once: moving changes what it says
    while IFS=: read -r _ ctl path; do
      h=${ctl#name=}; [ -n "$h" ] || h=unified
      [ -d "/sys/fs/cgroup/$h" ] || continue
      # Some controllers (cpuset) refuse tasks until configured: stay where we are there.
      mkdir -p "/sys/fs/cgroup/$h$path/$name" 2>/dev/null &&
        echo $$ > "/sys/fs/cgroup/$h$path/$name/cgroup.procs" 2>/dev/null || true
    done <<< "$cgroups"
    exec "$sandbox" "$@"
    ;;
  stop)
    "$sandbox" "$@"
    if [ -s "$dir/bench-cgroup" ]; then   # the private cgroups, deepest first
      name=$(cat "$dir/bench-cgroup")
      # A killed task leaves its cgroup a moment after it is gone: retry.
      for _ in $(seq 50); do
        left=$(find /sys/fs/cgroup -mindepth 2 -maxdepth 6 -type d -name "$name" -prune 2>/dev/null)
        [ -n "$left" ] || break
        for cg in $left; do find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true; done
        sleep 0.1
      done
      rm -f "$dir/bench-cgroup"
    fi
    ;;
  *) exec "$sandbox" "$@" ;;
esac
