// nsl/store/db.hpp — the minimal database seam both storage back ends implement.
//
//   auto db = SqliteDatabase::open({.path = "/var/lib/nsl/nsl.db"});  // or PostgresDatabase
//   NSL_TRY((*db)->migrate());
//   auto v = (*db)->with_tenant(tenant, [&](Tx& tx) -> Result<Rows> {
//     return tx.query("SELECT value FROM tenant_settings WHERE tenant_id = $1 AND key = $2",
//                     {*tx.tenant(), "color"});
//   });
//
// SQL uses PostgreSQL positional parameters `$1..$n` on both back ends (SQLite translates them to
// `?NNN`). Values travel as text (or NULL); results come back as text (NULL = std::nullopt).
//
// Transactions: `with_tenant` / `with_system` run `fn(Tx&)` inside one transaction; it commits when
// fn returns a value and rolls back when fn returns an Error (that Error is returned unchanged).
// The Tx must not escape fn. No automatic retry: fn may have side effects outside the database, so
// the caller decides (conflict / unavailable are the retryable codes).
//
// Tenant isolation: in PostgreSQL every tenant transaction runs `set_config('app.current_tenant',
// $1, true)` and row-level security (FORCE, non-owner service role) filters every tenant-owned
// table; `with_system` leaves it unset, so tenant-owned tables look empty. In SQLite there is no
// RLS: repositories add `tenant_id = $n` themselves using `tx.tenant()` (the store layer's job,
// covered by the same contract tests).
//
// Errors (client-safe messages, never SQL text or values; detail is not logged here yet):
//   unique / primary-key violation                  -> conflict
//   serialization failure, deadlock (PostgreSQL)    -> conflict (retry the whole transaction)
//   connection lost, server shutting down or
//   restarting, pool exhausted, SQLite busy/locked  -> unavailable (reconnects on next use)
//   statement timeout / cancel                      -> deadline_exceeded
//   a write in a with_*_read* transaction           -> failed_precondition
//   anything else                                   -> internal
//
// A failed statement aborts the transaction on both back ends: later statements fail and it does
// not commit, even when fn ignores the error (use ON CONFLICT instead of catching a conflict).
//
// Thread-safety: Database is thread-safe; a Tx belongs to the thread running fn.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace nsl::store {

// A tenant's id: a canonical lowercase UUID ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx").
class TenantId {
 public:
  static Result<TenantId> parse(std::string_view s);
  static TenantId generate();  // random (version 4)
  const std::string& str() const noexcept { return id_; }
  friend bool operator==(const TenantId&, const TenantId&) = default;

 private:
  explicit TenantId(std::string id) : id_(std::move(id)) {}
  std::string id_;
};

// One bound parameter: text, integer or NULL.
class Param {
 public:
  Param(std::nullptr_t) {}                           // NOLINT(google-explicit-constructor)
  Param(std::string s) : v_(std::move(s)) {}         // NOLINT(google-explicit-constructor)
  Param(std::string_view s) : v_(std::string(s)) {}  // NOLINT(google-explicit-constructor)
  Param(const char* s) : v_(std::string(s)) {}       // NOLINT(google-explicit-constructor)
  Param(std::int64_t i)
      : v_(std::to_string(i)), integer_(true) {}             // NOLINT(google-explicit-constructor)
  Param(int i) : Param(static_cast<std::int64_t>(i)) {}      // NOLINT(google-explicit-constructor)
  Param(std::optional<std::string> s) : v_(std::move(s)) {}  // NOLINT(google-explicit-constructor)
  Param(const TenantId& t) : v_(t.str()) {}                  // NOLINT(google-explicit-constructor)

  bool is_null() const noexcept { return !v_.has_value(); }
  bool is_integer() const noexcept { return integer_; }
  const std::optional<std::string>& text() const noexcept { return v_; }

 private:
  std::optional<std::string> v_;
  bool integer_ = false;
};

using Params = std::vector<Param>;
using Row = std::vector<std::optional<std::string>>;
using Rows = std::vector<Row>;

// One statement of Tx::exec_all; `rows`, when set, receives the statement's rows.
struct Statement {
  std::string_view sql;
  Params params;
  Rows* rows = nullptr;
};

class Tx {
 public:
  virtual ~Tx() = default;
  // Runs a statement; returns the number of rows it changed.
  virtual Result<std::int64_t> exec(std::string_view sql, const Params& params = {}) = 0;
  // Runs a statement; returns its rows (columns in SELECT order, text or NULL).
  virtual Result<Rows> query(std::string_view sql, const Params& params = {}) = 0;
  // query() for the ONLY statement of a read-only transaction (with_tenant_read*): PostgreSQL
  // sends BEGIN, the tenant setting, the statement and COMMIT as one pipeline (one round trip)
  // when it is the transaction's first statement; any statement after it fails with internal.
  // Elsewhere (a read-write transaction, SQLite, not the first statement) it is query().
  virtual Result<Rows> query_only(std::string_view sql, const Params& params = {}) {
    return query(sql, params);
  }
  // Runs `statements` in order and returns each one's changed-row count (for one with `rows`: its
  // row count, its rows in *rows); stops at the first failure and returns its error (the transaction is then aborted, as after a failed exec()).
  // PostgreSQL sends them as one pipeline (one round trip) once the transaction has begun; SQLite
  // runs them one by one.
  virtual Result<std::vector<std::int64_t>> exec_all(std::span<const Statement> statements) {
    std::vector<std::int64_t> counts;
    counts.reserve(statements.size());
    for (const Statement& st : statements) {
      if (st.rows != nullptr) {
        NSL_TRY_ASSIGN(*st.rows, query(st.sql, st.params));
        counts.push_back(static_cast<std::int64_t>(st.rows->size()));
        continue;
      }
      NSL_TRY_ASSIGN(std::int64_t n, exec(st.sql, st.params));
      counts.push_back(n);
    }
    return counts;
  }
  // The tenant of a with_tenant transaction; nullopt inside with_system.
  const std::optional<TenantId>& tenant() const noexcept { return tenant_; }

