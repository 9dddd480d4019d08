#pragma once
/// @file
/// Symbol visibility for shared builds. The one macro in the public headers.

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
