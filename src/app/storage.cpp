#include "app/storage.hpp"

#include "store/migrations.hpp"
#include "store/postgres_db.hpp"
#include "store/sqlite_db.hpp"

namespace nsl::app {

Result<std::unique_ptr<store::Database>> open_store(const config::Config& config) {
  const std::string_view url = config.database.url.reveal();
  if (url.empty() || url.rfind("sqlite:", 0) == 0) {
    store::SqliteOptions o;
    o.path = url.empty() ? config.data.dir + "/nsl.db" : std::string(url.substr(7));
    NSL_TRY_ASSIGN(auto db, store::SqliteDatabase::open(o));
    return std::unique_ptr<store::Database>(std::move(db));
  }
  store::PostgresOptions o;
  o.dsn = config.database.url;
  o.migration_dsn = config.database.migration_url;
  o.pool_size = static_cast<int>(config.database.pool_size);
  NSL_TRY_ASSIGN(auto db, store::PostgresDatabase::open(o));
  return std::unique_ptr<store::Database>(std::move(db));
}

int latest_schema_version(const store::Database& db) {
  const auto all = db.backend() == store::Backend::sqlite ? store::sqlite_migrations() : store::postgres_migrations();
  return all.empty() ? 0 : all.back().version;
}

}  // namespace nsl::app
