// PostgresDatabase on the harness PostgreSQL: the contract suite, plus what only row-level security
// gives (no tenant context sees nothing; a query without WHERE still sees one tenant), reconnect
// after pg_terminate_backend, and pool counters.
//
// Each test gets a fresh database owned by a per-process owner role (migrations run as it) and is
// used through a per-process service role (LOGIN, NOSUPERUSER, NOBYPASSRLS, member of nsl_app): the
// shape production uses. The roles and databases are created from the harness DSN (a superuser) and
// dropped at exit.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "core/random.hpp"
#include "store/postgres_db.hpp"
#include "harness/pg_scratch.hpp"
#include "store/store_contract.hpp"

namespace nsl::store {
namespace {

using namespace std::chrono_literals;

struct PgTraits {
  static std::string unavailable_reason() {
    return ::nsl::testing::pg_dsn()
               ? std::string()
               : std::string("PostgreSQL not configured (NSL_TEST_SERVICES_ENV)");
  }
  struct Env {
    ::nsl::testing::PgScratch scratch;
    std::string name;
    std::unique_ptr<PostgresDatabase> service;
    std::unique_ptr<PostgresDatabase> own;
    Database& db() { return *service; }
    Database& owner() { return *own; }
  };
  static std::unique_ptr<Env> make(int pool_size = 4) {
    auto env = std::make_unique<Env>();
    env->scratch = ::nsl::testing::pg_scratch_database("store");
    env->name = env->scratch.name;
    if (env->scratch.service_dsn.empty()) return nullptr;
    const std::string& svc = env->scratch.service_dsn;
    const std::string& own = env->scratch.owner_dsn;
    auto s = PostgresDatabase::open(
        {.dsn = SecretString(svc), .migration_dsn = SecretString(own), .pool_size = pool_size});
    auto o = PostgresDatabase::open({.dsn = SecretString(own), .pool_size = 1});
    EXPECT_TRUE(s.ok() && o.ok());
    if (!s.ok() || !o.ok()) return nullptr;
    env->service = std::move(s).value();
    env->own = std::move(o).value();
    return env;
  }
};

}  // namespace

namespace contract {
using PgTypes = ::testing::Types<PgTraits>;
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, StoreContractTest, PgTypes);
}  // namespace contract

namespace {

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NSL_REQUIRE_PG();
    env_ = PgTraits::make();
    ASSERT_TRUE(env_);
    auto st = env_->service->migrate();  // through migration_dsn: the owner role
    ASSERT_TRUE(st.ok()) << st.error();
    a_ = add_tenant("acme");
    b_ = add_tenant("globex");
    for (const auto& [t, v] : {std::pair{a_, "from-a"}, std::pair{b_, "from-b"}}) {
      const std::string value = v;
      auto put = db().with_tenant(t, [&value](Tx& tx) -> Status {
        NSL_TRY(tx.exec("INSERT INTO tenant_settings (tenant_id, key, value) VALUES ($1, 'k', $2)",
                        {*tx.tenant(), value}));
        return {};
      });
      ASSERT_TRUE(put.ok()) << put.error();
    }
  }
  PostgresDatabase& db() { return *env_->service; }
  TenantId add_tenant(const std::string& name) {
    const TenantId id = TenantId::generate();
    auto st = db().with_system([&](Tx& tx) -> Status {
      NSL_TRY(tx.exec("INSERT INTO tenants (id, name) VALUES ($1, $2)", {id, name}));
      return {};
    });
    EXPECT_TRUE(st.ok()) << st.error();
    return id;
  }

  std::unique_ptr<PgTraits::Env> env_;
  TenantId a_ = TenantId::generate();
  TenantId b_ = TenantId::generate();
};

TEST_F(PostgresStoreTest, ServiceRoleIsNeitherSuperuserNorOwnerNorBypassRls) {
  auto r = db().with_system([](Tx& tx) {
    return tx.query(
        "SELECT r.rolsuper, r.rolbypassrls, c.relowner = r.oid, c.relrowsecurity, "
        "c.relforcerowsecurity "
        "FROM pg_roles r, pg_class c WHERE r.rolname = current_user AND c.oid = "
        "'tenant_settings'::regclass");
  });
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0], (Row{"f", "f", "f", "t", "t"}));
}

