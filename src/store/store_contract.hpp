// The one contract suite every storage back end passes (typed gtest, instantiated per back end).
//
// A back end is described by a traits type with:
//   static std::string unavailable_reason();  // non-empty: skip (locally) / fail (in CI)
//   struct Env {             // one fresh, empty, unmigrated database per test
//     Database& db();        // as the service sees it (PostgreSQL: the non-owner role)
//     Database& owner();     // as the migrating owner sees it (SQLite: the same file)
//   };
//   static std::unique_ptr<Env> make();
//
// Tenant filtering: these tests use the repository pattern of the store layer, `WHERE tenant_id =
// $n` bound to tx.tenant(). What RLS adds on PostgreSQL (no WHERE clause, no tenant context) is
// tested in store_pgtest.cpp.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness/harness.hpp"
#include "store/db.hpp"

namespace nsl::store::contract {

template <class Traits>
class StoreContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NSL_REQUIRE_AVAILABLE(Traits::unavailable_reason());
    env_ = Traits::make();
    ASSERT_TRUE(env_);
  }
  Database& db() { return env_->db(); }
  Database& owner() { return env_->owner(); }

  void migrate() {
    auto st = owner().migrate();
    ASSERT_TRUE(st.ok()) << st.error();
  }
  TenantId create_tenant(const std::string& name) {
    const TenantId id = TenantId::generate();
    auto st = db().with_system([&](Tx& tx) -> Status {
      NSL_TRY(tx.exec("INSERT INTO tenants (id, name) VALUES ($1, $2)", {id, name}));
      return {};
    });
    EXPECT_TRUE(st.ok()) << st.error();
    return id;
  }
  // The store layer's repository pattern: tenant-owned rows are always addressed through
  // tx.tenant().
  static Status put(Tx& tx, const std::string& key, const std::string& value) {
    NSL_TRY(tx.exec("INSERT INTO tenant_settings (tenant_id, key, value) VALUES ($1, $2, $3)",
                    {*tx.tenant(), key, value}));
    return {};
  }
  static Result<Rows> list(Tx& tx) {
    return tx.query("SELECT key, value FROM tenant_settings WHERE tenant_id = $1 ORDER BY key",
                    {*tx.tenant()});
  }

  std::unique_ptr<typename Traits::Env> env_;
};

TYPED_TEST_SUITE_P(StoreContractTest);

TYPED_TEST_P(StoreContractTest, MigrateTwiceIsANoOp) {
  auto v0 = this->db().schema_version();
  ASSERT_TRUE(v0.ok()) << v0.error();
  EXPECT_EQ(*v0, 0);
  this->migrate();
  auto v1 = this->db().schema_version();
  ASSERT_TRUE(v1.ok()) << v1.error();
  EXPECT_GE(*v1, 1);
  this->migrate();
  auto v2 = this->db().schema_version();
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(*v2, *v1);
  auto n = this->db().with_system(
      [](Tx& tx) { return tx.query("SELECT COUNT(*) FROM schema_migrations"); });
  ASSERT_TRUE(n.ok()) << n.error();
  EXPECT_EQ(n->at(0).at(0).value_or(""), std::to_string(*v1));
}

TYPED_TEST_P(StoreContractTest, RefusesADatabaseNewerThanTheBinary) {
  this->migrate();
  auto st = this->owner().with_system([](Tx& tx) -> Status {
    NSL_TRY(tx.exec("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    {9999, "from the future"}));
    return {};
  });
  ASSERT_TRUE(st.ok()) << st.error();
  auto again = this->owner().migrate();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), ErrorCode::failed_precondition);
}

TYPED_TEST_P(StoreContractTest, InsertAndReadWithinATenant) {
  this->migrate();
  const TenantId a = this->create_tenant("acme");
  auto st = this->db().with_tenant(a, [](Tx& tx) -> Status {
    NSL_TRY(TestFixture::put(tx, "color", "blue"));
    NSL_TRY(TestFixture::put(tx, "size", "xl"));
    return {};
  });
  ASSERT_TRUE(st.ok()) << st.error();
  auto rows = this->db().with_tenant(a, [](Tx& tx) { return TestFixture::list(tx); });
  ASSERT_TRUE(rows.ok()) << rows.error();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0][0].value_or(""), "color");
  EXPECT_EQ((*rows)[0][1].value_or(""), "blue");
  EXPECT_EQ((*rows)[1][1].value_or(""), "xl");
  // NULL and integers round-trip as text / nullopt.
  const std::string probe = this->db().backend() == Backend::postgres
                                ? "SELECT $1::text, 40 + $2::int"
                                : "SELECT $1, 40 + $2";
  auto misc = this->db().with_system([&probe](Tx& tx) { return tx.query(probe, {nullptr, 2}); });
  ASSERT_TRUE(misc.ok()) << misc.error();
  EXPECT_FALSE((*misc)[0][0].has_value());
  EXPECT_EQ((*misc)[0][1].value_or(""), "42");
  auto updated = this->db().with_tenant(a, [](Tx& tx) {
    return tx.exec("UPDATE tenant_settings SET value = $1 WHERE tenant_id = $2 AND key = $3",
                   {"red", *tx.tenant(), "color"});
  });
  ASSERT_TRUE(updated.ok()) << updated.error();
  EXPECT_EQ(*updated, 1);
}

