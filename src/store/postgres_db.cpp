#include "store/postgres_db.hpp"

#include <libpq-fe.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <span>
#include <unordered_map>

#include "store/migrations.hpp"

namespace nsl::store {
namespace {

// Advisory lock key serializing concurrent migrate() calls (several replicas starting at once).
constexpr const char* kMigrationLockSql = "SELECT pg_advisory_lock(7235189021)";
constexpr const char* kMigrationUnlockSql = "SELECT pg_advisory_unlock(7235189021)";

struct PgResult {
  PGresult* r = nullptr;
  explicit PgResult(PGresult* res) : r(res) {}
  ~PgResult() {
    if (r) PQclear(r);
  }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
};

struct Conn {
  PGconn* c = nullptr;
  std::unordered_map<std::string, std::string> stmts;  // SQL text -> prepared statement name
  std::uint64_t names = 0;  // statement names handed out on this connection (never reused)
  bool broken = false;
  ~Conn() {
    if (c) PQfinish(c);
  }
};

bool connection_lost(PGconn* c, const char* sqlstate) {
  if (PQstatus(c) == CONNECTION_BAD) return true;
  if (sqlstate == nullptr) return false;
  return std::strncmp(sqlstate, "08", 2) == 0 || std::strcmp(sqlstate, "57P01") == 0 ||
         std::strcmp(sqlstate, "57P02") == 0 || std::strcmp(sqlstate, "57P03") == 0;
}

// Maps a failed result (or a null one) to an Error; marks the connection broken when it is gone.
Error map_pg(Conn& conn, PGresult* res) {
  const char* st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  if (connection_lost(conn.c, st)) {
    conn.broken = true;
    return err::unavailable("database unavailable");
  }
  if (st == nullptr) return err::internal("database error");
  const std::string_view s(st);
  if (s == "23505") return err::conflict("already exists");
  if (s == "40001" || s == "40P01") return err::conflict("concurrent update, retry");
  if (s == "57014") return err::deadline_exceeded("database statement timed out");
  if (s == "25006") return err::failed_precondition("write in a read-only transaction");
  if (s == "53300" || s == "53000" || s == "55P03") return err::unavailable("database busy");
  return err::internal("database error (" + std::string(s) + ")");
}

bool ok_status(PGresult* r) {
  if (!r) return false;
  const auto s = PQresultStatus(r);
  return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

Status simple(Conn& conn, const char* sql) {
  PgResult r(PQexec(conn.c, sql));
  if (!ok_status(r.r)) return map_pg(conn, r.r);
  return {};
}

Result<std::unique_ptr<Conn>> connect(const SecretString& dsn, std::chrono::seconds connect_timeout,
                                      std::chrono::milliseconds statement_timeout) {
  auto conn = std::make_unique<Conn>();
  std::string text(dsn.reveal());  // libpq wants a NUL-terminated string; wiped right after
  const std::string timeout = std::to_string(connect_timeout.count());
  // expand_dbname: `dbname` carries the whole DSN; its settings override the earlier
  // connect_timeout default.
  const char* const keys[] = {"connect_timeout", "dbname", nullptr};
  const char* const values[] = {timeout.c_str(), text.c_str(), nullptr};
  conn->c = PQconnectdbParams(keys, values, 1);
  SecretString::wipe(text);
  if (conn->c == nullptr || PQstatus(conn->c) != CONNECTION_OK) {
    return err::unavailable("database unavailable");
  }
  // Server-side messages in English are not needed; keep notices off our stderr.
  PQsetNoticeProcessor(
      conn->c, [](void*, const char*) {}, nullptr);
  if (statement_timeout.count() > 0) {
    // Session-wide, set once per connection: transactions on it need no extra round trip.
    const std::string set = "SET statement_timeout = " + std::to_string(statement_timeout.count());
    NSL_TRY(simple(*conn, set.c_str()));
  }
  return conn;
}

// Copies a statement's rows (text or NULL) to `rows`.
void append_rows(PGresult* r, Rows& rows) {
  const int nr = PQntuples(r);
  const int nc = PQnfields(r);
  rows.reserve(rows.size() + static_cast<std::size_t>(nr));
  for (int i = 0; i < nr; ++i) {
    Row row;
    row.reserve(static_cast<std::size_t>(nc));
    for (int c = 0; c < nc; ++c) {
      if (PQgetisnull(r, i, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(
            std::string(PQgetvalue(r, i, c), static_cast<std::size_t>(PQgetlength(r, i, c))));
      }
    }
    rows.push_back(std::move(row));
  }
}

std::int64_t affected_rows(PGresult* r) {
  const char* n = PQcmdTuples(r);
  return (n && *n) ? static_cast<std::int64_t>(std::stoll(n)) : std::int64_t{0};
}

// The name the statement `key` has on this connection, or gets once prepared (known = false).
struct StatementName {
  std::string name;
  bool known = false;
};
StatementName statement_name(Conn& conn, const std::string& key) {
  auto it = conn.stmts.find(key);
  if (it != conn.stmts.end()) return {.name = it->second, .known = true};
  // A fresh name every time: a name whose PREPARE was aborted is never handed out again, so it
  // cannot collide with one PostgreSQL did prepare.
  return {.name = "nsl_" + std::to_string(++conn.names), .known = false};
}

// Parameters as libpq takes them: text pointers, NULL for SQL NULL (valid while `params` lives).
std::vector<const char*> param_values(const Params& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) values.push_back(p.is_null() ? nullptr : p.text()->c_str());
  return values;
}

// Prepared execution of `sql` on `conn`; rows are appended to `rows` when given. Returns affected
// rows.
Result<std::int64_t> run_prepared(Conn& conn, std::string_view sql, const Params& params,
                                  Rows* rows) {
  std::string key(sql);
  const auto [name, known] = statement_name(conn, key);
  if (!known) {
    PgResult p(PQprepare(conn.c, name.c_str(), key.c_str(), 0, nullptr));
    if (!ok_status(p.r)) return map_pg(conn, p.r);
    conn.stmts.emplace(key, name);
  }
  const std::vector<const char*> values = param_values(params);
  PgResult r(PQexecPrepared(conn.c, name.c_str(), static_cast<int>(values.size()),
                            values.data(), nullptr, nullptr, 0));
  if (!ok_status(r.r)) return map_pg(conn, r.r);
  if (rows && PQresultStatus(r.r) == PGRES_TUPLES_OK) append_rows(r.r, *rows);
  return affected_rows(r.r);
}

constexpr const char* kSetTenantSql = "SELECT set_config('app.current_tenant', $1, true)";

// The outcome of opening a transaction together with its first statement.
struct Opened {
  Result<std::int64_t> result = std::int64_t{0};
  // Nothing of the transaction reached the server in a usable state (the connection was gone
  // before BEGIN was answered): the caller may run the same pipeline on a fresh connection.
  bool retry_elsewhere = false;
  // The pipeline's COMMIT (asked for with `commit`) was answered COMMIT: the transaction is over.
  bool committed = false;
};

// Sends BEGIN, the tenant's set_config and the transaction's first statement (prepared on this
// connection first if it is new here) as one pipeline: one round trip instead of three or four;
// with `commit`, COMMIT as well (the transaction's only statement). On any error the transaction
// is left open and aborted (or never begun); the caller rolls back.
Opened open_with_first(Conn& conn, const char* begin, const std::optional<TenantId>& tenant,
                       std::string_view sql, const Params& params, Rows* rows, bool commit) {
  auto lost = [&conn](bool before_begin) {
    conn.broken = true;
    return Opened{.result = err::unavailable("database unavailable"),
                  .retry_elsewhere = before_begin};
  };
  if (PQenterPipelineMode(conn.c) != 1) return lost(true);
  std::string key(sql);
  const StatementName statement = statement_name(conn, key);
  const bool prepare = !statement.known;
  const std::string& name = statement.name;
  const std::vector<const char*> values = param_values(params);
  const char* tenant_value = tenant ? tenant->str().c_str() : nullptr;
  bool sent = PQsendQueryParams(conn.c, begin, 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
  if (sent && tenant) {
    sent = PQsendQueryParams(conn.c, kSetTenantSql, 1, nullptr, &tenant_value, nullptr, nullptr,
                             0) == 1;
  }
  if (sent && prepare) sent = PQsendPrepare(conn.c, name.c_str(), key.c_str(), 0, nullptr) == 1;
  if (sent) {
    sent = PQsendQueryPrepared(conn.c, name.c_str(), static_cast<int>(values.size()),
                               values.data(), nullptr, nullptr, 0) == 1;
  }
  if (sent && commit) {
    sent = PQsendQueryParams(conn.c, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
  }
  if (!sent || PQpipelineSync(conn.c) != 1) return lost(true);

  // The answers, in order: BEGIN, [set_config], [prepare], the statement, [COMMIT]; each ends
  // with a null result; then the sync point. After a failure the rest come back
  // PGRES_PIPELINE_ABORTED.
  const int at_statement = 1 + (tenant ? 1 : 0) + (prepare ? 1 : 0);
  const int count = at_statement + 1 + (commit ? 1 : 0);
  std::optional<Error> failed;
  bool prepared = false;
  Opened out;
  for (int i = 0; i < count; ++i) {
    PgResult r(PQgetResult(conn.c));
    if (r.r == nullptr) return lost(i == 0);
    const auto status = PQresultStatus(r.r);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      if (i == at_statement) {
        if (rows && status == PGRES_TUPLES_OK) append_rows(r.r, *rows);
        out.result = affected_rows(r.r);
      } else if (prepare && i == at_statement - 1) {
        prepared = true;
      } else if (commit && i == at_statement + 1) {
        out.committed = std::strcmp(PQcmdStatus(r.r), "COMMIT") == 0;
      }
    } else if (status != PGRES_PIPELINE_ABORTED && !failed) {
      failed = map_pg(conn, r.r);
      if (conn.broken) return lost(i == 0);
    }
    PgResult end(PQgetResult(conn.c));
    if (end.r != nullptr) return lost(false);  // more than one result: not ours to interpret
  }
  PgResult sync(PQgetResult(conn.c));
  if (sync.r == nullptr || PQresultStatus(sync.r) != PGRES_PIPELINE_SYNC ||
      PQexitPipelineMode(conn.c) != 1) {
    return lost(false);
  }
  // A statement PostgreSQL prepared stays prepared whatever became of the transaction (protocol
  // level, not transactional); one it did not (aborted before it) is not recorded.
  if (prepared) conn.stmts.emplace(std::move(key), name);
  if (failed) out.result = *std::move(failed);
  return out;
}

// Runs `statements` inside the open transaction as one pipeline (prepared first where new on this
// connection): one round trip. Their changed-row counts, or the first failure (the transaction is
// then aborted; the caller rolls back).
Result<std::vector<std::int64_t>> run_pipelined(Conn& conn, std::span<const Statement> statements) {
  auto lost = [&conn]() -> Result<std::vector<std::int64_t>> {
    conn.broken = true;
    return err::unavailable("database unavailable");
  };
  if (PQenterPipelineMode(conn.c) != 1) return lost();
  struct Sent {
    std::string key;
    std::string name;
    bool prepare = false;
    Rows* rows = nullptr;
  };
  std::vector<Sent> sent;
  sent.reserve(statements.size());
  std::unordered_map<std::string, std::string> fresh;  // prepared by this pipeline
  bool ok = true;
  for (const Statement& st : statements) {
    Sent s{.key = std::string(st.sql), .name = {}, .prepare = false, .rows = st.rows};
    if (auto f = fresh.find(s.key); f != fresh.end()) {
      s.name = f->second;
    } else {
      StatementName n = statement_name(conn, s.key);
      s.name = std::move(n.name);
      s.prepare = !n.known;
      if (s.prepare) fresh.emplace(s.key, s.name);
    }
    const std::vector<const char*> values = param_values(st.params);
    if (ok && s.prepare)
      ok = PQsendPrepare(conn.c, s.name.c_str(), s.key.c_str(), 0, nullptr) == 1;
    if (ok) {
      ok = PQsendQueryPrepared(conn.c, s.name.c_str(), static_cast<int>(values.size()),
                               values.data(), nullptr, nullptr, 0) == 1;
    }
    sent.push_back(std::move(s));
  }
  if (!ok || PQpipelineSync(conn.c) != 1) return lost();

  // The answers in order — per statement [prepare], execute — each ending with a null result,
  // then the sync point. After a failure the rest come back PGRES_PIPELINE_ABORTED.
  std::vector<std::int64_t> counts;
  counts.reserve(statements.size());
  std::optional<Error> failed;
  std::vector<const Sent*> prepared;
  for (const Sent& s : sent) {
    for (int part = s.prepare ? 0 : 1; part < 2; ++part) {
      PgResult r(PQgetResult(conn.c));
      if (r.r == nullptr) return lost();
      const auto status = PQresultStatus(r.r);
      if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        if (part == 0) {
          prepared.push_back(&s);
        } else {
          counts.push_back(affected_rows(r.r));
          if (s.rows != nullptr && !failed) append_rows(r.r, *s.rows);
        }
      } else if (status != PGRES_PIPELINE_ABORTED && !failed) {
        failed = map_pg(conn, r.r);
        if (conn.broken) return lost();
      }
      PgResult end(PQgetResult(conn.c));
      if (end.r != nullptr) return lost();  // more than one result: not ours to interpret
    }
  }
  PgResult sync(PQgetResult(conn.c));
  if (sync.r == nullptr || PQresultStatus(sync.r) != PGRES_PIPELINE_SYNC ||
      PQexitPipelineMode(conn.c) != 1) {
    return lost();
  }
  // Prepared statements outlive the transaction (protocol level), whatever became of it.
  for (const Sent* s : prepared) conn.stmts.emplace(s->key, s->name);
  if (failed) return *std::move(failed);
  return counts;
}

// A transaction opened lazily: BEGIN and the tenant's set_config travel with the first statement
// (open_with_first); a body that runs no statement costs no round trip at all.
class PgTx final : public Tx {
 public:
  PgTx(PostgresDatabase::Impl& pool, std::unique_ptr<Conn> conn, std::optional<TenantId> tenant,
       bool read_only)
      : Tx(std::move(tenant)), pool_(pool), conn_(std::move(conn)), read_only_(read_only) {}
  Result<std::int64_t> exec(std::string_view sql, const Params& params) override {
    return statement(sql, params, nullptr);
  }
  Result<Rows> query(std::string_view sql, const Params& params) override {
    Rows rows;
    NSL_TRY(statement(sql, params, &rows));
    return rows;
  }
  Result<Rows> query_only(std::string_view sql, const Params& params) override {
    Rows rows;
    NSL_TRY(statement(sql, params, &rows, read_only_ && !begun_));
    return rows;
  }
  Result<std::vector<std::int64_t>> exec_all(std::span<const Statement> statements) override;

  // Commits (body succeeded) or rolls back, and gives the connection back. Returns st, or the
  // commit's failure.
  Status finish(Status st);
  // The body threw: the connection's state is unknown, so it is closed.
  void abandon();

 private:
  // `last`: the transaction's only statement, committed in the same pipeline (read-only
  // transactions: a failing body after it has nothing to roll back).
  Result<std::int64_t> statement(std::string_view sql, const Params& params, Rows* rows,
                                 bool last = false);

  PostgresDatabase::Impl& pool_;
  std::unique_ptr<Conn> conn_;
  const bool read_only_;
  bool begun_ = false;
  bool committed_ = false;  // ended by the pipeline of query_only()
};

}  // namespace

struct PostgresDatabase::Impl {
  PostgresOptions opts;
  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<std::unique_ptr<Conn>> idle;  // guarded by mu
  int open = 0;                            // guarded by mu (idle + in use + being opened)
  PoolStats stats;  // guarded by mu (size/in_use/max filled in by pool_stats)

