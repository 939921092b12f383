// The audit contract suite on SQLite (a file in a TempDir), plus the pure encodings.
#include <gtest/gtest.h>

#include "core/strings.hpp"
#include "crypto/hash.hpp"
#include "services/audit/audit_contract.hpp"
#include "services/audit/audit_tamper_contract.hpp"
#include "store/sqlite_db.hpp"

namespace nsl::audit {
namespace {

struct SqliteTraits {
  static std::string unavailable_reason() { return {}; }
  struct Env {
    ::nsl::testing::TempDir dir;
    std::unique_ptr<store::SqliteDatabase> database;
    store::Database& db() { return *database; }
    store::Database& owner() { return *database; }
    // A second connection to the same file: another process as far as locking goes.
    std::unique_ptr<store::Database> open_another() {
      auto db = store::SqliteDatabase::open({.path = dir.path() + "/nsl.db"});
      EXPECT_TRUE(db.ok());
      return db.ok() ? std::unique_ptr<store::Database>(std::move(db).value()) : nullptr;
    }
  };
  static std::unique_ptr<Env> make() {
    auto env = std::make_unique<Env>();
    auto db = store::SqliteDatabase::open({.path = env->dir.path() + "/nsl.db"});
    EXPECT_TRUE(db.ok()) << db.error();
    if (!db.ok()) return nullptr;
    env->database = std::move(db).value();
    return env;
  }
};

}  // namespace

namespace contract {
using SqliteTypes = ::testing::Types<SqliteTraits>;
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, AuditContractTest, SqliteTypes);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, AuditTamperTest, SqliteTypes);
}  // namespace contract

namespace {

const auto kTenant = *store::TenantId::parse("0192d3e4-0000-4000-8000-000000000001");

TEST(AuditRecordTest, EncodingIsTheDocumentedLayout) {
  const std::string prev(64, 'a');
  const RecordFields f{.tenant = kTenant.str(),
                       .seq = 258,
                       .ts_ms = 0x0102030405,
                       .actor = "user:1",
                       .action = "keys.sign",
                       .resource = "",
                       .request_id = "r",
                       .result = "ok",
                       .detail = "{}",
                       .prev_hash = prev};
  const auto enc = record_encoding(f);
  std::string expect_hex = to_hex(crypto::as_bytes("nsl-audit-record-v1"));
  expect_hex += "00000024" + to_hex(crypto::as_bytes(kTenant.str()));
  expect_hex += "0000000000000102";  // seq
  expect_hex += "0000000102030405";  // ts_ms
  expect_hex += "00000006" + to_hex(crypto::as_bytes("user:1"));
  expect_hex += "00000009" + to_hex(crypto::as_bytes("keys.sign"));
  expect_hex += "00000000";
  expect_hex += "00000001" + to_hex(crypto::as_bytes("r"));
  expect_hex += "00000002" + to_hex(crypto::as_bytes("ok"));
  expect_hex += "00000002" + to_hex(crypto::as_bytes("{}"));
  expect_hex += prev;
  EXPECT_EQ(to_hex(enc), expect_hex);
  EXPECT_EQ(record_hash(f), to_hex(crypto::sha256(enc)));
  // A malformed prev_hash never hashes like a real one.
  RecordFields g = f;
  g.prev_hash = "xyz";
  EXPECT_NE(record_hash(g), record_hash(f));
}

TEST(AuditRecordTest, CheckpointMessageLayout) {
  const auto msg = checkpoint_message(kTenant.str(), 7, std::string(64, 'b'), 1000);
  EXPECT_EQ(to_hex(msg), to_hex(crypto::as_bytes("nsl-audit-checkpoint-v1")) + "00000024" +
                             to_hex(crypto::as_bytes(kTenant.str())) + "0000000000000007" +
                             std::string(64, 'b') + "00000000000003e8");
}

TEST(AuditRecordTest, DetailIsSortedCompactAndObjectOnly) {
  // nlohmann::json keeps object keys in a std::map: bytewise order at every level.
  nlohmann::json d = {{"zeta", 1}, {"Alpha", {{"b", true}, {"a", nullptr}}}, {"mid", "é"}};
  auto s = canonical_detail(d);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "{\"Alpha\":{\"a\":null,\"b\":true},\"mid\":\"é\",\"zeta\":1}");
  EXPECT_EQ(*canonical_detail(nlohmann::json::parse(*s)), *s);
  EXPECT_FALSE(canonical_detail(nlohmann::json::array()).ok());
  EXPECT_FALSE(canonical_detail("text").ok());
  EXPECT_FALSE(canonical_detail({{"k", std::string("\xc3")}}).ok());
}

TEST(AuditCheckpointTest, Ed25519SignAndVerify) {
  auto kp = crypto::ed25519_generate();
  Ed25519CheckpointVerifier v;
  v.add_key("k1", kp.public_key);
  Ed25519CheckpointSigner s("k1", std::move(kp));
  const auto msg = checkpoint_message(kTenant.str(), 1, kZeroHash, 5);
  auto sig = s.sign(msg);
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(v.verify("k1", "Ed25519", msg, *sig));
  EXPECT_FALSE(v.verify("k2", "Ed25519", msg, *sig));
  EXPECT_FALSE(v.verify("k1", "ES256", msg, *sig));
  (*sig)[0] ^= 1;
  EXPECT_FALSE(v.verify("k1", "Ed25519", msg, *sig));
}

}  // namespace
}  // namespace nsl::audit
