# The API reference from the public headers: `cmake --build <build> --target doxygen`
# writes <build>/docs/api/html/index.html. Only when Doxygen is installed.
# SERVICEKIT_DOXYGEN_WARN_AS_ERROR=ON makes an undocumented public declaration
# fail the build of the target.
find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
    servicekit_left_out("servicekit: no doxygen target, and no docs.api test (Doxygen not found)")
    return()
endif()
option(SERVICEKIT_DOXYGEN_WARN_AS_ERROR "Fail the doxygen target on a documentation warning" OFF)
set(SERVICEKIT_DOXYGEN_OUTPUT ${PROJECT_BINARY_DIR}/docs/api)
if(SERVICEKIT_DOXYGEN_WARN_AS_ERROR)
    set(SERVICEKIT_DOXYGEN_WARN_AS_ERROR YES)
else()
    set(SERVICEKIT_DOXYGEN_WARN_AS_ERROR NO)
endif()
configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${PROJECT_BINARY_DIR}/docs/Doxyfile @ONLY)
add_custom_target(doxygen
    COMMAND ${CMAKE_COMMAND} -E make_directory ${SERVICEKIT_DOXYGEN_OUTPUT}
    COMMAND Doxygen::doxygen ${PROJECT_BINARY_DIR}/docs/Doxyfile
    WORKING_DIRECTORY ${PROJECT_BINARY_DIR}/docs
    COMMENT "API reference: ${SERVICEKIT_DOXYGEN_OUTPUT}/html/index.html"
    VERBATIM)

# In CI the reference is built as a test, with warnings as errors: a public
# declaration without its `///` fails it.
if(SERVICEKIT_BUILD_TESTS AND SERVICEKIT_DOXYGEN_WARN_AS_ERROR)
    add_test(NAME docs.api
        COMMAND ${CMAKE_COMMAND} --build ${PROJECT_BINARY_DIR} --target doxygen)
    set_tests_properties(docs.api PROPERTIES LABELS unit)
endif()
