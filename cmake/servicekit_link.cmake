# How servicekit's code is compiled and linked for small, fast programs.

# servicekit_sections(target): every function and object in a section of its
# own (GCC, Clang), so that a program linked with --gc-sections (or
# -dead_strip) keeps only the parts of servicekit it calls. Without it, a
# program that links the static library gets every function of each object
# file it touches.
function(servicekit_sections target)
    if(NOT MSVC)
        target_compile_options(${target} PRIVATE -ffunction-sections -fdata-sections)
    endif()
endfunction()

# servicekit_small(target): in optimised builds (Release, RelWithDebInfo),
# servicekit's own code is compiled for size (-Os; MinSizeRel already is).
# It runs once at start and once at stop, and on the log path, where the
# system call costs far more than the instructions around it: a smaller
# program has fewer pages to fault in when it starts, and that is what
# exec -> READY=1 and SIGTERM -> exit are made of (docs/PERFORMANCE.md has
# the numbers). Only servicekit's targets: a program's own code keeps its
# build type's flags. SERVICEKIT_OPTIMIZE_SIZE=OFF turns it off.
#
# With SERVICEKIT_STATIC_RUNTIME and GCC, the same code is also compiled for
# link-time optimisation, and the programs that link servicekit are linked
# with -flto=auto (servicekit_static_runtime(), below), so the linker sees
# servicekit, spdlog and fmt whole and drops and merges what no call needs:
# 20 KiB of the static `minimal`, 28 KiB with the sample's own code compiled
# the same way (it is: servicekit_small(minimal)). -ffat-lto-objects keeps
# the machine code beside GCC's intermediate code, so the archives still link
# into a program that is linked without LTO or by another compiler. A GCC
# without LTO support (CheckIPOSupported says) just goes without.
include(CheckIPOSupported)
set(servicekit_lto OFF)
if(SERVICEKIT_OPTIMIZE_SIZE AND SERVICEKIT_STATIC_RUNTIME AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    check_ipo_supported(RESULT servicekit_lto LANGUAGES CXX)
endif()

function(servicekit_small target)
    if(NOT SERVICEKIT_OPTIMIZE_SIZE OR MSVC)
        return()
    endif()
    target_compile_options(${target} PRIVATE $<$<CONFIG:Release,RelWithDebInfo>:-Os>)
    if(servicekit_lto)
        target_compile_options(${target} PRIVATE
            "$<$<CONFIG:Release,RelWithDebInfo,MinSizeRel>:-flto=auto;-ffat-lto-objects>")
    endif()
endfunction()

# servicekit_gc_sections(target): link the executable `target` without the
# sections nothing calls (the samples use it; so can any program).
function(servicekit_gc_sections target)
    if(APPLE)
        target_link_options(${target} PRIVATE -Wl,-dead_strip)
    elseif(NOT MSVC)
        target_link_options(${target} PRIVATE -Wl,--gc-sections)
    endif()
endfunction()

# servicekit_static_runtime(target): with SERVICEKIT_STATIC_RUNTIME, whatever
# links `target` gets the C++ runtime linked in, unused sections dropped, and
# only the shared libraries it calls loaded (--as-needed: with servicekit's own
# ceil(), lib/src/ceil.cpp, that leaves out libm), and servicekit's default
# terminate handler instead of libstdc++'s (lib/src/terminate.cpp; -u makes the
# linker take it from libservicekit.a, which it searches before libstdc++.a,
# and so leaves out libstdc++'s demangler, 45 KiB).
# A usage requirement, so it reaches a consumer's programs (and is exported
# with the package) without them repeating it. Where the linker and glibc
# support it (binutils 2.38, glibc 2.36), the program's relative relocations
# are packed (DT_RELR): a linked-in C++ runtime has thousands of them, and
# packed they take a few KiB instead of about 90 and are applied faster at
# every start.
include(CheckLinkerFlag)
function(servicekit_static_runtime target)
    if(NOT SERVICEKIT_STATIC_RUNTIME)
        return()
    endif()
    set(options -static-libstdc++ -static-libgcc -Wl,--gc-sections -Wl,--as-needed
        -Wl,-u,_ZN9__gnu_cxx27__verbose_terminate_handlerEv)
    if(servicekit_lto)   # see servicekit_small()
        list(APPEND options
            "$<$<AND:$<CXX_COMPILER_ID:GNU>,$<CONFIG:Release,RelWithDebInfo,MinSizeRel>>:-flto=auto>")
    endif()
    check_linker_flag(CXX "-Wl,-z,pack-relative-relocs" servicekit_have_relr)
    if(servicekit_have_relr)
        list(APPEND options -Wl,-z,pack-relative-relocs)
    endif()
    target_link_options(${target} INTERFACE
        "$<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:${options}>")
endfunction()
