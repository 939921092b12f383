// nsl/app/storage.hpp — the configured database (database.url) opened, for `nsl serve` and `nsl migrate`.
#pragma once

#include <memory>

#include "config/config.hpp"
#include "store/db.hpp"

namespace nsl::app {

// SQLite at <data.dir>/nsl.db (database.url = ""), SQLite at PATH ("sqlite:PATH"), or PostgreSQL (a
// postgresql:// URI; database.migration_url for the owner role). Does not migrate.
Result<std::unique_ptr<store::Database>> open_store(const config::Config& config);

// The newest schema version this binary knows for `db`'s back end.
int latest_schema_version(const store::Database& db);

}  // namespace nsl::app
