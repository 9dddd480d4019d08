#!/usr/bin/env bash
# Installs what servicekit needs on Debian 12 (or a derivative), idempotently:
# a second run with everything present takes well under a second.
#
#   scripts/install-deps.sh           what building the library and samples needs
#   scripts/install-deps.sh --tests   also everything the test suite runs
#
# Runs apt-get as root (through sudo when not root).
set -euo pipefail

build_packages=(
    cmake make g++ pkg-config
    libboost-program-options-dev libspdlog-dev libfmt-dev
)
test_packages=(
    doctest-dev
    util-linux       # unshare, nsenter: the sandboxed systemd of the e2e tests
    systemd dbus     # the real manager the e2e tests boot
    procps           # pgrep (the sandbox finds its systemd), /bin/kill (ExecReload= of systemd units)
    python3
    doxygen          # docs.api: the API reference builds without a warning
    libxml2-utils    # xmllint: the launchd plists are read back by a second XML parser
    clang            # the os_log sink is compiled with clang (__builtin_os_log_format); the fuzz stage
    libclang-rt-14-dev   # libFuzzer and clang's ASan/UBSan runtimes (fuzz stage)
    libcpp-httplib-dev   # samples/http-api and its test (samples.http_api)
    # stage windows: the MinGW-w64 cross compiler (posix threads, for
    # std::thread), Wine to run the tests, xz-utils to unpack the Debian
    # source packages scripts/mingw-deps.sh builds fmt, spdlog and
    # Boost.Program_options from
    g++-mingw-w64-x86-64-posix wine wine64 xz-utils
)

want=("${build_packages[@]}")
case "${1:-}" in
    --tests) want+=("${test_packages[@]}") ;;
    "") ;;
    *) echo "usage: $0 [--tests]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
