#!/usr/bin/env bash
# bench/secrets_load.sh — the secrets store's full HTTP path on PostgreSQL: KV writes (PUT /v1/secrets/{path}, a new
# path per request) and KV reads (GET of paths written before) through `nsl serve` on PostgreSQL 15 (service role,
# row-level security) + Redis, with nsl-enclave spawned as usual; optionally transit encrypt / decrypt when the
# server has /v1/transit routes. The headline is KV writes/s against OpenBao's published figure. See
# bench/README.md, "Secrets load".
#
#   bash bench/secrets_load.sh                      # build the release preset's nsl + nsl-enclave if needed, measure
#   BUILD_DIR=build/h-release BENCH_NO_BUILD=1 bash bench/secrets_load.sh
#   NSL_TEST_SERVICES_ENV=/tmp/nsl-svc/env bash bench/secrets_load.sh   # running services (scripts/test-services.sh)
#
# Environment (defaults in brackets):
#   BUILD_DIR              build tree with bin/nsl and bin/nsl-enclave [build/release, via the preset]
#   BENCH_NO_BUILD=1       use the binaries as they are
#   BENCH_SECONDS          each measured wrk run (KV writes, KV reads, transit encrypt, transit decrypt) [20]
#   BENCH_WARMUP           warm-up seconds before the writes and before the reads (not counted) [2]
#   BENCH_READ_PATHS       paths written before the reads (with curl) and read round-robin [1000]
#   BENCH_CONNECTIONS      wrk connections [64]      WRK_THREADS  wrk threads [2]
#   BENCH_THREADS          nsl I/O workers (server.workers) [0 = one per CPU, the default]
#   BENCH_ACCESS_LOG       true|false, nsl's access log (to /dev/null) [true, the production default]
#   BENCH_TRANSIT          auto|off: the transit section when the server has the routes [auto]
#   BENCH_NSL_ENV          extra NSL_* overrides for nsl, space-separated (e.g. "NSL_DATABASE_POOL_SIZE=32")
#   NSL_TEST_SERVICES_ENV  env file of running PostgreSQL + Redis (scripts/test-services.sh); unset = start a
#                          throw-away pair in a temporary directory and stop it at the end
#   BENCH_OUT              where the raw outputs are kept [$BUILD_DIR/bench/secrets_load-<utc time>]
#
# The database is nsl's production layout, made fresh for the run as the PostgreSQL superuser (as
# tests/harness/pg_scratch.cpp does): an owner role owning a scratch database (`nsl migrate` runs as it,
# database.migration_url) and a NOSUPERUSER NOBYPASSRLS service role in group nsl_app (`nsl serve` runs as it,
# database.url). On running services the scratch database and both roles are dropped at the end.
#
# Not a test: nothing is asserted; the goal is printed beside the figures. Every wait is bounded; nsl (and with it
# nsl-enclave), the services the script started and the temporary directories are removed on any exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BENCH_NAME=secrets_load
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

BENCH_SECONDS=${BENCH_SECONDS:-20}
BENCH_WARMUP=${BENCH_WARMUP:-2}
BENCH_READ_PATHS=${BENCH_READ_PATHS:-1000}
BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
BENCH_THREADS=${BENCH_THREADS:-0}
BENCH_ACCESS_LOG=${BENCH_ACCESS_LOG:-true}
BENCH_TRANSIT=${BENCH_TRANSIT:-auto}
READY_TIMEOUT_S=30
STOP_TIMEOUT_S=10
BUILD_TIMEOUT_S=${BUILD_TIMEOUT_S:-3600}
SERVICES_TIMEOUT_S=120  # starting or stopping PostgreSQL + Redis
SQL_TIMEOUT_S=60        # one psql session
CLI_TIMEOUT_S=300       # one nsl CLI command (nsl migrate, nsl tenants create)
PREPOPULATE_TIMEOUT_S=600
LIMIT=10000000          # the largest rate_limit.*_per_minute accepted: no request of the bench is rate limited
OPENBAO_KV_WRITES=140   # OpenBao on Raft, KV writes/s, published: the reference of the goal
GOAL_RATIO=30

