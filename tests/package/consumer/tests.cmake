# The checks every consumer project runs on what it built (included by the
# consumer projects next to this file). `consumer` links servicekit::cli (or
# its pkg-config equivalent), `consumer_core` the core alone.
#   SERVICEKIT_PACKAGE_TESTS  this folder (tests/package)
#   Python3_EXECUTABLE        for service_check.py
enable_testing()
add_test(NAME help COMMAND consumer --help)
set_tests_properties(help PROPERTIES PASS_REGULAR_EXPRESSION "Usage: consumer .*My daemon.*Exit status:")
add_test(NAME version COMMAND consumer --version)
set_tests_properties(version PROPERTIES PASS_REGULAR_EXPRESSION "\\(servicekit ${SERVICEKIT_EXPECTED_VERSION}\\)")
add_test(NAME foreground COMMAND ${Python3_EXECUTABLE} ${SERVICEKIT_PACKAGE_TESTS}/service_check.py
    foreground --expect "starting with 2 arguments" --expect "\\] bye$"
    -- $<TARGET_FILE:consumer> run -- a "b c")
add_test(NAME core_foreground COMMAND ${Python3_EXECUTABLE} ${SERVICEKIT_PACKAGE_TESTS}/service_check.py
    foreground --expect "servicekit ${SERVICEKIT_EXPECTED_VERSION} on " --expect "argument 'x y'"
    -- $<TARGET_FILE:consumer_core> "x y")
