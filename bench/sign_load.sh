#!/usr/bin/env bash
# bench/sign_load.sh — full-path signing load on `nsl serve` (embedded default: SQLite, in-process cache, nsl-enclave
# spawned as a separate process), the raw and enclave-socket signing rates it is bounded by, and SoftHSM v2 as the
# peer — all from ONE run, reported as ratios. See bench/README.md, "Signing load".
#
#   bash bench/sign_load.sh                         # build the release preset's targets if needed, then measure
#   BUILD_DIR=build/h-release bash bench/sign_load.sh
#   BENCH_SECONDS=60 bash bench/sign_load.sh
#
# Environment (defaults in brackets):
#   BUILD_DIR            build tree with bin/nsl, bin/nsl-enclave, bin/bench_sign_rate, bin/bench_softhsm
#                        (NSL_BENCH=ON) [build/release, via the preset]
#   BENCH_NO_BUILD=1     use the binaries as they are
#   BENCH_SECONDS        the measured sign-transaction wrk run [20]
#   BENCH_BASE_SECONDS   each baseline wrk run (GET /health/live, authenticated GET of the key) [10]
#   BENCH_AUTH_SECONDS   each run of the credential comparison (API key vs access token) [5]
#   BENCH_RATE_SECONDS   each in-process / enclave / SoftHSM rate measurement [5]
#   BENCH_WARMUP         warm-up seconds of the sign route before measuring [2]
#   BENCH_CONNECTIONS    wrk connections [64]      WRK_THREADS  wrk threads [2]
#   BENCH_THREADS        nsl I/O workers (server.workers) [0 = one per CPU, the default]
#   BENCH_ACCESS_LOG     true|false, nsl's access log (to /dev/null) [true, the production default]
#   BENCH_NSL_ENV        extra NSL_* overrides for nsl serve, space-separated (e.g. "NSL_ENCLAVE_CONNECTIONS=4 NSL_SERVER_BLOCKING_THREADS=8")
#   SOFTHSM_MODULE       the SoftHSM v2 PKCS#11 module [from `dpkg -L libsofthsm2 softhsm2`]
#   BENCH_OUT            where the raw outputs are kept [$BUILD_DIR/bench/sign_load-<utc time>]
#   BENCH_PERF=1|dwarf   also `perf record` nsl and nsl-enclave during the measured sign run (perf.data and flat
#                        reports in BENCH_OUT; 1 = frame-pointer call graphs at 999 Hz, dwarf = DWARF call graphs at
#                        199 Hz, inclusive costs in perf.children.txt); needs perf and perf_event access
#   BENCH_PERF_HZ        sampling frequency instead of those defaults (more samples, more perturbation)
#
# Not a test: nothing is asserted; the goals are printed beside the figures. Every wait is bounded; the server
# (and with it nsl-enclave) is stopped and the temporary data dir removed on any exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BENCH_NAME=sign_load
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

BENCH_SECONDS=${BENCH_SECONDS:-20}
BENCH_BASE_SECONDS=${BENCH_BASE_SECONDS:-10}
BENCH_AUTH_SECONDS=${BENCH_AUTH_SECONDS:-5}
BENCH_RATE_SECONDS=${BENCH_RATE_SECONDS:-5}
BENCH_WARMUP=${BENCH_WARMUP:-2}
BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
BENCH_THREADS=${BENCH_THREADS:-0}
BENCH_ACCESS_LOG=${BENCH_ACCESS_LOG:-true}
READY_TIMEOUT_S=30
STOP_TIMEOUT_S=10
BUILD_TIMEOUT_S=${BUILD_TIMEOUT_S:-3600}
LIMIT=10000000  # the largest rate_limit.*_per_minute accepted: no request of the bench is rate limited

bench_uints BENCH_SECONDS BENCH_BASE_SECONDS BENCH_AUTH_SECONDS BENCH_RATE_SECONDS BENCH_WARMUP BENCH_CONNECTIONS \
  WRK_THREADS BENCH_THREADS
((BENCH_SECONDS > 0 && BENCH_BASE_SECONDS > 0 && BENCH_AUTH_SECONDS > 0 && BENCH_RATE_SECONDS > 0)) ||
  die "BENCH_*SECONDS must be > 0"
