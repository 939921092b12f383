#include "store/sqlite_db.hpp"

#include <sqlite3.h>

#include <mutex>
#include <unordered_map>

#include "store/migrations.hpp"

namespace nsl::store {
namespace {

Error map_sqlite(int rc, std::string_view what) {
  const int primary = rc & 0xff;
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return err::conflict("already exists");
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return err::unavailable("database busy");
  if (primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR || primary == SQLITE_FULL) {
    return err::unavailable("database unavailable");
  }
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
    return err::data_loss("database corrupt");
  return err::internal(std::string("database error (") + std::string(what) + ")");
}

}  // namespace

struct SqliteDatabase::Impl {
  sqlite3* db = nullptr;
  std::mutex mu;
  std::unordered_map<std::string, sqlite3_stmt*> stmts;  // guarded by mu

  ~Impl() {
    for (auto& kv : stmts) sqlite3_finalize(kv.second);
    if (db) sqlite3_close_v2(db);
  }

  Status exec_script(const char* sql) {
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return map_sqlite(sqlite3_extended_errcode(db), "exec");
    return {};
  }

  Result<sqlite3_stmt*> prepare(std::string_view sql) {
    std::string key(sql);
    if (auto it = stmts.find(key); it != stmts.end()) return it->second;
    const std::string translated = detail::dollar_to_qmark(sql);
    sqlite3_stmt* st = nullptr;
    const int rc = sqlite3_prepare_v3(db, translated.c_str(), static_cast<int>(translated.size()),
                                      SQLITE_PREPARE_PERSISTENT, &st, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(st);
      return map_sqlite(sqlite3_extended_errcode(db), "prepare");
    }
    if (st == nullptr) return err::internal("database error (empty statement)");
    stmts.emplace(std::move(key), st);
    return st;
  }

  // Binds, steps to completion; collects rows when `rows` is given. Returns sqlite3_changes.
  Result<std::int64_t> step_all(std::string_view sql, const Params& params, Rows* rows) {
    NSL_TRY_ASSIGN(sqlite3_stmt * st, prepare(sql));
    struct Reset {
      sqlite3_stmt* s;
      ~Reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } reset{st};
    if (sqlite3_bind_parameter_count(st) > static_cast<int>(params.size())) {
      return err::internal("database error (missing parameter)");
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int idx = static_cast<int>(i + 1);
      const Param& p = params[i];
      int rc;
      if (p.is_null()) {
        rc = sqlite3_bind_null(st, idx);
      } else if (p.is_integer()) {
        rc = sqlite3_bind_int64(st, idx, std::stoll(*p.text()));
      } else {
        rc = sqlite3_bind_text(st, idx, p.text()->data(), static_cast<int>(p.text()->size()),
                               SQLITE_TRANSIENT);
      }
      if (rc == SQLITE_RANGE) return err::internal("database error (too many parameters)");
      if (rc != SQLITE_OK) return map_sqlite(rc, "bind");
    }
    for (;;) {
      const int rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return map_sqlite(sqlite3_extended_errcode(db), "step");
      if (!rows) continue;
      const int n = sqlite3_column_count(st);
      Row row;
      row.reserve(static_cast<std::size_t>(n));
      for (int c = 0; c < n; ++c) {
        if (sqlite3_column_type(st, c) == SQLITE_NULL) {
          row.emplace_back(std::nullopt);
        } else {
          const auto* txt = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
          row.emplace_back(std::string(txt, static_cast<std::size_t>(sqlite3_column_bytes(st, c))));
        }
      }
      rows->push_back(std::move(row));
    }
    return static_cast<std::int64_t>(sqlite3_changes64(db));
  }
};

namespace {

class SqliteTx final : public Tx {
 public:
  SqliteTx(SqliteDatabase::Impl& impl, std::optional<TenantId> tenant)
      : Tx(std::move(tenant)), impl_(impl) {}
  Result<std::int64_t> exec(std::string_view sql, const Params& params) override {
    return track(impl_.step_all(sql, params, nullptr));
  }
  Result<Rows> query(std::string_view sql, const Params& params) override {
    Rows rows;
    NSL_TRY(track(impl_.step_all(sql, params, &rows)));
    return rows;
  }
  // PostgreSQL semantics on SQLite: after a failed statement the transaction is aborted; later
  // statements fail and it cannot commit (SQLite alone would roll back only the statement).
  const std::optional<Error>& first_error() const { return first_error_; }

