# Cross-compiling servicekit for 64-bit Windows with MinGW-w64 (Debian's
# g++-mingw-w64-x86-64-posix: the posix thread model, which std::thread needs).
#
#   scripts/mingw-deps.sh build/mingw-deps
#   cmake -S . -B build/mingw -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake \
#         -DCMAKE_PREFIX_PATH=$PWD/build/mingw-deps
#
# ctest runs every test executable through Wine (CMAKE_CROSSCOMPILING_EMULATOR);
# exit codes pass through. scripts/stage-windows.sh does all of it in a fresh
# Wine prefix.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)

# Headers, libraries and packages only from MinGW's sysroot and the deps
# cache given as CMAKE_PREFIX_PATH, never the host's (/usr/include,
# /usr/lib/cmake): those are built for Linux.
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32 ${CMAKE_PREFIX_PATH})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config likewise: no host .pc files (MinGW's sysroot has none).
set(ENV{PKG_CONFIG_LIBDIR} /usr/x86_64-w64-mingw32/lib/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")

# Self-contained executables: no libstdc++/libgcc/winpthread DLLs beside them.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")

find_program(SERVICEKIT_WINE NAMES wine wine64)
if(SERVICEKIT_WINE)
    set(CMAKE_CROSSCOMPILING_EMULATOR ${SERVICEKIT_WINE})
endif()
