#!/usr/bin/env bash
# Offline checks of deploy/ (no cluster, no Docker). Registered with ctest under the label "deploy"
# (tests/CMakeLists.txt); run one by hand with e.g. `bash scripts/check-deploy.sh k8s`.
#
#   check-deploy.sh tools          install the pinned tools that Debian 12 lacks into the tool cache
#   check-deploy.sh lint           yamllint -c deploy/.yamllint deploy
#   check-deploy.sh rules          promtool check rules, and promtool test rules (rules.test.yaml)
#   check-deploy.sh k8s            kustomize renders overlays dev and production; the output passes the
#                                  Kubernetes 1.28 schemas (kubernetes-validate --strict), deploy/k8s/schemas
#                                  for the custom resources, and the reference architecture's settings
#   check-deploy.sh metrics NSL    start the nsl binary NSL, scrape /metrics, and check that every metric
#                                  name in the rules and dashboards is one it exports
#   check-deploy.sh config NSL     every nsl.toml in deploy/ passes `NSL config check` (secret and TLS files
#                                  replaced by temporary ones)
#   check-deploy.sh dockerfile     deploy/Dockerfile builds with the Makefile's commands
#   check-deploy.sh compose        deploy/compose.yaml: services, files, volumes and secrets it refers to
#
# Tools: yamllint, promtool and python3-venv come from Debian (scripts/deps.sh). kustomize (v5.0.3, the
# newest that builds with Debian 12's Go 1.19) is built with `go install` from the Go module proxy, and
# kubernetes-validate (Kubernetes OpenAPI schemas, used offline) is installed from PyPI into a venv; both
# go to NSL_DEPLOY_TOOLS (default ~/.cache/nsl/deploy-tools) once. A missing tool is a failure, not a skip.
set -euo pipefail
cd "$(dirname "$0")/.."

KUSTOMIZE_VERSION=v5.0.3
KUBERNETES_VALIDATE_VERSION=1.37.0
KUBERNETES_VERSION=1.28.0   # the reference architecture's minimum
TOOLS=${NSL_DEPLOY_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/nsl/deploy-tools}
KUSTOMIZE=$TOOLS/bin/kustomize-$KUSTOMIZE_VERSION
VENV=$TOOLS/venv-kv-$KUBERNETES_VALIDATE_VERSION
PY=$VENV/bin/python

die() {
  echo "check-deploy: $*" >&2
  exit 1
}
need() { command -v "$1" >/dev/null || die "$1 not found: $2"; }

tmp=$(mktemp -d)
server_pid=""
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

tools() {
  mkdir -p "$TOOLS/bin"
  # One installer at a time (ctest runs these checks in parallel).
  exec 9>"$TOOLS/.lock"
  flock -w 600 9 || die "timed out waiting for $TOOLS/.lock"
  if [[ ! -x $KUSTOMIZE ]]; then
    need go "install golang-go (scripts/deps.sh) to build kustomize"
    echo "check-deploy: building kustomize $KUSTOMIZE_VERSION (go install, once)" >&2
    GOBIN=$tmp/gobin GOTOOLCHAIN=local GOFLAGS=-modcacherw GOMODCACHE=$TOOLS/gomod GOCACHE=$TOOLS/gocache \
      timeout 900 go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
    mv "$tmp/gobin/kustomize" "$KUSTOMIZE"
  fi
  if [[ ! -x $VENV/bin/kubernetes-validate ]]; then
    need python3 "install python3 and python3-venv (scripts/deps.sh)"
    echo "check-deploy: installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION (PyPI, once)" >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV" || die "python3 -m venv failed: install python3-venv (scripts/deps.sh)"
    timeout 600 "$VENV/bin/pip" install -q --disable-pip-version-check \
      "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  fi
  flock -u 9
}

lint() {
  need yamllint "install yamllint (scripts/deps.sh)"
  yamllint --strict -c deploy/.yamllint deploy
  echo "lint: ok"
}

