// SqliteDatabase: the contract suite in a TempDir, plus SQLite specifics and the shared helpers (no
// server).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

#include "store/migrations.hpp"
#include "store/sqlite_db.hpp"
#include "store/store_contract.hpp"

namespace nsl::store {
namespace {

struct SqliteTraits {
  static std::string unavailable_reason() { return {}; }
  struct Env {
    ::nsl::testing::TempDir dir;
    std::unique_ptr<SqliteDatabase> database;
    Database& db() { return *database; }
    Database& owner() { return *database; }
  };
  static std::unique_ptr<Env> make() {
    auto env = std::make_unique<Env>();
    auto db = SqliteDatabase::open({.path = env->dir.path() + "/nsl.db"});
    EXPECT_TRUE(db.ok()) << db.error();
    if (!db.ok()) return nullptr;
    env->database = std::move(db).value();
    return env;
  }
};

}  // namespace

namespace contract {
using SqliteTypes = ::testing::Types<SqliteTraits>;
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, StoreContractTest, SqliteTypes);
}  // namespace contract

namespace {

TEST(StoreHelpersTest, DollarToQmarkSkipsLiteralsAndComments) {
  EXPECT_EQ(detail::dollar_to_qmark("SELECT $1, $12 FROM t WHERE a = $2"),
            "SELECT ?1, ?12 FROM t WHERE a = ?2");
  EXPECT_EQ(detail::dollar_to_qmark("SELECT '$1', \"$2\", 'it''s $3' -- $4\n, $5"),
            "SELECT '$1', \"$2\", 'it''s $3' -- $4\n, ?5");
  EXPECT_EQ(detail::dollar_to_qmark("/* $1 */ $2 $x"), "/* $1 */ ?2 $x");
}

TEST(StoreHelpersTest, TenantIdParsesCanonicalUuidsOnly) {
  const TenantId g = TenantId::generate();
  auto back = TenantId::parse(g.str());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, g);
  EXPECT_EQ(g.str()[14], '4');
  EXPECT_FALSE(TenantId::parse("").ok());
  EXPECT_FALSE(TenantId::parse("not-a-uuid").ok());
  EXPECT_FALSE(TenantId::parse("0192D3E4-0000-4000-8000-000000000000").ok());
  EXPECT_FALSE(TenantId::parse("0192d3e4x0000-4000-8000-000000000000").ok());
  EXPECT_TRUE(TenantId::parse("0192d3e4-0000-4000-8000-000000000000").ok());
}

TEST(StoreHelpersTest, MigrationsAreNumberedFromOneWithoutGaps) {
  for (auto list : {sqlite_migrations(), postgres_migrations()}) {
    int expected = 1;
    for (const Migration& m : list) EXPECT_EQ(m.version, expected++) << m.name;
  }
  EXPECT_EQ(sqlite_migrations().size(), postgres_migrations().size());
}

TEST(SqliteDatabaseTest, WalForeignKeysAndReopen) {
  ::nsl::testing::TempDir dir;
  const std::string path = dir.path() + "/nsl.db";
  {
    auto db = SqliteDatabase::open({.path = path});
    ASSERT_TRUE(db.ok()) << db.error();
    ASSERT_TRUE((*db)->migrate().ok());
    auto mode = (*db)->with_system([](Tx& tx) { return tx.query("PRAGMA journal_mode"); });
    ASSERT_TRUE(mode.ok());
    EXPECT_EQ((*mode)[0][0].value_or(""), "wal");
    // Foreign keys are enforced: a setting for an unknown tenant is refused.
    auto orphan = (*db)->with_tenant(TenantId::generate(), [](Tx& tx) -> Status {
      NSL_TRY(tx.exec("INSERT INTO tenant_settings (tenant_id, key, value) VALUES ($1, 'k', 'v')",
                      {*tx.tenant()}));
      return {};
    });
    EXPECT_FALSE(orphan.ok());
  }
  auto again = SqliteDatabase::open({.path = path});
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE((*again)->migrate().ok());
  EXPECT_EQ((*again)->schema_version().value_or(-1), static_cast<int>(sqlite_migrations().size()));
}

