#!/usr/bin/env bash
# Creates deploy/compose/secrets/ for the compose stack: random passwords, the enclave token, the URL files
# nsl reads (database.url_file and friends), PgBouncer's user list, Redis's configuration and a self-signed
# certificate for HAProxy. Idempotent: existing files are kept. Needs openssl.
set -euo pipefail
cd "$(dirname "$0")"
umask 077
mkdir -p secrets
cd secrets

rand() { openssl rand -hex 24; }
keep() { [[ -s $1 ]]; }   # an existing secret is never replaced

for name in postgres-password owner-password service-password replicator-password redis-password \
  grafana-admin-password; do
  keep "$name" || rand >"$name"
done
keep enclave-token || openssl rand -hex 32 >enclave-token   # >= 32 characters (enclave.token)

owner=$(<owner-password) service=$(<service-password) redis=$(<redis-password)
keep database-url || echo "postgresql://nsl_service:$service@pgbouncer:6432/nsl" >database-url
keep database-migration-url || echo "postgresql://nsl_owner:$owner@postgres:5432/nsl" >database-migration-url
keep database-replica-url || echo "postgresql://nsl_service:$service@postgres-replica:5432/nsl" >database-replica-url
keep cache-url || echo "redis://:$redis@redis:6379/0" >cache-url
keep redis.conf || printf 'requirepass %s\nappendonly yes\n' "$redis" >redis.conf
keep pgbouncer-userlist.txt || printf '"nsl_service" "%s"\n' "$service" >pgbouncer-userlist.txt
if ! keep haproxy.pem; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 90 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout haproxy.key -out haproxy.crt 2>/dev/null
  cat haproxy.crt haproxy.key >haproxy.pem
  rm -f haproxy.key
fi
# The containers run as other users than the one running this script; compose bind-mounts these files.
chmod 0644 ./*
echo "secrets in $(pwd)"