case $BENCH_ACCESS_LOG in true | false) ;; *) die "BENCH_ACCESS_LOG must be true or false" ;; esac
bench_need_tools wrk curl jq
if [[ -z ${SOFTHSM_MODULE:-} ]]; then
  SOFTHSM_MODULE=$(dpkg -L libsofthsm2 softhsm2 2>/dev/null | grep -m1 '/libsofthsm2\.so$' || true)
  [[ -n $SOFTHSM_MODULE ]] || SOFTHSM_MODULE=/usr/lib/softhsm/libsofthsm2.so
fi
[[ -f $SOFTHSM_MODULE ]] || die "SoftHSM v2 PKCS#11 module not found ($SOFTHSM_MODULE; apt-get install softhsm2, or set SOFTHSM_MODULE)"

# ---- build ------------------------------------------------------------------------------------------------
bench_build nsl nsl-enclave bench_sign_rate bench_softhsm
bench_need_bins "build it with NSL_BENCH=ON, or point BUILD_DIR at a build tree" \
  nsl nsl-enclave bench_sign_rate bench_softhsm
bench_warn_build_type

# ---- server -------------------------------------------------------------------------------------------------
bench_tmp nsl-sign-load
BENCH_OUT=${BENCH_OUT:-$BUILD_DIR/bench/sign_load-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$BENCH_OUT"

PORT=$(free_port)
MPORT=$(free_port)
DATA=$BENCH_TMP/data
# nsl and the CLI see exactly this configuration (run from an empty directory: no stray nsl.toml or ./data).
NSL_ENV=(NSL_SERVER_BIND=127.0.0.1 NSL_SERVER_HTTP_PORT="$PORT" NSL_SERVER_HTTPS_PORT=0 NSL_SERVER_METRICS_PORT="$MPORT"
  NSL_SERVER_WORKERS="$BENCH_THREADS" NSL_DATA_DIR="$DATA" NSL_LOG_LEVEL=warn NSL_LOG_ACCESS_LOG="$BENCH_ACCESS_LOG"
  NSL_SERVER_DRAIN_TIMEOUT_MS=2000 NSL_SERVER_SHUTDOWN_DELAY_MS=0
  NSL_RATE_LIMIT_SIGN_PER_MINUTE="$LIMIT" NSL_RATE_LIMIT_IP_PER_MINUTE="$LIMIT"
  NSL_RATE_LIMIT_KEYS_PER_MINUTE="$LIMIT" NSL_RATE_LIMIT_GENERAL_PER_MINUTE="$LIMIT")
if [[ -n ${BENCH_NSL_ENV:-} ]]; then
  read -r -a extra_env <<<"$BENCH_NSL_ENV"
  for kv in "${extra_env[@]}"; do
    [[ $kv =~ ^NSL_[A-Z0-9_]+=.*$ ]] || die "BENCH_NSL_ENV: '$kv' is not NSL_NAME=value"
  done
  NSL_ENV+=("${extra_env[@]}")
fi
nsl_cli() { (cd "$BENCH_CWD" && env "${NSL_ENV[@]}" "$BIN/nsl" "$@"); }

URL=http://127.0.0.1:$PORT
bench_start_nsl nsl /dev/null "$URL/health/ready" "${NSL_ENV[@]}"
NSL_PID=${BENCH_PID[nsl]}
ENCLAVE_PID=${BENCH_ENCLAVE_PID[nsl]:-}
[[ -n $ENCLAVE_PID ]] ||
  die "no nsl-enclave child of nsl (pid $NSL_PID): the bench needs the default enclave.spawn = true"
[[ -S $DATA/enclave.sock ]] || die "enclave socket $DATA/enclave.sock not found"
log "nsl pid $NSL_PID on $URL, nsl-enclave pid $ENCLAVE_PID"
PERF_PID=""
# shellcheck disable=SC2016 # expanded when the hook runs
bench_at_exit 'if [[ -n $PERF_PID ]] && kill -0 "$PERF_PID" 2>/dev/null; then kill -INT "$PERF_PID" 2>/dev/null || true; fi'

# ---- tenant, credentials, key ---------------------------------------------------------------------------------
tenant_json=$(nsl_cli tenants create sign-load --json) || die "nsl tenants create failed"
API_KEY=$(jq -er '.api_key' <<<"$tenant_json") || die "no api_key in: $tenant_json"
TOKEN=$(curl -sf --max-time 10 "$URL/v1/auth/token" -d grant_type=client_credentials \
  --data-urlencode "client_secret=$API_KEY" | jq -er '.access_token') || die "POST /v1/auth/token failed"
key_json=$(curl -sf --max-time 10 "$URL/v1/keys" -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
  -d '{"curve":"secp256r1","label":"sign-load"}') || die "POST /v1/keys failed"
KEY_ID=$(jq -er '.id' <<<"$key_json") || die "no id in: $key_json"
ADDRESS=$(jq -er '.neo.address' <<<"$key_json" 2>/dev/null ||
  curl -sf --max-time 10 "$URL/v1/keys/$KEY_ID" -H "Authorization: Bearer $API_KEY" | jq -er '.neo.address') ||
  die "no neo.address for key $KEY_ID"

# The key's signing policy, which the enclave evaluates on every signing of the run: this network only, GAS
# transfers only, at most 10 GAS per transaction, at any time of the week (every kind of rule but the rolling
# 24-hour limit, whose ledger write would be a second database write per signing; docs/keys.md).
GAS=0xd2a4cff31913016155e38e474a2c06d08be276cf
POLICY='{"networks":{"neo":[894710606]},"neo_contracts":[{"hash":"'$GAS'","methods":["transfer"]}],
  "max_value_per_tx":{"neo:'$GAS'":"1000000000"},
  "time_windows":[{"days":["mon","tue","wed","thu","fri","sat","sun"],"start":"00:00","end":"24:00"}]}'