  Result<std::unique_ptr<Conn>> acquire() {
    std::unique_lock lock(mu);
    ++stats.acquires;
    if (idle.empty() && open >= opts.pool_size) {
      ++stats.waits;
      const auto start = std::chrono::steady_clock::now();
      const bool got = cv.wait_for(lock, opts.acquire_timeout,
                                   [this] { return !idle.empty() || open < opts.pool_size; });
      stats.wait_ns_total +=
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::steady_clock::now() - start)
                                         .count());
      if (!got) {
        ++stats.timeouts;
        return err::unavailable("database pool exhausted");
      }
    }
    if (!idle.empty()) {
      auto c = std::move(idle.back());
      idle.pop_back();
      return c;
    }
    ++open;
    const SecretString dsn = opts.dsn;  // set_dsn may replace it meanwhile
    lock.unlock();
    auto c = connect(dsn, opts.connect_timeout, opts.statement_timeout);
    if (!c.ok()) {
      lock.lock();
      --open;
      cv.notify_one();
    }
    return c;
  }

  // New connections use `dsn`; the idle ones close (outside the lock) and reopen on demand.
  void replace_dsn(const SecretString& dsn) {
    std::deque<std::unique_ptr<Conn>> dead;
    {
      std::lock_guard lock(mu);
      opts.dsn = dsn;
      open -= static_cast<int>(idle.size());
      dead.swap(idle);
    }
    cv.notify_all();
  }

