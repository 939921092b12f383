// The transit encryption contract suite, instantiated for SQLite (transit_test.cpp) and PostgreSQL
// with the non-owner service role under row-level security (transit_pgtest.cpp).
//
// Traits: static std::string unavailable_reason();
//         static std::unique_ptr<store::Database> open();   // a fresh, migrated database
//
// Plaintexts are compared through SecretBytes::equals (this suite never reads a secret's bytes).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cache/local_cache.hpp"
#include "core/base64.hpp"
#include "core/clock.hpp"
#include "core/secret_bytes.hpp"
#include "core/strings.hpp"
#include "enclave/testing/sim_enclave.hpp"
#include "harness/harness.hpp"
#include "obs/metrics.hpp"
#include "services/audit/audit_log.hpp"
#include "services/identity/service.hpp"
#include "services/identity/testing/tenant_fixture.hpp"
#include "services/secrets/service.hpp"
#include "services/transit/service.hpp"

namespace nsl::transit::contract {

inline ByteView view_of(const std::string& s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}
inline SecretBytes secret_of(const std::string& s) { return SecretBytes::copy_of(view_of(s)); }

using identity::testing::status_of;

template <class Traits>
class TransitContract : public identity::testing::TenantFixture {
 protected:
  void SetUp() override {
    NSL_REQUIRE_AVAILABLE(Traits::unavailable_reason());
    open(Traits::open());
    if (HasFatalFailure()) return;
    cache_ = std::make_unique<cache::LocalCache>(cache::LocalCacheOptions{.clock = &clock_});
    tr_ = std::make_unique<TransitService>(*db_, *enclave_, audit_.get(), clock_, TransitOptions{},
                                           &registry_);
  }
  void TearDown() override {
    tr_.reset();
    TenantFixture::TearDown();
  }

  TransitKey make(const store::TenantId& t, const std::string& name, KeyOptions o = {}) {
    auto k = tr_->create_key(t, name, o, actor_);
    EXPECT_TRUE(k.ok()) << name << ": " << k.error();
    return k.ok() ? std::move(*k) : TransitKey{};
  }
  Encrypted enc(const store::TenantId& t, const std::string& name, const std::string& plain,
                const std::string& ad = "", std::optional<std::uint32_t> version = std::nullopt) {
    auto e = tr_->encrypt(t, name, view_of(plain), view_of(ad), version, actor_);
    EXPECT_TRUE(e.ok()) << name << ": " << e.error();
    return e.ok() ? std::move(*e) : Encrypted{};
  }
  // True when `ciphertext` decrypts under (t, name, ad) to exactly `plain`.
  ::testing::AssertionResult decrypts_to(const store::TenantId& t, const std::string& name,
                                         const std::string& ciphertext, const std::string& plain,
                                         const std::string& ad = "") {
    auto p = tr_->decrypt(t, name, ciphertext, view_of(ad), actor_);
    if (!p.ok()) return ::testing::AssertionFailure() << name << ": " << p.error();
    if (!p->equals(secret_of(plain))) return ::testing::AssertionFailure() << "another plaintext";
    return ::testing::AssertionSuccess();
  }
  TransitKey configure(const store::TenantId& t, const std::string& name, const KeyConfig& c) {
    auto k = tr_->update_config(t, name, c, actor_);
    EXPECT_TRUE(k.ok()) << name << ": " << k.error();
    return k.ok() ? std::move(*k) : TransitKey{};
  }
  std::vector<std::string> audit_actions(const store::TenantId& t) {
    auto page = audit_->list(t, {}, std::nullopt, 500);
    EXPECT_TRUE(page.ok()) << page.error();
    std::vector<std::string> out;
    if (page.ok()) {
      for (const auto& r : page->records) out.push_back(r.event.action);
    }
    return out;
  }
  static std::int64_t ms(std::chrono::system_clock::time_point tp) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count();
  }

  std::unique_ptr<cache::LocalCache> cache_;
  std::unique_ptr<TransitService> tr_;
};

TYPED_TEST_SUITE_P(TransitContract);

