#!/usr/bin/env bash
# Prepares the dependencies of a MinGW-w64 cross build of servicekit, once,
# into a cache directory (default: build/mingw-deps; argument 1 overrides):
#
#   include/   fmt, spdlog, Boost (from Debian's source packages fmtlib,
#              spdlog, boost1.74) and doctest (a copy of Debian's headers)
#   lib/       libfmt.a, libspdlog.a, libboost_program_options.a, built with
#              the MinGW compiler: compiled once here, fmt and spdlog cost
#              each translation unit of the build far less than header-only
#   lib/cmake/ package configs, so that find_package(fmt|spdlog|doctest|Boost)
#              finds them with -DCMAKE_PREFIX_PATH=<cache>
#
# Idempotent: a second run with the cache complete does nothing. Only the
# system's headers are read (never /usr/include itself on the include path:
# glibc's headers would clash with MinGW's). Debian's source package is
# fetched with apt through private state directories; /etc/apt is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."

out=$(realpath -m "${1:-build/mingw-deps}")
stamp="$out/.complete-v2"
[ -f "$stamp" ] && exit 0

cxx=x86_64-w64-mingw32-g++-posix
ar=x86_64-w64-mingw32-ar
for tool in "$cxx" "$ar" apt-get tar; do
    command -v "$tool" >/dev/null || { echo "mingw-deps: $tool not found; run scripts/install-deps.sh --tests" >&2; exit 1; }
done
for dir in /usr/include/doctest; do
    [ -d "$dir" ] || { echo "mingw-deps: $dir not found; run scripts/install-deps.sh --tests" >&2; exit 1; }
done

rm -rf "$out"
mkdir -p "$out/include" "$out/lib/cmake" "$out/src"
work="$out/src"

echo "mingw-deps: header-only doctest"
cp -r /usr/include/doctest "$out/include/"

