// The audit contract suite on the harness PostgreSQL, plus what only PostgreSQL enforces: row-level
// security on the audit tables and an append-only grant for the service role.
//
// Each test gets a fresh scratch database (tests/harness/pg_scratch.hpp): migrations and tampering
// run as its owner role, the log as the service role (NOSUPERUSER, NOBYPASSRLS) — the shape
// production uses.
#include <gtest/gtest.h>

#include "harness/pg_scratch.hpp"
#include "services/audit/audit_contract.hpp"
#include "services/audit/audit_tamper_contract.hpp"
#include "store/postgres_db.hpp"

namespace nsl::audit {
namespace {

struct PgTraits {
  static std::string unavailable_reason() {
    return ::nsl::testing::pg_dsn()
               ? std::string()
               : std::string("PostgreSQL not configured (NSL_TEST_SERVICES_ENV)");
  }
  struct Env {
    ::nsl::testing::PgScratch scratch;
    std::string name;
    std::unique_ptr<store::PostgresDatabase> service;
    std::unique_ptr<store::PostgresDatabase> own;
    store::Database& db() { return *service; }
    store::Database& owner() { return *own; }
    std::unique_ptr<store::Database> open_another() {
      auto s = store::PostgresDatabase::open({.dsn = SecretString(scratch.service_dsn), .pool_size = 4});
      EXPECT_TRUE(s.ok());
      return s.ok() ? std::unique_ptr<store::Database>(std::move(s).value()) : nullptr;
    }
  };
  static std::unique_ptr<Env> make() {
    auto env = std::make_unique<Env>();
    env->scratch = ::nsl::testing::pg_scratch_database("audit");
    env->name = env->scratch.name;
    if (env->scratch.service_dsn.empty()) return nullptr;
    auto s = store::PostgresDatabase::open({.dsn = SecretString(env->scratch.service_dsn), .pool_size = 4});
    auto o = store::PostgresDatabase::open({.dsn = SecretString(env->scratch.owner_dsn), .pool_size = 1});
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
