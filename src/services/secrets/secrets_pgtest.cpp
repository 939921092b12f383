// The secrets contract on PostgreSQL, used through the non-owner service role (row-level
// security); the second replica is a second connection pool on the same database.
#include "harness/pg_scratch.hpp"
#include "services/secrets/secrets_contract.hpp"
#include "store/postgres_db.hpp"

namespace nsl::secrets::contract {
namespace {

struct PgTraits {
  static ::nsl::testing::PgScratch& last() {
    static ::nsl::testing::PgScratch s;
    return s;
  }
  static std::string unavailable_reason() {
    return ::nsl::testing::pg_dsn()
               ? std::string()
               : std::string("PostgreSQL not configured (NSL_TEST_SERVICES_ENV)");
  }
  static std::unique_ptr<store::Database> connect(const ::nsl::testing::PgScratch& scratch) {
    auto db = store::PostgresDatabase::open({.dsn = SecretString(scratch.service_dsn),
                                             .migration_dsn = SecretString(scratch.owner_dsn),
                                             .pool_size = 6});
    EXPECT_TRUE(db.ok()) << db.error();
    if (!db.ok()) return nullptr;
    auto st = (*db)->migrate();
    EXPECT_TRUE(st.ok()) << st.error();
    return std::unique_ptr<store::Database>(std::move(*db));
  }
  static std::unique_ptr<store::Database> open() {
    last() = ::nsl::testing::pg_scratch_database("secrets");
    return connect(last());
  }
  static std::unique_ptr<store::Database> reopen() { return connect(last()); }
};

using Types = ::testing::Types<PgTraits>;
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, SecretsContract, Types);

// The secrets tables follow the PostgreSQL conventions of store/migrations.hpp: row-level
// security, forced for the owner too, and nothing visible without a tenant context.
TEST(SecretsPostgres, TablesAreUnderForcedRowLevelSecurity) {
  NSL_REQUIRE_PG();
  auto db = PgTraits::open();
  ASSERT_TRUE(db);
  auto rows = db->with_system([](store::Tx& tx) {
    return tx.query(
        "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname IN "
        "('secret_data_keys', 'secrets', 'secret_versions') ORDER BY relname");
  });
  ASSERT_TRUE(rows.ok()) << rows.error();
  EXPECT_EQ(*rows, (store::Rows{{"secret_data_keys", "t", "t"},
                                {"secret_versions", "t", "t"},
                                {"secrets", "t", "t"}}));
  auto insert = db->with_system([](store::Tx& tx) {
    return tx.exec(
        "INSERT INTO secrets (tenant_id, path, created_at, updated_at) VALUES "
        "('00000000-0000-4000-8000-000000000000', 'x', 0, 0)");
  });
  EXPECT_FALSE(insert.ok());
}

}  // namespace
}  // namespace nsl::secrets::contract
