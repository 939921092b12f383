# Warnings and sanitizers applied to every nsl target through nsl_apply_flags().
set(NSL_WARNINGS -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor -Wcast-align
    -Wformat=2 -Wimplicit-fallthrough -Werror=switch)
if(NSL_WERROR)
  list(APPEND NSL_WARNINGS -Werror)
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  list(APPEND NSL_WARNINGS -Wthread-safety)
endif()

set(NSL_SAN_FLAGS "")
if(NSL_SANITIZE)
  set(NSL_SAN_FLAGS -fsanitize=${NSL_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
endif()

function(nsl_apply_flags target)
  target_compile_options(${target} PRIVATE ${NSL_WARNINGS} ${NSL_SAN_FLAGS})
  target_link_options(${target} PRIVATE ${NSL_SAN_FLAGS})
endfunction()
