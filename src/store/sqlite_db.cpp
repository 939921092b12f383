#include "store/sqlite_db.hpp"

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/thread_name.hpp"
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

namespace {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

// One sqlite3 connection and its prepared statements; used by one thread at a time (the writer
// under Impl::mu, a reader while checked out of the reader pool).
struct Connection {
  sqlite3* db = nullptr;
  bool reader = false;  // PRAGMA query_only: a write fails with failed_precondition
  std::unordered_map<std::string, sqlite3_stmt*, StringHash, std::equal_to<>> stmts;

  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    for (auto& kv : stmts) sqlite3_finalize(kv.second);
    if (db) sqlite3_close_v2(db);
  }

  Error map(int rc, std::string_view what) const {
    if (reader && (rc & 0xff) == SQLITE_READONLY)
      return err::failed_precondition("write in a read-only transaction");
    return map_sqlite(rc, what);
  }

  Status exec_script(const char* sql) {
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return map(sqlite3_extended_errcode(db), "exec");
    return {};
  }

  Result<sqlite3_stmt*> prepare(std::string_view sql) {
    if (auto it = stmts.find(sql); it != stmts.end()) return it->second;
    const std::string translated = detail::dollar_to_qmark(sql);
    sqlite3_stmt* st = nullptr;
    const int rc = sqlite3_prepare_v3(db, translated.c_str(), static_cast<int>(translated.size()),
                                      SQLITE_PREPARE_PERSISTENT, &st, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(st);
      return map(sqlite3_extended_errcode(db), "prepare");
    }
    if (st == nullptr) return err::internal("database error (empty statement)");
    stmts.emplace(std::string(sql), st);
    return st;
  }

  // Binds, steps to completion; collects rows when `rows` is given. Returns sqlite3_changes.
  Result<std::int64_t> step_all(std::string_view sql, const Params& params, Rows* rows) {
    NSL_TRY_ASSIGN(sqlite3_stmt * st, prepare(sql));
    struct Reset {
      sqlite3_stmt* s;
      bool bound;
      ~Reset() {
        sqlite3_reset(s);
        if (bound) sqlite3_clear_bindings(s);
      }
    } reset{st, !params.empty()};
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
        // The Param outlives the statement's execution (Reset clears the bindings first).
        rc = sqlite3_bind_text(st, idx, p.text()->data(), static_cast<int>(p.text()->size()),
                               SQLITE_STATIC);
      }
      if (rc == SQLITE_RANGE) return err::internal("database error (too many parameters)");
      if (rc != SQLITE_OK) return map(rc, "bind");
    }
    for (;;) {
      const int rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return map(sqlite3_extended_errcode(db), "step");
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

  // Transaction control through cached statements (no parse per transaction).
  Status control(std::string_view sql) {
    auto r = step_all(sql, {}, nullptr);
    if (!r.ok()) return std::move(r).error();
    return {};
  }
};

