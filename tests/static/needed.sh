#!/bin/sh
# needed.sh PROGRAM...: fails unless every PROGRAM's shared-library needs
# (ELF DT_NEEDED) are libc and the dynamic loader. A program built with
# SERVICEKIT_STATIC_RUNTIME=ON must not load libstdc++, libgcc_s, spdlog, fmt
# or Boost, nor libm (servicekit defines the one function of it that the
# program calls, lib/src/ceil.cpp).
set -eu
command -v readelf >/dev/null || { echo "needed.sh: readelf (binutils) is missing" >&2; exit 1; }
status=0
for program in "$@"; do
    needed=$(readelf -d "$program" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    [ -n "$needed" ] || { echo "$program: readelf shows no NEEDED entry; is it an ELF program?" >&2; status=1; continue; }
    for lib in $needed; do
        case $lib in
            libc.so.*|ld-linux*.so.*) ;;
            libm.so.*) echo "$program needs $lib: it calls a libm function besides ceil (nm -D --undefined-only shows which); lib/src/ceil.cpp covers only ceil" >&2; status=1 ;;
            *) echo "$program needs $lib: SERVICEKIT_STATIC_RUNTIME should have linked it in" >&2; status=1 ;;
        esac
    done
    [ $status -ne 0 ] || echo "$program needs only: $(echo $needed)"
done
exit $status
