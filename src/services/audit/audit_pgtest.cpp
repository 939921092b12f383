// The audit contract suite on the harness PostgreSQL, plus what only PostgreSQL enforces: row-level
// security on the audit tables and an append-only grant for the service role.
//
// Each test gets a fresh database owned by a per-process owner role (migrations and tampering run
// as it) and used through a per-process service role (LOGIN, NOSUPERUSER, NOBYPASSRLS, member of
// nsl_app) — the shape production uses (same set-up as store_pgtest.cpp).
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <mutex>

#include "core/random.hpp"
#include "services/audit/audit_contract.hpp"
#include "services/audit/audit_tamper_contract.hpp"
#include "store/postgres_db.hpp"

namespace nsl::audit {
namespace {

class Admin {
 public:
  explicit Admin(const std::string& dsn) : c_(PQconnectdb(dsn.c_str())) {}
  ~Admin() { PQfinish(c_); }
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;
  bool ok() const { return PQstatus(c_) == CONNECTION_OK; }
  void run(const std::string& sql) {
    PGresult* r = PQexec(c_, sql.c_str());
    const auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      ADD_FAILURE() << "admin sql failed: " << sql << ": " << PQerrorMessage(c_);
    }
    PQclear(r);
  }

 private:
  PGconn* c_;
};

std::string dsn_for(const std::string& db, const std::string& user, const std::string& password) {
  const std::string base = *::nsl::testing::pg_dsn();
  PQconninfoOption* opts = PQconninfoParse(base.c_str(), nullptr);
  std::string host = "127.0.0.1";
  std::string port = "5432";
  for (auto* o = opts; o && o->keyword; ++o) {
    if (!o->val) continue;
    if (std::string_view(o->keyword) == "host") host = o->val;
    if (std::string_view(o->keyword) == "port") port = o->val;
  }
  PQconninfoFree(opts);
  return "host=" + host + " port=" + port + " dbname=" + db + " user=" + user +
         " password=" + password + " connect_timeout=5";
}

struct Roles {
  std::string suffix = random_hex(4);
  std::string owner = "nsl_audit_owner_" + suffix;
  std::string service = "nsl_audit_svc_" + suffix;
  std::string password = random_hex(16);
  std::vector<std::string> databases;
  std::mutex mu;
};

Roles& roles() {
  static Roles* r = [] {
    auto* rr = new Roles();
    Admin admin(*::nsl::testing::pg_dsn());
    admin.run(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nsl_app') THEN "
        "CREATE ROLE nsl_app NOLOGIN; END IF; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$");
    admin.run("CREATE ROLE " + rr->owner + " LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD '" +
              rr->password + "'");
    admin.run("CREATE ROLE " + rr->service +
              " LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB PASSWORD '" + rr->password +
              "' IN ROLE nsl_app");
    return rr;
  }();
  return *r;
}

class Cleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    if (!::nsl::testing::pg_dsn()) return;
    Roles& r = roles();
    Admin admin(*::nsl::testing::pg_dsn());
    for (const auto& db : r.databases) admin.run("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
    admin.run("DROP ROLE IF EXISTS " + r.service);
    admin.run("DROP ROLE IF EXISTS " + r.owner);
  }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new Cleanup);