  void release(std::unique_ptr<Conn> c) {
    std::deque<std::unique_ptr<Conn>> dead;
    bool many_free = false;
    {
      std::lock_guard lock(mu);
      if (c->broken || PQstatus(c->c) != CONNECTION_OK ||
          PQtransactionStatus(c->c) != PQTRANS_IDLE) {
        // This one is gone, and after a restart the idle ones are too: drop them all, reopen on
        // demand.
        ++stats.reconnects;
        --open;
        open -= static_cast<int>(idle.size());
        dead.swap(idle);
        dead.push_back(std::move(c));
        many_free = true;
      } else {
        idle.push_back(std::move(c));
      }
    }
    // One connection back: one waiter can use it (waking them all would only have the rest go
    // back to sleep). Several slots freed at once: everyone may reconnect.
    if (many_free) {
      cv.notify_all();
    } else {
      cv.notify_one();
    }
    // `dead` closes its connections here, outside the lock.
  }
};

PostgresDatabase::PostgresDatabase(std::unique_ptr<Impl> impl, std::unique_ptr<Impl> read_impl)
    : impl_(std::move(impl)), read_impl_(std::move(read_impl)) {}
PostgresDatabase::~PostgresDatabase() = default;

namespace {
bool dsn_parses(const SecretString& dsn) {
  char* errmsg = nullptr;
  std::string text(dsn.reveal());
  PQconninfoOption* parsed = PQconninfoParse(text.c_str(), &errmsg);
  SecretString::wipe(text);
  if (errmsg) PQfreemem(errmsg);
  if (!parsed) return false;
  PQconninfoFree(parsed);
  return true;
}
}  // namespace

