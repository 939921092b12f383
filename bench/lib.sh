# shellcheck shell=bash
# bench/lib.sh — the start-up pieces of the load scripts in bench/ (sign_load.sh, http_load.sh, secrets_load.sh).
# Sourced, not run:
#
#   BENCH_NAME=sign_load                 # the prefix of every message ("sign_load: ...")
#   source "$ROOT/bench/lib.sh"
#
# What it provides (every wait is bounded; nothing here asserts a figure):
#   die MSG / log MSG           message to stderr with the "$BENCH_NAME: " prefix; die exits 1
#   bench_uints NAME...         each named variable holds a non-negative integer, else die
#   bench_need_tools TOOL...    each is on PATH, else die "TOOL not found (apt-get install TOOL)"
#   bench_build [--allow-stale] TARGET...
#                               sets BUILD_DIR (absolute; default $ROOT/build/release, the release preset) and BIN,
#                               and builds TARGETs with cmake unless BENCH_NO_BUILD=1 (BUILD_TIMEOUT_S, 3600 s).
#                               --allow-stale: when the build fails but every TARGET is in $BIN, warn and go on
#   bench_need_bins HINT NAME...   $BIN/NAME is executable, else die "$BIN/NAME not found (HINT)"
#   bench_warn_build_type       warns when $BUILD_DIR/CMakeCache.txt names another build type than Release
#   bench_tmp PREFIX            makes BENCH_TMP (a fresh $TMPDIR/PREFIX.XXXXXX) and BENCH_CWD (an empty directory
#                               in it: nsl runs there, so no stray nsl.toml or ./data is picked up), and installs
#                               the EXIT/INT/TERM traps that run the exit hooks and remove BENCH_TMP
#   bench_at_exit CMD           runs CMD (a string, eval'd) on any exit; the last registered runs first. Starting a
#                               server registers its stop, so a server started after a database is stopped before it
#   free_port                   a free loopback TCP port
#   bench_start_nsl NAME STDOUT READY_URL [NSL_X=v...]
#                               `nsl serve` with exactly that environment from BENCH_CWD (stderr in
#                               $BENCH_TMP/NAME.err), waits for READY_URL (READY_TIMEOUT_S, 30 s), records
#                               BENCH_PID[NAME] and, when nsl spawned one, BENCH_ENCLAVE_PID[NAME]; stopped on exit
#   bench_spawn NAME STDOUT CMD...   any server process, recorded and stopped like nsl (bench_wait_ready to wait)
#   bench_wait_ready NAME URL   polls URL until it answers 2xx; dies when NAME exits or after READY_TIMEOUT_S
#   bench_stop NAME / bench_stop_all
#                               SIGTERM, then SIGKILL after STOP_TIMEOUT_S (10 s); also the nsl-enclave child
#   bench_wrk NAME OUT SECONDS [VAR=value...] -- WRK_ARGS...
#                               wrk -t$WRK_THREADS -c$BENCH_CONNECTIONS -dSECONDSs --latency WRK_ARGS, with the
#                               VARs in its environment (for the Lua scripts), output in OUT, bounded by
#                               SECONDS + 30 s; dies when wrk fails
#   bench_wrk_stats FILE        wrk --latency output -> "req_per_s p50_ms p99_ms errors requests non2xx socket_errors"
#                               (errors = non2xx + socket errors); fails when the output has no figures
#   cpu_ticks PID               user + system CPU time of a process (all its threads), in clock ticks
#   busy_ticks                  busy time of all CPUs of the machine (user nice system irq softirq), in clock ticks

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BENCH_NAME=${BENCH_NAME:-bench}
: "${READY_TIMEOUT_S:=30}" "${STOP_TIMEOUT_S:=10}" "${BUILD_TIMEOUT_S:=3600}"
: "${WRK_THREADS:=2}" "${BENCH_CONNECTIONS:=64}"

die() { echo "$BENCH_NAME: $*" >&2; exit 1; }
log() { echo "$BENCH_NAME: $*" >&2; }

bench_uints() {
  local n
  for n in "$@"; do
    [[ ${!n} =~ ^[0-9]+$ ]] || die "$n must be a non-negative integer (got '${!n}')"
  done
}

bench_need_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install $tool)"
  done
}