rules() {
  need promtool "install prometheus (scripts/deps.sh), which provides promtool"
  promtool check rules deploy/prometheus/rules.yaml
  promtool test rules deploy/prometheus/rules.test.yaml
}

k8s() {
  tools
  local overlay out
  for overlay in dev production; do
    out=$tmp/$overlay.yaml
    "$KUSTOMIZE" build "deploy/k8s/overlays/$overlay" >"$out"
    echo "k8s: $overlay renders $(grep -c '^kind:' "$out") objects"
    # Built-in kinds against the Kubernetes OpenAPI schemas; custom resources have none there and are
    # checked by check_deploy.py against deploy/k8s/schemas.
    "$VENV/bin/kubernetes-validate" --strict --quiet -k "$KUBERNETES_VERSION" "$out" 2>&1 |
      { grep -v "Couldn't find schema for kind \(VerticalPodAutoscaler\|ServiceMonitor\)" || true; } >"$tmp/kv.log"
    if grep -q . "$tmp/kv.log"; then
      cat "$tmp/kv.log" >&2
      die "$overlay: schema validation failed"
    fi
    "$PY" deploy/tests/check_deploy.py k8s "$out" "$overlay"
    echo "k8s: $overlay passes schemas and settings"
  done
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

metrics() {
  local nsl=${1:-}
  [[ -x $nsl ]] || die "metrics: nsl binary '$nsl' not found or not executable"
  nsl=$(realpath "$nsl")
  tools
  need curl "install curl (scripts/deps.sh)"
  local http metrics_port https
  http=$(free_port)
  https=$(free_port)
  metrics_port=$(free_port)
  mkdir -p "$tmp/data"
  setup_pg "$nsl"
  (cd "$tmp" && exec env NSL_DATA_DIR="$tmp/data" NSL_SERVER_HTTP_PORT="$http" NSL_SERVER_HTTPS_PORT="$https" \
    NSL_SERVER_METRICS_PORT="$metrics_port" NSL_LOG_LEVEL=warn "${pg_env[@]}" "$nsl" serve >"$tmp/nsl.log" 2>&1) &
  server_pid=$!
  local ready=""
  for _ in $(seq 1 300); do  # 30 s
    if curl -fsS -o /dev/null "http://127.0.0.1:$http/health/ready" 2>/dev/null; then
      ready=1
      break
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z $ready ]]; then
    cat "$tmp/nsl.log" >&2
    die "metrics: nsl did not become ready within 30 s"
  fi
  curl -fsS -o /dev/null "http://127.0.0.1:$http/health/live"
  curl -fsS --max-time 10 "http://127.0.0.1:$metrics_port/metrics" >"$tmp/metrics.txt"
  if [[ -n $pg ]]; then
    "$PY" deploy/tests/check_deploy.py metric-names "$tmp/metrics.txt"
  else
    # Without PostgreSQL nsl does not register nsl_db_*; their names are then taken from the source.
    echo "metrics: no PostgreSQL (NSL_TEST_SERVICES_ENV): nsl_db_* names checked against the source only" >&2
    "$PY" deploy/tests/check_deploy.py metric-names "$tmp/metrics.txt" src/app/storage.cpp
  fi
}

