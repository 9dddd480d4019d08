#!/usr/bin/env bash
# servicekit's bench: samples/minimal (Release) against a minimal C daemon, side
# by side, and a table of medians and ratios. Needs root (a sandboxed systemd),
# util-linux, systemd, python3. Not part of the tests.
#
#   bench/run.sh [--reps N] [--only sizes,spawn,logging,units] [--seed N]
#
# Builds into build/bench and build/bench-static (the first build takes a few
# minutes; later ones are incremental), then measures; the measuring is bounded
# to 5 minutes and always stops the sandbox. Results: the table on stdout, build/bench/results/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$root/build/bench

[ "$(id -u)" -eq 0 ] || { echo "bench/run.sh: needs root (it boots a sandboxed systemd); run it with sudo" >&2; exit 1; }
for tool in cmake unshare nsenter python3 strip; do
    command -v "$tool" >/dev/null || { echo "bench/run.sh: $tool is missing; run scripts/install-deps.sh --tests" >&2; exit 1; }
done
[ -x /lib/systemd/systemd ] || { echo "bench/run.sh: systemd is missing; run scripts/install-deps.sh --tests" >&2; exit 1; }

static=$root/build/bench-static
mkdir -p "$build" "$static"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release > "$build/configure.log" 2>&1 ||
    { cat "$build/configure.log" >&2; exit 1; }
# The same sample built self-contained: C++ runtime, spdlog, fmt and
# Boost.Program_options linked in (SERVICEKIT_STATIC_RUNTIME, docs/PERFORMANCE.md).
cmake -S "$here" -B "$static" -DCMAKE_BUILD_TYPE=Release -DSERVICEKIT_STATIC_RUNTIME=ON > "$static/configure.log" 2>&1 ||
    { cat "$static/configure.log" >&2; exit 1; }
echo "bench: building (logs: $build/build.log, $static/build.log)" >&2
cmake --build "$build" -j"${BENCH_JOBS:-2}" --target floor floor_libs noop minimal probe log_bench > "$build/build.log" 2>&1 ||
    { tail -n 40 "$build/build.log" >&2; echo "bench/run.sh: the build failed; see $build/build.log" >&2; exit 1; }
cmake --build "$static" -j"${BENCH_JOBS:-2}" --target noop minimal > "$static/build.log" 2>&1 ||
    { tail -n 40 "$static/build.log" >&2; echo "bench/run.sh: the build failed; see $static/build.log" >&2; exit 1; }
exec timeout --kill-after=15 300 python3 "$here/driver.py" --build "$build" --static-build "$static" "$@"
