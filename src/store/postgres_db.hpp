// nsl/store/postgres_db.hpp — the PostgreSQL 15 back end (libpq).
//
// A bounded connection pool: at most `pool_size` connections, opened on demand; a caller that finds
// none idle waits up to `acquire_timeout` (then unavailable). Statements are prepared once per
// connection (cached by SQL text) and executed with text parameters. Each tenant transaction
// starts with `SELECT set_config('app.current_tenant', $1, true)` (transaction-local), so row-level
// security sees the tenant and nothing leaks to the next user of the connection.
//
// Round trips: a transaction begins lazily. BEGIN, the tenant's set_config and the body's first
// statement (with its PREPARE when the connection has not seen it) go to the server as one libpq
// pipeline, answered in one round trip; every later statement and the COMMIT take one each. A body
// that runs no statement costs none.
//
// Reconnect: a connection that reports a connection-level failure (server restart,
// pg_terminate_backend, network) is closed, and so are all idle ones (they are probably dead too);
// the next use opens fresh ones. When the connection turns out dead before BEGIN was answered
// (nothing of the transaction ran), that first pipeline is sent once more on a fresh connection,
// so a restart that is already over costs the caller nothing; otherwise the caller gets
// unavailable.
//
// Roles: `dsn` must name a NON-owner LOGIN role (NOSUPERUSER, NOBYPASSRLS, member of `nsl_app`) —
// superusers and BYPASSRLS roles skip RLS. `migration_dsn` (default: dsn) names the owner role and
// is used only by migrate().
//
// Read replica: with `replica_dsn`, with_tenant_read / with_system_read run on a second pool of the
// same size and options against the replica (BEGIN READ ONLY; RLS applies there too); without it,
// on the primary pool, still READ ONLY. Replication lag is the caller's concern (see db.hpp);
// with_*_read_primary always runs on the primary pool (READ ONLY).
//
// Credential rotation: set_dsn() makes connections opened from now on use new connection strings
// (a rotated password from a re-read `database.url_file`) and closes the idle ones so that the
// pool moves to them as fast as traffic allows; connections in use finish their transaction on
// the old credentials (PostgreSQL keeps established sessions when a password changes).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/secret_string.hpp"
#include "store/db.hpp"

namespace nsl::store {

struct PostgresOptions {
  SecretString dsn;            // libpq conninfo or URI (may hold a password), service role
  SecretString migration_dsn;  // owner role for migrate(); empty: dsn
  SecretString replica_dsn;    // read replica (service role) for with_*_read; empty: none
  int pool_size = 8;
  // libpq connect_timeout unless the DSN sets its own (whole seconds, at least 2 as libpq
  // enforces).
  std::chrono::seconds connect_timeout{5};
  std::chrono::milliseconds acquire_timeout{5000};
  // Longest a statement may run (SET statement_timeout on each new pool connection), so a runaway
  // query cannot hold a pooled connection forever; it fails with deadline_exceeded and the
  // connection stays usable. 0 = no limit. migrate() is not limited (migrations may be slow).
  std::chrono::milliseconds statement_timeout{5000};
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
  // The replica pool's counters; nullopt when no replica_dsn is configured.
  std::optional<PoolStats> read_pool_stats() const;
  // New connection strings for connections opened from now on (see the file comment). An empty
  // replica_dsn keeps the replica as it is; a replica cannot be added or removed without a
  // restart (failed_precondition). invalid_argument when a string does not parse.
  Status set_dsn(const SecretString& dsn, const SecretString& replica_dsn);

  struct Impl;

 protected:
  Status run(const std::optional<TenantId>& tenant,
             const std::function<Status(Tx&)>& body) override;
  Status run_read(const std::optional<TenantId>& tenant,
                  const std::function<Status(Tx&)>& body) override;
  Status run_read_primary(const std::optional<TenantId>& tenant,
                          const std::function<Status(Tx&)>& body) override;

 private:
  PostgresDatabase(std::unique_ptr<Impl> impl, std::unique_ptr<Impl> read_impl);
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<Impl> read_impl_;  // nullptr without a replica
};

}  // namespace nsl::store
