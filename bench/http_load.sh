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

die() { echo "http_load: $*" >&2; exit 1; }
log() { echo "http_load: $*" >&2; }

for n in BENCH_SECONDS BENCH_WARMUP BENCH_ROUNDS BENCH_THREADS BENCH_CONNECTIONS WRK_THREADS; do
  [[ ${!n} =~ ^[0-9]+$ ]] || die "$n must be a non-negative integer (got '${!n}')"
done
((BENCH_SECONDS > 0 && BENCH_ROUNDS > 0 && BENCH_THREADS > 0)) || die "BENCH_SECONDS, BENCH_ROUNDS, BENCH_THREADS must be > 0"
case $BENCH_ACCESS_LOG in on | off | both) ;; *) die "BENCH_ACCESS_LOG must be on, off or both" ;; esac
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
command -v curl >/dev/null || die "curl not found"

# ---- build ------------------------------------------------------------------------------------------------
if [[ -n ${BUILD_DIR:-} ]]; then
  [[ $BUILD_DIR = /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
  build_cmds=("cmake --preset release -B $BUILD_DIR" "cmake --build $BUILD_DIR --target nsl bench_bare_server")
  [[ -f $BUILD_DIR/CMakeCache.txt ]] && build_cmds=("${build_cmds[1]}")
else
  BUILD_DIR=$ROOT/build/release
  build_cmds=("cmake --preset release" "cmake --build --preset release --target nsl bench_bare_server")
fi
NSL=$BUILD_DIR/bin/nsl
BARE=$BUILD_DIR/bin/bench_bare_server
if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
  for c in "${build_cmds[@]}"; do
    log "$c"
    # shellcheck disable=SC2086 # the commands are word lists without quoting needs
    if ! timeout "$BUILD_TIMEOUT_S" $c >&2; then
      [[ -x $NSL && -x $BARE ]] || die "build failed: '$c'"
      log "WARNING: build failed; measuring the binaries already in $BUILD_DIR/bin (they may be stale)"
      break
    fi
  done
fi
[[ -x $NSL ]] || die "$NSL not found (build it, or point BUILD_DIR at a build tree)"
[[ -x $BARE ]] || die "$BARE not found (needs NSL_BENCH=ON)"

# ---- servers ------------------------------------------------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/nsl-http-load.XXXXXX")
BENCH_OUT=${BENCH_OUT:-$BUILD_DIR/bench/http_load-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$BENCH_OUT"
declare -A PID=() PORT=()
SERVERS=()

stop_all() {
  local name pid i
  for name in "${!PID[@]}"; do kill -TERM "${PID[$name]}" 2>/dev/null || true; done
  for name in "${!PID[@]}"; do
    pid=${PID[$name]}
    for ((i = 0; i < STOP_TIMEOUT_S * 10; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT_S}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  PID=()
}
cleanup() {
  stop_all
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + RANDOM % 40000))
    if ! ss -ltnH "sport = :$p" 2>/dev/null | grep -q .; then
      echo "$p"
      return
    fi
  done
  die "no free loopback port found"
}

wait_ready() {  # name url
  local name=$1 url=$2 i
  for ((i = 0; i < READY_TIMEOUT_S * 10; i++)); do
    kill -0 "${PID[$name]}" 2>/dev/null || { tail -n 20 "$TMP/$name.err" "$TMP/$name.out" 2>/dev/null >&2 || true; die "$name exited during start-up"; }
    if curl -sf --max-time 1 -o /dev/null "$url"; then return 0; fi
    sleep 0.1
  done
  tail -n 20 "$TMP/$name.err" >&2 || true
  die "$name not ready after ${READY_TIMEOUT_S}s ($url)"
}

start_nsl() {  # name access_log(true|false) stdout-file
  local name=$1 access=$2 out=$3 port mport
  port=$(free_port)
  mport=$(free_port)
  mkdir -p "$TMP/$name"
  # Run from an empty directory with a private data dir: no stray nsl.toml or ./data is picked up.
  (cd "$TMP/$name" && exec env NSL_SERVER_BIND=127.0.0.1 NSL_SERVER_HTTP_PORT="$port" NSL_SERVER_HTTPS_PORT=0 \
    NSL_SERVER_METRICS_PORT="$mport" NSL_SERVER_WORKERS="$BENCH_THREADS" NSL_DATA_DIR="$TMP/$name/data" \
    NSL_LOG_ACCESS_LOG="$access" NSL_LOG_LEVEL=info NSL_SERVER_DRAIN_TIMEOUT_MS=2000 \
    NSL_SERVER_SHUTDOWN_DELAY_MS=0 "$NSL" serve >"$out" 2>"$TMP/$name.err") &
  PID[$name]=$!
  PORT[$name]=$port
  SERVERS+=("$name")
  wait_ready "$name" "http://127.0.0.1:$port$BENCH_PATH"
}

start_bare() {
  local name=bare port
  port=$(free_port)
  "$BARE" "$port" "$BENCH_THREADS" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  PID[$name]=$!
  PORT[$name]=$port
  SERVERS+=("$name")
  wait_ready "$name" "http://127.0.0.1:$port$BENCH_PATH"
}

if [[ $BENCH_ACCESS_LOG != off ]]; then start_nsl nsl-log-on true /dev/null; fi
start_bare
if [[ $BENCH_ACCESS_LOG != on ]]; then start_nsl nsl-log-off false "$TMP/nsl-log-off.out"; fi
# Order of every round: nsl (log on), bare, nsl (log off) — as started.

for s in "${SERVERS[@]}"; do
  curl -si --max-time 2 "http://127.0.0.1:${PORT[$s]}$BENCH_PATH" >"$BENCH_OUT/$s.response.txt" || die "$s: probe request failed"
done

# ---- load ---------------------------------------------------------------------------------------------------
# CPU time (user + system, all threads) the process has used, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
CLK_TCK=$(getconf CLK_TCK)

run_wrk() {  # name seconds outfile — also writes "cpu_ticks=<n>" (server CPU during the run) to outfile.cpu
  local name=$1 secs=$2 out=$3 t0 t1
  t0=$(cpu_ticks "${PID[$name]}")
  timeout $((secs + 30)) wrk -t"$WRK_THREADS" -c"$BENCH_CONNECTIONS" -d"${secs}s" --latency \
    "http://127.0.0.1:${PORT[$name]}$BENCH_PATH" >"$out" 2>&1 || die "wrk against $name failed or timed out (see $out)"
  kill -0 "${PID[$name]}" 2>/dev/null || die "$name died under load"
  t1=$(cpu_ticks "${PID[$name]}")
  echo "cpu_ticks=$((t1 - t0))" >"$out.cpu"
}

# wrk output (+ .cpu) -> "req_per_s p50_ms p99_ms errors server_cpu_us_per_request"
parse_wrk() {
  awk -v tck="$CLK_TCK" -v cpu="$(sed -n 's/^cpu_ticks=//p' "$1.cpu")" '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /s$/)  return substr(v, 1, length(v) - 1) * 1000
      if (v ~ /m$/)  return substr(v, 1, length(v) - 1) * 60000
      return -1
    }
    /^Requests\/sec:/ { rps = $2 }
    / requests in / { n = $1 }
    /^[ \t]+50%/ { p50 = ms($2) }
    /^[ \t]+99%/ { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { errs += $NF }
    /Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) errs += $i + 0 }
    END {
      if (rps == "" || p50 == "" || p99 == "" || n == "" || n == 0) exit 1
      printf "%.1f %.3f %.3f %d %.1f\n", rps, p50, p99, errs, cpu / tck * 1e6 / n
    }' "$1"
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

stop_all

mean() { awk -v s="$1" -v n="$BENCH_ROUNDS" -v f="$2" 'BEGIN { printf f, s / n }'; }
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo "+dirty" || true)
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