TYPED_TEST_P(TransitContract, CreateGetListAndNameRules) {
  const auto t = this->tenant("acme");
  const auto k = this->make(t, "orders");
  EXPECT_EQ(k.name, "orders");
  EXPECT_EQ(k.type, "aes256-gcm");
  EXPECT_EQ(k.latest_version, 1u);
  EXPECT_EQ(k.min_decryption_version, 1u);
  EXPECT_EQ(k.min_encryption_version, 0u);
  EXPECT_FALSE(k.deletion_allowed);
  EXPECT_EQ(k.rotation_days, 90);
  ASSERT_TRUE(k.next_rotation_at);
  EXPECT_EQ(*k.next_rotation_at, this->ms(this->clock_.system_now()) + 90LL * 86400 * 1000);
  ASSERT_EQ(k.versions.size(), 1u);
  EXPECT_EQ(k.versions[0].version, 1u);

  this->expect_code(status_of(this->tr_->create_key(t, "orders", {}, this->actor_)),
                    ErrorCode::conflict, "duplicate");
  this->expect_code(status_of(this->tr_->create_key(t, "sig", {.type = "ed25519"}, this->actor_)),
                    ErrorCode::invalid_argument, "signing type", "/v1/keys");
  this->expect_code(status_of(this->tr_->create_key(t, "x", {.rotation_days = -1}, this->actor_)),
                    ErrorCode::invalid_argument, "rotation -1");
  this->expect_code(status_of(this->tr_->create_key(t, "x", {.rotation_days = 3651}, this->actor_)),
                    ErrorCode::invalid_argument, "rotation 3651");
  for (const std::string& ok : {std::string("a"), std::string("0.b_c-d"), std::string(64, 'z')}) {
    EXPECT_TRUE(validate_key_name(ok).ok()) << ok;
  }
  for (const std::string& bad :
       {std::string(), std::string("-a"), std::string(".a"), std::string("A"), std::string("a/b"),
        std::string("a b"), std::string(65, 'a'), std::string("é")}) {
    this->expect_code(status_of(this->tr_->create_key(t, bad, {}, this->actor_)),
                      ErrorCode::invalid_argument, "name " + bad);
  }
  this->expect_code(status_of(this->tr_->get_key(t, "nope")), ErrorCode::not_found, "get");
  auto got = this->tr_->get_key(t, "orders");
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(got->created_at, k.created_at);

  for (const char* n : {"d", "b", "e", "a"}) this->make(t, n, {.rotation_days = 0});
  auto p1 = this->tr_->list_keys(t, std::nullopt, 2);
  ASSERT_TRUE(p1.ok()) << p1.error();
  ASSERT_EQ(p1->keys.size(), 2u);
  EXPECT_EQ(p1->keys[0].name, "a");
  EXPECT_EQ(p1->keys[1].name, "b");
  ASSERT_TRUE(p1->next_after);
  auto p2 = this->tr_->list_keys(t, p1->next_after, 2);
  ASSERT_TRUE(p2.ok());
  ASSERT_EQ(p2->keys.size(), 2u);
  EXPECT_EQ(p2->keys[0].name, "d");
  EXPECT_EQ(p2->keys[1].name, "e");
  auto p3 = this->tr_->list_keys(t, p2->next_after, 2);
  ASSERT_TRUE(p3.ok());
  ASSERT_EQ(p3->keys.size(), 1u);
  EXPECT_EQ(p3->keys[0].name, "orders");
  EXPECT_FALSE(p3->next_after);
  EXPECT_FALSE(p3->keys[0].next_rotation_at == std::nullopt);
  EXPECT_EQ(p2->keys[0].next_rotation_at, std::nullopt);  // rotation_days 0
  this->expect_code(status_of(this->tr_->list_keys(t, std::nullopt, 0)),
                    ErrorCode::invalid_argument, "limit 0");
  this->expect_code(status_of(this->tr_->list_keys(t, std::string("BAD!"), 10)),
                    ErrorCode::invalid_argument, "cursor");
}

TYPED_TEST_P(TransitContract, ConfigValidation) {
  const auto t = this->tenant("acme");
  this->make(t, "k");
  auto bad = [&](const KeyConfig& c, const std::string& what) {
    this->expect_code(status_of(this->tr_->update_config(t, "k", c, this->actor_)),
                      ErrorCode::invalid_argument, what);
  };
  bad({.min_decryption_version = 2u}, "min_dec above latest");
  bad({.min_decryption_version = 0u}, "min_dec 0");
  bad({.min_encryption_version = 2u}, "min_enc above latest");
  bad({.rotation_days = -1}, "rotation -1");
  ASSERT_TRUE(this->tr_->rotate(t, "k", this->actor_).ok());
  auto r3 = this->tr_->rotate(t, "k", this->actor_);
  ASSERT_TRUE(r3.ok()) << r3.error();
  EXPECT_EQ(r3->latest_version, 3u);
  ASSERT_EQ(r3->versions.size(), 3u);
  auto c = this->configure(t, "k", {.min_decryption_version = 2u});
  EXPECT_EQ(c.min_decryption_version, 2u);
  bad({.min_encryption_version = 1u}, "min_enc below min_dec");
  bad({.min_encryption_version = 4u}, "min_enc above latest");
  c = this->configure(t, "k", {.min_encryption_version = 3u});
  EXPECT_EQ(c.min_encryption_version, 3u);
  bad({.min_decryption_version = 3u, .min_encryption_version = 2u}, "min_enc below new min_dec");
  c = this->configure(t, "k", {.min_decryption_version = 1u, .min_encryption_version = 0u});
  EXPECT_EQ(c.min_decryption_version, 1u);
  EXPECT_EQ(c.min_encryption_version, 0u);
  c = this->configure(t, "k", {.rotation_days = 0, .deletion_allowed = true});
  EXPECT_EQ(c.rotation_days, 0);
  EXPECT_EQ(c.next_rotation_at, std::nullopt);
  EXPECT_TRUE(c.deletion_allowed);
  c = this->configure(t, "k", {.rotation_days = 7});
  ASSERT_TRUE(c.next_rotation_at);
  EXPECT_EQ(*c.next_rotation_at, this->ms(this->clock_.system_now()) + 7LL * 86400 * 1000);
  this->expect_code(status_of(this->tr_->update_config(t, "nope", {}, this->actor_)),
                    ErrorCode::not_found, "config of an absent key");
}

