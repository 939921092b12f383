// The identity and users contracts on the embedded SQLite back end.
#include "services/identity/identity_contract.hpp"
#include "services/identity/users_contract.hpp"
#include "store/sqlite_db.hpp"

namespace nsl::identity::contract {
namespace {

struct SqliteTraits {
  static std::string unavailable_reason() { return {}; }
  static std::unique_ptr<store::Database> open() {
    static ::nsl::testing::TempDir dir;
    static int n = 0;
    auto db = store::SqliteDatabase::open(
        {.path = dir.path() + "/identity-" + std::to_string(++n) + ".db"});
    EXPECT_TRUE(db.ok()) << db.error();
    if (!db.ok()) return nullptr;
    auto st = (*db)->migrate();
    EXPECT_TRUE(st.ok()) << st.error();
    return std::unique_ptr<store::Database>(std::move(*db));
  }
};

using Types = ::testing::Types<SqliteTraits>;
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, IdentityContract, Types);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, UsersContract, Types);

}  // namespace
}  // namespace nsl::identity::contract
