# With no supported service manager (SERVICEKIT_PLATFORM=null), every control
# verb fails with one clear line and exit 3; nothing else happens.
#   cmake -DBIN=<minimal> -P null_backend.cmake
foreach(verb install start stop uninstall print-config)
    execute_process(COMMAND ${BIN} ${verb} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 3)
        message(FATAL_ERROR "${verb}: exit ${rc}, expected 3 (not supported); stderr: ${err}")
    endif()
    if(NOT err MATCHES "^minimal: cannot [a-z ]+: not supported on this platform [^\n]*; use `minimal run` to run in the foreground\n$")
        message(FATAL_ERROR "${verb}: unexpected message: ${err}")
    endif()
endforeach()
# The hint is the command to type for the same instance: --name and --user kept.
execute_process(COMMAND ${BIN} --name web2 start --user RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 3 OR NOT err MATCHES "^web2: cannot start: [^\n]*; use `minimal run --name web2 --user` to run in the foreground\n$")
    message(FATAL_ERROR "start --name web2 --user: exit ${rc}, message: ${err}")
endif()
execute_process(COMMAND ${BIN} --help RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "--help: exit ${rc}")
endif()