TYPED_TEST_P(TransitContract, EncryptDecryptRoundTrip) {
  const auto t = this->tenant("acme");
  this->make(t, "k");
  for (const std::string& plain : {std::string(), std::string("x"), std::string("hello world"),
                                   std::string(32 * 1024, '\xab')}) {
    const auto e = this->enc(t, "k", plain);
    EXPECT_EQ(e.key_version, 1u);
    EXPECT_EQ(e.ciphertext.rfind("nsl:v1:1:", 0), 0u) << e.ciphertext.substr(0, 20);
    EXPECT_TRUE(this->decrypts_to(t, "k", e.ciphertext, plain)) << plain.size();
  }
  // A fresh salt and nonce every time.
  EXPECT_NE(this->enc(t, "k", "same").ciphertext, this->enc(t, "k", "same").ciphertext);
  const std::string big(32 * 1024 + 1, 'a');
  this->expect_code(
      status_of(this->tr_->encrypt(t, "k", view_of(big), {}, std::nullopt, this->actor_)),
      ErrorCode::invalid_argument, "33 KiB", "32768");
  this->expect_code(status_of(this->tr_->encrypt(t, "nope", view_of(std::string("a")), {},
                                                 std::nullopt, this->actor_)),
                    ErrorCode::not_found, "absent key");
}

TYPED_TEST_P(TransitContract, AssociatedDataIsBound) {
  const auto t = this->tenant("acme");
  this->make(t, "k");
  const auto e = this->enc(t, "k", "card 4111", "order-17");
  EXPECT_TRUE(this->decrypts_to(t, "k", e.ciphertext, "card 4111", "order-17"));
  for (const std::string& other :
       {std::string(), std::string("order-18"), std::string("order-1")}) {
    this->expect_code(
        status_of(this->tr_->decrypt(t, "k", e.ciphertext, view_of(other), this->actor_)),
        ErrorCode::invalid_argument, "ad '" + other + "'", "does not decrypt");
  }
  const std::string big_ad(1025, 'a');
  this->expect_code(status_of(this->tr_->encrypt(t, "k", view_of(std::string("p")), view_of(big_ad),
                                                 std::nullopt, this->actor_)),
                    ErrorCode::invalid_argument, "ad 1025");
  const std::string max_ad(1024, 'a');
  const auto m = this->enc(t, "k", "p", max_ad);
  EXPECT_TRUE(this->decrypts_to(t, "k", m.ciphertext, "p", max_ad));
}

TYPED_TEST_P(TransitContract, AMovedCiphertextDoesNotDecrypt) {
  const auto a = this->tenant("acme");
  const auto b = this->tenant("globex");
  this->make(a, "k");
  this->make(a, "other");
  this->make(b, "k");
  this->make(b, "mine");
  const auto e = this->enc(a, "k", "secret");
  for (const auto& [tenant, name] :
       std::vector<std::pair<store::TenantId, std::string>>{{a, "other"}, {b, "k"}}) {
    this->expect_code(status_of(this->tr_->decrypt(tenant, name, e.ciphertext, {}, this->actor_)),
                      ErrorCode::invalid_argument, name, "does not decrypt");
  }
  // Another tenant's key of that name is simply absent.
  this->expect_code(status_of(this->tr_->decrypt(b, "other", e.ciphertext, {}, this->actor_)),
                    ErrorCode::not_found, "absent in b");
  // Relabelled with another version of the same key.
  ASSERT_TRUE(this->tr_->rotate(a, "k", this->actor_).ok());
  std::string relabelled = e.ciphertext;
  relabelled.replace(0, 9, "nsl:v1:2:");
  this->expect_code(status_of(this->tr_->decrypt(a, "k", relabelled, {}, this->actor_)),
                    ErrorCode::invalid_argument, "relabelled", "does not decrypt");
  this->expect_code(status_of(this->tr_->rewrap(a, "k", relabelled, {}, this->actor_)),
                    ErrorCode::invalid_argument, "rewrap relabelled", "does not decrypt");
  // A bit flipped in the body.
  auto parsed = parse_ciphertext(e.ciphertext);
  ASSERT_TRUE(parsed.ok());
  parsed->ciphertext[parsed->ciphertext.size() / 2] ^= 0x01;
  this->expect_code(status_of(this->tr_->decrypt(a, "k", format_ciphertext(1, parsed->ciphertext),
                                                 {}, this->actor_)),
                    ErrorCode::invalid_argument, "altered", "does not decrypt");
  EXPECT_TRUE(this->decrypts_to(a, "k", e.ciphertext, "secret"));
}

