#include "app/storage.hpp"

#include "obs/metrics.hpp"
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
  o.replica_dsn = config.database.replica_url;
  o.pool_size = static_cast<int>(config.database.pool_size);
  o.statement_timeout = std::chrono::milliseconds(config.database.statement_timeout_ms);
  NSL_TRY_ASSIGN(auto db, store::PostgresDatabase::open(o));
  return std::unique_ptr<store::Database>(std::move(db));
}

int latest_schema_version(const store::Database& db) {
  const auto all = db.backend() == store::Backend::sqlite ? store::sqlite_migrations() : store::postgres_migrations();
  return all.empty() ? 0 : all.back().version;
}

void register_db_metrics(obs::Registry& registry, store::Database& db) {
  auto* pg = dynamic_cast<store::PostgresDatabase*>(&db);
  if (pg == nullptr) return;  // SQLite: one serialized connection, nothing to watch
  using obs::MetricType;
  registry.callback_family(
      "nsl_db_pool_connections", "Open PostgreSQL pool connections by state.", MetricType::gauge,
      {"state"}, [pg] {
        const store::PoolStats s = pg->pool_stats();
        return obs::LabelledValues{{{"idle"}, static_cast<double>(s.size - s.in_use)},
                                   {{"in_use"}, static_cast<double>(s.in_use)}};
      });
  registry.callback("nsl_db_pool_max_connections", "PostgreSQL pool size limit.", MetricType::gauge,
                    [pg] { return static_cast<double>(pg->pool_stats().max); });
  registry.callback("nsl_db_pool_acquires_total", "PostgreSQL pool connection acquisitions.",
                    MetricType::counter,
                    [pg] { return static_cast<double>(pg->pool_stats().acquires); });
  registry.callback("nsl_db_pool_waits_total",
                    "PostgreSQL pool acquisitions that had to wait for a free connection.",
                    MetricType::counter,
                    [pg] { return static_cast<double>(pg->pool_stats().waits); });
  registry.callback("nsl_db_pool_wait_seconds_total",
                    "Total time spent waiting for a free PostgreSQL pool connection.",
                    MetricType::counter,
                    [pg] { return static_cast<double>(pg->pool_stats().wait_ns_total) / 1e9; });
  registry.callback("nsl_db_pool_timeouts_total",
                    "PostgreSQL pool acquisitions that gave up waiting (unavailable).",
                    MetricType::counter,
                    [pg] { return static_cast<double>(pg->pool_stats().timeouts); });
  registry.callback("nsl_db_reconnects_total",
                    "Broken PostgreSQL connections dropped (the pool reopens on demand).",
                    MetricType::counter,
                    [pg] { return static_cast<double>(pg->pool_stats().reconnects); });
}

}  // namespace nsl::app
