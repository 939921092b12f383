#!/usr/bin/env bash
# Enclave signing throughput through the socket vs in process, as ratios (see bench/README.md, "Enclave signing").
#   bash bench/enclave_ratio.sh                 # builds the release preset's nsl_bench if needed
#   BUILD_DIR=build/x BENCH_REPETITIONS=5 bash bench/enclave_ratio.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build/release}
REPS=${BENCH_REPETITIONS:-3}
MIN_TIME=${BENCH_MIN_TIME:-1}
if [[ -z ${BENCH_NO_BUILD:-} ]]; then
  [[ -d $BUILD_DIR ]] || cmake --preset release
  cmake --build "$BUILD_DIR" --target nsl_bench
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# One invocation: the baseline and the socket runs share the process, the machine state and the key.
"$BUILD_DIR/bin/nsl_bench" --benchmark_filter='^BM_EnclaveSign' --benchmark_repetitions="$REPS" \
  --benchmark_min_time="$MIN_TIME" --benchmark_report_aggregates_only=true \
  --benchmark_out="$out" --benchmark_out_format=json >/dev/null
python3 - "$out" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["benchmarks"]
med = {r["run_name"]: r["items_per_second"] for r in runs if r.get("aggregate_name") == "median"}
one = med["BM_EnclaveSignInProcess/real_time/threads:1"]
allcpu = [v for k, v in med.items() if k.startswith("BM_EnclaveSignInProcess/real_time/threads:") and not k.endswith(":1")]
cpus = allcpu[0] if allcpu else one
print(f"in-process sign, 1 thread:        {one:>10,.0f} signatures/s (median)")
print(f"in-process sign, 1 thread per CPU: {cpus:>10,.0f} signatures/s")
for n in (1, 16, 256):
    v = med[f"BM_EnclaveSignSocket/{n}/real_time"]
    print(f"socket, {n:>3} in flight: {v:>10,.0f}/s  ratio {v / one:.2f} vs 1 thread, {v / cpus:.2f} vs all CPUs")
PY