TYPED_TEST_P(TransitContract, VersionsAndMinimums) {
  const auto t = this->tenant("acme");
  this->make(t, "k");
  const auto v1 = this->enc(t, "k", "one");
  auto rot = this->tr_->rotate(t, "k", this->actor_);
  ASSERT_TRUE(rot.ok()) << rot.error();
  EXPECT_EQ(rot->latest_version, 2u);
  const auto v2 = this->enc(t, "k", "two");
  EXPECT_EQ(v2.key_version, 2u);
  EXPECT_EQ(v2.ciphertext.rfind("nsl:v1:2:", 0), 0u);
  EXPECT_TRUE(this->decrypts_to(t, "k", v1.ciphertext, "one"));
  EXPECT_TRUE(this->decrypts_to(t, "k", v2.ciphertext, "two"));

  // An explicit older version, while allowed.
  const auto old = this->enc(t, "k", "old", "", 1u);
  EXPECT_EQ(old.key_version, 1u);
  EXPECT_TRUE(this->decrypts_to(t, "k", old.ciphertext, "old"));
  this->expect_code(
      status_of(this->tr_->encrypt(t, "k", view_of(std::string("x")), {}, 3u, this->actor_)),
      ErrorCode::invalid_argument, "version 3 does not exist");
  this->configure(t, "k", {.min_encryption_version = 2u});
  this->expect_code(
      status_of(this->tr_->encrypt(t, "k", view_of(std::string("x")), {}, 1u, this->actor_)),
      ErrorCode::failed_precondition, "below min_encryption_version", "2");
  EXPECT_EQ(this->enc(t, "k", "x", "", 2u).key_version, 2u);

  // min_decryption_version refuses older ciphertexts (kept: lowering it restores them).
  this->configure(t, "k", {.min_decryption_version = 2u});
  this->expect_code(status_of(this->tr_->decrypt(t, "k", v1.ciphertext, {}, this->actor_)),
                    ErrorCode::failed_precondition, "v1 below min", "min_decryption_version (2)");
  this->expect_code(status_of(this->tr_->rewrap(t, "k", v1.ciphertext, {}, this->actor_)),
                    ErrorCode::failed_precondition, "rewrap v1 below min");
  EXPECT_TRUE(this->decrypts_to(t, "k", v2.ciphertext, "two"));
  this->configure(t, "k", {.min_decryption_version = 1u, .min_encryption_version = 0u});
  EXPECT_TRUE(this->decrypts_to(t, "k", v1.ciphertext, "one"));

  // One batch spanning versions 1 and 3 of a key at version 3 (the key and the versions it needs
  // are read in one statement), with an item naming a version the key does not have.
  ASSERT_TRUE(this->tr_->rotate(t, "k", this->actor_).ok());
  const auto v3 = this->enc(t, "k", "three");
  EXPECT_EQ(v3.key_version, 3u);
  std::string beyond = v1.ciphertext;
  beyond.replace(0, std::string("nsl:v1:1:").size(), "nsl:v1:9:");
  const std::vector<CiphertextItem> mixed{{v3.ciphertext, {}}, {beyond, {}}, {v1.ciphertext, {}}};
  auto plain = this->tr_->decrypt_batch(t, "k", mixed, this->actor_);
  ASSERT_TRUE(plain.ok()) << plain.error();
  ASSERT_EQ(plain->size(), 3u);
  ASSERT_TRUE((*plain)[0].ok()) << (*plain)[0].error();
  EXPECT_TRUE((*plain)[0]->equals(secret_of("three")));
  EXPECT_FALSE((*plain)[1].ok());
  ASSERT_TRUE((*plain)[2].ok()) << (*plain)[2].error();
  EXPECT_TRUE((*plain)[2]->equals(secret_of("one")));
}

