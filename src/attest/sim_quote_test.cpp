#include "attest/sim_quote.hpp"

#include <gtest/gtest.h>

#include "attest/verify.hpp"
#include "crypto/hash.hpp"

namespace nsl::attest {
namespace {

struct AttestSimQuote : ::testing::Test {
  crypto::Ed25519KeyPair kp = crypto::ed25519_generate();
  std::array<std::uint8_t, 32> measurement = crypto::sha256(crypto::as_bytes("nsl-enclave binary"));
  std::array<std::uint8_t, 64> report_data = crypto::sha512(crypto::as_bytes("purpose|pubkey|nonce"));

  crypto::Bytes make() {
    auto q = sim_quote_create(kp, measurement, report_data);
    EXPECT_TRUE(q.ok());
    return q.ok() ? *q : crypto::Bytes{};
  }
};

TEST_F(AttestSimQuote, LayoutIsExactly204Bytes) {
  const auto q = make();
  ASSERT_EQ(q.size(), kSimQuoteSize);
  EXPECT_EQ(std::string(q.begin(), q.begin() + 8), "NSLSIMQT");
  EXPECT_EQ(q[8], 1);
  EXPECT_EQ(q[9], 0);
  EXPECT_EQ(q[10], 0);
  EXPECT_EQ(q[11], 0);
  EXPECT_TRUE(std::equal(measurement.begin(), measurement.end(), q.begin() + 12));
  EXPECT_TRUE(std::equal(report_data.begin(), report_data.end(), q.begin() + 44));
  EXPECT_TRUE(std::equal(kp.public_key.begin(), kp.public_key.end(), q.begin() + 108));
  EXPECT_TRUE(crypto::ed25519_verify(kp.public_key, crypto::ByteSpan(q).first(140), crypto::ByteSpan(q).subspan(140)));
  EXPECT_TRUE(is_sim_quote(q));
  auto s = sim_quote_parse(q);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->measurement, measurement);
  EXPECT_EQ(s->report_data, report_data);
  EXPECT_EQ(s->quoting_key, kp.public_key);
}

TEST_F(AttestSimQuote, SeedOverloadIsDeterministic) {
  const SecretBytes seed = SecretBytes::random(32);
  auto a = sim_quote_create(seed, measurement, report_data);
  auto b = sim_quote_create(seed, measurement, report_data);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a, *b);  // Ed25519 signing is deterministic
  EXPECT_FALSE(sim_quote_create(SecretBytes::random(64), measurement, report_data).ok());
  EXPECT_FALSE(sim_quote_create(kp, crypto::ByteSpan(measurement).first(31), report_data).ok());
  EXPECT_FALSE(sim_quote_create(kp, measurement, crypto::ByteSpan(report_data).first(32)).ok());
}

TEST_F(AttestSimQuote, VerifiesOnlyWhenAllowed) {
  const auto q = make();
  VerifyOptions opt;
  auto v = verify_quote(q, opt);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_TRUE(v->simulated);
  EXPECT_EQ(v->kind, QuoteKind::sim);
  EXPECT_EQ(v->first_failure, "sim_quote_allowed: simulated quote not allowed (attestation.allow_simulated = false)");

  opt.allow_simulated = true;
  v = verify_quote(q, opt);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->first_failure;
  EXPECT_TRUE(v->simulated);
  EXPECT_EQ(v->sim_measurement, measurement);
  EXPECT_TRUE(std::equal(report_data.begin(), report_data.end(), v->report_data.begin(), v->report_data.end()));

  opt.sim_quoting_key = kp.public_key;
  v = verify_quote(q, opt);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->first_failure;
  EXPECT_TRUE(v->find("sim_quoting_key_pinned")->passed);

  opt.sim_quoting_key = crypto::ed25519_generate().public_key;
  v = verify_quote(q, opt);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_failure.rfind("sim_quoting_key_pinned: ", 0), 0u) << v->first_failure;
}

TEST_F(AttestSimQuote, AnyFlippedByteIsRejected) {
  const auto q = make();
  VerifyOptions opt;
  opt.allow_simulated = true;
  for (std::size_t i = 0; i < q.size(); ++i) {
    for (std::uint8_t bit : {0x01, 0x80}) {
      auto t = q;
      t[i] ^= bit;
      EXPECT_FALSE(sim_quote_parse(t).ok()) << "byte " << i;
      auto v = verify_quote(t, opt);
      EXPECT_TRUE(!v.ok() || !v->ok) << "byte " << i << " bit " << int(bit);
    }
  }
}

TEST_F(AttestSimQuote, WrongLengthIsRejected) {
  const auto q = make();
  VerifyOptions opt;
  opt.allow_simulated = true;
  for (std::size_t n : {std::size_t{8}, std::size_t{140}, std::size_t{203}, std::size_t{205}, std::size_t{408}}) {
    crypto::Bytes t = q;
    t.resize(n, 0);
    auto s = sim_quote_parse(t);
    ASSERT_FALSE(s.ok()) << n;
    EXPECT_EQ(s.error().code(), ErrorCode::invalid_argument);
    auto v = verify_quote(t, opt);
    ASSERT_FALSE(v.ok()) << n;
    EXPECT_NE(v.error().message().find("204 bytes"), std::string::npos);
  }
  EXPECT_FALSE(is_sim_quote(crypto::as_bytes("NSLSIMQ")));
  EXPECT_FALSE(sim_quote_parse({}).ok());
  // A bad signature is unauthenticated, a bad layout invalid_argument.
  auto t = q;
  t[150] ^= 1;
  EXPECT_EQ(sim_quote_parse(t).error().code(), ErrorCode::unauthenticated);
  t = q;
  t[8] = 2;
  EXPECT_EQ(sim_quote_parse(t).error().code(), ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace nsl::attest
