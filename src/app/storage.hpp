// nsl/app/storage.hpp — the configured database (database.url) opened, for `nsl serve` and `nsl migrate`.
#pragma once

#include <memory>

#include "config/config.hpp"
#include "store/db.hpp"

namespace nsl::obs {
class Registry;
}  // namespace nsl::obs

namespace nsl::app {

// SQLite at <data.dir>/nsl.db (database.url = ""), SQLite at PATH ("sqlite:PATH"), or PostgreSQL (a
// postgresql:// URI; database.migration_url for the owner role). Does not migrate.
Result<std::unique_ptr<store::Database>> open_store(const config::Config& config);

// The newest schema version this binary knows for `db`'s back end.
int latest_schema_version(const store::Database& db);

// PostgreSQL pool metrics, computed from pool_stats() at scrape time (a no-op for SQLite):
//   nsl_db_pool_connections{state="in_use|idle"}, nsl_db_pool_max_connections,
//   nsl_db_pool_acquires_total, nsl_db_pool_waits_total, nsl_db_pool_wait_seconds_total (time
//   spent waiting for a free connection; divide by waits_total for the mean),
//   nsl_db_pool_timeouts_total, nsl_db_reconnects_total.
// `db` must outlive scrapes of `registry`; registering again (a new db) replaces the callbacks.
void register_db_metrics(obs::Registry& registry, store::Database& db);

}  // namespace nsl::app