TEST_F(PostgresStoreTest, WithoutTenantContextTenantTablesLookEmpty) {
  auto rows = db().with_system([](Tx& tx) { return tx.query("SELECT * FROM tenant_settings"); });
  ASSERT_TRUE(rows.ok()) << rows.error();
  EXPECT_TRUE(rows->empty());
  // And nothing can be written without a tenant either (WITH CHECK).
  auto put = db().with_system([this](Tx& tx) {
    return tx.exec("INSERT INTO tenant_settings (tenant_id, key, value) VALUES ($1, 'x', 'y')",
                   {a_});
  });
  EXPECT_FALSE(put.ok());
  // The owner (who runs migrations) is subject to RLS too (FORCE).
  auto own =
      env_->own->with_system([](Tx& tx) { return tx.query("SELECT * FROM tenant_settings"); });
  ASSERT_TRUE(own.ok()) << own.error();
  EXPECT_TRUE(own->empty());
}

TEST_F(PostgresStoreTest, QueryWithoutWhereClauseSeesOnlyTheCurrentTenant) {
  auto rows = db().with_tenant(
      a_, [](Tx& tx) { return tx.query("SELECT tenant_id::text, value FROM tenant_settings"); });
  ASSERT_TRUE(rows.ok()) << rows.error();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0], (Row{a_.str(), "from-a"}));
  // Blanket UPDATE / DELETE only reach the current tenant's rows.
  auto upd = db().with_tenant(
      b_, [](Tx& tx) { return tx.exec("UPDATE tenant_settings SET value = 'owned'"); });
  ASSERT_TRUE(upd.ok());
  EXPECT_EQ(*upd, 1);
  auto del = db().with_tenant(b_, [](Tx& tx) { return tx.exec("DELETE FROM tenant_settings"); });
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(*del, 1);
  auto still =
      db().with_tenant(a_, [](Tx& tx) { return tx.query("SELECT value FROM tenant_settings"); });
  ASSERT_TRUE(still.ok());
  ASSERT_EQ(still->size(), 1u);
  EXPECT_EQ((*still)[0][0].value_or(""), "from-a");
  // Writing a row for another tenant from inside A's transaction is refused.
  auto forged = db().with_tenant(a_, [this](Tx& tx) {
    return tx.exec("INSERT INTO tenant_settings (tenant_id, key, value) VALUES ($1, 'forged', 'x')",
                   {b_});
  });
  EXPECT_FALSE(forged.ok());
}

TEST_F(PostgresStoreTest, TenantContextDoesNotLeakToTheNextTransactionOnAConnection) {
  // Pool of one: every transaction below runs on the same connection.
  auto env = PgTraits::make(1);
  ASSERT_TRUE(env);
  ASSERT_TRUE(env->service->migrate().ok());
  ASSERT_TRUE(env->service->with_tenant(a_, [](Tx& tx) { return tx.query("SELECT 1"); }).ok());
  auto after = env->service->with_system([](Tx& tx) {
    return tx.query(
        "SELECT current_setting('app.current_tenant', true), (SELECT COUNT(*) FROM "
        "tenant_settings)");
  });
  ASSERT_TRUE(after.ok()) << after.error();
  EXPECT_EQ((*after)[0][0].value_or(""), "");
  EXPECT_EQ((*after)[0][1].value_or(""), "0");
}

TEST_F(PostgresStoreTest, TerminatedConnectionFailsAtMostOnceThenWorks) {
  const std::string role = env_->scratch.service_role;
  // Warm the pool: several connections, all idle afterwards.
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([this] {
      (void)db().with_tenant(a_, [](Tx& tx) { return tx.query("SELECT pg_sleep(0.05)"); });
    });
  }
  for (auto& t : threads) t.join();
  const std::string killed =
      ::nsl::testing::pg_admin_sql("SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '" +
                role + "' AND datname = '" + env_->name + "'");
  EXPECT_NE(killed, "0");
  for (int i = 0; i < 100 && ::nsl::testing::pg_admin_sql("SELECT COUNT(*) FROM pg_stat_activity WHERE usename = '" +
                                       role + "' AND datname = '" + env_->name + "'") != "0";
       ++i) {
    std::this_thread::sleep_for(20ms);
  }
  int failures = 0;
  for (int i = 0; i < 5; ++i) {
    auto r =
        db().with_tenant(a_, [](Tx& tx) { return tx.query("SELECT value FROM tenant_settings"); });
    if (!r.ok()) {
      EXPECT_EQ(r.error().code(), ErrorCode::unavailable) << r.error();
      ++failures;
      continue;
    }
    ASSERT_EQ(r->size(), 1u);
  }
  EXPECT_LE(failures, 1);
  EXPECT_GE(db().pool_stats().reconnects, 1u);
}