bench_uints BENCH_SECONDS BENCH_WARMUP BENCH_READ_PATHS BENCH_CONNECTIONS WRK_THREADS BENCH_THREADS
((BENCH_SECONDS > 0 && BENCH_READ_PATHS > 0 && BENCH_CONNECTIONS > 0 && WRK_THREADS > 0)) ||
  die "BENCH_SECONDS, BENCH_READ_PATHS, BENCH_CONNECTIONS and WRK_THREADS must be > 0"
case $BENCH_ACCESS_LOG in true | false) ;; *) die "BENCH_ACCESS_LOG must be true or false" ;; esac
case $BENCH_TRANSIT in auto | off) ;; *) die "BENCH_TRANSIT must be auto or off" ;; esac
bench_need_tools wrk curl jq od base64

# ---- build ------------------------------------------------------------------------------------------------
bench_build nsl nsl-enclave
bench_need_bins "build it, or point BUILD_DIR at a build tree" nsl nsl-enclave
bench_warn_build_type

bench_tmp nsl-secrets-load
BENCH_OUT=${BENCH_OUT:-$BUILD_DIR/bench/secrets_load-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$BENCH_OUT"

# ---- PostgreSQL + Redis ---------------------------------------------------------------------------------------
if [[ -n ${NSL_TEST_SERVICES_ENV:-} ]]; then
  SERVICES_ENV=$NSL_TEST_SERVICES_ENV
  [[ -r $SERVICES_ENV ]] || die "NSL_TEST_SERVICES_ENV=$SERVICES_ENV is not a readable file"
  OWN_SERVICES=0
  log "using the running services of $SERVICES_ENV"
else
  # Its own directory, traversable by others: under root, PostgreSQL runs as the unprivileged user nsltest
  # (scripts/test-services.sh), which must reach it; BENCH_TMP (0700) keeps the credentials.
  SVC_PARENT=$(mktemp -d "${TMPDIR:-/tmp}/nsl-secrets-svc.XXXXXX")
  chmod 711 "$SVC_PARENT"
  SVC_DIR=$SVC_PARENT/services
  stop_services() {
    timeout "$SERVICES_TIMEOUT_S" bash "$ROOT/scripts/test-services.sh" stop "$SVC_DIR" >/dev/null 2>&1 ||
      log "WARNING: scripts/test-services.sh stop $SVC_DIR failed"
    rm -rf "$SVC_PARENT"
  }
  bench_at_exit stop_services
  log "starting PostgreSQL + Redis (scripts/test-services.sh start $SVC_DIR)"
  timeout "$SERVICES_TIMEOUT_S" bash "$ROOT/scripts/test-services.sh" start "$SVC_DIR" >"$BENCH_TMP/services.log" 2>&1 ||
    { tail -n 30 "$BENCH_TMP/services.log" >&2; die "scripts/test-services.sh start failed"; }
  SERVICES_ENV=$SVC_DIR/env
  OWN_SERVICES=1
fi
svc_var() { sed -n "s/^$1=//p" "$SERVICES_ENV" | head -n 1; }
PG_DSN=$(svc_var NSL_TEST_PG_DSN)
REDIS_URL=$(svc_var NSL_TEST_REDIS_URL)
PG_BIN=$(svc_var NSL_TEST_PG_BIN)
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
SERVICES_DIR=$(svc_var NSL_TEST_SERVICES_DIR)
[[ -n $PG_DSN && -n $REDIS_URL ]] || die "$SERVICES_ENV has no NSL_TEST_PG_DSN or NSL_TEST_REDIS_URL"
PSQL=$PG_BIN/psql
[[ -x $PSQL ]] || PSQL=$(command -v psql) || die "psql not found (in $PG_BIN or on PATH)"
[[ $PG_DSN =~ ^postgres(ql)?://[^@/]*@([^/?]+) ]] || die "cannot read host:port from NSL_TEST_PG_DSN"
PG_HOSTPORT=${BASH_REMATCH[2]}

# psql as the superuser of NSL_TEST_PG_DSN (or of another database of that server: $1), SQL on stdin.
admin_sql() {
  local dsn=${1:-$PG_DSN}
  PGCONNECT_TIMEOUT=5 timeout "$SQL_TIMEOUT_S" "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -d "$dsn" -f -
}

# ---- scratch database: owner + service role (the layout of tests/harness/pg_scratch.cpp) --------------------------
SUFFIX=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
PG_PASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')  # hex: safe in URIs and SQL literals
DB_NAME=nsl_bench_secrets_$SUFFIX
OWNER_ROLE=nsl_bench_owner_$SUFFIX
SERVICE_ROLE=nsl_bench_svc_$SUFFIX
OWNER_URL="postgresql://$OWNER_ROLE:$PG_PASSWORD@$PG_HOSTPORT/$DB_NAME?connect_timeout=5"
SERVICE_URL="postgresql://$SERVICE_ROLE:$PG_PASSWORD@$PG_HOSTPORT/$DB_NAME?connect_timeout=5"
ADMIN_DB_DSN=${PG_DSN%%\?*}
ADMIN_DB_DSN=${ADMIN_DB_DSN%/*}/$DB_NAME  # the superuser, in the scratch database (row counts at the end)
drop_scratch() {
  admin_sql >/dev/null 2>&1 <<SQL || log "WARNING: could not drop $DB_NAME / $OWNER_ROLE / $SERVICE_ROLE"
DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE);
DROP ROLE IF EXISTS $SERVICE_ROLE;
DROP ROLE IF EXISTS $OWNER_ROLE;
SQL
}
# A throw-away server is removed whole; running services keep nothing of the run.
((OWN_SERVICES)) || bench_at_exit drop_scratch
# One statement per line (psql -f): CREATE DATABASE cannot run inside the implicit transaction of a multi-statement -c.
admin_sql >"$BENCH_TMP/scratch.log" 2>&1 <<SQL || { cat "$BENCH_TMP/scratch.log" >&2; die "creating the scratch database failed"; }
DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nsl_app') THEN CREATE ROLE nsl_app NOLOGIN; END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END \$\$;
CREATE ROLE $OWNER_ROLE LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD '$PG_PASSWORD';
CREATE ROLE $SERVICE_ROLE LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB PASSWORD '$PG_PASSWORD' IN ROLE nsl_app;
CREATE DATABASE $DB_NAME OWNER $OWNER_ROLE;
SQL
log "PostgreSQL $PG_HOSTPORT: database $DB_NAME (owner $OWNER_ROLE), service role $SERVICE_ROLE (member of nsl_app)"

# ---- nsl migrate, nsl serve -------------------------------------------------------------------------------------
PORT=$(free_port)
MPORT=$(free_port)
DATA=$BENCH_TMP/data
URL=http://127.0.0.1:$PORT
# nsl and the CLI see exactly this configuration (run from an empty directory: no stray nsl.toml or ./data).
NSL_ENV=(NSL_SERVER_BIND=127.0.0.1 NSL_SERVER_HTTP_PORT="$PORT" NSL_SERVER_HTTPS_PORT=0 NSL_SERVER_METRICS_PORT="$MPORT"
  NSL_SERVER_WORKERS="$BENCH_THREADS" NSL_DATA_DIR="$DATA" NSL_LOG_LEVEL=warn NSL_LOG_ACCESS_LOG="$BENCH_ACCESS_LOG"
  NSL_SERVER_DRAIN_TIMEOUT_MS=2000 NSL_SERVER_SHUTDOWN_DELAY_MS=0
  NSL_DATABASE_URL="$SERVICE_URL" NSL_DATABASE_MIGRATION_URL="$OWNER_URL"
  NSL_CACHE_URL="$REDIS_URL" NSL_CACHE_PREFIX="nslbench$SUFFIX:"
  NSL_RATE_LIMIT_GENERAL_PER_MINUTE="$LIMIT" NSL_RATE_LIMIT_IP_PER_MINUTE="$LIMIT"
  NSL_RATE_LIMIT_KEYS_PER_MINUTE="$LIMIT" NSL_RATE_LIMIT_SIGN_PER_MINUTE="$LIMIT")
if [[ -n ${BENCH_NSL_ENV:-} ]]; then
  read -r -a extra_env <<<"$BENCH_NSL_ENV"
  for kv in "${extra_env[@]}"; do
    [[ $kv =~ ^NSL_[A-Z0-9_]+=.*$ ]] || die "BENCH_NSL_ENV: '$kv' is not NSL_NAME=value"
  done
  NSL_ENV+=("${extra_env[@]}")
fi
nsl_cli() { (cd "$BENCH_CWD" && timeout "$CLI_TIMEOUT_S" env "${NSL_ENV[@]}" "$BIN/nsl" "$@"); }

nsl_cli migrate >"$BENCH_OUT/migrate.txt" 2>&1 || { tail -n 20 "$BENCH_OUT/migrate.txt" >&2; die "nsl migrate failed"; }

# nsl's stderr (warnings and errors only) is kept beside the wrk outputs; registered before the start, so that it is
# copied after nsl has stopped.
# shellcheck disable=SC2016 # expanded when the hook runs
bench_at_exit 'cp "$BENCH_TMP/nsl.err" "$BENCH_OUT/nsl.stderr.txt" 2>/dev/null || true'
bench_start_nsl nsl /dev/null "$URL/health/ready" "${NSL_ENV[@]}"
NSL_PID=${BENCH_PID[nsl]}
ENCLAVE_PID=${BENCH_ENCLAVE_PID[nsl]:-}
[[ -n $ENCLAVE_PID ]] ||
  die "no nsl-enclave child of nsl (pid $NSL_PID): the bench needs the default enclave.spawn = true"
log "nsl pid $NSL_PID on $URL, nsl-enclave pid $ENCLAVE_PID"

# The service processes whose CPU time is read around each run (when known: the services' directory is in the env).
PG_PID=""
REDIS_PID=""
if [[ -n $SERVICES_DIR ]]; then
  PG_PID=$(head -n 1 "$SERVICES_DIR/pg/data/postmaster.pid" 2>/dev/null || true)
  REDIS_PID=$(cat "$SERVICES_DIR/redis/redis.pid" 2>/dev/null || true)
fi
[[ $PG_PID =~ ^[0-9]+$ && -r /proc/$PG_PID/stat ]] || PG_PID=""
[[ $REDIS_PID =~ ^[0-9]+$ && -r /proc/$REDIS_PID/stat ]] || REDIS_PID=""

# ---- tenant, credential -------------------------------------------------------------------------------------------
tenant_json=$(nsl_cli tenants create secrets-load --json) || die "nsl tenants create failed"
API_KEY=$(jq -er '.api_key' <<<"$tenant_json") || die "no api_key in: $tenant_json"
# A fresh access token for each wrk run (the default lifetime is 15 min; runs may be long).
new_token() {
  curl -sf --max-time 10 "$URL/v1/auth/token" -d grant_type=client_credentials \
    --data-urlencode "client_secret=$API_KEY" | jq -er '.access_token'
}
TOKEN=$(new_token) || die "POST /v1/auth/token failed"

# One write and one read by hand: 200, version 1, the value read back as written.
VALUE='{"username":"svc-orders","password":"bench-00000000-Pz8Rt4Wn","host":"db1.internal:5432","db":"orders"}'
probe=$(curl -s --max-time 10 -w '\n%{http_code}' -X PUT "$URL/v1/secrets/bench/probe" \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "{\"data\":$VALUE}")
[[ ${probe##*$'\n'} == 200 ]] || die "probe PUT /v1/secrets/bench/probe answered ${probe##*$'\n'}: ${probe%$'\n'*}"
echo "${probe%$'\n'*}" >"$BENCH_OUT/put.response.json"
[[ $(jq -r '.version' <<<"${probe%$'\n'*}") == 1 ]] || die "probe PUT did not make version 1: ${probe%$'\n'*}"
got=$(curl -sf --max-time 10 "$URL/v1/secrets/bench/probe" -H "Authorization: Bearer $TOKEN") ||
  die "probe GET /v1/secrets/bench/probe failed"
[[ $(jq -cS '.data' <<<"$got") == $(jq -cS . <<<"$VALUE") ]] || die "probe GET returned another value: $got"
echo "$got" >"$BENCH_OUT/get.response.json"

# ---- the paths the reads will read: BENCH_READ_PATHS writes by one curl, 16 in parallel ---------------------------
PRIV=$BENCH_TMP/private  # holds the token
mkdir -m 700 "$PRIV"
printf '{"data":%s}' "$VALUE" >"$PRIV/value.json"
for ((i = 0; i < BENCH_READ_PATHS; i++)); do
  printf 'url = "%s/v1/secrets/bench/read/%d"\nrequest = "PUT"\nheader = "Authorization: Bearer %s"\n' "$URL" "$i" "$TOKEN"
  printf 'header = "Content-Type: application/json"\ndata-binary = "@%s"\nmax-time = 30\n' "$PRIV/value.json"
  printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
  if ((i + 1 < BENCH_READ_PATHS)); then printf 'next\n'; fi
done >"$PRIV/prepopulate.curl"
log "writing $BENCH_READ_PATHS paths to read (bench/read/0..$((BENCH_READ_PATHS - 1)))"
t0=$(date +%s.%N)
timeout "$PREPOPULATE_TIMEOUT_S" curl -s --parallel --parallel-max 16 -K "$PRIV/prepopulate.curl" \
  >"$BENCH_OUT/prepopulate.codes.txt" 2>&1 || true
t1=$(date +%s.%N)
ok=$(grep -c '^200$' "$BENCH_OUT/prepopulate.codes.txt" || true)
((ok == BENCH_READ_PATHS)) || die "pre-population: $ok of $BENCH_READ_PATHS PUTs answered 200 (status counts:" \
  "$(sort "$BENCH_OUT/prepopulate.codes.txt" | uniq -c | tr -s ' \n' ' '))"
log "pre-population: $ok PUTs in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"

# ---- load ---------------------------------------------------------------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)
# CPU of a process tree: the process, its reaped children and its live children (PostgreSQL: the postmaster and
# its backends).
tree_ticks() {
  local t c
  [[ -n $1 ]] || { echo 0; return; }
  t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat" 2>/dev/null || echo 0)
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null || true); do
    t=$((t + $(cpu_ticks "$c" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
acct() { echo "$(cpu_ticks "$NSL_PID") $(cpu_ticks "$ENCLAVE_PID") $(tree_ticks "$PG_PID") $(tree_ticks "$REDIS_PID") $(busy_ticks)"; }

run_wrk() {  # name seconds lua-env... — raw output in $BENCH_OUT/name.txt, CPU accounting in name.txt.cpu
  local name=$1 secs=$2 out=$BENCH_OUT/$1.txt a0 a1
  shift 2
  a0=$(acct)
  bench_wrk "$name" "$out" "$secs" SECRETS_LOAD_CREDENTIAL="$TOKEN" "$@" -- -s "$ROOT/bench/secrets_load.lua" "$URL"
  kill -0 "$NSL_PID" 2>/dev/null || die "nsl died under load ($name)"
  a1=$(acct)
  awk -v a="$a0" -v b="$a1" 'BEGIN { n = split(a, x, " "); split(b, y, " ")
    printf "nsl=%d enclave=%d postgres=%d redis=%d busy=%d\n", y[1]-x[1], y[2]-x[2], y[3]-x[3], y[4]-x[4], y[5]-x[5] }' \
    >"$out.cpu"
}

# -> "req_per_s p50_ms p99_ms non2xx socket_errors nsl_us enclave_us postgres_us redis_us busy_share" (CPU per request)
parse_wrk() {
  local stats
  stats=$(bench_wrk_stats "$1") || return 1
  awk -v tck="$CLK_TCK" -v ncpu="$(nproc)" -v secs="$2" -v acct="$(cat "$1.cpu")" -v stats="$stats" \
    -v pg="${PG_PID:+1}" -v rd="${REDIS_PID:+1}" '
    function us(t) { return sprintf("%.1f", t / tck * 1e6 / n) }
    BEGIN {
      split(stats, f, " "); split(acct, kv, /[ =]/); n = f[5]
      printf "%.1f %.3f %.3f %d %d %s %s %s %s %.2f\n", f[1], f[2], f[3], f[6], f[7], us(kv[2]), us(kv[4]),
        pg ? us(kv[6]) : "-", rd ? us(kv[8]) : "-", kv[10] / tck / (ncpu * secs)
    }'
}

declare -A R=()
measure() {  # name seconds lua-env...
  local name=$1 secs=$2
  TOKEN=$(new_token) || die "POST /v1/auth/token failed"
  run_wrk "$@"
  R[$name]=$(parse_wrk "$BENCH_OUT/$name.txt" "$secs") || die "cannot parse $BENCH_OUT/$name.txt"
  log "$name: $(awk '{ printf "%.0f req/s, p50 %.2f ms, p99 %.2f ms, %d non-2xx, %d socket errors", $1, $2, $3, $4, $5 }' \
    <<<"${R[$name]}")"
}
field() { awk -v i="$2" '{ print $i }' <<<"${R[$1]}"; }

# (a) KV writes: a new path per request (bench/put/<thread>-<counter>), so rows and versions grow as in real use.
((BENCH_WARMUP > 0)) && run_wrk warmup-put "$BENCH_WARMUP" SECRETS_LOAD_MODE=put SECRETS_LOAD_PREFIX=bench/warmup
measure kv-put "$BENCH_SECONDS" SECRETS_LOAD_MODE=put SECRETS_LOAD_PREFIX=bench/put
# (b) KV reads: the pre-written paths, round-robin.
((BENCH_WARMUP > 0)) &&
  run_wrk warmup-get "$BENCH_WARMUP" SECRETS_LOAD_MODE=get SECRETS_LOAD_PREFIX=bench/read SECRETS_LOAD_PATHS="$BENCH_READ_PATHS"
measure kv-get "$BENCH_SECONDS" SECRETS_LOAD_MODE=get SECRETS_LOAD_PREFIX=bench/read SECRETS_LOAD_PATHS="$BENCH_READ_PATHS"

for run in kv-put kv-get; do
  if (($(field "$run" 4) + $(field "$run" 5) > 0)); then
    if [[ $run == kv-put ]]; then
      again=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X PUT "$URL/v1/secrets/bench/again" \
        -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "{\"data\":$VALUE}" || true)
    else
      again=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$URL/v1/secrets/bench/read/0" \
        -H "Authorization: Bearer $TOKEN" || true)
    fi
    log "WARNING: $run had $(field "$run" 4) non-2xx responses and $(field "$run" 5) socket errors (one more request" \
      "now answers $again; see $BENCH_OUT/nsl.stderr.txt)"
  fi
done

# (c) transit, when the server has the routes: one key, a 64-byte plaintext; encrypt, then decrypt of one ciphertext.
TRANSIT_NOTE=""
if [[ $BENCH_TRANSIT == off ]]; then
  TRANSIT_NOTE="skipped (BENCH_TRANSIT=off)"
else
  code=$(curl -s --max-time 10 -o "$BENCH_OUT/transit-key.response.json" -w '%{http_code}' -X POST \
    "$URL/v1/transit/keys/bench" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{}') || code=000
  case $code in
    200 | 201)
      PLAINTEXT=$(printf 'transit bench plaintext: 64 bytes of application data to encrypt.' | head -c 64 | base64 -w0)
      enc=$(curl -sf --max-time 10 "$URL/v1/transit/keys/bench/encrypt" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' -d "{\"plaintext\":\"$PLAINTEXT\"}") || die "probe transit encrypt failed"
      CIPHERTEXT=$(jq -er '.ciphertext' <<<"$enc") || die "no ciphertext in: $enc"
      dec=$(curl -sf --max-time 10 "$URL/v1/transit/keys/bench/decrypt" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' -d "{\"ciphertext\":\"$CIPHERTEXT\"}") || die "probe transit decrypt failed"
      [[ $(jq -r '.plaintext' <<<"$dec") == "$PLAINTEXT" ]] || die "probe transit decrypt returned another plaintext"
      echo "$enc" >"$BENCH_OUT/transit-encrypt.response.json"
      measure transit-encrypt "$BENCH_SECONDS" SECRETS_LOAD_MODE=encrypt SECRETS_LOAD_KEY=bench SECRETS_LOAD_PLAINTEXT="$PLAINTEXT"
      measure transit-decrypt "$BENCH_SECONDS" SECRETS_LOAD_MODE=decrypt SECRETS_LOAD_KEY=bench \
        SECRETS_LOAD_CIPHERTEXT="$CIPHERTEXT"
      ;;
    404 | 405) TRANSIT_NOTE="skipped: POST /v1/transit/keys/bench answered $code (no transit routes in this build)" ;;
    *) TRANSIT_NOTE="skipped: POST /v1/transit/keys/bench answered $code ($(head -c 300 "$BENCH_OUT/transit-key.response.json" 2>/dev/null))" ;;
  esac
fi
[[ -z $TRANSIT_NOTE ]] || log "transit: $TRANSIT_NOTE"

curl -s --max-time 5 "http://127.0.0.1:$MPORT/metrics" >"$BENCH_OUT/metrics.txt" || true
# What the run left in the database, counted as the superuser (past row-level security).
ROWS=$(admin_sql "$ADMIN_DB_DSN" 2>/dev/null <<'SQL' | tr '\n' ' ' || true
SELECT (SELECT count(*) FROM secrets) || ' paths, ' || (SELECT count(*) FROM secret_versions) || ' versions';
SQL
)

bench_stop nsl

# ---- report -------------------------------------------------------------------------------------------------------
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=""
[[ -n $(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]] && dirty="+dirty"
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
pg_version=$(admin_sql 2>/dev/null <<<'SHOW server_version;' | awk 'NR == 1 { print $1 }' || true)
row() {  # name label
  local f
  read -r -a f <<<"${R[$1]}"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$2" "$(printf %.0f "${f[0]}")" "${f[1]}" \
    "${f[2]}" "${f[3]}" "${f[4]}" "${f[5]}" "${f[6]}" "${f[7]}" "${f[8]}" "$(awk -v b="${f[9]}" 'BEGIN { printf "%.0f %%", b * 100 }')"
}
line() {  # name label
  echo "$2: $(printf %.0f "$(field "$1" 1)") req/s, p50 $(field "$1" 2) ms, p99 $(field "$1" 3) ms," \
    "$(field "$1" 4) non-2xx, $(field "$1" 5) socket errors"
}

echo
echo "date $(date -u +%Y-%m-%dT%H:%MZ) | $(nproc) CPUs, $cpu | commit $commit$dirty | load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "nsl serve on PostgreSQL ${pg_version:-?} ($PG_HOSTPORT, service role under row-level security) + Redis (cache.url)," \
  "nsl-enclave spawned (sim), HTTP on loopback, workers=$BENCH_THREADS (0 = per CPU),${BENCH_NSL_ENV:+ $BENCH_NSL_ENV,}" \
  "access log $BENCH_ACCESS_LOG (/dev/null); wrk -t$WRK_THREADS -c$BENCH_CONNECTIONS --latency; credential: access token;" \
  "services: $( ((OWN_SERVICES)) && echo "started by the script" || echo "$SERVICES_ENV")"
echo
echo "| wrk run (${BENCH_SECONDS}s each) | req/s | p50 ms | p99 ms | non-2xx | socket errors | nsl CPU µs/req |" \
  "nsl-enclave CPU µs/req | PostgreSQL CPU µs/req | Redis CPU µs/req | machine busy |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
row kv-put "**PUT /v1/secrets/{path}, a new path per request**"
row kv-get "GET /v1/secrets/{path}, $BENCH_READ_PATHS paths round-robin"
if [[ -z $TRANSIT_NOTE ]]; then
  row transit-encrypt "POST /v1/transit/keys/{name}/encrypt, 64 bytes"
  row transit-decrypt "POST /v1/transit/keys/{name}/decrypt"
fi
echo
W=$(field kv-put 1)
X=$(awk -v w="$W" -v r="$OPENBAO_KV_WRITES" 'BEGIN { printf "%.1f", w / r }')
line kv-put "KV writes (PUT /v1/secrets/{path})"
line kv-get "KV reads (GET /v1/secrets/{path})"
echo "KV writes/s ÷ $OPENBAO_KV_WRITES (OpenBao on Raft, published) = $X (goal ≥ $GOAL_RATIO):" \
  "$(awk -v x="$X" -v g="$GOAL_RATIO" 'BEGIN { print (x >= g) ? "met" : "MISSED" }')"
if [[ -z $TRANSIT_NOTE ]]; then
  echo "transit: encrypt $(printf %.0f "$(field transit-encrypt 1)") ops/s (p99 $(field transit-encrypt 3) ms)," \
    "decrypt $(printf %.0f "$(field transit-decrypt 1)") ops/s (p99 $(field transit-decrypt 3) ms)," \
    "$(($(field transit-encrypt 4) + $(field transit-decrypt 4))) non-2xx"
else
  echo "transit: $TRANSIT_NOTE"
fi
if [[ -n $ROWS ]]; then echo "left in the database: ${ROWS% }"; fi
echo "raw outputs: $BENCH_OUT"