Status PostgresDatabase::set_dsn(const SecretString& dsn, const SecretString& replica_dsn) {
  if (dsn.empty() || !dsn_parses(dsn)) return err::invalid_argument("postgres dsn is malformed");
  if (!replica_dsn.empty() && !read_impl_)
    return err::failed_precondition("a read replica can only be added with a restart");
  if (!replica_dsn.empty() && !dsn_parses(replica_dsn))
    return err::invalid_argument("postgres replica dsn is malformed");
  impl_->replace_dsn(dsn);
  if (read_impl_ && !replica_dsn.empty()) read_impl_->replace_dsn(replica_dsn);
  return {};
}

Result<std::unique_ptr<PostgresDatabase>> PostgresDatabase::open(const PostgresOptions& options) {
  if (options.dsn.empty()) return err::invalid_argument("postgres dsn is empty");
  if (options.pool_size < 1) return err::invalid_argument("postgres pool size must be at least 1");
  if (options.statement_timeout.count() < 0)
    return err::invalid_argument("postgres statement timeout must not be negative");
  char* errmsg = nullptr;
  std::string text(options.dsn.reveal());
  PQconninfoOption* parsed = PQconninfoParse(text.c_str(), &errmsg);
  SecretString::wipe(text);
  if (errmsg) PQfreemem(errmsg);
  if (!parsed) return err::invalid_argument("postgres dsn is malformed");
  PQconninfoFree(parsed);
  auto impl = std::make_unique<Impl>();
  impl->opts = options;
  if (impl->opts.migration_dsn.empty()) impl->opts.migration_dsn = options.dsn;
  std::unique_ptr<Impl> read_impl;
  if (!options.replica_dsn.empty()) {
    std::string replica(options.replica_dsn.reveal());
    PQconninfoOption* rp = PQconninfoParse(replica.c_str(), &errmsg);
    SecretString::wipe(replica);
    if (errmsg) PQfreemem(errmsg);
    if (!rp) return err::invalid_argument("postgres replica dsn is malformed");
    PQconninfoFree(rp);
    read_impl = std::make_unique<Impl>();
    read_impl->opts = impl->opts;
    read_impl->opts.dsn = options.replica_dsn;
  }
  return std::unique_ptr<PostgresDatabase>(
      new PostgresDatabase(std::move(impl), std::move(read_impl)));
}