TYPED_TEST_P(StoreContractTest, UniqueViolationIsConflictAndRollsBack) {
  this->migrate();
  const TenantId a = this->create_tenant("acme");
  ASSERT_TRUE(
      this->db().with_tenant(a, [](Tx& tx) { return TestFixture::put(tx, "k", "v1"); }).ok());
  auto dup = this->db().with_tenant(a, [](Tx& tx) -> Status {
    NSL_TRY(TestFixture::put(tx, "other", "x"));  // rolled back with the failing insert
    NSL_TRY(TestFixture::put(tx, "k", "v2"));
    return {};
  });
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code(), ErrorCode::conflict);
  EXPECT_EQ(dup.error().message().find("v2"), std::string::npos);
  auto rows = this->db().with_tenant(a, [](Tx& tx) { return TestFixture::list(tx); });
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0][1].value_or(""), "v1");
  // Unique tenant names.
  auto st = this->db().with_system([](Tx& tx) -> Status {
    NSL_TRY(
        tx.exec("INSERT INTO tenants (id, name) VALUES ($1, $2)", {TenantId::generate(), "acme"}));
    return {};
  });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::conflict);
}

TYPED_TEST_P(StoreContractTest, ErrorFromTheBodyRollsBackAndIsReturnedUnchanged) {
  this->migrate();
  const TenantId a = this->create_tenant("acme");
  auto st = this->db().with_tenant(a, [](Tx& tx) -> Result<int> {
    NSL_TRY(TestFixture::put(tx, "k", "v"));
    return err::failed_precondition("changed my mind");
  });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), err::failed_precondition("changed my mind"));
  auto rows = this->db().with_tenant(a, [](Tx& tx) { return TestFixture::list(tx); });
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());
}

TYPED_TEST_P(StoreContractTest, SqlErrorsAreInternalWithoutSqlOrValues) {
  this->migrate();
  auto r = this->db().with_system([](Tx& tx) {
    return tx.query("SELECT secret_column FROM no_such_table WHERE x = $1", {"hunter2"});
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::internal);
  EXPECT_EQ(r.error().message().find("no_such_table"), std::string::npos);
  EXPECT_EQ(r.error().message().find("hunter2"), std::string::npos);
  // The database is still usable afterwards.
  auto ok = this->db().with_system([](Tx& tx) { return tx.query("SELECT 1"); });
  EXPECT_TRUE(ok.ok());
}

TYPED_TEST_P(StoreContractTest, TenantACannotSeeTenantBsRows) {
  this->migrate();
  const TenantId a = this->create_tenant("acme");
  const TenantId b = this->create_tenant("globex");
  ASSERT_TRUE(
      this->db().with_tenant(a, [](Tx& tx) { return TestFixture::put(tx, "k", "from-a"); }).ok());
  ASSERT_TRUE(this->db()
                  .with_tenant(b,
                               [](Tx& tx) -> Status {
                                 NSL_TRY(TestFixture::put(
                                     tx, "k", "from-b"));  // same key, other tenant: no conflict
                                 NSL_TRY(TestFixture::put(tx, "b-only", "x"));
                                 return {};
                               })
                  .ok());
  auto ra = this->db().with_tenant(a, [](Tx& tx) { return TestFixture::list(tx); });
  ASSERT_TRUE(ra.ok()) << ra.error();
  ASSERT_EQ(ra->size(), 1u);
  EXPECT_EQ((*ra)[0][1].value_or(""), "from-a");
  auto rb = this->db().with_tenant(b, [](Tx& tx) { return TestFixture::list(tx); });
  ASSERT_TRUE(rb.ok());
  EXPECT_EQ(rb->size(), 2u);
  // B's update through the store layer cannot touch A's row.
  auto n = this->db().with_tenant(b, [](Tx& tx) {
    return tx.exec("UPDATE tenant_settings SET value = 'owned' WHERE tenant_id = $1",
                   {*tx.tenant()});
  });
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2);
  auto ra2 = this->db().with_tenant(a, [](Tx& tx) { return TestFixture::list(tx); });
  ASSERT_TRUE(ra2.ok());
  EXPECT_EQ((*ra2)[0][1].value_or(""), "from-a");
}