TYPED_TEST_P(TransitContract, RewrapMovesToTheLatestVersion) {
  const auto t = this->tenant("acme");
  this->make(t, "k");
  const auto e = this->enc(t, "k", "payload", "ctx");
  ASSERT_TRUE(this->tr_->rotate(t, "k", this->actor_).ok());
  ASSERT_TRUE(this->tr_->rotate(t, "k", this->actor_).ok());
  auto w = this->tr_->rewrap(t, "k", e.ciphertext, view_of(std::string("ctx")), this->actor_);
  ASSERT_TRUE(w.ok()) << w.error();
  EXPECT_EQ(w->key_version, 3u);
  EXPECT_EQ(w->ciphertext.rfind("nsl:v1:3:", 0), 0u);
  EXPECT_TRUE(this->decrypts_to(t, "k", w->ciphertext, "payload", "ctx"));
  // Once rewrapped, old versions can be retired without losing the data.
  this->configure(t, "k", {.min_decryption_version = 3u});
  EXPECT_TRUE(this->decrypts_to(t, "k", w->ciphertext, "payload", "ctx"));
  // Rewrapping the latest again gives a fresh ciphertext of the same version.
  auto again = this->tr_->rewrap(t, "k", w->ciphertext, view_of(std::string("ctx")), this->actor_);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again->key_version, 3u);
  EXPECT_NE(again->ciphertext, w->ciphertext);
  this->expect_code(status_of(this->tr_->rewrap(t, "k", w->ciphertext,
                                                view_of(std::string("other")), this->actor_)),
                    ErrorCode::invalid_argument, "rewrap with other ad", "does not decrypt");
}

TYPED_TEST_P(TransitContract, DataKeys) {
  const auto t = this->tenant("acme");
  this->make(t, "k");
  for (int bits : {128, 256, 512}) {
    auto d = this->tr_->datakey(t, "k", bits, true, this->actor_);
    ASSERT_TRUE(d.ok()) << d.error();
    ASSERT_TRUE(d->plaintext);
    EXPECT_EQ(d->plaintext->size(), static_cast<std::size_t>(bits / 8));
    EXPECT_EQ(d->key_version, 1u);
    auto back = this->tr_->decrypt(t, "k", d->ciphertext, {}, this->actor_);
    ASSERT_TRUE(back.ok()) << back.error();
    EXPECT_TRUE(back->equals(*d->plaintext));
  }
  auto w = this->tr_->datakey(t, "k", 256, false, this->actor_);
  ASSERT_TRUE(w.ok()) << w.error();
  EXPECT_FALSE(w->plaintext);
  auto back = this->tr_->decrypt(t, "k", w->ciphertext, {}, this->actor_);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back->size(), 32u);
  auto other = this->tr_->datakey(t, "k", 256, true, this->actor_);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->plaintext->equals(*back));  // fresh randomness each time
  this->expect_code(status_of(this->tr_->datakey(t, "k", 192, true, this->actor_)),
                    ErrorCode::invalid_argument, "bits 192");
  this->expect_code(status_of(this->tr_->datakey(t, "nope", 256, true, this->actor_)),
                    ErrorCode::not_found, "absent key");
}

TYPED_TEST_P(TransitContract, BatchesAnswerPerItem) {
  const auto t = this->tenant("acme");
  this->make(t, "k");
  const std::string big(32 * 1024 + 1, 'x');
  const std::string p0 = "zero", p2 = "two", ad2 = "ctx";
  const std::vector<EncryptItem> in{
      {view_of(p0), {}}, {view_of(big), {}}, {view_of(p2), view_of(ad2)}};
  const auto before = this->audit_actions(t).size();
  auto out = this->tr_->encrypt_batch(t, "k", in, std::nullopt, this->actor_);
  ASSERT_TRUE(out.ok()) << out.error();
  ASSERT_EQ(out->size(), 3u);
  ASSERT_TRUE((*out)[0].ok());
  this->expect_code(status_of((*out)[1]), ErrorCode::invalid_argument, "big item");
  ASSERT_TRUE((*out)[2].ok());
  EXPECT_EQ(this->audit_actions(t).size(), before + 1);  // one record per request

  const std::string c0 = (*out)[0]->ciphertext, c2 = (*out)[2]->ciphertext;
  const std::vector<CiphertextItem> cts{
      {c0, {}}, {"nsl:v1:1:garbage", {}}, {c2, view_of(ad2)}, {c2, {}}};
  auto plain = this->tr_->decrypt_batch(t, "k", cts, this->actor_);
  ASSERT_TRUE(plain.ok()) << plain.error();
  ASSERT_EQ(plain->size(), 4u);
  ASSERT_TRUE((*plain)[0].ok()) << (*plain)[0].error();
  EXPECT_TRUE((*plain)[0]->equals(secret_of(p0)));
  this->expect_code(status_of((*plain)[1]), ErrorCode::invalid_argument, "garbage");
  ASSERT_TRUE((*plain)[2].ok()) << (*plain)[2].error();
  EXPECT_TRUE((*plain)[2]->equals(secret_of(p2)));
  this->expect_code(status_of((*plain)[3]), ErrorCode::invalid_argument, "missing ad");

  ASSERT_TRUE(this->tr_->rotate(t, "k", this->actor_).ok());
  auto moved = this->tr_->rewrap_batch(t, "k", cts, this->actor_);
  ASSERT_TRUE(moved.ok()) << moved.error();
  ASSERT_EQ(moved->size(), 4u);
  ASSERT_TRUE((*moved)[0].ok());
  EXPECT_EQ((*moved)[0]->key_version, 2u);
  EXPECT_TRUE(this->decrypts_to(t, "k", (*moved)[0]->ciphertext, p0));
  EXPECT_FALSE((*moved)[1].ok());
  ASSERT_TRUE((*moved)[2].ok());
  EXPECT_TRUE(this->decrypts_to(t, "k", (*moved)[2]->ciphertext, p2, ad2));
  EXPECT_FALSE((*moved)[3].ok());

  this->expect_code(status_of(this->tr_->encrypt_batch(t, "k", {}, std::nullopt, this->actor_)),
                    ErrorCode::invalid_argument, "empty batch");
  const std::vector<EncryptItem> many(101, EncryptItem{view_of(p0), {}});
  this->expect_code(status_of(this->tr_->encrypt_batch(t, "k", many, std::nullopt, this->actor_)),
                    ErrorCode::invalid_argument, "101 items");
  this->expect_code(status_of(this->tr_->decrypt_batch(t, "nope", cts, this->actor_)),
                    ErrorCode::not_found, "absent key");
}

