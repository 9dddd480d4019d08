#!/bin/sh
# A job for the launchd driver tests, started by the fake launchctl.
#   JOB_RECORD      file that receives this job's argv, NUL-separated
#   JOB_EXIT        exit at once with this code
#   JOB_STOP_DELAY  seconds to take after SIGTERM before exiting
if [ -n "${JOB_RECORD:-}" ]; then
    : > "$JOB_RECORD.tmp"
    for a in "$0" "$@"; do printf '%s\0' "$a" >> "$JOB_RECORD.tmp"; done
    mv "$JOB_RECORD.tmp" "$JOB_RECORD"
fi
[ -n "${JOB_EXIT:-}" ] && exit "$JOB_EXIT"
trap 'sleep "${JOB_STOP_DELAY:-0}"; exit 0' TERM
while :; do
    sleep 1 &
    wait $!
done
