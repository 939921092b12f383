# ctest driver for one bench-smoke test: cmake -DBIN=<nsl_bench> -DFILTER=<regex> -P bench_smoke.cmake
# Fails when the filter selects no benchmark (google-benchmark itself would exit 0) or a benchmark fails.
execute_process(COMMAND ${BIN} --benchmark_list_tests=true "--benchmark_filter=${FILTER}"
  OUTPUT_VARIABLE listed RESULT_VARIABLE rc)
string(STRIP "${listed}" listed)
if(NOT rc EQUAL 0 OR listed STREQUAL "")
  message(FATAL_ERROR "bench-smoke: no benchmark matches '${FILTER}' (rc=${rc})")
endif()
execute_process(COMMAND ${BIN} --benchmark_min_time=0.01 "--benchmark_filter=${FILTER}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "bench-smoke: ${BIN} failed (rc=${rc})")
endif()