TYPED_TEST_P(TransitContract, DeleteNeedsDeletionAllowedAndShreds) {
  const auto t = this->tenant("acme");
  this->make(t, "k");
  const auto e = this->enc(t, "k", "gone soon");
  ASSERT_TRUE(this->tr_->rotate(t, "k", this->actor_).ok());
  this->expect_code(this->tr_->delete_key(t, "k", this->actor_), ErrorCode::failed_precondition,
                    "deletion not allowed", "deletion_allowed");
  this->configure(t, "k", {.deletion_allowed = true});
  ASSERT_TRUE(this->tr_->delete_key(t, "k", this->actor_).ok());
  this->expect_code(status_of(this->tr_->get_key(t, "k")), ErrorCode::not_found, "get");
  this->expect_code(status_of(this->tr_->decrypt(t, "k", e.ciphertext, {}, this->actor_)),
                    ErrorCode::not_found, "decrypt");
  this->expect_code(this->tr_->delete_key(t, "k", this->actor_), ErrorCode::not_found, "again");
  EXPECT_TRUE(this->raw(t, "SELECT name FROM transit_keys WHERE tenant_id = $1").empty());
  EXPECT_TRUE(this->raw(t, "SELECT name FROM transit_key_versions WHERE tenant_id = $1").empty());
  // A new key of the same name is a new key: the old ciphertexts stay undecryptable.
  this->make(t, "k");
  this->expect_code(status_of(this->tr_->decrypt(t, "k", e.ciphertext, {}, this->actor_)),
                    ErrorCode::invalid_argument, "decrypt under the new key", "does not decrypt");
}

TYPED_TEST_P(TransitContract, RotateDueFollowsTheClock) {
  const auto a = this->tenant("acme");
  const auto b = this->tenant("globex");
  this->make(a, "daily", {.rotation_days = 1});
  this->make(b, "daily", {.rotation_days = 1});
  this->make(a, "quarterly");
  this->make(a, "never", {.rotation_days = 0});
  auto none = this->tr_->rotate_due(*this->cache_);
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_EQ(*none, 0);
  this->clock_.advance(std::chrono::hours(25));
  auto first = this->tr_->rotate_due(*this->cache_);
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_EQ(*first, 2);  // "daily" of both tenants
  EXPECT_EQ(this->tr_->get_key(a, "daily")->latest_version, 2u);
  EXPECT_EQ(this->tr_->get_key(b, "daily")->latest_version, 2u);
  EXPECT_EQ(this->tr_->get_key(a, "quarterly")->latest_version, 1u);
  EXPECT_EQ(*this->tr_->rotate_due(*this->cache_), 0);  // rescheduled a day later
  this->clock_.advance(std::chrono::hours(24 * 90));
  EXPECT_EQ(*this->tr_->rotate_due(*this->cache_), 3);
  EXPECT_EQ(this->tr_->get_key(a, "quarterly")->latest_version, 2u);
  EXPECT_EQ(this->tr_->get_key(a, "never")->latest_version, 1u);
  // Another replica holding the lock: this one does nothing.
  this->clock_.advance(std::chrono::hours(48));
  auto held = this->cache_->acquire_lock("transit:rotation", std::chrono::minutes(1));
  ASSERT_TRUE(held.ok() && *held);
  EXPECT_EQ(*this->tr_->rotate_due(*this->cache_), 0);
  ASSERT_TRUE(this->cache_->release_lock(**held).ok());
  EXPECT_EQ(*this->tr_->rotate_due(*this->cache_), 2);
  // Scheduled rotations are audited as the system.
  auto page = this->audit_->list(a, {}, std::nullopt, 500);
  ASSERT_TRUE(page.ok());
  int system_rotations = 0;
  for (const auto& r : page->records) {
    if (r.event.action == "transit.key_rotate" && r.event.actor == "system") ++system_rotations;
  }
  EXPECT_EQ(system_rotations, 4);  // acme: daily x3, quarterly x1
}

