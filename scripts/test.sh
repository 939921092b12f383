#!/usr/bin/env bash
# `make test`: builds and runs every test the way CI does.
#   1. release preset (GCC 12): build everything, run all tests — unit, pg, redis, e2e, fuzz corpus replay,
#      benchmark smoke — against throw-away PostgreSQL 15 and Redis 7 started by the ctest fixture.
#   2. debug-unit preset (GCC 12, ASan + UBSan): unit tests and fuzz corpus replay again.
#   3. clang preset (Clang 14, -Werror, -Wthread-safety): everything builds; unit tests run.
# NSL_TEST_STAGES selects stages (default "release asan clang"). Prints ctest's summary line for each stage
# and an overall "N passed, N failed" line at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

STAGES=${NSL_TEST_STAGES:-"release asan clang"}
JOBS=${JOBS:-$(nproc)}
export CTEST_OUTPUT_ON_FAILURE=1
# ccache keys on relative paths below the checkout, so a build in another clone reuses the cache.
export CCACHE_BASEDIR=$PWD
total_pass=0
total_fail=0
declare -a report=()

run_ctest() {  # stage preset [extra ctest args...]
  local stage=$1 preset=$2
  shift 2
  local log
  log=$(mktemp)
  set +e
  ctest --preset "$preset" --timeout 600 "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  local line pass fail
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1 || true)
  if [[ -n $line ]]; then
    fail=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
    all=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")
    pass=$((all - fail))
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
    report+=("$stage: $line")
  else
    report+=("$stage: ctest printed no summary (rc=$rc)")
    total_fail=$((total_fail + 1))
  fi
  rm -f "$log"
  return "$rc"
}

build() {  # preset
  local t0=$SECONDS
  cmake --preset "$1" >/dev/null
  cmake --build --preset "$1" -j "$JOBS"
  echo "== build $1: $((SECONDS - t0)) s"
}

status=0
for stage in $STAGES; do
  t0=$SECONDS
  case $stage in
    release)
      build release
      run_ctest release release -j 2 || status=1
      ;;
    asan)
      build debug-unit
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        run_ctest asan debug-unit -j 2 || status=1
      ;;
    clang)
      build clang
      run_ctest clang clang -j 2 || status=1
      ;;
    *)
      echo "unknown stage $stage" >&2
      exit 2
      ;;
  esac
  echo "== stage $stage: $((SECONDS - t0)) s"
done

echo
echo "== summary"
for line in "${report[@]}"; do echo "   $line"; done
echo "total: $total_pass passed, $total_fail failed"
exit $status
