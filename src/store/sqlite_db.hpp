// nsl/store/sqlite_db.hpp — the embedded SQLite back end (libsqlite3).
//
// One connection, serialized by a mutex: a transaction holds it from BEGIN IMMEDIATE to COMMIT, so
// writers never deadlock on lock upgrades and SQLITE_BUSY can only come from another process
// (busy_timeout waits for that). Journal mode WAL (readers in other processes, e.g. a backup, do
// not block us), synchronous=NORMAL, foreign_keys=ON. Prepared statements are cached per SQL text.
// A reader pool can be added behind the same interface when a benchmark asks for it.
//
// Tenant isolation is the store layer's job here (no RLS): repository SQL filters by `tx.tenant()`.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "store/db.hpp"

namespace nsl::store {

struct SqliteOptions {
  std::string path;  // file path; ":memory:" for tests
  std::chrono::milliseconds busy_timeout{5000};
};

class SqliteDatabase final : public Database {
 public:
  static Result<std::unique_ptr<SqliteDatabase>> open(const SqliteOptions& options);
  ~SqliteDatabase() override;
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  Backend backend() const noexcept override { return Backend::sqlite; }
  Status migrate() override;
  Result<int> schema_version() override;

  struct Impl;

 protected:
  Status run(const std::optional<TenantId>& tenant,
             const std::function<Status(Tx&)>& body) override;

 private:
  explicit SqliteDatabase(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nsl::store
