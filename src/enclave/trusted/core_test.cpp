#include "enclave/trusted/core.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>
#include <vector>

#include "attest/verify.hpp"
#include "crypto/aead.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/hash.hpp"
#include "crypto/mac.hpp"
#include "crypto/x25519.hpp"
#include "chain/neo/nep2.hpp"
#include "enclave/protocol/import_wrap.hpp"
#include "enclave/trusted/test_support.hpp"
#include "enclave/trusted/typed_test_support.hpp"

namespace nsl::enclave::trusted {
namespace {

using nsl::testing::TempDir;
using testing::binding;
using testing::str_bytes;

const Bytes kMeasurement(32, 0x5e);

CoreOptions sim_options(const TempDir& dir, std::string policy = "signer",
                        Bytes measurement = kMeasurement) {
  CoreOptions o;
  o.mode = Mode::sim;
  o.data_dir = dir.path();
  o.seal_policy = std::move(policy);
  o.measurement_override = std::move(measurement);
  return o;
}

std::unique_ptr<TrustedCore> open_core(CoreOptions o) {
  auto c = TrustedCore::open(std::move(o));
  EXPECT_TRUE(c.ok()) << c.error();
  return c.ok() ? std::move(c).value() : nullptr;
}

Bytes digest_of(std::string_view msg) {
  const auto d = crypto::sha256(crypto::as_bytes(msg));
  return Bytes(d.begin(), d.end());
}

bool verifies(const SealedKey& key, const SignPayload& payload, const Signature& sig) {
  switch (key.curve) {
    case KeyCurve::secp256r1:
      return crypto::ecdsa_verify(crypto::Curve::secp256r1, key.public_key, payload.data, sig) &&
             crypto::ecdsa_is_low_s(crypto::Curve::secp256r1, sig);
    case KeyCurve::secp256k1:
      return crypto::ecdsa_verify(crypto::Curve::secp256k1, key.public_key, payload.data, sig) &&
             crypto::ecdsa_is_low_s(crypto::Curve::secp256k1, sig);
    case KeyCurve::ed25519:
      return crypto::ed25519_verify(key.public_key, payload.data, sig);
  }
  return false;
}

SignPayload payload_for(KeyCurve c, std::string_view msg) {
  return c == KeyCurve::ed25519 ? SignPayload::of_message(str_bytes(msg))
                                : SignPayload::of_digest(digest_of(msg));
}

class CoreTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::unique_ptr<TrustedCore> core_ = open_core(sim_options(dir_));
};

// ---- keys ---------------------------------------------------------------------------------------

TEST_F(CoreTest, GenerateSignAndPublicKeyOnEveryCurve) {
  for (KeyCurve c : {KeyCurve::secp256r1, KeyCurve::secp256k1, KeyCurve::ed25519}) {
    SCOPED_TRACE(key_curve_name(c));
    auto key = core_->generate_key(binding(), c);
    ASSERT_TRUE(key.ok()) << key.error();
    EXPECT_EQ(key->curve, c);
    EXPECT_EQ(key->public_key.size(), c == KeyCurve::ed25519 ? 32u : 33u);
    EXPECT_EQ(key->sealed.size(), kSealedOverhead + 32);

    const SignPayload payload = payload_for(c, "hello");
    auto sig = core_->sign(binding(), key->sealed, payload);
    ASSERT_TRUE(sig.ok()) << sig.error();
    EXPECT_TRUE(verifies(*key, payload, *sig));

    auto pub = core_->public_key(binding(), key->sealed);
    ASSERT_TRUE(pub.ok()) << pub.error();
    EXPECT_EQ(pub->curve, c);
    EXPECT_EQ(pub->public_key, key->public_key);
    EXPECT_EQ(pub->sealed, key->sealed);
  }
}

TEST_F(CoreTest, SignPayloadRules) {
  auto ec = core_->generate_key(binding(), KeyCurve::secp256r1);
  auto ed = core_->generate_key(binding(), KeyCurve::ed25519);
  ASSERT_TRUE(ec.ok());
  ASSERT_TRUE(ed.ok());

  auto msg_to_ec = core_->sign(binding(), ec->sealed, SignPayload::of_message(str_bytes("m")));
  ASSERT_FALSE(msg_to_ec.ok());
  EXPECT_EQ(msg_to_ec.error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(msg_to_ec.error().message(),
            "secp256r1 signs a 32-byte digest: send a digest payload, not a message");
  auto short_digest = core_->sign(binding(), ec->sealed, SignPayload::of_digest(Bytes(31, 1)));
  ASSERT_FALSE(short_digest.ok());
  EXPECT_EQ(short_digest.error().message(), "secp256r1 digest must be exactly 32 bytes, got 31");

  auto digest_to_ed = core_->sign(binding(), ed->sealed, SignPayload::of_digest(Bytes(32, 1)));
  ASSERT_FALSE(digest_to_ed.ok());
  EXPECT_EQ(digest_to_ed.error().code(), ErrorCode::invalid_argument);
  EXPECT_TRUE(
      core_->sign(binding(), ed->sealed, SignPayload::of_message(Bytes(kMaxSignMessage, 7))).ok());
  EXPECT_TRUE(core_->sign(binding(), ed->sealed, SignPayload::of_message({})).ok());
  EXPECT_EQ(
      core_->sign(binding(), ed->sealed, SignPayload::of_message(Bytes(kMaxSignMessage + 1, 7)))
          .error()
          .code(),
      ErrorCode::invalid_argument);
}

TEST_F(CoreTest, KeysAreBoundToTheirBinding) {
  auto key = core_->generate_key(binding(), KeyCurve::secp256k1);
  ASSERT_TRUE(key.ok());
  const SignPayload p = SignPayload::of_digest(digest_of("x"));
  for (const Binding& other :
       {binding("tenant-b"), binding("tenant-a", "key-2"), binding("tenant-a", "key-1", 2),
        binding("tenant-a", "key-1", 1, "other")}) {
    auto r = core_->sign(other, key->sealed, p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), ErrorCode::permission_denied);
    EXPECT_EQ(core_->public_key(other, key->sealed).error().code(), ErrorCode::permission_denied);
  }
  Binding invalid = binding();
  invalid.object_id = "has space";
  EXPECT_EQ(core_->generate_key(invalid, KeyCurve::secp256k1).error().code(),
            ErrorCode::invalid_argument);
  EXPECT_EQ(core_->sign(invalid, key->sealed, p).error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(core_->generate_key(binding(), static_cast<KeyCurve>(9)).error().code(),
            ErrorCode::invalid_argument);
}

TEST_F(CoreTest, SignerPolicySurvivesAnUpgrade) {
  auto key = core_->generate_key(binding(), KeyCurve::secp256r1);
  ASSERT_TRUE(key.ok());
  core_.reset();
  // Same data dir, another build (measurement).
  auto upgraded = open_core(sim_options(dir_, "signer", Bytes(32, 0x77)));
  ASSERT_NE(upgraded, nullptr);
  const SignPayload p = SignPayload::of_digest(digest_of("after upgrade"));
  auto sig = upgraded->sign(binding(), key->sealed, p);
  ASSERT_TRUE(sig.ok()) << sig.error();
  EXPECT_TRUE(verifies(*key, p, *sig));
}

TEST_F(CoreTest, MeasurementPolicyStrandsOtherBuilds) {
  core_.reset();
  auto m1 = open_core(sim_options(dir_, "measurement"));
  ASSERT_NE(m1, nullptr);
  auto key = m1->generate_key(binding(), KeyCurve::ed25519);
  ASSERT_TRUE(key.ok());
  auto secret = m1->seal(binding(), str_bytes("s"), {});
  ASSERT_TRUE(secret.ok());
  const SignPayload p = SignPayload::of_message(str_bytes("m"));
  EXPECT_TRUE(open_core(sim_options(dir_, "measurement"))->sign(binding(), key->sealed, p).ok());

  auto m2 = open_core(sim_options(dir_, "measurement", Bytes(32, 0x99)));
  auto r = m2->sign(binding(), key->sealed, p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::permission_denied);
  EXPECT_EQ(m2->unseal(binding(), *secret, {}).error().code(), ErrorCode::permission_denied);
  EXPECT_EQ(m2->derive_data_key(binding())->equals(*m1->derive_data_key(binding())), false);
}

TEST_F(CoreTest, OtherSealingSecretCannotOpen) {
  auto key = core_->generate_key(binding(), KeyCurve::secp256r1);
  ASSERT_TRUE(key.ok());
  TempDir other_dir;
  auto other = open_core(sim_options(other_dir));
  auto r = other->sign(binding(), key->sealed, SignPayload::of_digest(digest_of("x")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::permission_denied);
  EXPECT_EQ(r.error().message(),
            "sealed blob was sealed by a different enclave identity or sealing secret");
}

// ---- import -------------------------------------------------------------------------------------

TEST_F(CoreTest, ImportRoundTrip) {
  auto id = core_->identity();
  ASSERT_TRUE(id.ok());

  const SecretBytes d = crypto::ec_generate_private_key(crypto::Curve::secp256k1);
  const auto expected_pub = crypto::ec_public_key(crypto::Curve::secp256k1, d);
  auto wrapped = wrap_for_import(id->transport_public_key, KeyCurve::secp256k1, binding(), d);
  ASSERT_TRUE(wrapped.ok()) << wrapped.error();
  auto key = core_->import_key(binding(), KeyCurve::secp256k1, *wrapped);
  ASSERT_TRUE(key.ok()) << key.error();
  EXPECT_EQ(key->public_key, Bytes(expected_pub->begin(), expected_pub->end()));
  const SignPayload p = SignPayload::of_digest(digest_of("imported"));
  auto sig = core_->sign(binding(), key->sealed, p);
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(verifies(*key, p, *sig));

  const SecretBytes seed = SecretBytes::random(32);
  const auto kp = crypto::ed25519_from_seed(seed);
  auto wrapped_ed = wrap_for_import(id->transport_public_key, KeyCurve::ed25519, binding(), seed);
  ASSERT_TRUE(wrapped_ed.ok());
  auto ed = core_->import_key(binding(), KeyCurve::ed25519, *wrapped_ed);
  ASSERT_TRUE(ed.ok()) << ed.error();
  EXPECT_EQ(ed->public_key, Bytes(kp->public_key.begin(), kp->public_key.end()));
}

// ---- export -------------------------------------------------------------------------------------

TEST_F(CoreTest, ExportNep2AndWrapped) {
  auto key = core_->generate_key(binding(), KeyCurve::secp256r1);
  ASSERT_TRUE(key.ok());
  ExportRequest nep2{.format = ExportRequest::Format::nep2, .passphrase = SecretString("pw"),
                     .recipient_public_key = {}};
  auto e = core_->export_key(binding(), key->sealed, nep2);
  ASSERT_TRUE(e.ok()) << e.error();
  auto d = neo::nep2_decrypt(e->nep2, "pw", SecretAccess::grant());
  ASSERT_TRUE(d.ok()) << d.error();
  auto pub = crypto::ec_public_key(crypto::Curve::secp256r1, *d);
  EXPECT_EQ(key->public_key, Bytes(pub->begin(), pub->end()));

  const auto owner = crypto::x25519_generate();
  ExportRequest wrapped{.format = ExportRequest::Format::wrapped, .passphrase = {},
                        .recipient_public_key = owner.public_key};
  auto w = core_->export_key(binding(), key->sealed, wrapped);
  ASSERT_TRUE(w.ok()) << w.error();
  auto opened = open_export_wrap(owner.private_key, binding(), w->wrapped);
  ASSERT_TRUE(opened.ok()) << opened.error();
  EXPECT_TRUE(opened->private_key == *d);

  // Another binding does not open the blob; NEP-2 is for secp256r1 only; empty passphrase.
  EXPECT_EQ(core_->export_key(binding("tenant-b"), key->sealed, nep2).error().code(),
            ErrorCode::permission_denied);
  auto k1 = core_->generate_key(binding(), KeyCurve::secp256k1);
  ASSERT_TRUE(k1.ok());
  EXPECT_EQ(core_->export_key(binding(), k1->sealed, nep2).error().code(), ErrorCode::invalid_argument);
  EXPECT_TRUE(core_->export_key(binding(), k1->sealed, wrapped).ok());
  ExportRequest empty{.format = ExportRequest::Format::nep2, .passphrase = {}, .recipient_public_key = {}};
  EXPECT_EQ(core_->export_key(binding(), key->sealed, empty).error().code(), ErrorCode::invalid_argument);
}

TEST_F(CoreTest, ImportRefusals) {
  const auto id = core_->identity().value();
  const SecretBytes d = crypto::ec_generate_private_key(crypto::Curve::secp256r1);
  const Bytes wrapped =
      wrap_for_import(id.transport_public_key, KeyCurve::secp256r1, binding(), d).value();

  // Wrapped to another key (or to this enclave before a restart).
  const auto stranger = crypto::x25519_generate();
  auto elsewhere = core_->import_key(
      binding(), KeyCurve::secp256r1,
      wrap_for_import(stranger.public_key, KeyCurve::secp256r1, binding(), d).value());
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_EQ(elsewhere.error().code(), ErrorCode::failed_precondition);
  EXPECT_EQ(
      elsewhere.error().message(),
      "wrapped to a different transport key; fetch the enclave's current key with identity()");
  auto restarted = open_core(sim_options(dir_));
  EXPECT_EQ(restarted->import_key(binding(), KeyCurve::secp256r1, wrapped).error().code(),
            ErrorCode::failed_precondition);

  // Another binding.
  auto wrong_binding = core_->import_key(binding("tenant-b"), KeyCurve::secp256r1, wrapped);
  ASSERT_FALSE(wrong_binding.ok());
  EXPECT_EQ(wrong_binding.error().code(), ErrorCode::permission_denied);

  // Another curve than wrapped.
  EXPECT_EQ(core_->import_key(binding(), KeyCurve::secp256k1, wrapped).error().code(),
            ErrorCode::invalid_argument);

  // Tampering anywhere fails (which error depends on the byte: layout, recipient or
  // authentication).
  for (std::size_t i = 0; i < wrapped.size(); ++i) {
    Bytes t = wrapped;
    t[i] ^= 0x04;
    EXPECT_FALSE(core_->import_key(binding(), KeyCurve::secp256r1, t).ok()) << "byte " << i;
  }
  Bytes t = wrapped;
  t.back() ^= 1;
  EXPECT_EQ(core_->import_key(binding(), KeyCurve::secp256r1, t).error().code(),
            ErrorCode::permission_denied);
  EXPECT_EQ(core_->import_key(binding(), KeyCurve::secp256r1, Bytes(10, 1)).error().code(),
            ErrorCode::invalid_argument);
}

TEST_F(CoreTest, ImportRefusesAnInvalidScalar) {
  // wrap_for_import refuses scalar 0, so build the wrap by hand from the documented format.
  const auto id = core_->identity().value();
  const auto eph = crypto::x25519_generate();
  Bytes wrapped = {1, static_cast<std::uint8_t>(KeyCurve::secp256r1)};
  wrapped.insert(wrapped.end(), id.transport_public_key.begin(), id.transport_public_key.end());
  wrapped.insert(wrapped.end(), eph.public_key.begin(), eph.public_key.end());
  auto shared = crypto::x25519(eph.private_key, id.transport_public_key);
  ASSERT_TRUE(shared.ok());
  auto k = import_wrap_key(*shared, eph.public_key, id.transport_public_key);
  ASSERT_TRUE(k.ok());
  auto sealed = crypto::aes256gcm_seal(*k, SecretBytes(32), import_wrap_aad(wrapped, binding()));
  ASSERT_TRUE(sealed.ok());
  wrapped.insert(wrapped.end(), sealed->begin(), sealed->end());
  auto r = core_->import_key(binding(), KeyCurve::secp256r1, wrapped);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(r.error().message(), "the imported key is not a valid secp256r1 private key");
}

// ---- cache --------------------------------------------------------------------------------------

TEST_F(CoreTest, CacheIsBoundedAndCounts) {
  CoreOptions o = sim_options(dir_);
  o.key_cache_capacity = 2;
  auto core = open_core(std::move(o));
  std::vector<SealedKey> keys;
  for (int i = 0; i < 3; ++i) {
    keys.push_back(
        core->generate_key(binding("t", "k" + std::to_string(i)), KeyCurve::secp256r1).value());
  }
  auto sign = [&](int i) {
    return core->sign(binding("t", "k" + std::to_string(i)),
                      keys[static_cast<std::size_t>(i)].sealed,
                      SignPayload::of_digest(digest_of("m")));
  };
  EXPECT_EQ(core->key_cache_stats().misses, 0u);  // generation does not fill the cache
  ASSERT_TRUE(sign(0).ok());
  ASSERT_TRUE(sign(1).ok());
  ASSERT_TRUE(sign(2).ok());  // evicts k0
  auto s = core->key_cache_stats();
  EXPECT_EQ(s.misses, 3u);
  EXPECT_EQ(s.hits, 0u);
  EXPECT_EQ(s.evictions, 1u);
  EXPECT_EQ(s.size, 2u);
  ASSERT_TRUE(sign(2).ok());  // hit
  ASSERT_TRUE(sign(0).ok());  // miss again, evicts k1
  s = core->key_cache_stats();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 4u);
  EXPECT_EQ(s.evictions, 2u);
  EXPECT_EQ(s.size, 2u);

  // A blob under the wrong binding is never a hit, even when the blob is cached.
  EXPECT_EQ(core->sign(binding("t", "k1"), keys[2].sealed, SignPayload::of_digest(digest_of("m")))
                .error()
                .code(),
            ErrorCode::permission_denied);

  core->clear_key_cache();
  EXPECT_EQ(core->key_cache_stats().size, 0u);
}

TEST_F(CoreTest, ConcurrentSigningFromEightThreads) {
  CoreOptions o = sim_options(dir_);
  o.key_cache_capacity = 2;  // smaller than the key set: evictions race with signers
  auto core = open_core(std::move(o));
  std::vector<std::pair<Binding, SealedKey>> keys;
  const KeyCurve curves[] = {KeyCurve::secp256r1, KeyCurve::secp256k1, KeyCurve::ed25519};
  for (int i = 0; i < 6; ++i) {
    Binding b = binding("t", "k" + std::to_string(i));
    keys.emplace_back(b, core->generate_key(b, curves[i % 3]).value());
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) {
        const auto& [b, key] = keys[static_cast<std::size_t>((i + t) % 6)];
        const SignPayload p = payload_for(key.curve, "m" + std::to_string(i));
        auto sig = core->sign(b, key.sealed, p);
        if (!sig.ok() || !verifies(key, p, *sig)) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  const auto s = core->key_cache_stats();
  EXPECT_EQ(s.hits + s.misses, 480u);
  EXPECT_LE(s.size, 2u);
}

// ---- secrets and data keys ----------------------------------------------------------------------

TEST_F(CoreTest, SealUnseal) {
  const Bytes aad = str_bytes("row=42");
  auto sealed =
      core_->seal(binding("tenant-a", "secret-1", 1, "secret"), str_bytes("hunter2"), aad);
  ASSERT_TRUE(sealed.ok()) << sealed.error();
  auto back = core_->unseal(binding("tenant-a", "secret-1", 1, "secret"), *sealed, aad);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back->reveal(), "hunter2");

  EXPECT_EQ(
      core_->unseal(binding("tenant-b", "secret-1", 1, "secret"), *sealed, aad).error().code(),
      ErrorCode::permission_denied);
  EXPECT_EQ(core_->unseal(binding("tenant-a", "secret-1", 1, "secret"), *sealed, {}).error().code(),
            ErrorCode::permission_denied);
  // A secret blob is not a key, and a key blob is not a secret.
  EXPECT_EQ(core_
                ->sign(binding("tenant-a", "secret-1", 1, "secret"), *sealed,
                       SignPayload::of_digest(Bytes(32, 0)))
                .error()
                .code(),
            ErrorCode::permission_denied);
  auto key = core_->generate_key(binding(), KeyCurve::secp256r1);
  EXPECT_EQ(core_->unseal(binding(), key->sealed, {}).error().code(), ErrorCode::permission_denied);

  EXPECT_EQ(core_->seal(binding(), Bytes(kMaxSecretSize + 1, 0), {}).error().code(),
            ErrorCode::invalid_argument);
  auto big = core_->seal(binding(), Bytes(kMaxSecretSize, 'z'), {});
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(core_->unseal(binding(), *big, {})->size(), kMaxSecretSize);
}

TEST_F(CoreTest, DataKeys) {
  auto k1 = core_->derive_data_key(binding("t", "users.email", 1, "column"));
  ASSERT_TRUE(k1.ok());
  EXPECT_EQ(k1->size(), 32u);
  auto again =
      open_core(sim_options(dir_))->derive_data_key(binding("t", "users.email", 1, "column"));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(k1->equals(*again));  // deterministic across restarts
  for (const Binding& other :
       {binding("u", "users.email", 1, "column"), binding("t", "users.phone", 1, "column"),
        binding("t", "users.email", 2, "column"), binding("t", "users.email", 1, "col")}) {
    EXPECT_FALSE(core_->derive_data_key(other)->equals(*k1));
  }
  Binding invalid = binding();
  invalid.purpose.clear();
  EXPECT_EQ(core_->derive_data_key(invalid).error().code(), ErrorCode::invalid_argument);
}

// ---- attestation and identity -------------------------------------------------------------------

TEST_F(CoreTest, IdentityInSimMode) {
  auto id = core_->identity();
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->mode, Mode::sim);
  EXPECT_TRUE(id->simulated);
  EXPECT_EQ(id->measurement, kMeasurement);
  EXPECT_EQ(id->seal_policy, "signer");
  EXPECT_EQ(id->version, "nsl-enclave/1");
  EXPECT_NE(id->transport_public_key, (std::array<std::uint8_t, 32>{}));
  // A fresh transport key per start.
  EXPECT_NE(open_core(sim_options(dir_))->identity()->transport_public_key,
            id->transport_public_key);
}

TEST(CoreSim, RealMeasurementIsTheBinaryHash) {
  TempDir dir;
  CoreOptions o;
  o.data_dir = dir.path();
  auto core = open_core(o);
  ASSERT_NE(core, nullptr);
  const std::string exe = nsl::testing::read_file("/proc/self/exe");
  const auto h = crypto::sha256(crypto::as_bytes(exe));
  EXPECT_EQ(core->identity()->measurement, Bytes(h.begin(), h.end()));
}

TEST_F(CoreTest, SimQuoteVerifiesAndBindsTheTransportKey) {
  const Bytes nonce = str_bytes("nonce-123");
  auto q = core_->attest(AttestPurpose::transport_key, {}, nonce);
  ASSERT_TRUE(q.ok()) << q.error();
  EXPECT_EQ(q->format, "sim");
  const auto id = core_->identity().value();
  EXPECT_EQ(q->report_data,
            attest_report_data(AttestPurpose::transport_key, id.transport_public_key, nonce));

  attest::VerifyOptions opt;
  opt.allow_simulated = true;
  auto v = attest::verify_quote(q->quote, opt);
  ASSERT_TRUE(v.ok()) << v.error();
  EXPECT_TRUE(v->ok) << v->first_failure;
  EXPECT_TRUE(v->simulated);
  EXPECT_EQ(v->report_data, Bytes(q->report_data.begin(), q->report_data.end()));
  EXPECT_EQ(Bytes(v->sim_measurement.begin(), v->sim_measurement.end()), kMeasurement);

  // The quoting key is HKDF(sealing secret, "", "nsl-sim-quoting-key-v1") as documented.
  const std::string secret = nsl::testing::read_file(dir_.path() + "/enclave/sealing.secret");
  auto seed = crypto::hkdf_sha256(crypto::as_bytes(secret), {},
                                  crypto::as_bytes("nsl-sim-quoting-key-v1"), 32);
  ASSERT_TRUE(seed.ok());
  EXPECT_EQ(v->sim_quoting_key, crypto::ed25519_from_seed(*seed)->public_key);

  attest::VerifyOptions strict;
  auto refused = attest::verify_quote(q->quote, strict);
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->ok);
}

