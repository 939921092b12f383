// nsl/store/postgres_db.hpp — the PostgreSQL 15 back end (libpq).
//
// A bounded connection pool: at most `pool_size` connections, opened on demand; a caller that finds
// none idle waits up to `acquire_timeout` (then unavailable). Statements are prepared once per
// connection (PQprepare, cached by SQL text) and executed with text parameters. Each tenant
// transaction starts with `SELECT set_config('app.current_tenant', $1, true)` (transaction-local),
// so row-level security sees the tenant and nothing leaks to the next user of the connection.
//
// Reconnect: a connection that reports a connection-level failure (server restart,
// pg_terminate_backend, network) is closed, and so are all idle ones (they are probably dead too);
// the next use opens fresh ones. When BEGIN itself fails that way (nothing has run yet), the
// transaction is retried once on a fresh connection, so a restart that is already over costs the
// caller nothing; otherwise the caller gets unavailable.
//
// Roles: `dsn` must name a NON-owner LOGIN role (NOSUPERUSER, NOBYPASSRLS, member of `nsl_app`) —
// superusers and BYPASSRLS roles skip RLS. `migration_dsn` (default: dsn) names the owner role and
// is used only by migrate(). Read replicas are not routed yet.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/secret_string.hpp"
#include "store/db.hpp"

namespace nsl::store {

struct PostgresOptions {
  SecretString dsn;            // libpq conninfo or URI (may hold a password), service role
  SecretString migration_dsn;  // owner role for migrate(); empty: dsn
  int pool_size = 8;
  // libpq connect_timeout unless the DSN sets its own (whole seconds, at least 2 as libpq
  // enforces).
  std::chrono::seconds connect_timeout{5};
  std::chrono::milliseconds acquire_timeout{5000};
};

struct PoolStats {
  int size = 0;  // open connections (idle + in use)
  int in_use = 0;
  int max = 0;
  std::uint64_t acquires = 0;       // total acquisitions
  std::uint64_t waits = 0;          // acquisitions that had to wait for a connection
  std::uint64_t wait_ns_total = 0;  // total time spent waiting
  std::uint64_t timeouts = 0;       // acquisitions that gave up (unavailable)
  std::uint64_t reconnects = 0;     // broken connections seen (each also drops the idle ones)
};

class PostgresDatabase final : public Database {
 public:
  // Does not connect: the pool opens connections on first use (so nsl can start while PostgreSQL is
  // down).
  static Result<std::unique_ptr<PostgresDatabase>> open(const PostgresOptions& options);
  ~PostgresDatabase() override;
  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;

  Backend backend() const noexcept override { return Backend::postgres; }
  Status migrate() override;
  Result<int> schema_version() override;
  PoolStats pool_stats() const;

  struct Impl;

 protected:
  Status run(const std::optional<TenantId>& tenant,
             const std::function<Status(Tx&)>& body) override;

 private:
  explicit PostgresDatabase(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nsl::store