namespace {

PoolStats stats_of(const PostgresDatabase::Impl& impl) {
  std::lock_guard lock(impl.mu);
  PoolStats s = impl.stats;
  s.size = impl.open;
  s.in_use = impl.open - static_cast<int>(impl.idle.size());
  s.max = impl.opts.pool_size;
  return s;
}

Status run_on(PostgresDatabase::Impl& pool, const std::optional<TenantId>& tenant,
              const std::function<Status(Tx&)>& body, bool read_only) {
  NSL_TRY_ASSIGN(std::unique_ptr<Conn> conn, pool.acquire());
  PgTx tx(pool, std::move(conn), tenant, read_only);
  Status st;
  try {
    st = body(tx);
  } catch (...) {  // not ours to swallow, but the connection must go back
    tx.abandon();
    throw;
  }
  return tx.finish(std::move(st));
}

Result<std::int64_t> PgTx::statement(std::string_view sql, const Params& params, Rows* rows,
                                     bool last) {
  if (!conn_) return err::unavailable("database unavailable");
  if (committed_) return err::internal("statement after the transaction's only statement");
  if (begun_) return run_prepared(*conn_, sql, params, rows);
  for (int attempt = 0;; ++attempt) {
    Opened opened = open_with_first(*conn_, read_only_ ? "BEGIN READ ONLY" : "BEGIN", tenant(),
                                    sql, params, rows, last);
    if (opened.retry_elsewhere && attempt == 0) {
      // Nothing ran yet (the connection was gone before BEGIN was answered, typically after a
      // server restart): once more on a fresh connection, so the caller does not pay for it.
      pool_.release(std::move(conn_));
      if (rows) rows->clear();
      auto fresh = pool_.acquire();
      if (!fresh.ok()) return std::move(fresh).error();
      conn_ = *std::move(fresh);
      continue;
    }
    begun_ = !opened.retry_elsewhere;
    committed_ = opened.committed;
    return std::move(opened.result);
  }
}

Result<std::vector<std::int64_t>> PgTx::exec_all(std::span<const Statement> statements) {
  std::vector<std::int64_t> counts;
  if (statements.empty()) return counts;
  if (!begun_) {
    // The first one opens the transaction (with BEGIN and the tenant setting in its pipeline).
    NSL_TRY_ASSIGN(std::int64_t n, statement(statements[0].sql, statements[0].params, statements[0].rows));
    counts.push_back(n);
    statements = statements.subspan(1);
    if (statements.empty()) return counts;
  }
  if (!conn_) return err::unavailable("database unavailable");
  if (committed_) return err::internal("statement after the transaction's only statement");
  NSL_TRY_ASSIGN(std::vector<std::int64_t> rest, run_pipelined(*conn_, statements));
  counts.insert(counts.end(), rest.begin(), rest.end());
  return counts;
}

Status PgTx::finish(Status st) {
  if (!conn_) return st;
  if (!begun_ || committed_) {
    // No statement ran, or the only one committed with it: there is no transaction to end.
    pool_.release(std::move(conn_));
    return st;
  }
  if (st.ok()) {
    PgResult r(PQexec(conn_->c, "COMMIT"));
    if (!ok_status(r.r)) {
      st = map_pg(*conn_, r.r);
    } else if (std::strcmp(PQcmdStatus(r.r), "ROLLBACK") == 0) {
      // The body swallowed a failed statement; PostgreSQL then answers COMMIT with ROLLBACK.
      st = err::internal("database error (transaction aborted by an earlier failure)");
    }
  } else if (!conn_->broken) {
    (void)simple(*conn_, "ROLLBACK");
  }
  pool_.release(std::move(conn_));
  return st;
}

void PgTx::abandon() {
  if (!conn_) return;
  conn_->broken = true;
  pool_.release(std::move(conn_));
}

}  // namespace

