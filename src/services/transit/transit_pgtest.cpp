// The transit contract on PostgreSQL, used through the non-owner service role (row-level
// security).
#include "harness/pg_scratch.hpp"
#include "services/transit/transit_contract.hpp"
#include "store/postgres_db.hpp"

namespace nsl::transit::contract {
namespace {

struct PgTraits {
  static std::string unavailable_reason() {
    return ::nsl::testing::pg_dsn()
               ? std::string()
               : std::string("PostgreSQL not configured (NSL_TEST_SERVICES_ENV)");
  }
  static std::unique_ptr<store::Database> open() {
    static ::nsl::testing::PgScratch scratch;
    scratch = ::nsl::testing::pg_scratch_database("transit");
    auto db = store::PostgresDatabase::open({.dsn = SecretString(scratch.service_dsn),
                                             .migration_dsn = SecretString(scratch.owner_dsn),
                                             .pool_size = 4});
    EXPECT_TRUE(db.ok()) << db.error();
    if (!db.ok()) return nullptr;
    auto st = (*db)->migrate();
    EXPECT_TRUE(st.ok()) << st.error();
    return std::unique_ptr<store::Database>(std::move(*db));
  }
};

using Types = ::testing::Types<PgTraits>;
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, TransitContract, Types);

// The transit tables follow the PostgreSQL conventions of store/migrations.hpp: row-level
// security, forced for the owner too, and nothing visible or writable without a tenant context.
TEST(TransitPostgres, TablesAreUnderForcedRowLevelSecurity) {
  NSL_REQUIRE_PG();
  auto db = PgTraits::open();
  ASSERT_TRUE(db);
  auto rows = db->with_system([](store::Tx& tx) {
    return tx.query(
        "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname IN "
        "('transit_keys', 'transit_key_versions') ORDER BY relname");
  });
  ASSERT_TRUE(rows.ok()) << rows.error();
  EXPECT_EQ(*rows, (store::Rows{{"transit_key_versions", "t", "t"}, {"transit_keys", "t", "t"}}));
  auto insert = db->with_system([](store::Tx& tx) {
    return tx.exec(
        "INSERT INTO transit_keys (tenant_id, name, created_at, updated_at) VALUES "
        "('00000000-0000-4000-8000-000000000000', 'x', 0, 0)");
  });
  EXPECT_FALSE(insert.ok());
}

}  // namespace
}  // namespace nsl::transit::contract
