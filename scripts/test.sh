#!/usr/bin/env bash
# Installs the dependencies, then builds and runs every test of every
# configuration. This is what CI runs (.ci/run) and what the README's second
# command does. Each stage is a CMake preset (CMakePresets.json): configure,
# build, ctest.
#
#   scripts/test.sh              every stage
#   scripts/test.sh ci asan      only these stages
#
# Run as root, a test that skips itself fails its stage (the tools are all
# installed by then); SERVICEKIT_ALLOW_SKIPS=1 lets it pass. Each stage's
# output is also in build/stage-<name>.log.
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
    mkdir -p build
    log=build/stage-$stage.log
    rc=0
    "${cmd[@]}" 2>&1 | tee "$log" || rc=$?   # pipefail: the stage's status
    # As root, with the dependencies just installed, every tool a test needs
    # is here: a test that skipped itself hides a broken machine or test.
    if [ $rc -eq 0 ] && [ "$(id -u)" -eq 0 ] && [ -z "${SERVICEKIT_ALLOW_SKIPS:-}" ] &&
        grep -q "The following tests did not run:" "$log"; then
        echo "=== stage $stage: tests skipped themselves although every tool is installed (see above); SERVICEKIT_ALLOW_SKIPS=1 allows it"
        rc=1
    fi
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1)); result=passed
    else
        failed=$((failed + 1)); failed_names+=("$stage"); result=FAILED
    fi
    echo "=== stage $stage $result in $(( $(date +%s) - start )) s"
done
[ $failed -eq 0 ] || echo "failed stages: ${failed_names[*]}"
echo "stages: $passed passed, $failed failed"
[ $failed -eq 0 ]