PoolStats PostgresDatabase::pool_stats() const { return stats_of(*impl_); }

std::optional<PoolStats> PostgresDatabase::read_pool_stats() const {
  if (!read_impl_) return std::nullopt;
  return stats_of(*read_impl_);
}

Status PostgresDatabase::run(const std::optional<TenantId>& tenant,
                             const std::function<Status(Tx&)>& body) {
  return run_on(*impl_, tenant, body, false);
}

Status PostgresDatabase::run_read(const std::optional<TenantId>& tenant,
                                  const std::function<Status(Tx&)>& body) {
  return run_on(read_impl_ ? *read_impl_ : *impl_, tenant, body, true);
}

Status PostgresDatabase::run_read_primary(const std::optional<TenantId>& tenant,
                                          const std::function<Status(Tx&)>& body) {
  return run_on(*impl_, tenant, body, true);
}

Result<int> PostgresDatabase::schema_version() {
  return with_system([](Tx& tx) -> Result<int> {
    NSL_TRY_ASSIGN(Rows t, tx.query("SELECT to_regclass('schema_migrations') IS NOT NULL"));
    if (t.at(0).at(0).value_or("f") != "t") return 0;
    NSL_TRY_ASSIGN(Rows r, tx.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    return std::stoi(r.at(0).at(0).value_or("0"));
  });
}

Status PostgresDatabase::migrate() {
  NSL_TRY_ASSIGN(std::unique_ptr<Conn> conn,
                 connect(impl_->opts.migration_dsn, impl_->opts.connect_timeout,
                         std::chrono::milliseconds(0)));
  NSL_TRY(simple(*conn, kMigrationLockSql));  // released with the session at the latest
  const auto all = postgres_migrations();
  const int latest = all.empty() ? 0 : all.back().version;
  auto body = [&]() -> Status {
    NSL_TRY(simple(*conn,
                   "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
                   "name text NOT NULL, "
                   "applied_at timestamptz NOT NULL DEFAULT now())"));
    auto current_version = [&]() -> Result<int> {
      Rows rows;
      NSL_TRY(run_prepared(*conn, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {},
                           &rows));
      return std::stoi(rows.at(0).at(0).value_or("0"));
    };
    NSL_TRY_ASSIGN(int current, current_version());
    if (current > latest)
      return err::failed_precondition("database schema is newer than this binary");
    for (const Migration& m : all) {
      if (m.version <= current) continue;
      NSL_TRY(simple(*conn, "BEGIN"));
      Status st = simple(*conn, std::string(m.sql).c_str());
      if (st.ok()) {
        st = run_prepared(*conn, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                          {m.version, m.name}, nullptr)
                     .ok()
                 ? Status()
                 : Status(err::internal("database error (recording migration)"));
      }
      if (st.ok()) st = simple(*conn, "COMMIT");
      if (!st.ok()) {
        if (!conn->broken) (void)simple(*conn, "ROLLBACK");
        return st;
      }
      current = m.version;
    }
    return {};
  };
  Status st = body();
  if (!conn->broken) (void)simple(*conn, kMigrationUnlockSql);
  return st;
}

}  // namespace nsl::store
