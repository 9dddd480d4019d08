#!/usr/bin/env bash
# Grows the committed corpus from what the fuzzers found: for each target,
# libFuzzer's -merge=1 adds to corpus/<target>/ only the inputs that reach new
# coverage. Run after `ctest --preset fuzz` (or a longer fuzzing session),
# then review and commit tests/fuzz/corpus.
#
#   tests/fuzz/merge-corpus.sh [BUILD_DIR]     default: build/fuzz
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)
build=${1:-$src/../../build/fuzz}
found=$build/tests/fuzz/found
[ -d "$found" ] || { echo "no $found: configure and run the fuzz preset first" >&2; exit 1; }
for dir in "$found"/*/; do
    name=$(basename "$dir")
    bin=$build/tests/fuzz/${name}_fuzz
    [ -x "$bin" ] || continue
    before=$(ls "$src/corpus/$name" | wc -l)
    "$bin" -merge=1 -close_fd_mask=3 "$src/corpus/$name" "$dir" >/dev/null 2>&1
    echo "$name: $before -> $(ls "$src/corpus/$name" | wc -l) inputs"
done