TYPED_TEST_P(TransitContract, MalformedCiphertextsAreInvalidArgument) {
  const auto t = this->tenant("acme");
  this->make(t, "k");
  const auto e = this->enc(t, "k", "x");
  const std::string body = e.ciphertext.substr(9);
  for (const std::string& bad : {std::string(),
                                 std::string("nsl:"),
                                 std::string("nsl:v1"),
                                 std::string("nsl:v1:"),
                                 std::string("nsl:v1:1"),
                                 std::string("nsl:v1:1:"),
                                 "nsl:v2:1:" + body,
                                 "nsl:v1:0:" + body,
                                 "nsl:v1:01:" + body,
                                 "nsl:v1:-1:" + body,
                                 "nsl:v1:+1:" + body,
                                 "nsl:v1:99999999999:" + body,
                                 "nsl:v1:4294967296:" + body,
                                 "vault:v1:" + body,
                                 "NSL:v1:1:" + body,
                                 "nsl:v1:1:" + body + "=",
                                 "nsl:v1:1:" + body.substr(1),
                                 "nsl:v1:1:" + body + "\n",
                                 " nsl:v1:1:" + body,
                                 std::string("nsl:v1:1:AAAA"),
                                 std::string("nsl:v1:1:!!!!"),
                                 "nsl:v1:1:" + std::string(70000, 'A')}) {
    this->expect_code(status_of(this->tr_->decrypt(t, "k", bad, {}, this->actor_)),
                      ErrorCode::invalid_argument, "'" + bad.substr(0, 40) + "'");
    this->expect_code(status_of(this->tr_->rewrap(t, "k", bad, {}, this->actor_)),
                      ErrorCode::invalid_argument, "rewrap '" + bad.substr(0, 40) + "'");
  }
  // A version the key does not have yet.
  this->expect_code(
      status_of(this->tr_->decrypt(t, "k", "nsl:v1:4294967295:" + body, {}, this->actor_)),
      ErrorCode::invalid_argument, "future version");
}

TYPED_TEST_P(TransitContract, AnotherTenantSeesNothing) {
  const auto a = this->tenant("acme");
  const auto b = this->tenant("globex");
  this->make(a, "k", {.deletion_allowed = true});
  this->expect_code(status_of(this->tr_->get_key(b, "k")), ErrorCode::not_found, "get");
  this->expect_code(status_of(this->tr_->rotate(b, "k", this->actor_)), ErrorCode::not_found,
                    "rotate");
  this->expect_code(status_of(this->tr_->update_config(b, "k", {.rotation_days = 1}, this->actor_)),
                    ErrorCode::not_found, "config");
  this->expect_code(this->tr_->delete_key(b, "k", this->actor_), ErrorCode::not_found, "delete");
  this->expect_code(status_of(this->tr_->encrypt(b, "k", view_of(std::string("x")), {},
                                                 std::nullopt, this->actor_)),
                    ErrorCode::not_found, "encrypt");
  this->expect_code(status_of(this->tr_->datakey(b, "k", 256, true, this->actor_)),
                    ErrorCode::not_found, "datakey");
  auto listed = this->tr_->list_keys(b, std::nullopt, 100);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->keys.empty());
  EXPECT_EQ(this->tr_->get_key(a, "k")->latest_version, 1u);
}