TEST_F(CoreTest, AttestLimits) {
  auto user =
      core_->attest(AttestPurpose::user, Bytes(kMaxAttestSubject, 1), Bytes(kMaxAttestNonce, 2));
  ASSERT_TRUE(user.ok()) << user.error();
  EXPECT_EQ(user->report_data, attest_report_data(AttestPurpose::user, Bytes(kMaxAttestSubject, 1),
                                                  Bytes(kMaxAttestNonce, 2)));
  EXPECT_EQ(core_->attest(AttestPurpose::user, Bytes(kMaxAttestSubject + 1, 1), {}).error().code(),
            ErrorCode::invalid_argument);
  EXPECT_EQ(core_->attest(AttestPurpose::user, {}, Bytes(kMaxAttestNonce + 1, 1)).error().code(),
            ErrorCode::invalid_argument);
  EXPECT_EQ(core_->attest(AttestPurpose::transport_key, Bytes(32, 1), {}).error().code(),
            ErrorCode::invalid_argument);
  EXPECT_EQ(core_->attest(static_cast<AttestPurpose>(7), {}, {}).error().code(),
            ErrorCode::invalid_argument);
}

// ---- options and other backends -----------------------------------------------------------------

TEST(CoreOptionsTest, Rejected) {
  TempDir dir;
  CoreOptions bad_policy = sim_options(dir, "mrenclave");
  EXPECT_EQ(TrustedCore::open(bad_policy).error().code(), ErrorCode::invalid_argument);
  CoreOptions bad_measurement = sim_options(dir, "signer", Bytes(48, 1));
  EXPECT_EQ(TrustedCore::open(bad_measurement).error().code(), ErrorCode::invalid_argument);
  CoreOptions no_dir = sim_options(dir);
  no_dir.data_dir.clear();
  EXPECT_EQ(TrustedCore::open(no_dir).error().code(), ErrorCode::invalid_argument);
  CoreOptions bad_mode = sim_options(dir);
  bad_mode.mode = static_cast<Mode>(9);
  EXPECT_EQ(TrustedCore::open(bad_mode).error().code(), ErrorCode::invalid_argument);
}