# ---- build ------------------------------------------------------------------------------------------------
bench_build() {
  local allow_stale=0 targets c t have
  local -a build_cmds
  if [[ ${1:-} == --allow-stale ]]; then allow_stale=1; shift; fi
  targets="$*"
  if [[ -n ${BUILD_DIR:-} ]]; then
    [[ $BUILD_DIR = /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
    build_cmds=("cmake --preset release -B $BUILD_DIR" "cmake --build $BUILD_DIR --target $targets")
    [[ -f $BUILD_DIR/CMakeCache.txt ]] && build_cmds=("cmake -S $ROOT -B $BUILD_DIR" "${build_cmds[1]}")
  else
    BUILD_DIR=$ROOT/build/release
    build_cmds=("cmake --preset release" "cmake --build --preset release --target $targets")
  fi
  BIN=$BUILD_DIR/bin
  [[ ${BENCH_NO_BUILD:-0} == 1 ]] && return 0
  for c in "${build_cmds[@]}"; do
    log "$c"
    # shellcheck disable=SC2086 # the commands are word lists without quoting needs
    if ! (cd "$ROOT" && timeout "$BUILD_TIMEOUT_S" $c >&2); then
      ((allow_stale)) || die "build failed: '$c'"
      have=1
      for t in "$@"; do [[ -x $BIN/$t ]] || have=0; done
      ((have)) || die "build failed: '$c'"
      log "WARNING: build failed; measuring the binaries already in $BIN (they may be stale)"
      break
    fi
  done
}

bench_need_bins() {  # hint name...
  local hint=$1 b
  shift
  for b in "$@"; do
    [[ -x $BIN/$b ]] || die "$BIN/$b not found ($hint)"
  done
}

bench_warn_build_type() {
  local build_type
  if grep -q '^CMAKE_BUILD_TYPE:STRING=' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
    build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD_DIR/CMakeCache.txt")
    [[ $build_type == Release ]] || log "WARNING: $BUILD_DIR is a '$build_type' build, not Release"
  fi
  return 0
}

# ---- temporary directory, exit hooks ------------------------------------------------------------------------
BENCH_TMP=""
BENCH_CWD=""
BENCH_EXIT_HOOKS=()

bench_at_exit() { BENCH_EXIT_HOOKS+=("$1"); }

bench_cleanup() {
  local i
  set +e
  for ((i = ${#BENCH_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
    eval "${BENCH_EXIT_HOOKS[i]}"
  done
  BENCH_EXIT_HOOKS=()
  bench_stop_all
  if [[ -n $BENCH_TMP ]]; then rm -rf "$BENCH_TMP"; fi
}

bench_tmp() {  # prefix
  BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  BENCH_CWD=$BENCH_TMP/cwd
  mkdir -p "$BENCH_CWD"
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null && return
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + RANDOM % 40000))
    if ! ss -ltnH "sport = :$p" 2>/dev/null | grep -q .; then echo "$p"; return; fi
  done
  die "no free loopback port found"
}

# ---- servers --------------------------------------------------------------------------------------------------
declare -A BENCH_PID=() BENCH_ENCLAVE_PID=()

bench_spawn() {  # name stdout cmd...
  local name=$1 out=$2
  shift 2
  [[ -n $BENCH_TMP ]] || die "bench_spawn before bench_tmp"
  [[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || die "bench_spawn: bad server name '$name'"
  (cd "$BENCH_CWD" && exec "$@" >"$out" 2>"$BENCH_TMP/$name.err") &
  BENCH_PID[$name]=$!
  bench_at_exit "bench_stop $name"
}

bench_wait_ready() {  # name url
  local name=$1 url=$2 i
  for ((i = 0; i < READY_TIMEOUT_S * 10; i++)); do
    kill -0 "${BENCH_PID[$name]}" 2>/dev/null || { tail -n 20 "$BENCH_TMP/$name.err" >&2 || true; die "$name exited during start-up"; }
    curl -sf --max-time 1 -o /dev/null "$url" && return 0
    sleep 0.1
  done
  curl -sf --max-time 2 -o /dev/null "$url" && return 0
  tail -n 20 "$BENCH_TMP/$name.err" >&2 || true
  die "$name not ready after ${READY_TIMEOUT_S}s"
}

bench_start_nsl() {  # name stdout ready_url NSL_X=value...
  local name=$1 out=$2 url=$3 pid child
  shift 3
  bench_spawn "$name" "$out" env "$@" "$BIN/nsl" serve
  bench_wait_ready "$name" "$url"
  pid=${BENCH_PID[$name]}
  # nsl-enclave (enclave.spawn = true, the default) is a child of nsl.
  for child in $(ps -o pid= --ppid "$pid" 2>/dev/null || true); do
    if [[ $(readlink "/proc/$child/exe" 2>/dev/null) == *nsl-enclave ]]; then
      BENCH_ENCLAVE_PID[$name]=$child
      break
    fi
  done
}

# SIGTERM to every named server (all when none is named), then wait for each, SIGKILL after STOP_TIMEOUT_S.
bench_stop() {
  local name pid enc i
  for name in "$@"; do
    if [[ -n ${BENCH_PID[$name]:-} ]]; then kill -TERM "${BENCH_PID[$name]}" 2>/dev/null || true; fi
  done
  for name in "$@"; do
    pid=${BENCH_PID[$name]:-}
    [[ -n $pid ]] || continue
    for ((i = 0; i < STOP_TIMEOUT_S * 10; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT_S}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    # nsl-enclave dies with its parent (PR_SET_PDEATHSIG); make sure of it by pid.
    enc=${BENCH_ENCLAVE_PID[$name]:-}
    if [[ -n $enc ]] && kill -0 "$enc" 2>/dev/null; then kill -KILL "$enc" 2>/dev/null || true; fi
    unset "BENCH_PID[$name]" "BENCH_ENCLAVE_PID[$name]"
  done
  return 0
}

bench_stop_all() {
  ((${#BENCH_PID[@]} > 0)) || return 0
  bench_stop "${!BENCH_PID[@]}"
}

# ---- load -----------------------------------------------------------------------------------------------------
bench_wrk() {  # name out seconds [VAR=value...] -- wrk-args...
  local name=$1 out=$2 secs=$3
  local -a envs=()
  shift 3
  while (($# > 0)) && [[ $1 != -- ]]; do envs+=("$1"); shift; done
  [[ ${1:-} == -- ]] && shift
  env "${envs[@]}" timeout $((secs + 30)) \
    wrk -t"$WRK_THREADS" -c"$BENCH_CONNECTIONS" -d"${secs}s" --latency "$@" >"$out" 2>&1 ||
    die "wrk $name failed or timed out (see $out)"
}

bench_wrk_stats() {  # wrk output file
  awk '
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
    /Non-2xx or 3xx responses:/ { non2xx += $NF }
    /Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) sock += $i + 0 }
    END {
      if (rps == "" || p50 == "" || p99 == "" || n == "" || n == 0) exit 1
      printf "%.1f %.3f %.3f %d %d %d %d\n", rps, p50, p99, non2xx + sock, n, non2xx, sock
    }' "$1"
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }  # user nice system irq softirq, all CPUs