Result<std::unique_ptr<Connection>> open_connection(const SqliteOptions& options, bool reader) {
  auto c = std::make_unique<Connection>();
  c->reader = reader;
  const int rc =
      sqlite3_open_v2(options.path.c_str(), &c->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return err::unavailable("cannot open the database");
  sqlite3_extended_result_codes(c->db, 1);
  sqlite3_busy_timeout(c->db, static_cast<int>(options.busy_timeout.count()));
  if (reader) {
    // journal_mode is a property of the file, set by the writer before any reader opens. No
    // mmap: it would be faster (a reader's page cache is dropped after every other connection's
    // commit), but an I/O error on a mapped page is a SIGBUS, not an error to answer.
    NSL_TRY(c->exec_script("PRAGMA query_only=ON; PRAGMA foreign_keys=ON;"));
  } else {
    NSL_TRY(c->exec_script(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"));
  }
  return c;
}

bool in_memory(std::string_view path) {
  return path == ":memory:" || path.rfind("file::memory:", 0) == 0 ||
         path.find("mode=memory") != std::string_view::npos;
}

class SqliteTx final : public Tx {
 public:
  SqliteTx(Connection& conn, std::optional<TenantId> tenant)
      : Tx(std::move(tenant)), conn_(conn) {}
  Result<std::int64_t> exec(std::string_view sql, const Params& params) override {
    return track(conn_.step_all(sql, params, nullptr));
  }
  Result<Rows> query(std::string_view sql, const Params& params) override {
    Rows rows;
    NSL_TRY(track(conn_.step_all(sql, params, &rows)));
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
  Connection& conn_;
  std::optional<Error> first_error_;
};

// One transaction on `conn`, opened with `begin`.
Status run_tx(Connection& conn, std::string_view begin, const std::optional<TenantId>& tenant,
              const std::function<Status(Tx&)>& body) {
  NSL_TRY(conn.control(begin));
  SqliteTx tx(conn, tenant);
  Status st;
  try {
    st = body(tx);
  } catch (...) {  // not ours to swallow, but never leave the transaction open
    (void)conn.control("ROLLBACK");
    throw;
  }
  if (st.ok() && tx.first_error())
    st = *tx.first_error();  // the body swallowed a failure: do not commit
  if (!st.ok()) {
    (void)conn.control("ROLLBACK");
    return st;
  }
  Status c = conn.control("COMMIT");
  if (!c.ok()) {
    if (!sqlite3_get_autocommit(conn.db)) (void)conn.control("ROLLBACK");
    return c;
  }
  return {};
}

}  // namespace

struct SqliteDatabase::Impl {
  SqliteOptions opts;
  std::unique_ptr<Connection> writer;
  std::mutex mu;  // the writer: held from BEGIN to COMMIT
  bool readers_enabled = false;

  // The background checkpointer (WAL files only; see the header).
  std::unique_ptr<Connection> checkpointer;  // its own connection, used by its thread only
  std::thread checkpoint_thread;
  std::mutex cmu;
  std::condition_variable checkpoint_wanted;
  bool checkpoint_due = false;  // guarded by cmu
  bool stopping = false;        // guarded by cmu
  std::atomic<std::uint64_t> checkpoints{0}, checkpoint_failures{0}, inline_checkpoints{0};

  // sqlite3_wal_hook on the writer: after every commit, with the WAL's size in pages.
  static int on_commit(void* self, sqlite3* db, const char* schema, int pages) {
    auto* impl = static_cast<Impl*>(self);
    if (pages >= 16 * impl->opts.checkpoint_pages) {
      impl->inline_checkpoints.fetch_add(1, std::memory_order_relaxed);
      (void)sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else if (pages >= impl->opts.checkpoint_pages) {
      bool wake = false;
      {
        std::lock_guard lk(impl->cmu);
        wake = !impl->checkpoint_due;
        impl->checkpoint_due = true;
      }
      if (wake) impl->checkpoint_wanted.notify_one();
    }
    return SQLITE_OK;
  }

  void checkpoint_loop() {
    std::unique_lock lk(cmu);
    for (;;) {
      checkpoint_wanted.wait(lk, [this] { return checkpoint_due || stopping; });
      if (stopping) return;
      checkpoint_due = false;
      lk.unlock();
      const int rc = sqlite3_wal_checkpoint_v2(checkpointer->db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      checkpoints.fetch_add(1, std::memory_order_relaxed);
      // SQLITE_BUSY: another checkpoint (the writer's, at the hard limit) holds the checkpoint lock and does
      // this work; anything else is a failure, retried on the next wake-up.
      if (rc != SQLITE_OK && rc != SQLITE_BUSY) checkpoint_failures.fetch_add(1, std::memory_order_relaxed);
      lk.lock();
    }
  }

  Status start_checkpointer() {
    NSL_TRY_ASSIGN(checkpointer, open_connection(opts, /*reader=*/false));
    sqlite3_wal_hook(writer->db, &Impl::on_commit, this);  // replaces SQLite's automatic checkpoint
    checkpoint_thread = std::thread([this] {
      set_thread_name("nsl-checkpoint");
      checkpoint_loop();
    });
    return {};
  }

  ~Impl() {
    if (!checkpoint_thread.joinable()) return;
    {
      std::lock_guard lk(cmu);
      stopping = true;
    }
    checkpoint_wanted.notify_one();
    checkpoint_thread.join();
    sqlite3_wal_hook(writer->db, nullptr, nullptr);
  }

  std::mutex rmu;  // the reader pool
  std::condition_variable reader_free;
  std::vector<std::unique_ptr<Connection>> idle;  // guarded by rmu
  int readers_open = 0;                           // guarded by rmu

  Result<std::unique_ptr<Connection>> acquire_reader() {
    {
      std::unique_lock lk(rmu);
      const bool got = reader_free.wait_for(lk, opts.busy_timeout, [this] {
        return !idle.empty() || readers_open < opts.read_connections;
      });
      if (!got) return err::unavailable("database busy");
      if (!idle.empty()) {
        auto c = std::move(idle.back());
        idle.pop_back();
        return c;
      }
      ++readers_open;
    }
    auto c = open_connection(opts, /*reader=*/true);
    if (!c.ok()) {
      std::lock_guard lk(rmu);
      --readers_open;
      reader_free.notify_one();
    }
    return c;
  }

  void release_reader(std::unique_ptr<Connection> c) {
    // A connection left inside a transaction (a failed ROLLBACK) is not reused.
    const bool keep = sqlite3_get_autocommit(c->db) != 0;
    if (!keep) c.reset();
    std::lock_guard lk(rmu);
    if (keep) {
      idle.push_back(std::move(c));
    } else {
      --readers_open;
    }
    reader_free.notify_one();
  }
};

SqliteDatabase::SqliteDatabase(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteDatabase::~SqliteDatabase() = default;

WalCheckpointStats SqliteDatabase::wal_checkpoint_stats() const {
  return {impl_->checkpoints.load(), impl_->checkpoint_failures.load(), impl_->inline_checkpoints.load()};
}

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::open(const SqliteOptions& options) {
  if (options.path.empty()) return err::invalid_argument("sqlite path is empty");
  auto impl = std::make_unique<Impl>();
  impl->opts = options;
  NSL_TRY_ASSIGN(impl->writer, open_connection(options, /*reader=*/false));
  if (options.read_connections > 0 && !in_memory(options.path)) {
    // Readers beside the writer need WAL (else a reader would block the writer's commit).
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(impl->writer->db, "PRAGMA journal_mode", -1, &st, nullptr) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      const auto* mode = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      impl->readers_enabled = mode != nullptr && std::string_view(mode) == "wal";
    }
    sqlite3_finalize(st);
  }
  if (impl->readers_enabled && options.checkpoint_pages > 0) NSL_TRY(impl->start_checkpointer());
  return std::unique_ptr<SqliteDatabase>(new SqliteDatabase(std::move(impl)));
}

Status SqliteDatabase::run(const std::optional<TenantId>& tenant,
                           const std::function<Status(Tx&)>& body) {
  std::lock_guard lock(impl_->mu);
  return run_tx(*impl_->writer, "BEGIN IMMEDIATE", tenant, body);
}

Status SqliteDatabase::run_read(const std::optional<TenantId>& tenant,
                                const std::function<Status(Tx&)>& body) {
  if (!impl_->readers_enabled) {
    // No reader connections (in-memory database, or no WAL): the writer's connection, read-only
    // for the duration of the transaction.
    std::lock_guard lock(impl_->mu);
    Connection& w = *impl_->writer;
    NSL_TRY(w.control("PRAGMA query_only=ON"));
    w.reader = true;
    Status st;
    try {
      st = run_tx(w, "BEGIN", tenant, body);
    } catch (...) {
      w.reader = false;
      (void)w.control("PRAGMA query_only=OFF");
      throw;
    }
    w.reader = false;
    Status off = w.control("PRAGMA query_only=OFF");
    if (st.ok() && !off.ok()) return off;
    return st;
  }
  NSL_TRY_ASSIGN(std::unique_ptr<Connection> conn, impl_->acquire_reader());
  Status st;
  try {
    // A deferred transaction: its snapshot is taken at the first read, and sees every commit
    // that completed before it (WAL).
    st = run_tx(*conn, "BEGIN", tenant, body);
  } catch (...) {
    impl_->release_reader(std::move(conn));
    throw;
  }
  impl_->release_reader(std::move(conn));
  return st;
}

Status SqliteDatabase::run_read_primary(const std::optional<TenantId>& tenant,
                                        const std::function<Status(Tx&)>& body) {
  return run_read(tenant, body);  // one file: every reader sees the latest commit
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
      NSL_TRY(impl_->writer->exec_script(std::string(m.sql).c_str()));
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