TEST(CoreGramine, OpensAgainstAFakeRoot) {
  TempDir root;
  testing::write_fake_gramine(root, testing::read_vector("sgx_v3_phala.bin"));
  CoreOptions o;
  o.mode = Mode::gramine_sgx;
  o.fs_root = root.path();
  auto core = open_core(o);
  ASSERT_NE(core, nullptr);
  const auto id = core->identity().value();
  EXPECT_EQ(id.mode, Mode::gramine_sgx);
  EXPECT_FALSE(id.simulated);
  EXPECT_EQ(id.measurement, testing::sidecar_hex("sgx_v3_phala.json", "mrenclave"));

  auto key = core->generate_key(binding(), KeyCurve::secp256r1);
  ASSERT_TRUE(key.ok());
  EXPECT_TRUE(core->sign(binding(), key->sealed, SignPayload::of_digest(digest_of("g"))).ok());

  // The fake serves a recorded quote, which cannot carry this request's report data.
  auto q = core->attest(AttestPurpose::transport_key, {}, {});
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.error().message().find("carries other report_data"), std::string::npos)
      << q.error().message();

  // Measurement policy reads the other Gramine key: the signer-policy blob stays closed.
  o.seal_policy = "measurement";
  auto m = open_core(o);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->sign(binding(), key->sealed, SignPayload::of_digest(digest_of("g"))).error().code(),
            ErrorCode::permission_denied);
}