# With the ctest service fixture (NSL_TEST_SERVICES_ENV): the roles and database of the compose stack, made by
# deploy/compose/postgres/init-primary.sh on the fixture's PostgreSQL, then `nsl migrate` as the owner; nsl
# serve then runs as the service role with the replica pool and Redis, the way compose.yaml runs it.
# Sets the NSL_* variables for serve in the array pg_env.
pg=""
pg_env=()
setup_pg() {
  local nsl=$1 env_file=${NSL_TEST_SERVICES_ENV:-}
  [[ -n $env_file && -r $env_file ]] || return 0
  local NSL_TEST_PG_DSN="" NSL_TEST_REDIS_URL=""
  # shellcheck disable=SC1090
  source "$env_file"
  [[ -n $NSL_TEST_PG_DSN ]] || die "metrics: $env_file has no NSL_TEST_PG_DSN"
  need psql "install postgresql-client-15 (scripts/deps.sh)"
  local rest=${NSL_TEST_PG_DSN#postgresql://}
  local user=${rest%%:*} pass=${rest#*:}
  pass=${pass%%@*}
  local hostport=${rest#*@}
  hostport=${hostport%%/*}
  local host=${hostport%:*} port=${hostport##*:}
  mkdir -p "$tmp/secrets" "$tmp/pgdata"
  for f in owner-password service-password replicator-password; do openssl rand -hex 16 >"$tmp/secrets/$f"; done
  touch "$tmp/pgdata/pg_hba.conf"
  export PGHOST=$host PGPORT=$port PGPASSWORD=$pass
  psql -q -v ON_ERROR_STOP=1 -U "$user" -d postgres \
    -c "DROP DATABASE IF EXISTS nsl" -c "DROP ROLE IF EXISTS nsl_service, nsl_owner, replicator"
  NSL_SECRETS_DIR=$tmp/secrets POSTGRES_USER=$user PGDATA=$tmp/pgdata bash deploy/compose/postgres/init-primary.sh
  unset PGHOST PGPORT PGPASSWORD
  grep -q "^host replication replicator" "$tmp/pgdata/pg_hba.conf" || die "init-primary.sh: no replication rule"
  local base="$host:$port/nsl"
  pg_env=(NSL_DATABASE_URL="postgresql://nsl_service:$(<"$tmp/secrets/service-password")@$base"
    NSL_DATABASE_REPLICA_URL="postgresql://nsl_service:$(<"$tmp/secrets/service-password")@$base"
    NSL_DATABASE_MIGRATION_URL="postgresql://nsl_owner:$(<"$tmp/secrets/owner-password")@$base"
    NSL_CACHE_URL="$NSL_TEST_REDIS_URL")
  (cd "$tmp" && env NSL_DATA_DIR="$tmp/data" "${pg_env[@]}" "$nsl" migrate) || die "metrics: nsl migrate failed"
  pg=1
}

config() {
  local nsl=${1:-} f out
  [[ -x $nsl ]] || die "config: nsl binary '$nsl' not found or not executable"
  need openssl "install openssl (scripts/deps.sh)"
  mkdir -p "$tmp/files"
  for f in enclave-token database-url database-migration-url database-replica-url cache-url metrics-token; do
    case $f in
      database-*) echo "postgresql://nsl_service:x@db.example:5432/nsl" ;;
      cache-url) echo "redis://:x@cache.example:6379/0" ;;
      *) openssl rand -hex 32 ;;
    esac >"$tmp/files/$f"
  done
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=nsl \
    -keyout "$tmp/files/tls.key" -out "$tmp/files/tls.crt" 2>/dev/null
  for f in deploy/k8s/base/config/nsl.toml deploy/k8s/overlays/*/config/nsl.toml deploy/compose/nsl.toml; do
    out=$tmp/$(echo "$f" | tr / _)
    sed -e "s#/run/nsl/secrets/#$tmp/files/#g; s#/run/secrets/#$tmp/files/#g; s#/etc/nsl/tls/#$tmp/files/#g" \
      "$f" >"$out"
    "$nsl" config check --config "$out" >/dev/null || die "config: $f is not a valid nsl configuration"
    echo "config: $f is valid"
  done
}

dockerfile() {
  need python3 "install python3 (scripts/deps.sh)"
  tools
  "$PY" deploy/tests/check_deploy.py dockerfile
  echo "dockerfile: ok"
}

compose() {
  tools
  "$PY" deploy/tests/check_deploy.py compose
  echo "compose: ok"
}

case ${1:-} in
  tools) tools ;;
  lint) lint ;;
  rules) rules ;;
  k8s) k8s ;;
  metrics) metrics "${2:-}" ;;
  config) config "${2:-}" ;;
  dockerfile) dockerfile ;;
  compose) compose ;;
  *)
    sed -n '2,17p' "$0" >&2
    exit 2
    ;;
esac