 protected:
  explicit Tx(std::optional<TenantId> tenant) : tenant_(std::move(tenant)) {}

 private:
  std::optional<TenantId> tenant_;
};

enum class Backend : std::uint8_t { sqlite, postgres };

class Database {
 public:
  virtual ~Database() = default;

  virtual Backend backend() const noexcept = 0;

  // Applies pending migrations of this back end, each in its own transaction; a no-op when up to
  // date. failed_precondition when the database was migrated by a newer binary (a version this one
  // does not know).
  virtual Status migrate() = 0;
  // The highest applied migration version (0: none).
  virtual Result<int> schema_version() = 0;

  // fn: Tx& -> Result<T> (or Status). Commits on success, rolls back on error.
  template <class F>
  auto with_tenant(const TenantId& tenant, F&& fn) {
    return run_typed(std::optional<TenantId>(tenant), std::forward<F>(fn));
  }
  template <class F>
  auto with_system(F&& fn) {
    return run_typed(std::optional<TenantId>(), std::forward<F>(fn));
  }
  // Read-only transactions that may be served by a read replica (PostgreSQL with
  // database.replica_url; else the primary pool, in a READ ONLY transaction; SQLite: a reader
  // connection, see sqlite_db.hpp). A replica lags the primary: reading what this request (or a
  // request the client saw answered) just wrote needs with_*_read_primary or with_tenant /
  // with_system. A write inside fails (failed_precondition).
  template <class F>
  auto with_tenant_read(const TenantId& tenant, F&& fn) {
    return run_typed(std::optional<TenantId>(tenant), std::forward<F>(fn), Mode::read_any);
  }
  template <class F>
  auto with_system_read(F&& fn) {
    return run_typed(std::optional<TenantId>(), std::forward<F>(fn), Mode::read_any);
  }
  // Read-only transactions that see every transaction committed before they began, as
  // with_tenant does, without the write path's cost: PostgreSQL runs them on the primary pool
  // (BEGIN READ ONLY, never the replica); SQLite on a reader connection, concurrently with the
  // writer. For per-request reads whose answer must not lag (a key disabled a moment ago is
  // refused). A write inside fails (failed_precondition).
  template <class F>
  auto with_tenant_read_primary(const TenantId& tenant, F&& fn) {
    return run_typed(std::optional<TenantId>(tenant), std::forward<F>(fn), Mode::read_primary);
  }
  template <class F>
  auto with_system_read_primary(F&& fn) {
    return run_typed(std::optional<TenantId>(), std::forward<F>(fn), Mode::read_primary);
  }

 protected:
  // Runs body in one transaction (tenant context set when tenant has a value).
  virtual Status run(const std::optional<TenantId>& tenant,
                     const std::function<Status(Tx&)>& body) = 0;
  // Runs body in one read-only transaction, on a replica when there is one. Default: run().
  virtual Status run_read(const std::optional<TenantId>& tenant,
                          const std::function<Status(Tx&)>& body) {
    return run(tenant, body);
  }
  // Runs body in one read-only transaction that sees every earlier commit (never a replica).
  // Default: run().
  virtual Status run_read_primary(const std::optional<TenantId>& tenant,
                                  const std::function<Status(Tx&)>& body) {
    return run(tenant, body);
  }

 private:
  enum class Mode : std::uint8_t { write, read_any, read_primary };
  Status dispatch(const std::optional<TenantId>& tenant, const std::function<Status(Tx&)>& body,
                  Mode mode) {
    switch (mode) {
      case Mode::read_any:
        return run_read(tenant, body);
      case Mode::read_primary:
        return run_read_primary(tenant, body);
      case Mode::write:
        break;
    }
    return run(tenant, body);
  }
  template <class F>
  auto run_typed(std::optional<TenantId> tenant, F&& fn, Mode mode = Mode::write) {
    using R = std::invoke_result_t<F&, Tx&>;
    if constexpr (std::is_same_v<R, Status>) {
      return dispatch(
          tenant, [&fn](Tx& tx) -> Status { return fn(tx); }, mode);
    } else {
      using T = typename R::value_type;
      std::optional<T> out;
      Status st = dispatch(
          tenant,
          [&fn, &out](Tx& tx) -> Status {
            R r = fn(tx);
            if (!r.ok()) return std::move(r).error();
            out.emplace(std::move(r).value());
            return {};
          },
          mode);
      if (!st.ok()) return R(std::move(st).error());
      return R(std::move(*out));
    }
  }
};

namespace detail {
// `$1..$n` -> `?1..?n`, leaving string literals, quoted identifiers and comments untouched.
std::string dollar_to_qmark(std::string_view sql);
}  // namespace detail

}  // namespace nsl::store
