#!/usr/bin/env bash
# CI stage "windows": cross-builds servicekit for Windows with MinGW-w64 and
# runs, under Wine, the unit tests (every unit test .exe through
# CMAKE_CROSSCOMPILING_EMULATOR) and the SCM end-to-end test (e2e-wine, in
# its own fresh prefix). The MinGW dependencies are prepared once and cached
# in build/mingw-deps (scripts/mingw-deps.sh). Debug without debug
# information: MinGW's linker takes minutes over static executables with it.
#
#   scripts/stage-windows.sh            configure, build, test
set -euo pipefail
cd "$(dirname "$0")/.."

build=build/windows
deps=$PWD/build/mingw-deps
jobs=$(nproc 2>/dev/null || echo 2)

scripts/mingw-deps.sh "$deps"

export WINEPREFIX=$PWD/$build/wine-unit WINEARCH=win64 WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d"
unset DISPLAY WAYLAND_DISPLAY
cleanup() {
    wineserver -k >/dev/null 2>&1 || true
    wineserver -w >/dev/null 2>&1 || true
    # The e2e test's persistent server, in case ctest killed the test (its
    # own trap then did not run).
    if [ -d "$build/tests/windows/wine/prefix" ]; then
        WINEPREFIX=$PWD/$build/tests/windows/wine/prefix wineserver -k >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

# A fresh prefix for the unit tests, booted while the build runs.
rm -rf "$WINEPREFIX"
mkdir -p "$build"
( wineboot -i && wineserver -w ) >"$build/wineboot.log" 2>&1 &
boot=$!

cmake -S . -B "$build" \
    -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/mingw-w64.cmake" \
    -DCMAKE_PREFIX_PATH="$deps" \
    -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS_DEBUG=-g0 \
    -DSERVICEKIT_WARNINGS_AS_ERRORS=ON >/dev/null
cmake --build "$build" -j "$jobs"

if ! wait "$boot"; then
    echo "wineboot failed:"; tail -n 20 "$build/wineboot.log"
    exit 1
fi
# unit-windows instead of unit: see tests/windows/CMakeLists.txt.
ctest --test-dir "$build" --output-on-failure -j "$jobs" -E '^unit$'
