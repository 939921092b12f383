// nsl/store/sqlite_db.hpp — the embedded SQLite back end (libsqlite3).
//
// Writes (with_tenant / with_system): one connection, serialized by a mutex: a transaction holds
// it from BEGIN IMMEDIATE to COMMIT, so writers never deadlock on lock upgrades and SQLITE_BUSY
// can only come from another process (busy_timeout waits for that). Journal mode WAL (readers in
// other processes, e.g. a backup, do not block us), synchronous=NORMAL, foreign_keys=ON.
//
// Reads (with_*_read, with_*_read_primary): a pool of up to `read_connections` reader connections
// (opened on demand, PRAGMA query_only, so a write inside fails with failed_precondition), each
// running a deferred transaction beside the writer: WAL gives each one a snapshot of every commit
// that completed before its first statement, and neither side waits for the other. A caller that
// finds every reader busy waits up to busy_timeout (then unavailable). An in-memory database (or a
// file that is not in WAL mode) has no readers: reads then run on the writer's connection, still
// read-only. Prepared statements are cached per connection and SQL text.
//
// WAL checkpoints run beside the writer, not in its commits: SQLite's automatic checkpoint would copy
// the WAL into the database file (and fsync it) inside the commit that crossed the threshold, and
// every write waiting behind that commit — the audit log's group commits — would wait for it too
// (the slow 0.5 % of commits made the 99th percentile of a signing). Instead a commit that leaves
// `checkpoint_pages` or more in the WAL wakes a background thread, which checkpoints PASSIVE on its
// own connection while the writer goes on. Should the WAL still reach 16 × checkpoint_pages (the
// thread cannot keep up, or its checkpoints keep failing), the writer checkpoints itself, as SQLite
// would: the WAL never grows without bound.
//
// Tenant isolation is the store layer's job here (no RLS): repository SQL filters by `tx.tenant()`.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "store/db.hpp"

namespace nsl::store {

struct SqliteOptions {
  std::string path;  // file path; ":memory:" for tests
  std::chrono::milliseconds busy_timeout{5000};
  int read_connections = 8;  // reader pool bound; 0: reads use the writer's connection
  int checkpoint_pages = 1000;  // WAL pages that wake the checkpointer (SQLite's own default threshold)
};

// What the background checkpointer did (tests, diagnostics).
struct WalCheckpointStats {
  std::uint64_t background = 0;  // checkpoints by the background thread
  std::uint64_t failed = 0;      // of which failed, other than finding another checkpoint running (retried later)
  std::uint64_t inline_ = 0;     // by the writer itself, the WAL at its hard limit
};

class SqliteDatabase final : public Database {
 public:
  static Result<std::unique_ptr<SqliteDatabase>> open(const SqliteOptions& options);
  ~SqliteDatabase() override;
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  Backend backend() const noexcept override { return Backend::sqlite; }
  Status migrate() override;
  WalCheckpointStats wal_checkpoint_stats() const;
  Result<int> schema_version() override;

  struct Impl;

 protected:
  Status run(const std::optional<TenantId>& tenant,
             const std::function<Status(Tx&)>& body) override;
  Status run_read(const std::optional<TenantId>& tenant,
                  const std::function<Status(Tx&)>& body) override;
  Status run_read_primary(const std::optional<TenantId>& tenant,
                          const std::function<Status(Tx&)>& body) override;

 private:
  explicit SqliteDatabase(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nsl::store