// Checkpoints leave the writer's commits: a commit that leaves checkpoint_pages in the WAL wakes the background
// checkpointer, and the WAL file stays bounded while every row stays readable.
TEST(SqliteDatabaseTest, TheWalIsCheckpointedBesideTheWriter) {
  ::nsl::testing::TempDir dir;
  const std::string path = dir.path() + "/nsl.db";
  auto db = SqliteDatabase::open({.path = path, .checkpoint_pages = 8});
  ASSERT_TRUE(db.ok()) << db.error();
  ASSERT_TRUE((*db)->with_system([](Tx& tx) -> Status {
                     NSL_TRY(tx.exec("CREATE TABLE t (x BLOB)", {}));
                     return {};
                   }).ok());
  constexpr int kRows = 300;
  for (int i = 0; i < kRows; ++i) {
    ASSERT_TRUE((*db)->with_system([](Tx& tx) -> Status {
                       NSL_TRY(tx.exec("INSERT INTO t (x) VALUES (randomblob(4000))", {}));
                       return {};
                     }).ok());
    if (i % 10 == 9) {
      // Give the checkpointer its turn, as the gaps between requests would.
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      const auto before = (*db)->wal_checkpoint_stats().background;
      while ((*db)->wal_checkpoint_stats().background == before && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  const auto stats = (*db)->wal_checkpoint_stats();
  EXPECT_GE(stats.background, 10u);
  EXPECT_EQ(stats.failed, 0u) << stats.background << " background, " << stats.inline_ << " inline";
  // ≈ 600 pages (2.4 MB) went through the WAL, which SQLite's own checkpoint (at 1000 pages) would never have
  // touched. Restarted after each complete checkpoint, the file stays near the writer's hard limit (16 × 8
  // pages; a little beyond while a checkpoint is still running).
  std::ifstream wal(path + "-wal", std::ios::binary | std::ios::ate);
  ASSERT_TRUE(wal.good());
  EXPECT_LT(static_cast<std::int64_t>(wal.tellg()), 1024 * 1024);
  auto n = (*db)->with_system_read([](Tx& tx) { return tx.query("SELECT COUNT(*) FROM t"); });
  ASSERT_TRUE(n.ok()) << n.error();
  EXPECT_EQ((*n)[0][0].value_or(""), std::to_string(kRows));
}

TEST(SqliteDatabaseTest, AThrowingBodyRollsBackAndLeavesTheDatabaseUsable) {
  ::nsl::testing::TempDir dir;
  auto db = SqliteDatabase::open({.path = dir.path() + "/nsl.db"});
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->migrate().ok());
  EXPECT_THROW((void)(*db)->with_system([](Tx& tx) -> Status {
    (void)tx.exec("INSERT INTO tenants (id, name) VALUES ($1, 'x')", {TenantId::generate()});
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  auto n = (*db)->with_system([](Tx& tx) { return tx.query("SELECT COUNT(*) FROM tenants"); });
  ASSERT_TRUE(n.ok()) << n.error();
  EXPECT_EQ((*n)[0][0].value_or(""), "0");
}

// Reads run on reader connections beside the writer: an open write transaction neither blocks
// them nor shows them its uncommitted rows; its commit is visible to the next read at once.
TEST(SqliteDatabaseTest, ReadsRunBesideAnOpenWriteTransaction) {
  ::nsl::testing::TempDir dir;
  auto db = SqliteDatabase::open({.path = dir.path() + "/nsl.db"});
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->migrate().ok());
  Database& d = **db;
  const TenantId a = TenantId::generate();
  ASSERT_TRUE(d.with_system([&](Tx& tx) -> Status {
                 NSL_TRY(tx.exec("INSERT INTO tenants (id, name) VALUES ($1, 'a')", {a}));
                 return {};
               }).ok());
  auto count = [&d, &a] {
    return d.with_tenant_read_primary(a, [](Tx& tx) {
      return tx.query("SELECT COUNT(*) FROM tenant_settings WHERE tenant_id = $1", {*tx.tenant()});
    });
  };
  std::promise<void> inserted;
  std::promise<void> release;
  std::thread writer([&] {
    auto st = d.with_tenant(a, [&](Tx& tx) -> Status {
      NSL_TRY(tx.exec("INSERT INTO tenant_settings (tenant_id, key, value) VALUES ($1, 'k', 'v')",
                      {*tx.tenant()}));
      inserted.set_value();
      release.get_future().wait();
      return {};
    });
    EXPECT_TRUE(st.ok()) << st.error();
  });
  inserted.get_future().wait();
  auto during = count();  // would wait for the writer's mutex if reads shared its connection
  release.set_value();
  writer.join();
  ASSERT_TRUE(during.ok()) << during.error();
  EXPECT_EQ((*during)[0][0].value_or(""), "0");
  auto after = count();
  ASSERT_TRUE(after.ok()) << after.error();
  EXPECT_EQ((*after)[0][0].value_or(""), "1");
}

// Many threads reading through a small reader pool while another writes: every read succeeds.
TEST(SqliteDatabaseTest, ConcurrentReadsShareABoundedReaderPool) {
  ::nsl::testing::TempDir dir;
  auto db = SqliteDatabase::open({.path = dir.path() + "/nsl.db", .read_connections = 2});
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->migrate().ok());
  Database& d = **db;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    for (int i = 0; i < 50; ++i) {
      auto st = d.with_system([i](Tx& tx) -> Status {
        NSL_TRY(tx.exec("INSERT INTO tenants (id, name) VALUES ($1, $2)",
                        {TenantId::generate(), "t" + std::to_string(i)}));
        return {};
      });
      if (!st.ok()) ++failures;
    }
  });
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto n = d.with_system_read([](Tx& tx) { return tx.query("SELECT COUNT(*) FROM tenants"); });
        if (!n.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto n = d.with_system_read_primary([](Tx& tx) { return tx.query("SELECT COUNT(*) FROM tenants"); });
  ASSERT_TRUE(n.ok()) << n.error();
  EXPECT_EQ((*n)[0][0].value_or(""), "50");
}

// An in-memory database has no reader connections: reads use the writer's, still read-only.
TEST(SqliteDatabaseTest, InMemoryReadsAreReadOnlyOnTheWriter) {
  auto db = SqliteDatabase::open({.path = ":memory:"});
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->migrate().ok());
  auto w = (*db)->with_system_read([](Tx& tx) -> Status {
    NSL_TRY(tx.exec("INSERT INTO tenants (id, name) VALUES ($1, 'x')", {TenantId::generate()}));
    return {};
  });
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code(), ErrorCode::failed_precondition);
  // Writes work again afterwards, and reads see them.
  ASSERT_TRUE((*db)->with_system([](Tx& tx) -> Status {
                    NSL_TRY(tx.exec("INSERT INTO tenants (id, name) VALUES ($1, 'y')",
                                    {TenantId::generate()}));
                    return {};
                  }).ok());
  auto n = (*db)->with_system_read([](Tx& tx) { return tx.query("SELECT COUNT(*) FROM tenants"); });
  ASSERT_TRUE(n.ok()) << n.error();
  EXPECT_EQ((*n)[0][0].value_or(""), "1");
}

TEST(SqliteDatabaseTest, UnopenablePathIsUnavailable) {
  auto db = SqliteDatabase::open({.path = "/nonexistent-dir/x/nsl.db"});
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code(), ErrorCode::unavailable);
  EXPECT_EQ(SqliteDatabase::open({}).error().code(), ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace nsl::store
