#!/bin/sh
# The whole CLI flow of a program built with the launchd backend, against the
# fake launchctl: install, start, status, restart, stop, uninstall, with the
# exit codes of cli.hpp, the launchctl commands used, and what the running
# service saw (its argv, XPC_SERVICE_NAME detection, SIGTERM -> stop(), its
# log on stderr, which launchd writes to StandardErrorPath).
# With a third argument, the same verbs for that sample program too.
#   cli_flow.sh <probe program> <fake launchctl> [<sample program>]
set -eu
probe=$1
fake=$2
sample=${3:-}
work=$(mktemp -d /tmp/servicekit-cli-flow-XXXXXX)
export FAKE_LAUNCHCTL_STATE="$work/state" SERVICEKIT_ROOT="$work/root" SERVICEKIT_LAUNCHCTL="$fake" \
    PROBE_DIR="$work/probe"
mkdir -p "$PROBE_DIR" "$FAKE_LAUNCHCTL_STATE"
label=org.servicekit.launchd-probe
plist="$SERVICEKIT_ROOT/Library/LaunchDaemons/$label.plist"
cleanup() {
    "$fake" bootout "system/$label" >/dev/null 2>&1 || true
    [ -z "$sample" ] || "$fake" bootout "system/org.servicekit.$(basename "$sample")" >/dev/null 2>&1 || true
    sleep 0.5
    rm -rf "$work"
}
trap cleanup EXIT

failed=0
fail() { echo "FAIL: $*"; failed=1; }
# expect RC CMD...: runs CMD, output in $work/out, checks its exit status
expect() {
    want=$1; shift
    set +e; "$@" >"$work/out" 2>&1; got=$?; set -e
    [ "$got" = "$want" ] || fail "'$*' exited $got, expected $want: $(cat "$work/out")"
}
contains() { grep -q -- "$2" "$1" || fail "$1 does not contain '$2': $(cat "$1")"; }
pid_of() { "$fake" print "system/$label" | sed -n 's/^\tpid = //p'; }

expect 4 "$probe" status
contains "$work/out" "not-installed"
expect 5 "$probe" start
expect 0 "$probe" install -- --probe-arg "a b" "<&>"
contains "$work/out" "installed (darwin-launchd)"
[ -f "$plist" ] || fail "no plist at $plist"
[ "$(stat -c %a:%u:%g "$plist")" = "644:0:0" ] || fail "plist mode/owner $(stat -c %a:%u:%g "$plist")"
[ -d "$SERVICEKIT_ROOT/var/log/launchd-probe" ] || fail "install did not create the StandardErrorPath folder"
expect 1 "$probe" install
contains "$work/out" "already installed"
expect 0 "$probe" print-config -- --probe-arg "a b" "<&>"
cmp -s "$work/out" "$plist" || fail "print-config differs from the installed plist"
expect 3 "$probe" status
contains "$work/out" "stopped"

expect 0 "$probe" start
expect 0 "$probe" status
contains "$work/out" "running"
first=$(pid_of)
[ -n "$first" ] || fail "no pid after start"
printf '%s\0' "$probe" run --name launchd-probe --log-level info -- --probe-arg "a b" "<&>" > "$work/argv.expected"
cmp -s "$PROBE_DIR/argv" "$work/argv.expected" || fail "the service ran with argv $(tr '\0' ' ' < "$PROBE_DIR/argv")"
contains "$PROBE_DIR/events" "start $first interactive=0"

expect 0 "$probe" restart
second=$(pid_of)
[ -n "$second" ] && [ "$second" != "$first" ] || fail "restart kept pid $first (now '$second')"
contains "$PROBE_DIR/events" "stop $first"
contains "$PROBE_DIR/events" "start $second interactive=0"

expect 0 "$probe" stop
expect 3 "$probe" status
contains "$PROBE_DIR/events" "stop $second"
contains "$SERVICEKIT_ROOT/var/log/launchd-probe/stderr.log" "probe started with 3 service arguments"
contains "$SERVICEKIT_ROOT/var/log/launchd-probe/stderr.log" "probe stopping"

echo 501 > "$FAKE_LAUNCHCTL_STATE/euid"
expect 4 "$probe" start
contains "$work/out" "run with sudo"
rm "$FAKE_LAUNCHCTL_STATE/euid"

expect 0 "$probe" uninstall
[ ! -e "$plist" ] || fail "uninstall left $plist"
expect 4 "$probe" status
expect 5 "$probe" uninstall

# Only the modern subcommands, in the order of the recipe.
verbs=$(sed 's/^\["\([a-z-]*\)".*/\1/' "$FAKE_LAUNCHCTL_STATE/calls.log" | sort -u | tr '\n' ' ')
[ "$verbs" = "bootout bootstrap enable kickstart print " ] || fail "launchctl subcommands used: $verbs"
grep -q '^\["kickstart", "-k", "system/'"$label"'"\]$' "$FAKE_LAUNCHCTL_STATE/calls.log" ||
    fail "restart did not use kickstart -k"

if [ -n "$sample" ]; then
    name=$(basename "$sample")
    expect 0 "$sample" install
    expect 0 "$sample" start
    expect 0 "$sample" status
    contains "$work/out" "running"
    "$fake" print "system/org.servicekit.$name" > "$work/print"
    contains "$work/print" "$sample"
    expect 0 "$sample" restart
    expect 0 "$sample" stop
    expect 3 "$sample" status
    expect 0 "$sample" uninstall
    expect 4 "$sample" status
fi

[ $failed = 0 ] && echo "cli flow: ok"
exit $failed