TYPED_TEST_P(TransitContract, AuditedWithoutPlaintextAndStorageHoldsNone) {
  const auto t = this->tenant("acme");
  const std::string secret = "Zq7-known-transit-plaintext-4711";
  const std::string ad = "Zq7-known-associated-data";
  this->make(t, "k", {.deletion_allowed = true});
  const auto e = this->enc(t, "k", secret, ad);
  EXPECT_TRUE(this->decrypts_to(t, "k", e.ciphertext, secret, ad));
  (void)this->tr_->decrypt(t, "k", e.ciphertext, {}, this->actor_);  // refused: audited too
  ASSERT_TRUE(this->tr_->rotate(t, "k", this->actor_).ok());
  ASSERT_TRUE(this->tr_->rewrap(t, "k", e.ciphertext, view_of(ad), this->actor_).ok());
  ASSERT_TRUE(this->tr_->datakey(t, "k", 256, false, this->actor_).ok());
  this->configure(t, "k", {.rotation_days = 30});
  const auto actions = this->audit_actions(t);
  const std::multiset<std::string> seen(actions.begin(), actions.end());
  for (const char* a : {"transit.key_create", "transit.encrypt", "transit.key_rotate",
                        "transit.rewrap", "transit.datakey", "transit.key_config"}) {
    EXPECT_EQ(seen.count(a), 1u) << a;
  }
  EXPECT_EQ(seen.count("transit.decrypt"), 2u);
  auto page = this->audit_->list(t, {}, std::nullopt, 500);
  ASSERT_TRUE(page.ok());
  bool refused = false;
  for (const auto& r : page->records) {
    if (r.event.action.rfind("transit.", 0) == 0) {
      EXPECT_EQ(r.event.resource, "transit-key:k");
    }
    if (r.event.action == "transit.decrypt" && r.event.result == "invalid_argument") refused = true;
  }
  EXPECT_TRUE(refused);
  const std::string as_hex = to_hex(view_of(secret));
  const std::string as_b64 = base64_encode(view_of(secret));
  for (const char* table : {"transit_keys", "transit_key_versions", "audit_records"}) {
    for (const auto& row :
         this->raw(t, std::string("SELECT * FROM ") + table + " WHERE tenant_id = $1")) {
      for (const auto& cell : row) {
        if (!cell) continue;
        EXPECT_EQ(cell->find(secret), std::string::npos) << table;
        EXPECT_EQ(cell->find(ad), std::string::npos) << table;
        EXPECT_EQ(cell->find(as_hex), std::string::npos) << table;
        EXPECT_EQ(cell->find(as_b64), std::string::npos) << table;
      }
    }
  }
}

TYPED_TEST_P(TransitContract, SharesTheSecretsMetricFamilies) {
  // The secrets service registers the same families on the same registry: both work.
  secrets::SecretsService kv(*this->db_, *this->enclave_, this->audit_.get(), this->clock_, {},
                             &this->registry_);
  const auto t = this->tenant("acme");
  this->make(t, "k");
  const auto e = this->enc(t, "k", "m");
  EXPECT_TRUE(this->decrypts_to(t, "k", e.ciphertext, "m"));
  ASSERT_TRUE(kv.write(t, "p", {{"a", 1}}, {}, this->actor_).ok());
  (void)this->tr_->decrypt(t, "k", "nsl:", {}, this->actor_);
  const std::string text = this->registry_.expose();
  for (const char* line :
       {R"(nsl_secrets_operations_total{op="transit_key_create",result="ok"} 1)",
        R"(nsl_secrets_operations_total{op="transit_encrypt",result="ok"} 1)",
        R"(nsl_secrets_operations_total{op="transit_decrypt",result="ok"} 1)",
        R"(nsl_secrets_operations_total{op="transit_decrypt",result="invalid_argument"} 1)",
        R"(nsl_secrets_operations_total{op="write",result="ok"} 1)",
        R"(nsl_secrets_operation_seconds_count{op="transit_encrypt"} 1)"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
}

TYPED_TEST_P(TransitContract, ConcurrentRotationsStayGapFree) {
  const auto t = this->tenant("acme");
  this->make(t, "k");
  std::atomic<int> ok{0}, conflicts{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      auto r = this->tr_->rotate(t, "k", this->actor_);
      if (r.ok()) {
        ++ok;
      } else if (r.error().code() == ErrorCode::conflict) {
        ++conflicts;
      } else {
        ++other;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GE(ok.load(), 1);
  EXPECT_EQ(ok.load() + conflicts.load(), 6);
  auto k = this->tr_->get_key(t, "k");
  ASSERT_TRUE(k.ok()) << k.error();
  EXPECT_EQ(k->latest_version, 1u + static_cast<std::uint32_t>(ok.load()));
  ASSERT_EQ(k->versions.size(), k->latest_version);
  for (std::size_t i = 0; i < k->versions.size(); ++i) EXPECT_EQ(k->versions[i].version, i + 1);
  const auto e = this->enc(t, "k", "after the race");
  EXPECT_EQ(e.key_version, k->latest_version);
  EXPECT_TRUE(this->decrypts_to(t, "k", e.ciphertext, "after the race"));
}

REGISTER_TYPED_TEST_SUITE_P(TransitContract, CreateGetListAndNameRules, ConfigValidation,
                            EncryptDecryptRoundTrip, AssociatedDataIsBound,
                            AMovedCiphertextDoesNotDecrypt, VersionsAndMinimums,
                            RewrapMovesToTheLatestVersion, DataKeys, BatchesAnswerPerItem,
                            DeleteNeedsDeletionAllowedAndShreds, RotateDueFollowsTheClock,
                            MalformedCiphertextsAreInvalidArgument, AnotherTenantSeesNothing,
                            AuditedWithoutPlaintextAndStorageHoldsNone,
                            SharesTheSecretsMetricFamilies, ConcurrentRotationsStayGapFree);

}  // namespace nsl::transit::contract
