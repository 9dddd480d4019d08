#!/usr/bin/env bash
# Installs the dependencies, then builds and runs every test of every
# configuration. This is what CI runs (.ci/run) and what the README's second
# command does. Each stage is a CMake preset (CMakePresets.json): configure,
# build, ctest.
#
#   scripts/test.sh              every stage
#   scripts/test.sh ci asan      only these stages
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --tests

all_stages=(ci static ci-macos windows asan tsan fuzz)
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=("${all_stages[@]}")

jobs=$(nproc 2>/dev/null || echo 2)
passed=0 failed=0 failed_names=()
for stage in "${stages[@]}"; do
    echo "=== stage $stage"
    start=$(date +%s)
    if [ -x "scripts/stage-$stage.sh" ]; then
        cmd=("scripts/stage-$stage.sh")   # a stage that needs more than a preset
    else
        cmd=(bash -c "cmake --preset '$stage' >/dev/null && cmake --build --preset '$stage' -j $jobs && ctest --preset '$stage' -j $jobs")
    fi
    if "${cmd[@]}"; then
        passed=$((passed + 1)); result=passed
    else
        failed=$((failed + 1)); failed_names+=("$stage"); result=FAILED
    fi
    echo "=== stage $stage $result in $(( $(date +%s) - start )) s"
done
[ $failed -eq 0 ] || echo "failed stages: ${failed_names[*]}"
echo "stages: $passed passed, $failed failed"
[ $failed -eq 0 ]