TEST_F(PostgresStoreTest, KilledMidTransactionIsUnavailableThenRecovers) {
  const std::string role = env_->scratch.service_role;
  const std::string dbname = env_->name;
  auto r = db().with_tenant(a_, [&role, &dbname](Tx& tx) -> Result<Rows> {
    // The transaction has begun (its first statement ran) when the connection dies.
    NSL_TRY(tx.query("SELECT 1"));
    ::nsl::testing::pg_admin_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '" + role +
              "' AND datname = '" + dbname + "'");
    std::this_thread::sleep_for(100ms);
    return tx.query("SELECT value FROM tenant_settings");
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::unavailable);
  auto again =
      db().with_tenant(a_, [](Tx& tx) { return tx.query("SELECT value FROM tenant_settings"); });
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again->size(), 1u);
}

// BEGIN travels with the first statement, so a connection that dies before it is replaced
// without the caller seeing anything: nothing of the transaction had reached the server.
TEST_F(PostgresStoreTest, KilledBeforeTheFirstStatementIsRetriedOnAFreshConnection) {
  const std::string role = env_->scratch.service_role;
  const std::string dbname = env_->name;
  const std::uint64_t reconnects = db().pool_stats().reconnects;
  auto r = db().with_tenant(a_, [&role, &dbname](Tx& tx) -> Result<Rows> {
    ::nsl::testing::pg_admin_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '" + role +
              "' AND datname = '" + dbname + "'");
    std::this_thread::sleep_for(100ms);
    NSL_TRY_ASSIGN(Rows rows, tx.query("SELECT value FROM tenant_settings"));
    // Still the tenant's transaction on the fresh connection: row-level security applies.
    NSL_TRY(tx.exec("INSERT INTO tenant_settings (tenant_id, key, value) VALUES ($1, 'k2', 'v')",
                    {*tx.tenant()}));
    return rows;
  });
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->size(), 1u);
  EXPECT_GT(db().pool_stats().reconnects, reconnects);
  auto both = db().with_tenant(a_, [](Tx& tx) { return tx.query("SELECT key FROM tenant_settings"); });
  ASSERT_TRUE(both.ok()) << both.error();
  EXPECT_EQ(both->size(), 2u);
}

// A failure in the first statement (sent with BEGIN in one pipeline) is that statement's error,
// the transaction rolls back, and the connection and its prepared statements stay usable.
TEST_F(PostgresStoreTest, FirstStatementFailureRollsBackAndTheConnectionStaysUsable) {
  for (int i = 0; i < 3; ++i) {
    auto dup = db().with_tenant(a_, [](Tx& tx) {
      return tx.exec("INSERT INTO tenant_settings (tenant_id, key, value) "
                     "SELECT tenant_id, key, value FROM tenant_settings");
    });
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.error().code(), ErrorCode::conflict) << dup.error();
    auto bad = db().with_tenant(a_, [](Tx& tx) { return tx.query("SELECT no_such_column FROM tenant_settings"); });
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code(), ErrorCode::internal);
    auto ok = db().with_tenant(a_, [](Tx& tx) -> Result<Rows> {
      NSL_TRY_ASSIGN(Rows rows, tx.query("SELECT value FROM tenant_settings"));
      NSL_TRY(tx.query("SELECT value FROM tenant_settings"));
      return rows;
    });
    ASSERT_TRUE(ok.ok()) << ok.error();
    EXPECT_EQ(ok->size(), 1u);
  }
  const PoolStats s = db().pool_stats();
  EXPECT_EQ(s.reconnects, 0u);
  EXPECT_EQ(s.in_use, 0);
}