TEST(CoreTdx, OpensAgainstAFakeRoot) {
  TempDir root;
  TempDir data;
  testing::write_fake_tsm(root, "fixed", testing::read_vector("tdx_v4_phala.bin"), "tdx_guest");
  CoreOptions o;
  o.mode = Mode::tdx;
  o.data_dir = data.path();
  o.fs_root = root.path();
  o.tsm_hooks.entry_name = "fixed";
  o.tsm_hooks.after_inblob_write = [](const std::string& entry) {
    std::ofstream(entry + "/generation", std::ios::trunc) << "1\n";
  };

  // Without an override the measurement comes from a probe quote, which the recorded quote fails.
  auto probed = TrustedCore::open(o);
  ASSERT_FALSE(probed.ok());
  EXPECT_NE(probed.error().message().find("carries other report_data"), std::string::npos);

  std::ofstream(root.path() + "/sys/kernel/config/tsm/report/fixed/generation", std::ios::trunc)
      << "0\n";
  o.measurement_override = testing::sidecar_hex("tdx_v4_phala.json", "mrtd");
  auto core = open_core(o);
  ASSERT_NE(core, nullptr);
  EXPECT_EQ(core->identity()->measurement, *o.measurement_override);
  EXPECT_FALSE(core->identity()->simulated);
  auto key = core->generate_key(binding(), KeyCurve::ed25519);
  ASSERT_TRUE(key.ok());
  EXPECT_TRUE(core->sign(binding(), key->sealed, SignPayload::of_message(str_bytes("m"))).ok());
  EXPECT_TRUE(std::ifstream(data.path() + "/enclave/sealing.secret").good());
}

