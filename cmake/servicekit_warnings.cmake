# servicekit_warnings(target): the project's warning set; -Werror with
# SERVICEKIT_WARNINGS_AS_ERRORS (CI and the dev preset turn it on).
function(servicekit_warnings target)
    if(MSVC)
        target_compile_options(${target} PRIVATE /W4 /permissive- /utf-8)
        if(SERVICEKIT_WARNINGS_AS_ERRORS)
            target_compile_options(${target} PRIVATE /WX)
        endif()
    else()
        target_compile_options(${target} PRIVATE
            -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-qual
            -Wformat=2 -Wimplicit-fallthrough -Wmissing-declarations)
        if(SERVICEKIT_WARNINGS_AS_ERRORS)
            target_compile_options(${target} PRIVATE -Werror)
        endif()
    endif()
endfunction()
