// The transit contract on the embedded SQLite back end, and the pure pieces: the ciphertext text
// form and the associated data layout.
#include "services/transit/transit_contract.hpp"
#include "store/sqlite_db.hpp"

namespace nsl::transit::contract {
namespace {

struct SqliteTraits {
  static std::string unavailable_reason() { return {}; }
  static std::unique_ptr<store::Database> open() {
    static ::nsl::testing::TempDir dir;
    static int n = 0;
    auto db = store::SqliteDatabase::open(
        {.path = dir.path() + "/transit-" + std::to_string(++n) + ".db"});
    EXPECT_TRUE(db.ok()) << db.error();
    if (!db.ok()) return nullptr;
    auto st = (*db)->migrate();
    EXPECT_TRUE(st.ok()) << st.error();
    return std::unique_ptr<store::Database>(std::move(*db));
  }
};

using Types = ::testing::Types<SqliteTraits>;
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, TransitContract, Types);

TEST(TransitCiphertext, FormatAndParseRoundTrip) {
  std::vector<std::uint8_t> body(enclave::kDataCiphertextOverhead + 3);
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<std::uint8_t>(i * 7);
  for (std::uint32_t v : {1u, 42u, 4294967295u}) {
    const std::string text = format_ciphertext(v, body);
    EXPECT_EQ(text.rfind("nsl:v1:" + std::to_string(v) + ":", 0), 0u) << text;
    auto p = parse_ciphertext(text);
    ASSERT_TRUE(p.ok()) << p.error();
    EXPECT_EQ(p->key_version, v);
    EXPECT_EQ(p->ciphertext, body);
    EXPECT_EQ(format_ciphertext(p->key_version, p->ciphertext), text);
  }
  // Too short to be an enclave data ciphertext.
  EXPECT_FALSE(parse_ciphertext(format_ciphertext(1, std::vector<std::uint8_t>(44))).ok());
  auto v2 = parse_ciphertext("nsl:v2:1:AAAA");
  ASSERT_FALSE(v2.ok());
  EXPECT_EQ(v2.error().code(), ErrorCode::invalid_argument);
  EXPECT_NE(v2.error().message().find("format version"), std::string::npos);
}

TEST(TransitAad, BindsTenantNameAndAssociatedData) {
  const std::string ad = "ctx";
  const auto aad = transit_aad("t", "k", view_of(ad));
  const std::string expect("nsl-transit-v1\0t\0k\0ctx", 22);
  EXPECT_EQ(std::string(aad.begin(), aad.end()), expect);
  EXPECT_NE(transit_aad("t", "ab", {}),
            transit_aad("ta", "b", {}));  // separators keep fields apart
  EXPECT_NE(transit_aad("t", "k", {}), transit_aad("u", "k", {}));
}

TEST(TransitNames, Rules) {
  EXPECT_TRUE(validate_key_name("a").ok());
  EXPECT_TRUE(validate_key_name("payments.v2_eu-1").ok());
  EXPECT_FALSE(validate_key_name("_a").ok());
  EXPECT_FALSE(validate_key_name("Payments").ok());
  EXPECT_FALSE(validate_key_name(std::string(65, 'a')).ok());
}

}  // namespace
}  // namespace nsl::transit::contract
