#!/usr/bin/env bash
# The read replica: on first start, a base backup of the primary with streaming replication configured
# (-R writes primary_conninfo and standby.signal); then the standard entrypoint runs it as a hot standby.
set -euo pipefail
if [[ ! -s $PGDATA/PG_VERSION ]]; then
  export PGPASSWORD
  PGPASSWORD=$(</run/secrets/replicator-password)
  for _ in $(seq 1 60); do
    pg_isready -h postgres -p 5432 -q && break
    sleep 2
  done
  pg_basebackup -h postgres -U replicator -D "$PGDATA" -R -X stream -c fast
  chmod 0700 "$PGDATA"
fi
exec docker-entrypoint.sh postgres