echo "mingw-deps: Debian's source packages fmtlib, spdlog, boost1.74"
boost_version=1.74.0
apt_dir="$work/apt"
mkdir -p "$apt_dir/parts" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
# The same mirror and key as the system's deb entries, as a deb-src entry.
uris=http://deb.debian.org/debian
signed_by=/usr/share/keyrings/debian-archive-keyring.gpg
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    u=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    s=$(awk '/^Signed-By:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    [ -n "$u" ] && uris=$u
    [ -n "$s" ] && signed_by=$s
fi
cat >"$apt_dir/parts/debian-src.sources" <<EOF
Types: deb-src
URIs: $uris
Suites: bookworm
Components: main
Signed-By: $signed_by
EOF
apt_opts=(-o Dir::Etc::sourcelist=/dev/null -o "Dir::Etc::sourceparts=$apt_dir/parts"
          -o "Dir::State::lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
apt-get "${apt_opts[@]}" -qq update
(cd "$work" && apt-get "${apt_opts[@]}" -qq source --download-only fmtlib spdlog boost1.74 >/dev/null)

# Compiles sources into lib/<name>.a, two compilers at a time (the machine
# may be shared).
build_lib() {  # name flags... -- sources...
    local name=$1 flags=() objs=() src obj
    shift
    while [ "$1" != "--" ]; do flags+=("$1"); shift; done
    shift
    mkdir -p "$work/obj-$name"
    for src in "$@"; do
        obj="$work/obj-$name/$(basename "${src%.*}").o"
        "$cxx" -std=c++20 -O2 -w "${flags[@]}" -c "$src" -o "$obj" &
        objs+=("$obj")
        while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
    done
    wait
    "$ar" rcs "$out/lib/$name.a" "${objs[@]}"
}
unpack() {  # tarball → the directory it unpacks to
    tar -xf "$1" -C "$work"
    echo "$work/$(tar -tf "$1" | head -1 | cut -d/ -f1)"
}

fmt_src=$(unpack "$(ls "$work"/fmtlib_*.orig.tar.*)")
spdlog_src=$(unpack "$(ls "$work"/spdlog_*.orig.tar.*)")
cp -r "$fmt_src/include/fmt" "$spdlog_src/include/spdlog" "$out/include/"
echo "mingw-deps: building fmt and spdlog with $cxx"
build_lib libfmt -I"$out/include" -- "$fmt_src/src/format.cc" "$fmt_src/src/os.cc"
spdlog_sources=()
for src in "$spdlog_src"/src/*.cpp; do
    [ "$(basename "$src")" = fmt.cpp ] || spdlog_sources+=("$src")  # the bundled fmt: external here
done
build_lib libspdlog -DSPDLOG_COMPILED_LIB -DSPDLOG_FMT_EXTERNAL -I"$out/include" -- "${spdlog_sources[@]}"

orig=$(ls "$work"/boost1.74_*.orig.tar.xz)
tar -xJf "$orig" -C "$work" --wildcards 'boost*/libs/*/include/*' 'boost*/libs/program_options/src/*'
boost_src=$(ls -d "$work"/boost*/ | head -1)
# Boost's modular layout: libs/<lib>/include/boost and libs/numeric/<lib>/include/boost.
for inc in "$boost_src"libs/*/include/boost "$boost_src"libs/*/*/include/boost; do
    [ -d "$inc" ] && cp -r "$inc" "$out/include/"
done

echo "mingw-deps: building Boost.Program_options with $cxx"
build_lib libboost_program_options -DBOOST_ALL_NO_LIB -DBOOST_PROGRAM_OPTIONS_STATIC_LINK \
    -DBOOST_BIND_GLOBAL_PLACEHOLDERS -isystem "$out/include" -- "$boost_src"libs/program_options/src/*.cpp

echo "mingw-deps: package configs"
version_file() {  # package version: any requested version <= the one provided
    cat >"$out/lib/cmake/$1/${1,,}-config-version.cmake" <<EOF
set(PACKAGE_VERSION $2)
if(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
    set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
    set(PACKAGE_VERSION_COMPATIBLE TRUE)
    if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
        set(PACKAGE_VERSION_EXACT TRUE)
    endif()
endif()
EOF
}
fmt_version=$(basename "$fmt_src" | sed 's/^[a-z]*-//')
spdlog_version=$(basename "$spdlog_src" | sed 's/^[a-z]*-//')
doctest_version=$(dpkg-query -W -f='${Version}' doctest-dev | sed 's/[+~-].*//')

mkdir -p "$out/lib/cmake/fmt" "$out/lib/cmake/spdlog" "$out/lib/cmake/doctest" "$out/lib/cmake/Boost"
# Paths are relative to the config file, so the cache may be moved.
cat >"$out/lib/cmake/fmt/fmt-config.cmake" <<'EOF'
# fmt, a static library built with MinGW-w64.
get_filename_component(_mingw_deps "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET fmt::fmt)
    add_library(fmt::fmt STATIC IMPORTED)
    set_target_properties(fmt::fmt PROPERTIES
        IMPORTED_LOCATION "${_mingw_deps}/lib/libfmt.a"
        INTERFACE_INCLUDE_DIRECTORIES "${_mingw_deps}/include")
endif()
EOF
cat >"$out/lib/cmake/spdlog/spdlog-config.cmake" <<'EOF'
# spdlog, a static library built with MinGW-w64, on the external fmt.
include(CMakeFindDependencyMacro)
find_dependency(fmt)
get_filename_component(_mingw_deps "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET spdlog::spdlog)
    add_library(spdlog::spdlog STATIC IMPORTED)
    set_target_properties(spdlog::spdlog PROPERTIES
        IMPORTED_LOCATION "${_mingw_deps}/lib/libspdlog.a"
        INTERFACE_INCLUDE_DIRECTORIES "${_mingw_deps}/include"
        INTERFACE_COMPILE_DEFINITIONS "SPDLOG_COMPILED_LIB;SPDLOG_FMT_EXTERNAL"
        INTERFACE_LINK_LIBRARIES fmt::fmt)
endif()
EOF
cat >"$out/lib/cmake/doctest/doctest-config.cmake" <<'EOF'
# doctest, header-only.
get_filename_component(_mingw_deps "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET doctest::doctest)
    add_library(doctest::doctest INTERFACE IMPORTED)
    set_target_properties(doctest::doctest PROPERTIES
        INTERFACE_INCLUDE_DIRECTORIES "${_mingw_deps}/include")
endif()
EOF
cat >"$out/lib/cmake/Boost/boost-config.cmake" <<'EOF'
# Boost headers and a static Boost.Program_options built with MinGW-w64.
# FindBoost loads this config and then only checks Boost_<component>_FOUND.
get_filename_component(_mingw_deps "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET Boost::headers)
    add_library(Boost::headers INTERFACE IMPORTED)
    set_target_properties(Boost::headers PROPERTIES
        INTERFACE_INCLUDE_DIRECTORIES "${_mingw_deps}/include"
        INTERFACE_COMPILE_DEFINITIONS "BOOST_ALL_NO_LIB;BOOST_BIND_GLOBAL_PLACEHOLDERS")
    add_library(Boost::boost ALIAS Boost::headers)
endif()
if(NOT TARGET Boost::program_options)
    add_library(Boost::program_options STATIC IMPORTED)
    set_target_properties(Boost::program_options PROPERTIES
        IMPORTED_LOCATION "${_mingw_deps}/lib/libboost_program_options.a"
        INTERFACE_LINK_LIBRARIES Boost::headers
        INTERFACE_COMPILE_DEFINITIONS BOOST_PROGRAM_OPTIONS_STATIC_LINK)
endif()
set(Boost_INCLUDE_DIRS "${_mingw_deps}/include")
foreach(_c IN LISTS Boost_FIND_COMPONENTS)
    if(_c STREQUAL "program_options" OR _c STREQUAL "headers")
        set(Boost_${_c}_FOUND TRUE)
    else()
        set(Boost_${_c}_FOUND FALSE)
        set(Boost_FOUND FALSE)
        set(Boost_NOT_FOUND_MESSAGE "the MinGW deps cache provides program_options only, not ${_c}")
    endif()
endforeach()
EOF
version_file fmt "$fmt_version"
version_file spdlog "$spdlog_version"
version_file doctest "$doctest_version"
version_file Boost "$boost_version"

rm -rf "$work"
touch "$stamp"
echo "mingw-deps: ready in $out"
