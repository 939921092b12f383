// The keys contract on the embedded SQLite back end.
#include "services/keys/keys_contract.hpp"
#include "store/sqlite_db.hpp"

namespace nsl::keys::contract {
namespace {

struct SqliteTraits {
  static constexpr bool kCacheForSigning = true;  // serve's setting on SQLite
  static std::string unavailable_reason() { return {}; }
  static std::unique_ptr<store::Database> open() {
    static ::nsl::testing::TempDir dir;
    static int n = 0;
    auto db = store::SqliteDatabase::open(
        {.path = dir.path() + "/keys-" + std::to_string(++n) + ".db"});
    EXPECT_TRUE(db.ok()) << db.error();
    if (!db.ok()) return nullptr;
    auto st = (*db)->migrate();
    EXPECT_TRUE(st.ok()) << st.error();
    return std::unique_ptr<store::Database>(std::move(*db));
  }
};

using Types = ::testing::Types<SqliteTraits>;
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, KeysContract, Types);

}  // namespace
}  // namespace nsl::keys::contract