 private:
  Result<std::int64_t> track(Result<std::int64_t> r) {
    if (first_error_)
      return err::internal("database error (transaction aborted by an earlier failure)");
    if (!r.ok()) first_error_ = r.error();
    return r;
  }
  SqliteDatabase::Impl& impl_;
  std::optional<Error> first_error_;
};

}  // namespace

SqliteDatabase::SqliteDatabase(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteDatabase::~SqliteDatabase() = default;

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::open(const SqliteOptions& options) {
  if (options.path.empty()) return err::invalid_argument("sqlite path is empty");
  auto impl = std::make_unique<Impl>();
  const int rc =
      sqlite3_open_v2(options.path.c_str(), &impl->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return err::unavailable("cannot open the database");
  sqlite3_extended_result_codes(impl->db, 1);
  sqlite3_busy_timeout(impl->db, static_cast<int>(options.busy_timeout.count()));
  NSL_TRY(impl->exec_script(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"));
  return std::unique_ptr<SqliteDatabase>(new SqliteDatabase(std::move(impl)));
}

Status SqliteDatabase::run(const std::optional<TenantId>& tenant,
                           const std::function<Status(Tx&)>& body) {
  std::lock_guard lock(impl_->mu);
  NSL_TRY(impl_->exec_script("BEGIN IMMEDIATE"));
  SqliteTx tx(*impl_, tenant);
  Status st;
  try {
    st = body(tx);
  } catch (...) {  // not ours to swallow, but never leave the transaction open behind the mutex
    (void)impl_->exec_script("ROLLBACK");
    throw;
  }
  if (st.ok() && tx.first_error())
    st = *tx.first_error();  // the body swallowed a failure: do not commit
  if (!st.ok()) {
    (void)impl_->exec_script("ROLLBACK");
    return st;
  }
  Status c = impl_->exec_script("COMMIT");
  if (!c.ok()) {
    if (!sqlite3_get_autocommit(impl_->db)) (void)impl_->exec_script("ROLLBACK");
    return c;
  }
  return {};
}

Result<int> SqliteDatabase::schema_version() {
  return with_system([](Tx& tx) -> Result<int> {
    NSL_TRY_ASSIGN(
        Rows t,
        tx.query(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"));
    if (t.empty()) return 0;
    NSL_TRY_ASSIGN(Rows r, tx.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    return std::stoi(r.at(0).at(0).value_or("0"));
  });
}

Status SqliteDatabase::migrate() {
  const auto all = sqlite_migrations();
  const int latest = all.empty() ? 0 : all.back().version;
  Status created = with_system([](Tx& tx) -> Status {
    NSL_TRY(
        tx.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name "
                "TEXT NOT NULL, "
                "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"));
    return {};
  });
  NSL_TRY(std::move(created));
  for (const Migration& m : all) {
    Status applied = with_system([&m, latest, this](Tx& tx) -> Status {
      NSL_TRY_ASSIGN(Rows r, tx.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
      const int current = std::stoi(r.at(0).at(0).value_or("0"));
      if (current > latest)
        return err::failed_precondition("database schema is newer than this binary");
      if (current >= m.version) return {};
      NSL_TRY(impl_->exec_script(std::string(m.sql).c_str()));
      NSL_TRY(tx.exec("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                      {m.version, m.name}));
      return {};
    });
    NSL_TRY(std::move(applied));
  }
  // The loop above does not run for an up-to-date binary with no migrations; check once more either
  // way.
  NSL_TRY_ASSIGN(int v, schema_version());
  if (v > latest) return err::failed_precondition("database schema is newer than this binary");
  return {};
}

}  // namespace nsl::store