// query_only: a read-only transaction's only statement commits in the same pipeline. Row-level
// security still applies, the connection comes back with no transaction open (a pool of one runs
// everything below on one connection), a statement after it is refused, a failure rolls back, and
// in a read-write transaction it is an ordinary statement.
TEST_F(PostgresStoreTest, QueryOnlyCommitsAReadInOneRoundTrip) {
  auto env = PgTraits::make(1);
  ASSERT_TRUE(env);
  ASSERT_TRUE(env->service->migrate().ok());
  PostgresDatabase& one = *env->service;
  for (const auto& [t, v] : {std::pair{a_, "from-a"}, std::pair{b_, "from-b"}}) {
    const std::string value = v;
    const TenantId tenant = t;
    auto seeded = one.with_system([&](Tx& tx) {
      return tx.exec("INSERT INTO tenants (id, name) VALUES ($1, $2)", {tenant, value});
    });
    ASSERT_TRUE(seeded.ok()) << seeded.error();
    auto put = one.with_tenant(tenant, [&](Tx& tx) {
      return tx.exec("INSERT INTO tenant_settings (tenant_id, key, value) VALUES ($1, 'k', $2)",
                     {tenant, value});
    });
    ASSERT_TRUE(put.ok()) << put.error();
  }
  for (int i = 0; i < 3; ++i) {
    auto rows = one.with_tenant_read_primary(a_, [](Tx& tx) {
      return tx.query_only("SELECT tenant_id::text, value FROM tenant_settings");
    });
    ASSERT_TRUE(rows.ok()) << rows.error();
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0], (Row{a_.str(), "from-a"}));
  }
  // Nothing left open on the connection: the next transaction starts afresh (another tenant, and
  // no tenant at all, see only their own rows).
  auto other = one.with_tenant_read_primary(
      b_, [](Tx& tx) { return tx.query_only("SELECT value FROM tenant_settings"); });
  ASSERT_TRUE(other.ok()) << other.error();
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ((*other)[0][0].value_or(""), "from-b");
  auto none = one.with_system([](Tx& tx) {
    return tx.query("SELECT current_setting('app.current_tenant', true), "
                    "(SELECT COUNT(*) FROM tenant_settings), now() = statement_timestamp()");
  });
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_EQ((*none)[0][0].value_or(""), "");
  EXPECT_EQ((*none)[0][1].value_or(""), "0");

  // After it, the transaction is over.
  auto after = one.with_tenant_read_primary(a_, [](Tx& tx) -> Result<Rows> {
    NSL_TRY(tx.query_only("SELECT value FROM tenant_settings"));
    return tx.query("SELECT value FROM tenant_settings");
  });
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code(), ErrorCode::internal);
  // A failing statement rolls back; the connection stays usable.
  auto bad = one.with_tenant_read_primary(
      a_, [](Tx& tx) { return tx.query_only("SELECT no_such_column FROM tenant_settings"); });
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::internal);
  // A body that fails after the read has nothing to roll back.
  auto failed_after = one.with_tenant_read_primary(a_, [](Tx& tx) -> Result<Rows> {
    NSL_TRY(tx.query_only("SELECT value FROM tenant_settings"));
    return err::not_found("what the caller looked for is not there");
  });
  EXPECT_EQ(failed_after.error().code(), ErrorCode::not_found);
  // Not the first statement, or a read-write transaction: an ordinary statement.
  auto second = one.with_tenant_read_primary(a_, [](Tx& tx) -> Result<Rows> {
    NSL_TRY(tx.query("SELECT 1"));
    NSL_TRY(tx.query_only("SELECT value FROM tenant_settings"));
    return tx.query("SELECT value FROM tenant_settings");
  });
  ASSERT_TRUE(second.ok()) << second.error();
  auto rw = one.with_tenant(a_, [](Tx& tx) -> Result<std::int64_t> {
    NSL_TRY(tx.query_only("SELECT value FROM tenant_settings"));
    return tx.exec("UPDATE tenant_settings SET value = 'changed'");
  });
  ASSERT_TRUE(rw.ok()) << rw.error();
  EXPECT_EQ(*rw, 1);
  const PoolStats s = one.pool_stats();
  EXPECT_EQ(s.reconnects, 0u);
  EXPECT_EQ(s.in_use, 0);
}

