# Release is -O2: GCC 12 at -O3 emits false -Wrestrict/-Wstringop-overflow diagnostics inside libstdc++
# (GCC PR 105329, 105651), which -Werror would turn into build failures.
set(CMAKE_CXX_FLAGS_RELEASE "-O2 -DNDEBUG" CACHE STRING "" FORCE)
# Warnings and sanitizers applied to every nsl target through nsl_apply_flags().
set(NSL_WARNINGS -Wall -Wextra -Wpedantic -Wnon-virtual-dtor -Wcast-align
    -Wformat=2 -Wimplicit-fallthrough -Werror=switch
    # GCC 12 warns on designated initializers that omit defaulted members; we rely on those defaults.
    -Wno-missing-field-initializers)
if(NSL_WERROR)
  list(APPEND NSL_WARNINGS -Werror)
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  list(APPEND NSL_WARNINGS -Wthread-safety -Wshadow-uncaptured-local)
else()
  list(APPEND NSL_WARNINGS -Wshadow=local)
endif()

set(NSL_SAN_FLAGS "")
if(NSL_SANITIZE)
  set(NSL_SAN_FLAGS -fsanitize=${NSL_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  # Clang < 16 cannot compile C++20 coroutines with -fsanitize=function (part of `undefined`): the back end stops
  # with "Cannot represent a difference across sections" (llvm/llvm-project#49689, #54153). Every Asio coroutine
  # hits it, so every Clang < 16 build with UBSan (the `fuzz` preset, a Clang debug tree) drops that one check;
  # GCC has no such check.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 16
     AND NSL_SANITIZE MATCHES "undefined")
    list(APPEND NSL_SAN_FLAGS -fno-sanitize=function)
  endif()
  # GCC 12 warns (-Wtsan) on every std::atomic_thread_fence, which ThreadSanitizer does not model; Boost.Asio's
  # scheduler and Beast use fences, so -Werror stopped every TSan build at the first Asio header (and without
  # -Werror the same warning fills the log once per translation unit). Off; a race report that involves a fence
  # inside Asio needs that in mind.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND NSL_SANITIZE MATCHES "thread")
    list(APPEND NSL_SAN_FLAGS -Wno-tsan)
  endif()
endif()

function(nsl_apply_flags target)
  target_compile_options(${target} PRIVATE ${NSL_WARNINGS} ${NSL_SAN_FLAGS})
  target_link_options(${target} PRIVATE ${NSL_SAN_FLAGS})
endfunction()
