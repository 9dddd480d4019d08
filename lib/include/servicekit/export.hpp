#pragma once
/// @file
/// Symbol visibility for shared builds. The one macro in the public headers.

/// @def SERVICEKIT_EXPORT
/// Marks a declaration exported from a shared servicekit. Defined empty in
/// static builds (SERVICEKIT_STATIC, set by the CMake package and servicekit.pc).
#if defined(SERVICEKIT_STATIC)
#  define SERVICEKIT_EXPORT
#elif defined(_WIN32)
#  if defined(SERVICEKIT_BUILDING)
#    define SERVICEKIT_EXPORT __declspec(dllexport)
#  else
#    define SERVICEKIT_EXPORT __declspec(dllimport)
#  endif
#else
#  define SERVICEKIT_EXPORT __attribute__((visibility("default")))
#endif
