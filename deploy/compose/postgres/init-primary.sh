#!/usr/bin/env bash
# Runs once, when the primary's data directory is created (docker-entrypoint-initdb.d): the roles and the
# database of nsl (docs/architecture.md, "Database roles"), and replication access for the read replica.
# scripts/check-deploy.sh runs it against a throw-away PostgreSQL (NSL_SECRETS_DIR, PGHOST, PGPORT).
set -euo pipefail
secrets=${NSL_SECRETS_DIR:-/run/secrets}
owner=$(<"$secrets/owner-password")
service=$(<"$secrets/service-password")
replicator=$(<"$secrets/replicator-password")
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner="$owner" -v service="$service" -v replicator="$replicator" <<'SQL'
CREATE ROLE nsl_owner LOGIN CREATEROLE PASSWORD :'owner';
SELECT 'CREATE ROLE nsl_app NOLOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nsl_app')
\gexec
CREATE ROLE nsl_service LOGIN PASSWORD :'service' IN ROLE nsl_app;
CREATE ROLE replicator LOGIN REPLICATION PASSWORD :'replicator';
CREATE DATABASE nsl OWNER nsl_owner;
SQL
echo "host replication replicator all scram-sha-256" >>"$PGDATA/pg_hba.conf"
