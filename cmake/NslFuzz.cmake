# nsl_fuzz(NAME <name> SOURCES <files...> [DEPS <targets...>])
#
# A fuzz target is one source defining `extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t)`
# (optionally `LLVMFuzzerInitialize`), plus a seed corpus in fuzz/corpus/<name>/ (Envoy's pattern).
#   NSL_FUZZ=ON (Clang):  fuzz_<name>          libFuzzer binary, -fsanitize=fuzzer + the NSL_SANITIZE flags.
#   always (any compiler): fuzz_<name>_replay   same source + fuzz/replay_main.cpp; feeds every corpus file to the
#                          target once; ctest `fuzz_replay_<name>` (label `fuzz`) runs it on the corpus, so the
#                          corpus is a regression suite in every preset (under ASan/UBSan in debug and debug-unit).
#
# With NSL_FUZZ=ON every target of the build is compiled with -fsanitize=fuzzer-no-link (as OSS-Fuzz does with its
# CFLAGS): libFuzzer's coverage feedback must come from the module libraries (parser, router, dispatcher), not only
# from the target's own translation unit. Binaries that do not link libFuzzer still link, because the sanitizer
# runtime supplies the coverage callbacks; without a sanitizer the flag is also given to the linker.
set(NSL_FUZZ_REPLAY_MAIN ${CMAKE_CURRENT_LIST_DIR}/../fuzz/replay_main.cpp)
cmake_path(NORMAL_PATH NSL_FUZZ_REPLAY_MAIN)

if(NSL_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "NSL_FUZZ=ON needs Clang (use the `fuzz` preset); the replay tests build with any compiler")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
  if(NOT NSL_SANITIZE)
    add_link_options(-fsanitize=fuzzer-no-link)
  endif()
endif()

function(nsl_fuzz)
  cmake_parse_arguments(F "" "NAME" "SOURCES;DEPS" ${ARGN})
  if(NOT F_NAME OR NOT F_SOURCES)
    message(FATAL_ERROR "nsl_fuzz: NAME and SOURCES are required")
  endif()
  set(corpus ${CMAKE_CURRENT_SOURCE_DIR}/corpus/${F_NAME})

  if(NSL_FUZZ)
    set(fz fuzz_${F_NAME})
    add_executable(${fz} ${F_SOURCES})
    target_link_libraries(${fz} PRIVATE ${F_DEPS})
    nsl_apply_flags(${fz})
    target_compile_options(${fz} PRIVATE -fsanitize=fuzzer)
    target_link_options(${fz} PRIVATE -fsanitize=fuzzer)
  endif()

  if(NOT TARGET nsl_fuzz_replay_main)
    add_library(nsl_fuzz_replay_main OBJECT ${NSL_FUZZ_REPLAY_MAIN})
    nsl_apply_flags(nsl_fuzz_replay_main)
  endif()
  set(rp fuzz_${F_NAME}_replay)
  add_executable(${rp} ${F_SOURCES} $<TARGET_OBJECTS:nsl_fuzz_replay_main>)
  target_link_libraries(${rp} PRIVATE ${F_DEPS})
  nsl_apply_flags(${rp})
  add_test(NAME fuzz_replay_${F_NAME} COMMAND ${rp} ${corpus})
  set_tests_properties(fuzz_replay_${F_NAME} PROPERTIES LABELS fuzz TIMEOUT 300)
endfunction()
