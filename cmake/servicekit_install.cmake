# Install rules and everything a consumer finds: the CMake package
# (servicekit::servicekit, servicekit::cli), a build-tree export, pkg-config
# files and a CPack .deb. Included by the top-level CMakeLists when
# SERVICEKIT_INSTALL is ON (the default when servicekit is the top-level project).
#
# Layout under the prefix:
#   include/servicekit/*.hpp              (version.hpp is generated)
#   <libdir>/libservicekit.{a,so}         <libdir>/libservicekit-cli.{a,so}
#   <libdir>/cmake/servicekit/            servicekitConfig.cmake, -ConfigVersion, targets
#   <libdir>/pkgconfig/servicekit.pc      servicekit-cli.pc
include(CMakePackageConfigHelpers)

set(SERVICEKIT_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/servicekit
    CACHE STRING "Where servicekitConfig.cmake is installed, relative to the prefix")
set(SERVICEKIT_INSTALL_PKGCONFIGDIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig
    CACHE STRING "Where servicekit.pc is installed, relative to the prefix")

# --- libraries and headers
# The core and the CLI are two export sets so that the package can load the
# CLI (and look for Boost) only when a consumer asks for it.
install(TARGETS servicekit EXPORT servicekit-targets
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/lib/include/servicekit
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
    FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/include/servicekit/version.hpp
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/servicekit)
install(EXPORT servicekit-targets
    NAMESPACE servicekit::
    DESTINATION ${SERVICEKIT_INSTALL_CMAKEDIR})
export(EXPORT servicekit-targets
    NAMESPACE servicekit::
    FILE ${PROJECT_BINARY_DIR}/servicekit-targets.cmake)