curl -sf --max-time 10 -X PUT "$URL/v1/keys/$KEY_ID/policy" -H "Authorization: Bearer $API_KEY" \
  -H 'Content-Type: application/json' -d "$POLICY" >/dev/null || die "PUT /v1/keys/$KEY_ID/policy failed"

# The body bench/sign_load.lua sends (AMOUNT: 1.5 GAS unless given).
sign_body() {
  printf '{"chain":"neo","network_magic":894710606,"transfer":{"asset":"GAS","to":"%s","amount":"%s"},%s}' \
    "$ADDRESS" "${1:-150000000}" '"valid_until_block":5000,"system_fee":"997775"'
}
# The policy is live: 11 GAS is refused, naming the rule.
over=$(curl -s --max-time 10 -w '\n%{http_code}' "$URL/v1/keys/$KEY_ID/sign-transaction" \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$(sign_body 1100000000)")
[[ ${over##*$'\n'} == 403 && ${over%$'\n'*} == *max_value_per_tx* ]] ||
  die "a transfer over the policy's limit was not refused with 403 max_value_per_tx: ${over}"
# One request by hand: 200, a complete witness, and /verify agrees — what wrk then repeats is a valid signing.
probe=$(curl -s --max-time 10 -w '\n%{http_code}' "$URL/v1/keys/$KEY_ID/sign-transaction" \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$(sign_body)")
[[ ${probe##*$'\n'} == 200 ]] || die "probe sign-transaction answered ${probe##*$'\n'}: ${probe%$'\n'*}"
probe_body=${probe%$'\n'*}
echo "$probe_body" >"$BENCH_OUT/sign-transaction.response.json"
[[ $(jq -r '.complete' <<<"$probe_body") == true ]] || die "probe signing not complete: $probe_body"
verify=$(curl -sf --max-time 10 "$URL/v1/keys/$KEY_ID/verify" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' \
  -d "{\"chain\":\"neo\",\"network_magic\":894710606,\"signed_tx\":$(jq '.signed_tx' <<<"$probe_body")}" | jq -r '.valid')
[[ $verify == true ]] || die "the probe's signed transaction does not verify"

# ---- load ---------------------------------------------------------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)

run_wrk() {  # name seconds [lua-env...] — raw output in $BENCH_OUT/name.txt, CPU accounting in name.txt.cpu
  local name=$1 secs=$2 out=$BENCH_OUT/$1.txt n0 e0 b0 n1 e1 b1 target=$URL/health/live
  shift 2
  local script=()
  if (($# > 0)); then script=(-s "$ROOT/bench/sign_load.lua"); target=$URL; fi
  n0=$(cpu_ticks "$NSL_PID"); e0=$(cpu_ticks "$ENCLAVE_PID"); b0=$(busy_ticks)
  bench_wrk "$name" "$out" "$secs" SIGN_LOAD_KEY_ID="$KEY_ID" SIGN_LOAD_TO="$ADDRESS" "$@" -- "${script[@]}" "$target"
  kill -0 "$NSL_PID" 2>/dev/null || die "nsl died under load ($name)"
  n1=$(cpu_ticks "$NSL_PID"); e1=$(cpu_ticks "$ENCLAVE_PID"); b1=$(busy_ticks)
  echo "nsl=$((n1 - n0)) enclave=$((e1 - e0)) busy=$((b1 - b0))" >"$out.cpu"
}

# -> "req_per_s p50_ms p99_ms errors nsl_cpu_us_per_req enclave_cpu_us_per_req busy_cpu_share"
parse_wrk() {
  local stats
  stats=$(bench_wrk_stats "$1") || return 1
  awk -v tck="$CLK_TCK" -v ncpu="$(nproc)" -v secs="$2" -v acct="$(cat "$1.cpu")" -v stats="$stats" '
    BEGIN {
      split(stats, f, " "); split(acct, kv, /[ =]/); nsl = kv[2]; enc = kv[4]; busy = kv[6]; n = f[5]
      printf "%.1f %.3f %.3f %d %.1f %.1f %.2f\n", f[1], f[2], f[3], f[4], nsl / tck * 1e6 / n, enc / tck * 1e6 / n,
        busy / tck / (ncpu * secs)
    }'
}

declare -A R=()
measure() {  # name seconds [lua-env...]
  local name=$1 secs=$2
  run_wrk "$@"
  R[$name]=$(parse_wrk "$BENCH_OUT/$name.txt" "$secs") || die "cannot parse $BENCH_OUT/$name.txt"
  log "$name: $(awk '{ printf "%.0f req/s, p50 %.2f ms, p99 %.2f ms, %d errors", $1, $2, $3, $4 }' <<<"${R[$name]}")"
}
field() { awk -v i="$2" '{ print $i }' <<<"${R[$1]}"; }

# Which credential is cheaper on the signing route: API key or access token (short runs, same server). Decided
# by nsl's CPU time per request, which a busy shared machine disturbs far less than req/s of a few seconds.
((BENCH_WARMUP > 0)) && run_wrk warmup "$BENCH_WARMUP" SIGN_LOAD_CREDENTIAL="$TOKEN"
measure auth-apikey "$BENCH_AUTH_SECONDS" SIGN_LOAD_CREDENTIAL="$API_KEY"
measure auth-token "$BENCH_AUTH_SECONDS" SIGN_LOAD_CREDENTIAL="$TOKEN"
if awk -v a="$(field auth-apikey 5)" -v t="$(field auth-token 5)" 'BEGIN { exit !(a < t) }'; then
  CRED_NAME="API key"; CRED=$API_KEY
else
  CRED_NAME="access token"; CRED=$TOKEN
fi
log "measuring with the $CRED_NAME (less nsl CPU per request)"

# The headline and its baselines, back to back: HTTP floor, authenticated GET (auth + rate limits + one key
# read, no signing), full-path signing.
measure health "$BENCH_BASE_SECONDS"
measure get-key "$BENCH_BASE_SECONDS" SIGN_LOAD_CREDENTIAL="$CRED" SIGN_LOAD_GET="/v1/keys/$KEY_ID"
PERF_PID=""
if [[ ${BENCH_PERF:-0} != 0 ]]; then
  command -v perf >/dev/null || die "BENCH_PERF is set but perf not found"
  perf_opts=(-F "${BENCH_PERF_HZ:-999}" -g)
  # shellcheck disable=SC2054 # "dwarf,16384" is one argument
  [[ $BENCH_PERF == dwarf ]] && perf_opts=(-F "${BENCH_PERF_HZ:-199}" --call-graph dwarf,16384)
  perf record -q "${perf_opts[@]}" -o "$BENCH_OUT/perf.data" -p "$NSL_PID,$ENCLAVE_PID" -- sleep "$BENCH_SECONDS" \
    >"$BENCH_OUT/perf.log" 2>&1 &
  PERF_PID=$!
fi
measure sign "$BENCH_SECONDS" SIGN_LOAD_CREDENTIAL="$CRED"
if [[ -n $PERF_PID ]]; then
  wait "$PERF_PID" || log "WARNING: perf record failed (see $BENCH_OUT/perf.log)"
  PERF_PID=""
  perf report -i "$BENCH_OUT/perf.data" --no-children --sort comm,dso,symbol --percent-limit 0.5 --stdio \
    -g none >"$BENCH_OUT/perf.report.txt" 2>/dev/null || true
  perf report -i "$BENCH_OUT/perf.data" --no-children --sort comm,dso --stdio -g none \
    >"$BENCH_OUT/perf.dso.txt" 2>/dev/null || true
  perf report -i "$BENCH_OUT/perf.data" --children --sort comm,symbol --percent-limit 2 --stdio -g none \
    >"$BENCH_OUT/perf.children.txt" 2>/dev/null || true
  log "perf: $BENCH_OUT/perf.report.txt, $BENCH_OUT/perf.dso.txt"
fi
if (($(field sign 4) > 0)); then
  status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$URL/v1/keys/$KEY_ID/sign-transaction" \
    -H "Authorization: Bearer $CRED" -H 'Content-Type: application/json' -d "$(sign_body)")
  log "WARNING: $(field sign 4) failed sign-transaction requests during the run (one more now answers $status)"
fi
curl -s --max-time 5 "http://127.0.0.1:$MPORT/metrics" >"$BENCH_OUT/metrics.txt" || true

# ---- signing rates (the server idles meanwhile; its nsl-enclave is the one measured) ---------------------------
NCPU=$(nproc)
rate() { sed -n 's/.* rate=\([0-9.]*\).*/\1/p' <<<"$1"; }
run_rate() {  # label command...
  local out
  out=$("$@" 2>&1) || die "$1 failed: $out"
  echo "$out" >>"$BENCH_OUT/rates.txt"
  log "$out"
  rate "$out"
}
RAW1=$(run_rate "$BIN/bench_sign_rate" raw "$BENCH_RATE_SECONDS" 1)
RAWN=$(run_rate "$BIN/bench_sign_rate" raw "$BENCH_RATE_SECONDS" "$NCPU")
HSM1=$(run_rate "$BIN/bench_softhsm" "$SOFTHSM_MODULE" "$BENCH_RATE_SECONDS" 1)
HSMN=$(run_rate "$BIN/bench_softhsm" "$SOFTHSM_MODULE" "$BENCH_RATE_SECONDS" "$NCPU")
# As many connections as the server's client keeps (its enclave.connections; the program's default is nsl's).
ENC_CONNS=()
for kv in "${NSL_ENV[@]}"; do [[ $kv == NSL_ENCLAVE_CONNECTIONS=* ]] && ENC_CONNS=("${kv#*=}"); done
ENC1=$(run_rate "$BIN/bench_sign_rate" enclave "$DATA/enclave.sock" "$BENCH_RATE_SECONDS" 1 "${ENC_CONNS[@]}")
ENC64=$(run_rate "$BIN/bench_sign_rate" enclave "$DATA/enclave.sock" "$BENCH_RATE_SECONDS" 64 "${ENC_CONNS[@]}")

bench_stop nsl

# ---- report -------------------------------------------------------------------------------------------------
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=""
[[ -n $(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]] && dirty="+dirty"
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
goal() { awk -v v="$1" -v g="$2" 'BEGIN { print (v >= g) ? "met" : "MISSED" }'; }
row() {  # name label
  local f
  read -r -a f <<<"${R[$1]}"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$2" "$(printf %.0f "${f[0]}")" "${f[1]}" "${f[2]}" "${f[3]}" \
    "${f[4]}" "${f[5]}" "$(awk -v b="${f[6]}" 'BEGIN { printf "%.0f %%", b * 100 }')"
}
A=$(field sign 1)
P99=$(field sign 3)

echo
echo "date $(date -u +%Y-%m-%dT%H:%MZ) | $NCPU CPUs, $cpu | commit $commit$dirty | load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "nsl serve (embedded: SQLite, in-process cache, nsl-enclave spawned, sim mode), HTTP on loopback," \
  "workers=$BENCH_THREADS (0 = per CPU),${BENCH_NSL_ENV:+ $BENCH_NSL_ENV,} access log $BENCH_ACCESS_LOG (/dev/null); wrk -t$WRK_THREADS -c$BENCH_CONNECTIONS --latency;" \
  "credential: $CRED_NAME; the key has a signing policy (network, contract and method, value per transaction," \
  "time window)"
echo
echo "| wrk run | req/s | p50 ms | p99 ms | errors | nsl CPU µs/req | nsl-enclave CPU µs/req | machine busy |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
row auth-apikey "sign-transaction, API key (${BENCH_AUTH_SECONDS}s)"
row auth-token "sign-transaction, access token (${BENCH_AUTH_SECONDS}s)"
row health "GET /health/live — HTTP floor (${BENCH_BASE_SECONDS}s)"
row get-key "GET /v1/keys/{id}, $CRED_NAME — auth, no signing (${BENCH_BASE_SECONDS}s)"
row sign "**POST sign-transaction, $CRED_NAME (${BENCH_SECONDS}s)**"
echo
echo "| signing rate (${BENCH_RATE_SECONDS}s each) | signs/s |"
echo "|---|---:|"
echo "| in-process crypto::ecdsa_sign secp256r1, 1 thread | $(printf %.0f "$RAW1") |"
echo "| in-process, $NCPU threads | $(printf %.0f "$RAWN") |"
echo "| SoftHSM v2 PKCS#11 CKM_ECDSA P-256, 1 thread | $(printf %.0f "$HSM1") |"
echo "| SoftHSM v2, $NCPU threads (one session each) | $(printf %.0f "$HSMN") |"
echo "| EnclaveClient → nsl-enclave socket, 1 in flight | $(printf %.0f "$ENC1") |"
echo "| EnclaveClient → nsl-enclave socket, 64 in flight | $(printf %.0f "$ENC64") |"
echo
# The ratio goals are judged on the exact quotients (a rounded 0.298 must not pass as 0.30), printed to 3 places.
div3() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
ratio_goal() { awk -v a="$1" -v b="$2" -v g="$3" 'BEGIN { print (a / b >= g) ? "met" : "MISSED" }'; }
C=$(div3 "$A" "$RAW1")
HSMBEST=$(awk -v a="$HSM1" -v b="$HSMN" 'BEGIN { print (a > b) ? a : b }')  # the peer at its best on this machine
E=$(div3 "$ENC64" "$HSMBEST")
echo "(a) full-path sign-transaction: $(printf %.0f "$A") req/s, p50 $(field sign 2) ms, p99 $P99 ms" \
  "— goal >= 10,000 req/s with p99 <= 10 ms: $(goal "$A" 10000) / $(awk -v p="$P99" 'BEGIN { print (p <= 10) ? "met" : "MISSED" }')"
echo "(b) raw in-process secp256r1 sign: $(printf %.0f "$RAW1")/s (1 thread), $(printf %.0f "$RAWN")/s ($NCPU threads)"
echo "(c) a/b = $C (vs $NCPU threads: $(div "$A" "$RAWN")) — goal >= 0.30: $(ratio_goal "$A" "$RAW1" 0.30)"
echo "(d) SoftHSM v2 P-256: $(printf %.0f "$HSM1")/s (1 thread), $(printf %.0f "$HSMN")/s ($NCPU threads)"
echo "(e) enclave socket: $(printf %.0f "$ENC64")/s (64 in flight) = $E × SoftHSM at its best ($(printf %.0f "$HSMBEST")/s);" \
  "$(printf %.0f "$ENC1")/s (1 in flight) = $(div "$ENC1" "$HSM1") × SoftHSM 1 thread — goal >= 2×: $(ratio_goal "$ENC64" "$HSMBEST" 2)"
echo "sign ÷ HTTP floor: $(div "$A" "$(field health 1)"); sign ÷ authenticated GET: $(div "$A" "$(field get-key 1)");" \
  "sign ÷ enclave socket (64 in flight): $(div "$A" "$ENC64")"
echo "raw outputs: $BENCH_OUT"
