#!/usr/bin/env bash
# servicekit's bench: samples/minimal (Release) against a minimal C daemon, side
# by side, and a table of medians and ratios. Needs root (a sandboxed systemd),
# util-linux, systemd, python3. Not part of the tests.
#
#   bench/run.sh [--reps N] [--only sizes,spawn,logging,units]
#
# Builds into build/bench (the first build takes a few minutes; later ones are
# incremental), then measures; the measuring is bounded to 5 minutes and always
# stops the sandbox. Results: the table on stdout, build/bench/results/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$root/build/bench

[ "$(id -u)" -eq 0 ] || { echo "bench/run.sh: needs root (it boots a sandboxed systemd); run it with sudo" >&2; exit 1; }
for tool in cmake unshare nsenter python3 strip; do
    command -v "$tool" >/dev/null || { echo "bench/run.sh: $tool is missing; run scripts/install-deps.sh --tests" >&2; exit 1; }
done
[ -x /lib/systemd/systemd ] || { echo "bench/run.sh: systemd is missing; run scripts/install-deps.sh --tests" >&2; exit 1; }

mkdir -p "$build"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release > "$build/configure.log" 2>&1 ||
    { cat "$build/configure.log" >&2; exit 1; }
targets=(floor floor_libs noop minimal probe log_bench)
# minimal_static exists when Boost.Program_options' static archive was found
if cmake --build "$build" --target help | grep -x '\.\.\. minimal_static' >/dev/null; then targets+=(minimal_static); fi
echo "bench: building (log: $build/build.log)" >&2
cmake --build "$build" -j"${BENCH_JOBS:-2}" --target "${targets[@]}" > "$build/build.log" 2>&1 ||
    { tail -n 40 "$build/build.log" >&2; echo "bench/run.sh: the build failed; see $build/build.log" >&2; exit 1; }
exec timeout --kill-after=15 300 python3 "$here/driver.py" --build "$build" "$@"