if(TARGET servicekit_cli)
    set(servicekit_has_cli TRUE)
    install(TARGETS servicekit_cli EXPORT servicekit-cli-targets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
    install(EXPORT servicekit-cli-targets
        NAMESPACE servicekit::
        DESTINATION ${SERVICEKIT_INSTALL_CMAKEDIR})
    export(EXPORT servicekit-cli-targets
        NAMESPACE servicekit::
        FILE ${PROJECT_BINARY_DIR}/servicekit-cli-targets.cmake)
else()
    set(servicekit_has_cli FALSE)
endif()

# --- the CMake package: one config file, installed and in the build tree
# (find_package(servicekit) with servicekit_DIR pointing at the build tree
# uses the libraries where they were built).
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/servicekitConfig.cmake.in
    ${PROJECT_BINARY_DIR}/install-config/servicekitConfig.cmake
    INSTALL_DESTINATION ${SERVICEKIT_INSTALL_CMAKEDIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/servicekitConfig.cmake.in
    ${PROJECT_BINARY_DIR}/servicekitConfig.cmake
    INSTALL_DESTINATION ${PROJECT_BINARY_DIR}
    INSTALL_PREFIX ${PROJECT_BINARY_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/servicekitConfigVersion.cmake
    COMPATIBILITY SameMajorVersion)
install(FILES
        ${PROJECT_BINARY_DIR}/install-config/servicekitConfig.cmake
        ${PROJECT_BINARY_DIR}/servicekitConfigVersion.cmake
    DESTINATION ${SERVICEKIT_INSTALL_CMAKEDIR})

# --- pkg-config
# Not with SERVICEKIT_STATIC_RUNTIME: spdlog's and Boost's .pc files describe
# their shared libraries, so a .pc file would link the wrong ones.
if(NOT SERVICEKIT_STATIC_RUNTIME)
    # The files are relocatable: prefix is computed from the .pc file's own
    # location (${pcfiledir}), so `cmake --install --prefix X`, DESTDIR staging and
    # an unpacked .deb all give correct paths.
    if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}"
       OR IS_ABSOLUTE "${SERVICEKIT_INSTALL_PKGCONFIGDIR}")
        set(servicekit_pc_prefix "${CMAKE_INSTALL_PREFIX}")
    else()
        file(RELATIVE_PATH servicekit_pc_up "/${SERVICEKIT_INSTALL_PKGCONFIGDIR}" "/")
        string(REGEX REPLACE "/$" "" servicekit_pc_up "${servicekit_pc_up}")
        set(servicekit_pc_prefix "\${pcfiledir}/${servicekit_pc_up}")
    endif()
    foreach(dir LIBDIR INCLUDEDIR)
        if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
            set(servicekit_pc_${dir} "${CMAKE_INSTALL_${dir}}")
        else()
            set(servicekit_pc_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
        endif()
    endforeach()

    # System libraries the platform code put on the servicekit target (plain
    # names, not targets): needed by whoever links the static library.
    get_target_property(servicekit_link_libraries servicekit LINK_LIBRARIES)
    set(servicekit_pc_system_libs "")
    foreach(lib IN LISTS servicekit_link_libraries)
        if(lib MATCHES "::|^\\$<" OR TARGET "${lib}")
            continue()
        elseif(lib MATCHES "^-")
            string(APPEND servicekit_pc_system_libs " ${lib}")
        else()
            string(APPEND servicekit_pc_system_libs " -l${lib}")
        endif()
    endforeach()
    # A static library's own dependencies go on Libs: so that plain
    # `pkg-config --libs` links (only one flavour is ever installed). A shared
    # library carries them itself: Libs.private.
    if(BUILD_SHARED_LIBS)
        set(servicekit_pc_cflags "")
        set(servicekit_pc_libs "")
        set(servicekit_pc_private "${servicekit_pc_system_libs}")
        set(servicekit_cli_pc_libs "")
        set(servicekit_cli_pc_private " -lboost_program_options")
    else()
        set(servicekit_pc_cflags " -DSERVICEKIT_STATIC")
        set(servicekit_pc_libs "${servicekit_pc_system_libs}")
        set(servicekit_pc_private "")
        set(servicekit_cli_pc_libs " -lboost_program_options")
        set(servicekit_cli_pc_private "")
    endif()
    foreach(pc servicekit_pc servicekit_cli_pc)
        if(${pc}_private)
            set(${pc}_libs_private "\nLibs.private:${${pc}_private}")
        else()
            set(${pc}_libs_private "")
        endif()
    endforeach()
    configure_file(${CMAKE_CURRENT_LIST_DIR}/servicekit.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/servicekit.pc @ONLY)
    install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/servicekit.pc DESTINATION ${SERVICEKIT_INSTALL_PKGCONFIGDIR})
    if(servicekit_has_cli)
        configure_file(${CMAKE_CURRENT_LIST_DIR}/servicekit-cli.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/servicekit-cli.pc @ONLY)
        install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/servicekit-cli.pc DESTINATION ${SERVICEKIT_INSTALL_PKGCONFIGDIR})
    endif()
endif()

# --- CPack: `cpack -G DEB` in the build tree makes libservicekit-dev_<version>_<arch>.deb
# with the headers, the libraries, the CMake package and the .pc files.
if(PROJECT_IS_TOP_LEVEL)
    set(CPACK_PACKAGE_NAME libservicekit-dev)
    set(CPACK_PACKAGE_VENDOR servicekit)
    set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
    set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION} (C++20 library)")
    set(CPACK_PACKAGE_DESCRIPTION
        "servicekit lets a C++ program install, control and run itself as a native service: systemd or SysV init on Linux, launchd on macOS, the Windows Service Control Manager. This package holds the headers, the libraries, the CMake package and the pkg-config files.")
    set(CPACK_PACKAGE_HOMEPAGE_URL ${PROJECT_HOMEPAGE_URL})
    set(CPACK_PACKAGE_CONTACT "servicekit maintainers <servicekit@users.noreply.github.com>")
    set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
    if(NOT CPACK_GENERATOR)
        if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
            set(CPACK_GENERATOR DEB)
        else()
            set(CPACK_GENERATOR TGZ)
        endif()
    endif()
    set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
    set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
    set(CPACK_DEBIAN_PACKAGE_HOMEPAGE ${PROJECT_HOMEPAGE_URL})
    # The -dev packages: a consumer compiles against their headers (and links
    # their libraries statically when servicekit is static).
    set(CPACK_DEBIAN_PACKAGE_DEPENDS "libspdlog-dev, libfmt-dev")
    if(servicekit_has_cli)
        string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libboost-program-options-dev")
    endif()
    include(CPack)
endif()
