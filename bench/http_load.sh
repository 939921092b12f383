#!/usr/bin/env bash
# bench/http_load.sh — HTTP throughput and latency of `nsl serve` against a bare Boost.Beast server
# (bench/bare_server.cpp, same transport structure) on loopback, driven by wrk. See bench/README.md.
#
#   bash bench/http_load.sh                        # build the release preset if needed, then measure
#   BUILD_DIR=build/h-release bash bench/http_load.sh
#
# Environment (defaults in brackets):
#   BUILD_DIR          build tree holding bin/nsl and bin/bench_bare_server [build/release, via the preset]
#   BENCH_NO_BUILD=1   use the binaries as they are, do not (re)build
#   BENCH_SECONDS      seconds per wrk run [10]          BENCH_WARMUP   warm-up seconds per server [2]
#   BENCH_ROUNDS       measured rounds per server [2]    BENCH_THREADS  server worker threads, both servers [2]
#   BENCH_CONNECTIONS  wrk connections [64]              WRK_THREADS    wrk threads [2]
#   BENCH_ACCESS_LOG   nsl access log: on | off | both [both]; "on" is the production default, output to /dev/null
#   BENCH_OUT          where raw wrk outputs are kept [$BUILD_DIR/bench/http_load-<utc time>]
#
# Each round runs nsl (access log on), bare, nsl (access log off) one after another, so that drift of a shared
# machine spreads over all of them. Every wait is bounded; both servers are stopped on any exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BENCH_NAME=http_load
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_WARMUP=${BENCH_WARMUP:-2}
BENCH_ROUNDS=${BENCH_ROUNDS:-2}
BENCH_THREADS=${BENCH_THREADS:-2}
BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
BENCH_ACCESS_LOG=${BENCH_ACCESS_LOG:-both}
BENCH_PATH=/health/live
READY_TIMEOUT_S=15
STOP_TIMEOUT_S=10
BUILD_TIMEOUT_S=${BUILD_TIMEOUT_S:-3600}

bench_uints BENCH_SECONDS BENCH_WARMUP BENCH_ROUNDS BENCH_THREADS BENCH_CONNECTIONS WRK_THREADS
((BENCH_SECONDS > 0 && BENCH_ROUNDS > 0 && BENCH_THREADS > 0)) || die "BENCH_SECONDS, BENCH_ROUNDS, BENCH_THREADS must be > 0"
case $BENCH_ACCESS_LOG in on | off | both) ;; *) die "BENCH_ACCESS_LOG must be on, off or both" ;; esac
bench_need_tools wrk curl

# ---- build ------------------------------------------------------------------------------------------------
# A failed build is not fatal when both binaries are already there (measured as they are, with a warning).
bench_build --allow-stale nsl bench_bare_server
NSL=$BIN/nsl
BARE=$BIN/bench_bare_server
[[ -x $NSL ]] || die "$NSL not found (build it, or point BUILD_DIR at a build tree)"
[[ -x $BARE ]] || die "$BARE not found (needs NSL_BENCH=ON)"

# ---- servers ------------------------------------------------------------------------------------------------
bench_tmp nsl-http-load
BENCH_OUT=${BENCH_OUT:-$BUILD_DIR/bench/http_load-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$BENCH_OUT"
declare -A PORT=()
SERVERS=()

start_nsl() {  # name access_log(true|false) stdout-file
  local name=$1 access=$2 out=$3 port mport
  port=$(free_port)
  mport=$(free_port)
  # A private data dir; lib.sh runs nsl from an empty directory, so no stray nsl.toml or ./data is picked up.
  bench_start_nsl "$name" "$out" "http://127.0.0.1:$port/health/ready" NSL_SERVER_BIND=127.0.0.1 \
    NSL_SERVER_HTTP_PORT="$port" NSL_SERVER_HTTPS_PORT=0 NSL_SERVER_METRICS_PORT="$mport" \
    NSL_SERVER_WORKERS="$BENCH_THREADS" NSL_DATA_DIR="$BENCH_TMP/$name/data" NSL_LOG_ACCESS_LOG="$access" \
    NSL_LOG_LEVEL=info NSL_SERVER_DRAIN_TIMEOUT_MS=2000 NSL_SERVER_SHUTDOWN_DELAY_MS=0
  PORT[$name]=$port
  SERVERS+=("$name")
}

start_bare() {
  local name=bare port
  port=$(free_port)
  bench_spawn "$name" "$BENCH_TMP/$name.out" "$BARE" "$port" "$BENCH_THREADS"
  bench_wait_ready "$name" "http://127.0.0.1:$port$BENCH_PATH"
  PORT[$name]=$port
  SERVERS+=("$name")
}

if [[ $BENCH_ACCESS_LOG != off ]]; then start_nsl nsl-log-on true /dev/null; fi
start_bare
if [[ $BENCH_ACCESS_LOG != on ]]; then start_nsl nsl-log-off false "$BENCH_TMP/nsl-log-off.out"; fi
# Order of every round: nsl (log on), bare, nsl (log off) — as started.

for s in "${SERVERS[@]}"; do
  curl -si --max-time 2 "http://127.0.0.1:${PORT[$s]}$BENCH_PATH" >"$BENCH_OUT/$s.response.txt" || die "$s: probe request failed"
done

# ---- load ---------------------------------------------------------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)

run_wrk() {  # name seconds outfile — also writes "cpu_ticks=<n>" (server CPU during the run) to outfile.cpu
  local name=$1 secs=$2 out=$3 t0 t1
  t0=$(cpu_ticks "${BENCH_PID[$name]}")
  bench_wrk "against $name" "$out" "$secs" -- "http://127.0.0.1:${PORT[$name]}$BENCH_PATH"
  kill -0 "${BENCH_PID[$name]}" 2>/dev/null || die "$name died under load"
  t1=$(cpu_ticks "${BENCH_PID[$name]}")
  echo "cpu_ticks=$((t1 - t0))" >"$out.cpu"
}

# wrk output (+ .cpu) -> "req_per_s p50_ms p99_ms errors server_cpu_us_per_request"
parse_wrk() {
  local stats
  stats=$(bench_wrk_stats "$1") || return 1
  awk -v tck="$CLK_TCK" -v cpu="$(sed -n 's/^cpu_ticks=//p' "$1.cpu")" -v stats="$stats" '
    BEGIN {
      split(stats, f, " ")
      printf "%.1f %.3f %.3f %d %.1f\n", f[1], f[2], f[3], f[4], cpu / tck * 1e6 / f[5]
    }'
}

label() {
  case $1 in
    nsl-log-on) echo "nsl (access log on)" ;;
    nsl-log-off) echo "nsl (access log off)" ;;
    bare) echo "bare Beast" ;;
  esac
}

