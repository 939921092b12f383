// The keys contract on PostgreSQL, used through the non-owner service role (row-level security).
#include "harness/pg_scratch.hpp"
#include "services/keys/keys_contract.hpp"
#include "store/postgres_db.hpp"

namespace nsl::keys::contract {
namespace {

struct PgTraits {
  static constexpr bool kCacheForSigning = false;  // serve's setting on PostgreSQL
  static std::string unavailable_reason() {
    return ::nsl::testing::pg_dsn()
               ? std::string()
               : std::string("PostgreSQL not configured (NSL_TEST_SERVICES_ENV)");
  }
  static std::unique_ptr<store::Database> open() {
    auto scratch = ::nsl::testing::pg_scratch_database("keys");
    auto db = store::PostgresDatabase::open({.dsn = SecretString(scratch.service_dsn),
                                             .migration_dsn = SecretString(scratch.owner_dsn),
                                             .pool_size = 6});
    EXPECT_TRUE(db.ok()) << db.error();
    if (!db.ok()) return nullptr;
    auto st = (*db)->migrate();
    EXPECT_TRUE(st.ok()) << st.error();
    return std::unique_ptr<store::Database>(std::move(*db));
  }
};

using Types = ::testing::Types<PgTraits>;
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, KeysContract, Types);

}  // namespace
}  // namespace nsl::keys::contract
