# Fails when a service started by the sandboxed systemd or by a SysV script
# wrote a sanitizer report (tests/CMakeLists.txt, servicekit_sandbox_test and
# servicekit_sanitizer_reports); prints each report.
#   cmake -DDIR=<the reports' folder> -P sanitizer_reports.cmake
file(GLOB reports "${DIR}/*")
if(NOT reports)
    message(STATUS "no sanitizer report from any service the tests started")
    return()
endif()
foreach(report IN LISTS reports)
    file(READ "${report}" text LIMIT 20000)
    message("--- ${report}\n${text}")
endforeach()
list(LENGTH reports n)
message(FATAL_ERROR "${n} sanitizer report(s) from services the tests started (above)")