if ((BENCH_WARMUP > 0)); then
  for s in "${SERVERS[@]}"; do
    log "warm-up $s (${BENCH_WARMUP}s)"
    run_wrk "$s" "$BENCH_WARMUP" "$BENCH_OUT/$s.warmup.txt"
  done
fi

declare -A SUM_RPS=() SUM_P50=() SUM_P99=() SUM_ERR=() SUM_CPU=()
printf '\n%-22s %5s %12s %9s %9s %7s %12s\n' server round "req/s" "p50 ms" "p99 ms" errors "cpu us/req"
for ((r = 1; r <= BENCH_ROUNDS; r++)); do
  for s in "${SERVERS[@]}"; do
    out="$BENCH_OUT/$s.round$r.txt"
    run_wrk "$s" "$BENCH_SECONDS" "$out"
    read -r rps p50 p99 errs cpu < <(parse_wrk "$out") || die "cannot parse wrk output $out"
    printf '%-22s %5d %12.1f %9.3f %9.3f %7d %12.1f\n' "$(label "$s")" "$r" "$rps" "$p50" "$p99" "$errs" "$cpu"
    SUM_CPU[$s]=$(awk -v a="${SUM_CPU[$s]:-0}" -v b="$cpu" 'BEGIN { print a + b }')
    SUM_RPS[$s]=$(awk -v a="${SUM_RPS[$s]:-0}" -v b="$rps" 'BEGIN { print a + b }')
    SUM_P50[$s]=$(awk -v a="${SUM_P50[$s]:-0}" -v b="$p50" 'BEGIN { print a + b }')
    SUM_P99[$s]=$(awk -v a="${SUM_P99[$s]:-0}" -v b="$p99" 'BEGIN { print a + b }')
    SUM_ERR[$s]=$((${SUM_ERR[$s]:-0} + errs))
  done
done

bench_stop_all

mean() { awk -v s="$1" -v n="$BENCH_ROUNDS" -v f="$2" 'BEGIN { printf f, s / n }'; }
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=""
[[ -n $(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]] && dirty="+dirty"
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo
echo "date $(date -u +%Y-%m-%dT%H:%MZ) | $(nproc) CPUs, $cpu | commit $commit$dirty | load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk -t$WRK_THREADS -c$BENCH_CONNECTIONS -d${BENCH_SECONDS}s, GET $BENCH_PATH, $BENCH_THREADS server threads, mean of $BENCH_ROUNDS rounds"
echo
echo "| server | req/s | p50 ms | p99 ms | errors | server CPU us/req | nsl/bare req/s |"
echo "|---|---:|---:|---:|---:|---:|---:|"
bare_rps=$(mean "${SUM_RPS[bare]}" "%.1f")
for s in "${SERVERS[@]}"; do
  rps=$(mean "${SUM_RPS[$s]}" "%.1f")
  ratio="-"
  [[ $s == bare ]] || ratio=$(awk -v a="$rps" -v b="$bare_rps" 'BEGIN { printf "%.2f", a / b }')
  echo "| $(label "$s") | $rps | $(mean "${SUM_P50[$s]}" "%.3f") | $(mean "${SUM_P99[$s]}" "%.3f") | ${SUM_ERR[$s]} |" \
    "$(mean "${SUM_CPU[$s]}" "%.1f") | $ratio |"
done
echo
headline=nsl-log-on
[[ -n ${SUM_RPS[$headline]:-} ]] || headline=nsl-log-off
ratio=$(awk -v a="$(mean "${SUM_RPS[$headline]}" "%.1f")" -v b="$bare_rps" 'BEGIN { printf "%.2f", a / b }')
verdict=$(awk -v r="$ratio" 'BEGIN { print (r >= 0.8) ? "meets" : "BELOW" }')
echo "ratio nsl/bare (req/s, $(label "$headline")): $ratio — $verdict the goal of >= 0.80"
cpu_ratio=$(awk -v a="${SUM_CPU[bare]}" -v b="${SUM_CPU[$headline]}" 'BEGIN { printf "%.2f", a / b }')
echo "CPU efficiency bare/nsl (server CPU per request, same servers): $cpu_ratio — less sensitive to a busy machine"
echo "raw wrk outputs and probe responses: $BENCH_OUT"