TYPED_TEST_P(StoreContractTest, ConcurrentTransactionsFromManyThreads) {
  this->migrate();
  const TenantId a = this->create_tenant("acme");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, &a, &failures, t] {
      for (int i = 0; i < 25; ++i) {
        auto st = this->db().with_tenant(a, [t, i](Tx& tx) {
          return TestFixture::put(tx, "k" + std::to_string(t) + "-" + std::to_string(i), "v");
        });
        if (!st.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto rows = this->db().with_tenant(a, [](Tx& tx) { return TestFixture::list(tx); });
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 100u);
}

TYPED_TEST_P(StoreContractTest, AFailedStatementAbortsTheTransactionEvenWhenSwallowed) {
  this->migrate();
  const TenantId a = this->create_tenant("acme");
  ASSERT_TRUE(
      this->db().with_tenant(a, [](Tx& tx) { return TestFixture::put(tx, "k", "v1"); }).ok());
  auto st = this->db().with_tenant(a, [](Tx& tx) -> Status {
    NSL_TRY(TestFixture::put(tx, "new", "x"));
    (void)TestFixture::put(tx, "k", "dup");   // fails; the body ignores it
    EXPECT_FALSE(tx.query("SELECT 1").ok());  // later statements fail too
    return {};
  });
  ASSERT_FALSE(st.ok());
  auto rows = this->db().with_tenant(a, [](Tx& tx) { return TestFixture::list(tx); });
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 1u);  // "new" was not committed
}

// with_*_read sees committed rows, with the same tenant scoping (replica routing is pg-only).
TYPED_TEST_P(StoreContractTest, ReadTransactionsSeeCommittedRowsOfTheirTenant) {
  this->migrate();
  const TenantId a = this->create_tenant("a");
  const TenantId b = this->create_tenant("b");
  ASSERT_TRUE(
      this->db().with_tenant(a, [](Tx& tx) { return TestFixture::put(tx, "k", "va"); }).ok());
  ASSERT_TRUE(
      this->db().with_tenant(b, [](Tx& tx) { return TestFixture::put(tx, "k", "vb"); }).ok());
  auto rows = this->db().with_tenant_read(a, [](Tx& tx) { return TestFixture::list(tx); });
  ASSERT_TRUE(rows.ok()) << rows.error();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0][1].value_or(""), "va");
  auto n =
      this->db().with_system_read([](Tx& tx) { return tx.query("SELECT COUNT(*) FROM tenants"); });
  ASSERT_TRUE(n.ok()) << n.error();
  EXPECT_EQ(n->at(0).at(0).value_or(""), "2");
  // The primary read path: the same scoping, and it sees a commit that just completed.
  ASSERT_TRUE(
      this->db().with_tenant(b, [](Tx& tx) { return TestFixture::put(tx, "k2", "vb2"); }).ok());
  auto pb =
      this->db().with_tenant_read_primary(b, [](Tx& tx) { return TestFixture::list(tx); });
  ASSERT_TRUE(pb.ok()) << pb.error();
  ASSERT_EQ(pb->size(), 2u);
  EXPECT_EQ((*pb)[1][1].value_or(""), "vb2");
  this->create_tenant("c");
  auto pn = this->db().with_system_read_primary(
      [](Tx& tx) { return tx.query("SELECT COUNT(*) FROM tenants"); });
  ASSERT_TRUE(pn.ok()) << pn.error();
  EXPECT_EQ(pn->at(0).at(0).value_or(""), "3");
}