// ---- typed signing (typed_test_support.hpp; the same scenarios run through the socket in server_test) ------

TEST_F(CoreTest, TypedNeoTransactionVerifiesAsAWitness) { typed_testing::neo_tx_verifies(*core_); }
TEST_F(CoreTest, TypedEvmTransactionsRecoverToTheKey) { typed_testing::evm_tx_recovers(*core_); }
TEST_F(CoreTest, TypedSigningAsyncAnswersAsSync) { typed_testing::async_matches_sync(*core_); }
TEST_F(CoreTest, TypedMessagesRecoverToTheKey) { typed_testing::messages_recover(*core_); }
TEST_F(CoreTest, TypedSigningEnforcesThePolicy) { typed_testing::policy_enforced(*core_); }
TEST_F(CoreTest, TypedOpaqueScriptSignsOnlyWithoutPolicy) {
  typed_testing::opaque_script_only_without_policy(*core_);
}
TEST_F(CoreTest, TypedSigningRefusesAForeignPolicy) { typed_testing::foreign_policy_refused(*core_); }
// A sealed policy is opened and parsed once, then taken from the cache; the cache key binds it to the exact blob
// and binding, so a cached policy never opens under another key or version, and a new blob is opened anew.
TEST_F(CoreTest, TypedSigningCachesTheOpenedPolicyPerBlobAndBinding) {
  namespace tt = typed_testing;
  const Binding b = tt::key_binding("cached-policy");
  const SealedKey key = tt::make_key(*core_, KeyCurve::secp256r1, b);
  auto req = tt::request(SignFormat::neo_tx, tt::nep17_payload(key, "40"));
  req.policy_version = 1;
  req.policy_sealed = tt::seal_policy(*core_, b, R"({"max_value_per_tx": {"neo:0xd2a4cff31913016155e38e474a2c06d08be276cf": "50"}})");
  const auto before = core_->policy_cache_stats();
  ASSERT_TRUE(core_->sign_typed(b, key.sealed, req).ok());
  ASSERT_TRUE(core_->sign_typed(b, key.sealed, req).ok());
  auto after = core_->policy_cache_stats();
  EXPECT_EQ(after.misses - before.misses, 1u);
  EXPECT_EQ(after.hits - before.hits, 1u);
  // The cached blob under another version, and under another key's binding: still refused.
  req.policy_version = 2;
  tt::expect_error(core_->sign_typed(b, key.sealed, req), ErrorCode::permission_denied, "does not open");
  req.policy_version = 1;
  const Binding other = tt::key_binding("cached-policy-other");
  const SealedKey other_key = tt::make_key(*core_, KeyCurve::secp256r1, other);
  auto foreign = tt::request(SignFormat::neo_tx, tt::nep17_payload(other_key, "40"));
  foreign.policy_version = 1;
  foreign.policy_sealed = req.policy_sealed;
  tt::expect_error(core_->sign_typed(other, other_key.sealed, foreign), ErrorCode::permission_denied, "does not open");
  // A changed policy is a new blob: it is opened, and it rules.
  req.policy_sealed = tt::seal_policy(*core_, b, R"({"max_value_per_tx": {"neo:0xd2a4cff31913016155e38e474a2c06d08be276cf": "30"}})");
  tt::expect_error(core_->sign_typed(b, key.sealed, req), ErrorCode::permission_denied, "exceeds 30");
}

TEST_F(CoreTest, TypedSigningRefusesBadRequests) { typed_testing::bad_requests_refused(*core_); }
TEST_F(CoreTest, TypedSigningForAMultisigAccount) { typed_testing::multisig_account(*core_); }
TEST_F(CoreTest, SymmetricDataKeys) { typed_testing::data_keys(*core_); }

TEST_F(CoreTest, TypedSigningUsesTheKeyCache) {
  const Binding b = typed_testing::key_binding();
  const SealedKey key = typed_testing::make_key(*core_, KeyCurve::secp256k1, b);
  const auto before = core_->key_cache_stats();
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(core_->sign_typed(b, key.sealed, typed_testing::request(SignFormat::eip191, str_bytes("m"))).ok());
  }
  EXPECT_GE(core_->key_cache_stats().hits, before.hits + 2);
}

}  // namespace
}  // namespace nsl::enclave::trusted