// Opt-in (it restarts the shared harness server, which would break concurrent pg tests):
//   NSL_TEST_PG_RESTART_CMD='runuser -u nsltest -- /usr/lib/postgresql/15/bin/pg_ctl
//     -D DIR/pg/data restart -m fast -w'
TEST_F(PostgresStoreTest, ServerRestartCostsAtMostOneFailedCall) {
  const char* cmd = std::getenv("NSL_TEST_PG_RESTART_CMD");
  if (cmd == nullptr || *cmd == '\0') GTEST_SKIP() << "set NSL_TEST_PG_RESTART_CMD to run";
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([this] {
      (void)db().with_tenant(a_, [](Tx& tx) { return tx.query("SELECT pg_sleep(0.05)"); });
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(std::system(cmd), 0);
  int failures = 0;
  for (int i = 0; i < 5; ++i) {
    auto r =
        db().with_tenant(a_, [](Tx& tx) { return tx.query("SELECT value FROM tenant_settings"); });
    if (!r.ok()) {
      EXPECT_EQ(r.error().code(), ErrorCode::unavailable) << r.error();
      ++failures;
      continue;
    }
    EXPECT_EQ(r->size(), 1u);
  }
  EXPECT_LE(failures, 1);
}

TEST_F(PostgresStoreTest, PoolCountsWaitsAndTimesOut) {
  auto env = PgTraits::make(1);
  ASSERT_TRUE(env);
  auto db1 = PostgresDatabase::open(
      {.dsn = SecretString(env->scratch.service_dsn),
       .pool_size = 1,
       .acquire_timeout = 50ms});
  ASSERT_TRUE(db1.ok());
  PostgresDatabase& d = **db1;
  std::thread holder(
      [&d] { (void)d.with_system([](Tx& tx) { return tx.query("SELECT pg_sleep(0.3)"); }); });
  std::this_thread::sleep_for(100ms);
  auto starved = d.with_system([](Tx& tx) { return tx.query("SELECT 1"); });
  holder.join();
  ASSERT_FALSE(starved.ok());
  EXPECT_EQ(starved.error().code(), ErrorCode::unavailable);
  const PoolStats s = d.pool_stats();
  EXPECT_EQ(s.max, 1);
  EXPECT_EQ(s.size, 1);
  EXPECT_EQ(s.in_use, 0);
  EXPECT_GE(s.waits, 1u);
  EXPECT_GE(s.timeouts, 1u);
  EXPECT_GT(s.wait_ns_total, 0u);
}

TEST_F(PostgresStoreTest, AThrowingBodyDoesNotLeakAPoolSlot) {
  auto env = PgTraits::make(1);
  ASSERT_TRUE(env);
  ASSERT_TRUE(env->service->migrate().ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_THROW(
        (void)env->service->with_system([](Tx&) -> Status { throw std::runtime_error("boom"); }),
        std::runtime_error);
  }
  auto r = env->service->with_system([](Tx& tx) { return tx.query("SELECT 1"); });
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(env->service->pool_stats().size, 1);
}

TEST_F(PostgresStoreTest, StatementTimeoutIsDeadlineExceededAndKeepsTheConnection) {
  auto db1 = PostgresDatabase::open(
      {.dsn = SecretString(env_->scratch.service_dsn), .pool_size = 1, .statement_timeout = 200ms});
  ASSERT_TRUE(db1.ok());
  PostgresDatabase& d = **db1;
  const auto start = std::chrono::steady_clock::now();
  auto slow = d.with_system([](Tx& tx) { return tx.query("SELECT pg_sleep(2)"); });
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.error().code(), ErrorCode::deadline_exceeded);
  EXPECT_LT(took, 1500ms);
  // The same connection serves the next transaction: nothing was dropped or reopened.
  auto shown = d.with_system([](Tx& tx) { return tx.query("SHOW statement_timeout"); });
  ASSERT_TRUE(shown.ok()) << shown.error();
  EXPECT_EQ(shown->at(0).at(0).value_or(""), "200ms");
  const PoolStats s = d.pool_stats();
  EXPECT_EQ(s.size, 1);
  EXPECT_EQ(s.reconnects, 0u);

  // The default is 5 s; 0 leaves the server's setting (none).
  auto def = PostgresDatabase::open({.dsn = SecretString(env_->scratch.service_dsn)});
  auto none = PostgresDatabase::open(
      {.dsn = SecretString(env_->scratch.service_dsn), .statement_timeout = 0ms});
  ASSERT_TRUE(def.ok() && none.ok());
  auto show = [](PostgresDatabase& p) {
    auto r = p.with_system([](Tx& tx) { return tx.query("SHOW statement_timeout"); });
    return r.ok() ? r->at(0).at(0).value_or("") : r.error().message();
  };
  EXPECT_EQ(show(**def), "5s");
  EXPECT_EQ(show(**none), "0");
  EXPECT_EQ(PostgresDatabase::open(
                {.dsn = SecretString(env_->scratch.service_dsn), .statement_timeout = -1ms})
                .error()
                .code(),
            ErrorCode::invalid_argument);
}

// A rotated credential: connections opened after set_dsn use the new string, idle ones are closed.
TEST_F(PostgresStoreTest, SetDsnMovesThePoolToNewCredentials) {
  const std::string& svc = env_->scratch.service_dsn;
  auto opened = PostgresDatabase::open({.dsn = SecretString(svc), .pool_size = 2});
  ASSERT_TRUE(opened.ok()) << opened.error();
  PostgresDatabase& d = **opened;
  auto one = [&] { return d.with_system([](Tx& tx) { return tx.query("SELECT 1"); }); };
  ASSERT_TRUE(one().ok());
  EXPECT_EQ(d.pool_stats().size, 1);
  // A wrong password (the last `password` of a conninfo wins): the idle connection is gone and a
  // new one cannot be opened.
  ASSERT_TRUE(d.set_dsn(SecretString(svc + " password=not-the-password"), SecretString()).ok());
  EXPECT_EQ(d.pool_stats().size, 0);
  auto refused = one();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::unavailable);
  ASSERT_TRUE(d.set_dsn(SecretString(svc), SecretString()).ok());
  EXPECT_TRUE(one().ok());
  EXPECT_EQ(d.set_dsn(SecretString("host='unterminated"), SecretString()).error().code(),
            ErrorCode::invalid_argument);
  EXPECT_EQ(d.set_dsn(SecretString(svc), SecretString(svc)).error().code(),
            ErrorCode::failed_precondition);  // no replica pool to re-point
  EXPECT_TRUE(one().ok());
}