// A write inside a read transaction fails (failed_precondition) and changes nothing.
TYPED_TEST_P(StoreContractTest, WritesInReadTransactionsFail) {
  this->migrate();
  const TenantId a = this->create_tenant("a");
  auto st = this->db().with_tenant_read(a, [](Tx& tx) { return TestFixture::put(tx, "k", "v"); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::failed_precondition) << st.error();
  st = this->db().with_tenant_read_primary(a,
                                           [](Tx& tx) { return TestFixture::put(tx, "k", "v"); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::failed_precondition) << st.error();
  auto rows = this->db().with_tenant(a, [](Tx& tx) { return TestFixture::list(tx); });
  ASSERT_TRUE(rows.ok()) << rows.error();
  EXPECT_TRUE(rows->empty());
  // The read path stays usable afterwards.
  auto again = this->db().with_tenant_read_primary(a, [](Tx& tx) { return TestFixture::list(tx); });
  ASSERT_TRUE(again.ok()) << again.error();
}

// exec_all: every statement's count in order, the same new statement twice in one batch, as the
// transaction's first statements or after others; a failure in the middle stops the batch and
// the transaction commits nothing.
TYPED_TEST_P(StoreContractTest, ExecAllRunsABatchAndStopsAtTheFirstFailure) {
  this->migrate();
  const TenantId a = this->create_tenant("acme");
  const std::string ins = "INSERT INTO tenant_settings (tenant_id, key, value) VALUES ($1, $2, $3)";
  for (int round = 0; round < 2; ++round) {  // the second round finds the statements prepared
    const std::string p = "r" + std::to_string(round) + ":";
    auto counts = this->db().with_tenant(a, [&](Tx& tx) {
      const std::vector<Statement> batch{
          {ins, {a, p + "a", "1"}},
          {ins, {a, p + "b", "2"}},
          {"UPDATE tenant_settings SET value = 'x' WHERE tenant_id = $1 AND key LIKE $2",
           {a, p + "%"}},
          {"DELETE FROM tenant_settings WHERE tenant_id = $1 AND key = 'absent'", {a}}};
      return tx.exec_all(batch);
    });
    ASSERT_TRUE(counts.ok()) << counts.error();
    EXPECT_EQ(*counts, (std::vector<std::int64_t>{1, 1, 2, 0}));
  }
  auto after_first = this->db().with_tenant(a, [&](Tx& tx) -> Result<std::vector<std::int64_t>> {
    NSL_TRY(tx.query("SELECT 1"));
    return tx.exec_all(std::vector<Statement>{{ins, {a, "later", "3"}}});
  });
  ASSERT_TRUE(after_first.ok()) << after_first.error();
  EXPECT_EQ(*after_first, (std::vector<std::int64_t>{1}));
  EXPECT_EQ(this->db().with_tenant(a, [](Tx& tx) { return TestFixture::list(tx); })->size(), 5u);

  auto failed = this->db().with_tenant(a, [&](Tx& tx) {
    return tx.exec_all(std::vector<Statement>{
        {ins, {a, "fresh", "1"}}, {ins, {a, "later", "dup"}}, {ins, {a, "never", "1"}}});
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code(), ErrorCode::conflict) << failed.error();
  auto rows = this->db().with_tenant(a, [](Tx& tx) { return TestFixture::list(tx); });
  ASSERT_TRUE(rows.ok()) << rows.error();
  EXPECT_EQ(rows->size(), 5u);  // neither "fresh" nor "never"
  EXPECT_TRUE(this->db().with_tenant(a, [](Tx& tx) { return tx.exec_all({}); }).ok());
}

// A statement of exec_all with `rows` hands back its rows, first in the batch or after others.
TYPED_TEST_P(StoreContractTest, ExecAllHandsBackTheRowsOfAStatement) {
  this->migrate();
  const TenantId a = this->create_tenant("acme");
  const std::string ins = "INSERT INTO tenant_settings (tenant_id, key, value) VALUES ($1, $2, $3)";
  const std::string sel = "SELECT key, value FROM tenant_settings WHERE tenant_id = $1 ORDER BY key";
  Rows first, after;
  auto counts = this->db().with_tenant(a, [&](Tx& tx) {
    const std::vector<Statement> batch{{sel, {a}, &first},
                                       {ins, {a, "k1", "v1"}},
                                       {ins, {a, "k2", "v2"}},
                                       {sel, {a}, &after}};
    return tx.exec_all(batch);
  });
  ASSERT_TRUE(counts.ok()) << counts.error();
  EXPECT_EQ(*counts, (std::vector<std::int64_t>{0, 1, 1, 2}));
  EXPECT_TRUE(first.empty());
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0][0].value_or(""), "k1");
  EXPECT_EQ(after[1][1].value_or(""), "v2");
}

REGISTER_TYPED_TEST_SUITE_P(StoreContractTest, MigrateTwiceIsANoOp,
                            RefusesADatabaseNewerThanTheBinary, InsertAndReadWithinATenant,
                            UniqueViolationIsConflictAndRollsBack,
                            ErrorFromTheBodyRollsBackAndIsReturnedUnchanged,
                            SqlErrorsAreInternalWithoutSqlOrValues, TenantACannotSeeTenantBsRows,
                            ConcurrentTransactionsFromManyThreads,
                            AFailedStatementAbortsTheTransactionEvenWhenSwallowed,
                            ReadTransactionsSeeCommittedRowsOfTheirTenant,
                            WritesInReadTransactionsFail,
                            ExecAllRunsABatchAndStopsAtTheFirstFailure,
                            ExecAllHandsBackTheRowsOfAStatement);

}  // namespace nsl::store::contract
