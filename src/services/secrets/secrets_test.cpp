// The secrets contract on the embedded SQLite back end; the second replica is a second
// SqliteDatabase on the same file (its writes queue on SQLite's file lock, busy_timeout).
#include "services/secrets/secrets_contract.hpp"
#include "store/sqlite_db.hpp"

namespace nsl::secrets::contract {
namespace {

struct SqliteTraits {
  static std::string& last_path() {
    static std::string p;
    return p;
  }
  static std::string unavailable_reason() { return {}; }
  static std::unique_ptr<store::Database> open_at(const std::string& path) {
    auto db = store::SqliteDatabase::open({.path = path});
    EXPECT_TRUE(db.ok()) << db.error();
    if (!db.ok()) return nullptr;
    auto st = (*db)->migrate();
    EXPECT_TRUE(st.ok()) << st.error();
    return std::unique_ptr<store::Database>(std::move(*db));
  }
  static std::unique_ptr<store::Database> open() {
    static ::nsl::testing::TempDir dir;
    static int n = 0;
    last_path() = dir.path() + "/secrets-" + std::to_string(++n) + ".db";
    return open_at(last_path());
  }
  static std::unique_ptr<store::Database> reopen() { return open_at(last_path()); }
};

using Types = ::testing::Types<SqliteTraits>;
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, SecretsContract, Types);

TEST(SecretsAad, BindsTenantPathAndVersion) {
  const auto aad = value_aad("t", "a/b", 0x01020304);
  const std::string expect("nsl-kv-v1\0t\0a/b\0\x01\x02\x03\x04", 20);
  EXPECT_EQ(std::string(aad.begin(), aad.end()), expect);
  EXPECT_NE(value_aad("t", "a", 1), value_aad("t", "a", 2));
  EXPECT_NE(value_aad("t", "a", 1), value_aad("u", "a", 1));
  EXPECT_NE(value_aad("t", "ab", 1), value_aad("ta", "b", 1));  // separators keep fields apart
}

}  // namespace
}  // namespace nsl::secrets::contract