// The same server as primary and replica: what proves the routing is which pool was used.
TEST_F(PostgresStoreTest, ReadTransactionsUseTheReplicaPoolAndAreReadOnly) {
  const std::string& svc = env_->scratch.service_dsn;
  auto routed = PostgresDatabase::open(
      {.dsn = SecretString(svc), .replica_dsn = SecretString(svc), .pool_size = 2});
  ASSERT_TRUE(routed.ok()) << routed.error();
  PostgresDatabase& d = **routed;
  auto rows = d.with_tenant_read(
      a_, [](Tx& tx) { return tx.query("SELECT value FROM tenant_settings WHERE key = 'k'"); });
  ASSERT_TRUE(rows.ok()) << rows.error();
  ASSERT_EQ(rows->size(), 1u);  // RLS applies on the read pool too
  EXPECT_EQ(rows->at(0).at(0).value_or(""), "from-a");
  ASSERT_TRUE(d.with_system_read([](Tx& tx) { return tx.query("SELECT 1"); }).ok());
  ASSERT_TRUE(d.read_pool_stats().has_value());
  EXPECT_EQ(d.read_pool_stats()->acquires, 2u);
  EXPECT_EQ(d.read_pool_stats()->max, 2);
  EXPECT_EQ(d.pool_stats().acquires, 0u);  // the primary pool was not touched
  auto write = d.with_tenant_read(
      a_, [](Tx& tx) { return tx.exec("UPDATE tenant_settings SET value = 'x' WHERE key = 'k'"); });
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(write.error().code(), ErrorCode::failed_precondition);
  ASSERT_TRUE(d.with_system([](Tx& tx) { return tx.query("SELECT 1"); }).ok());
  EXPECT_EQ(d.pool_stats().acquires, 1u);

  // Without a replica: reads go to the primary pool, still read-only.
  auto plain = PostgresDatabase::open({.dsn = SecretString(svc), .pool_size = 1});
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE((*plain)->read_pool_stats().has_value());
  ASSERT_TRUE((*plain)->with_system_read([](Tx& tx) { return tx.query("SELECT 1"); }).ok());
  EXPECT_EQ((*plain)->pool_stats().acquires, 1u);
  auto w2 = (*plain)->with_tenant_read(
      a_, [](Tx& tx) { return tx.exec("UPDATE tenant_settings SET value = 'x' WHERE key = 'k'"); });
  ASSERT_FALSE(w2.ok());
  EXPECT_EQ(w2.error().code(), ErrorCode::failed_precondition);
  EXPECT_EQ(PostgresDatabase::open({.dsn = SecretString(svc), .replica_dsn = SecretString("a=b=c")})
                .error()
                .code(),
            ErrorCode::invalid_argument);
}

TEST(PostgresDatabaseTest, UnreachableServerIsUnavailableAndBadDsnInvalid) {
  auto db = PostgresDatabase::open(
      {.dsn = SecretString("host=127.0.0.1 port=1 dbname=x user=x connect_timeout=2")});
  ASSERT_TRUE(db.ok());
  auto r = (*db)->with_system([](Tx& tx) { return tx.query("SELECT 1"); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::unavailable);
  EXPECT_EQ(PostgresDatabase::open({.dsn = SecretString("postgresql://[bad")}).error().code(),
            ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace nsl::store