struct PgTraits {
  static std::string unavailable_reason() {
    return ::nsl::testing::pg_dsn()
               ? std::string()
               : std::string("PostgreSQL not configured (NSL_TEST_SERVICES_ENV)");
  }
  struct Env {
    std::string name;
    std::unique_ptr<store::PostgresDatabase> service;
    std::unique_ptr<store::PostgresDatabase> own;
    store::Database& db() { return *service; }
    store::Database& owner() { return *own; }
    std::unique_ptr<store::Database> open_another() {
      auto s = store::PostgresDatabase::open(
          {.dsn = SecretString(dsn_for(name, roles().service, roles().password)), .pool_size = 4});
      EXPECT_TRUE(s.ok());
      return s.ok() ? std::unique_ptr<store::Database>(std::move(s).value()) : nullptr;
    }
  };
  static std::unique_ptr<Env> make() {
    Roles& r = roles();
    auto env = std::make_unique<Env>();
    env->name = "nsl_audit_" + r.suffix + "_" + random_hex(4);
    {
      Admin admin(*::nsl::testing::pg_dsn());
      if (!admin.ok()) {
        ADD_FAILURE() << "cannot connect to the harness PostgreSQL";
        return nullptr;
      }
      admin.run("CREATE DATABASE " + env->name + " OWNER " + r.owner);
      std::lock_guard lock(r.mu);
      r.databases.push_back(env->name);
    }
    auto s = store::PostgresDatabase::open(
        {.dsn = SecretString(dsn_for(env->name, r.service, r.password)), .pool_size = 4});
    auto o = store::PostgresDatabase::open(
        {.dsn = SecretString(dsn_for(env->name, r.owner, r.password)), .pool_size = 1});
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
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, AuditContractTest, PgTypes);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, AuditTamperTest, PgTypes);

// PostgreSQL-only guarantees, on the contract fixture.
class PostgresAuditTest : public AuditContractTest<PgTraits> {};

TEST_F(PostgresAuditTest, RowLevelSecurityShowsOnlyTheCurrentTenant) {
  Ed25519CheckpointSigner& signer = *key_;
  {
    AuditLog log(db(), {.signer = &signer});
    fill(log, a_, 3);
    fill(log, b_, 4);
    ASSERT_TRUE(log.checkpoint(a_).ok());
    ASSERT_TRUE(log.checkpoint(b_).ok());
  }
  for (const char* table : {"audit_records", "audit_heads", "audit_checkpoints"}) {
    // No WHERE clause: RLS alone restricts the rows to A's.
    auto rows = db().with_tenant(a_, [table](Tx& tx) {
      return tx.query(std::string("SELECT DISTINCT tenant_id::text FROM ") + table);
    });
    ASSERT_TRUE(rows.ok()) << rows.error();
    ASSERT_EQ(rows->size(), 1u) << table;
    EXPECT_EQ((*rows)[0][0].value_or(""), a_.str()) << table;
    auto none = db().with_system(
        [table](Tx& tx) { return tx.query(std::string("SELECT COUNT(*) FROM ") + table); });
    ASSERT_TRUE(none.ok());
    EXPECT_EQ((*none)[0][0].value_or(""), "0") << table;
  }
  // Writing B's record from A's transaction is refused (WITH CHECK).
  auto forged = db().with_tenant(a_, [this](Tx& tx) {
    return tx.exec(
        "INSERT INTO audit_records (tenant_id, seq, ts, actor, action, resource, request_id, "
        "result, detail, prev_hash, hash) VALUES ($1, 100, 1, 'a', 'b', 'c', 'd', 'ok', '{}', "
        "$2, $2)",
        {b_, kZeroHash});
  });
  EXPECT_FALSE(forged.ok());
}

TEST_F(PostgresAuditTest, ServiceRoleCannotUpdateOrDeleteAuditRows) {
  {
    AuditLog log(db(), {.signer = key_.get()});
    fill(log, a_, 3);
    ASSERT_TRUE(log.checkpoint(a_).ok());
  }
  for (const char* sql : {"UPDATE audit_records SET action = 'x' WHERE tenant_id = $1",
                          "DELETE FROM audit_records WHERE tenant_id = $1",
                          "UPDATE audit_checkpoints SET signature = 'x' WHERE tenant_id = $1",
                          "DELETE FROM audit_checkpoints WHERE tenant_id = $1",
                          "DELETE FROM audit_heads WHERE tenant_id = $1"}) {
    auto r = db().with_tenant(a_, [this, sql](Tx& tx) { return tx.exec(sql, {a_}); });
    ASSERT_FALSE(r.ok()) << sql;  // permission denied (42501)
    EXPECT_EQ(r.error().message().find("audit"), std::string::npos) << "no SQL in messages";
  }
  EXPECT_EQ(count(a_), 3);
  EXPECT_TRUE(verify(a_).ok());
}

}  // namespace contract
}  // namespace nsl::audit
