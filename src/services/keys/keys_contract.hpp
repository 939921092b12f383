// The keys contract suite, instantiated for SQLite (keys_test.cpp) and PostgreSQL with the
// non-owner service role (keys_pgtest.cpp).
//
// Traits: static std::string unavailable_reason(); static std::unique_ptr<store::Database> open();
//         static constexpr bool kCacheForSigning — KeyOptions::cache_for_signing as serve sets it for that back end.
// (a fresh, migrated database per test).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <algorithm>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cache/local_cache.hpp"
#include "chain/evm/address.hpp"
#include "chain/neo/account.hpp"
#include "core/clock.hpp"
#include "core/strings.hpp"
#include "enclave/testing/sim_enclave.hpp"
#include "harness/harness.hpp"
#include "obs/metrics.hpp"
#include "services/audit/audit_log.hpp"
#include "services/identity/service.hpp"
#include "services/identity/testing/tenant_fixture.hpp"
#include "services/keys/idempotency.hpp"
#include "services/keys/service.hpp"

namespace nsl::keys::contract {

using std::chrono::hours;
using std::chrono::milliseconds;

constexpr auto kDay = std::chrono::hours(24);

using identity::testing::status_of;

template <class Traits>
class KeysContract : public identity::testing::TenantFixture {
 protected:
  void SetUp() override {
    NSL_REQUIRE_AVAILABLE(Traits::unavailable_reason());
    open(Traits::open());
    if (HasFatalFailure()) return;
    cache_ = std::make_unique<cache::LocalCache>(cache::LocalCacheOptions{.clock = &clock_});
    keys_ = service();
  }
  void TearDown() override {
    keys_.reset();
    TenantFixture::TearDown();
  }

  std::unique_ptr<KeyService> service() {
    return std::make_unique<KeyService>(*db_, *enclave_, audit_.get(), *cache_, clock_,
                                        KeyOptions{.cache_for_signing = Traits::kCacheForSigning}, &registry_);
  }
  KeyView create(const store::TenantId& t, const std::string& curve, const std::string& label = "k",
                 std::optional<int> rotation_days = std::nullopt) {
    auto k = keys_->create(t, {.curve = curve, .label = label, .rotation_days = rotation_days},
                           actor_);
    EXPECT_TRUE(k.ok()) << k.error();
    return k.ok() ? std::move(*k) : KeyView{};
  }
  std::set<std::string> audit_actions(const store::TenantId& t) {
    auto page = audit_->list(t, {}, std::nullopt, 200);
    EXPECT_TRUE(page.ok()) << page.error();
    std::set<std::string> out;
    if (page.ok()) {
      for (const auto& r : page->records) out.insert(r.event.action);
    }
    return out;
  }

  std::unique_ptr<cache::LocalCache> cache_;
  std::unique_ptr<KeyService> keys_;
};

TYPED_TEST_SUITE_P(KeysContract);

TYPED_TEST_P(KeysContract, CreateShowsChainAccountsPerCurve) {
  const auto t = this->tenant("acme");
  KeyView r1 = this->create(t, "secp256r1", "neo hot wallet");
  EXPECT_TRUE(r1.key.id.starts_with("key_"));
  EXPECT_EQ(r1.key.state, "enabled");
  EXPECT_EQ(r1.key.current_version, 1u);
  EXPECT_EQ(r1.key.purpose, "signing");
  EXPECT_FALSE(r1.key.exportable);
  EXPECT_EQ(r1.key.rotation_days, 90);
  ASSERT_TRUE(r1.key.next_rotation_at.has_value());
  EXPECT_EQ(*r1.key.next_rotation_at, r1.key.created_at + 90LL * 86400 * 1000);
  ASSERT_EQ(r1.versions.size(), 1u);
  EXPECT_EQ(r1.versions[0].public_key.size(), 66u);
  EXPECT_FALSE(r1.versions[0].sealed.has_value());  // views never carry sealed bytes
  ASSERT_TRUE(r1.neo.has_value());
  EXPECT_TRUE(r1.neo->address.starts_with("N"));
  EXPECT_EQ(r1.neo->address.size(), 34u);
  EXPECT_TRUE(r1.neo->script_hash.starts_with("0x"));
  EXPECT_EQ(r1.neo->script_hash.size(), 42u);
  EXPECT_EQ(r1.neo->verification_script,
            "0c21" + r1.versions[0].public_key + "4156e7b327");
  EXPECT_FALSE(r1.evm_address.has_value());

  KeyView k1 = this->create(t, "secp256k1", "neox");
  ASSERT_TRUE(k1.evm_address.has_value());
  auto pub = from_hex(k1.versions[0].public_key);
  ASSERT_TRUE(pub.has_value());
  auto addr = evm::address_from_public_key(*pub);
  ASSERT_TRUE(addr.ok());
  EXPECT_EQ(*k1.evm_address, addr->to_checksum());
  EXPECT_FALSE(k1.neo.has_value());

  KeyView ed = this->create(t, "ed25519", "ed", 0);
  EXPECT_EQ(ed.versions[0].public_key.size(), 64u);
  EXPECT_FALSE(ed.neo.has_value());
  EXPECT_FALSE(ed.evm_address.has_value());
  EXPECT_FALSE(ed.key.next_rotation_at.has_value());  // rotation_days 0: never

  auto again = this->keys_->get(t, r1.key.id);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again->neo->address, r1.neo->address);

  // Validation.
  for (const auto& bad : std::vector<NewKeyRequest>{
           {.curve = "p256", .label = "x"},
           {.curve = "secp256r1", .label = ""},
           {.curve = "secp256r1", .label = std::string(129, 'a')},
           {.curve = "secp256r1", .label = "tab\there"},
           {.curve = "secp256r1", .label = "x", .purpose = "Signing!"},
           {.curve = "secp256r1", .label = "x", .rotation_days = -1},
           {.curve = "secp256r1", .label = "x", .rotation_days = 3651}}) {
    this->expect_code(status_of(this->keys_->create(t, bad, this->actor_)),
                      ErrorCode::invalid_argument, bad.label.c_str());
  }
  EXPECT_EQ(this->audit_actions(t).count("keys.create"), 1u);
}

TYPED_TEST_P(KeysContract, ListingFiltersAndPagesNewestFirst) {
  const auto t = this->tenant("acme");
  std::vector<std::string> made;
  for (int i = 0; i < 5; ++i) {
    this->clock_.advance(milliseconds(2));
    made.push_back(
        this->create(t, i % 2 == 0 ? "secp256r1" : "secp256k1", i < 3 ? "prod-" + std::to_string(i)
                                                                      : "Prod-" + std::to_string(i))
            .key.id);
  }
  std::vector<std::string> seen;
  std::optional<std::string> after;
  for (;;) {
    auto page = this->keys_->list(t, {}, 2, after);
    ASSERT_TRUE(page.ok()) << page.error();
    for (const auto& v : *page) seen.push_back(v.key.id);
    if (page->size() < 2) break;
    after = page->back().key.id;
  }
  // Ids order by creation time (ms) then a random part: newest first, each key once.
  EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend()));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()),
            std::set<std::string>(made.begin(), made.end()));
  EXPECT_EQ(seen.size(), made.size());

  auto r1 = this->keys_->list(t, {.curve = "secp256r1"}, 100, std::nullopt);
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->size(), 3u);
  auto prefixed = this->keys_->list(t, {.label_prefix = "prod-"}, 100, std::nullopt);
  ASSERT_TRUE(prefixed.ok());
  EXPECT_EQ(prefixed->size(), 3u);  // case-sensitive: "Prod-3", "Prod-4" are not included
  ASSERT_TRUE(this->keys_->disable(t, made[1], this->actor_).ok());
  auto disabled = this->keys_->list(t, {.state = "disabled"}, 100, std::nullopt);
  ASSERT_TRUE(disabled.ok());
  ASSERT_EQ(disabled->size(), 1u);
  EXPECT_EQ((*disabled)[0].key.id, made[1]);
  this->expect_code(status_of(this->keys_->list(t, {.state = "destroyed"}, 10, std::nullopt)),
                    ErrorCode::invalid_argument, "state=destroyed");
  this->expect_code(status_of(this->keys_->list(t, {.curve = "rsa"}, 10, std::nullopt)),
                    ErrorCode::invalid_argument, "curve=rsa");
}

TYPED_TEST_P(KeysContract, DisableEnableAndForSigning) {
  const auto t = this->tenant("acme");
  KeyView k = this->create(t, "secp256r1");
  auto s = this->keys_->for_signing(t, k.key.id);
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(s->version, 1u);
  EXPECT_EQ(s->curve, enclave::KeyCurve::secp256r1);
  EXPECT_EQ(s->binding.tenant_id, t.str());
  EXPECT_EQ(s->binding.object_id, k.key.id);
  EXPECT_EQ(s->binding.version, 1u);
  EXPECT_EQ(s->binding.purpose, "signing");
  EXPECT_EQ(to_hex(s->public_key), k.versions[0].public_key);
  EXPECT_TRUE(s->policy_sealed.empty());
  // The key's own N3 account, derived once with the row: the same account its view shows.
  ASSERT_TRUE(k.neo.has_value());
  EXPECT_EQ(s->neo_address, k.neo->address);
  EXPECT_EQ(s->neo_account.to_string(), k.neo->script_hash);
  EXPECT_EQ(neo::script_hash(s->neo_verification), s->neo_account);
  // The sealed blob opens in the enclave under that binding and signs.
  std::array<std::uint8_t, 32> digest{};
  digest[0] = 1;
  auto sig = this->enclave_->sign(s->binding, s->sealed, enclave::SignPayload::of_digest(digest));
  ASSERT_TRUE(sig.ok()) << sig.error();

  auto d = this->keys_->disable(t, k.key.id, this->actor_);
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d->key.state, "disabled");
  auto refused = this->keys_->for_signing(t, k.key.id);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::failed_precondition);
  EXPECT_EQ(refused.error().message(), "key is disabled");
  ASSERT_TRUE(this->keys_->disable(t, k.key.id, this->actor_).ok());  // idempotent
  auto e = this->keys_->enable(t, k.key.id, this->actor_);
  ASSERT_TRUE(e.ok()) << e.error();
  EXPECT_EQ(e->key.state, "enabled");
  EXPECT_TRUE(this->keys_->for_signing(t, k.key.id).ok());
  const auto actions = this->audit_actions(t);
  EXPECT_TRUE(actions.count("keys.disable"));
  EXPECT_TRUE(actions.count("keys.enable"));
}

TYPED_TEST_P(KeysContract, DestructionWaitsForGraceThenErasesSealedBytes) {
  const auto t = this->tenant("acme");
  KeyView k = this->create(t, "secp256k1");
  ASSERT_TRUE(this->keys_->set_policy(t, k.key.id, R"({"max_value_per_tx": {"evm:native": "1"}})", this->actor_).ok());
  ASSERT_TRUE(this->keys_->rotate(t, k.key.id, this->actor_).ok());
  for (int bad : {0, 31, -1}) {
    this->expect_code(
        status_of(this->keys_->schedule_destruction(t, k.key.id, bad, this->actor_)),
        ErrorCode::invalid_argument, "grace");
  }
  auto p = this->keys_->schedule_destruction(t, k.key.id, std::nullopt, this->actor_);
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(p->key.state, "pending_destruction");
  ASSERT_TRUE(p->key.destroy_after.has_value());
  EXPECT_EQ(*p->key.destroy_after, p->key.updated_at + 7LL * 86400 * 1000);
  auto refused = this->keys_->for_signing(t, k.key.id);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::failed_precondition);
  EXPECT_EQ(refused.error().message(), "key is pending destruction");
  this->expect_code(status_of(this->keys_->disable(t, k.key.id, this->actor_)),
                    ErrorCode::failed_precondition, "disable while pending");
  this->expect_code(status_of(this->keys_->rotate(t, k.key.id, this->actor_)),
                    ErrorCode::failed_precondition, "rotate while pending");

  // enable cancels; schedule again with the shortest grace.
  auto e = this->keys_->enable(t, k.key.id, this->actor_);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->key.state, "enabled");
  EXPECT_FALSE(e->key.destroy_after.has_value());
  ASSERT_TRUE(this->keys_->schedule_destruction(t, k.key.id, 1, this->actor_).ok());

  EXPECT_EQ(this->keys_->purge_destroyed(this->clock_.system_now()).value_or(-1), 0);
  this->clock_.advance(kDay + milliseconds(1));
  EXPECT_EQ(this->keys_->purge_destroyed(this->clock_.system_now()).value_or(-1), 1);
  EXPECT_EQ(this->keys_->purge_destroyed(this->clock_.system_now()).value_or(-1), 0);  // idempotent

  this->expect_code(status_of(this->keys_->get(t, k.key.id)), ErrorCode::not_found, "get");
  this->expect_code(status_of(this->keys_->for_signing(t, k.key.id)), ErrorCode::not_found,
                    "for_signing");
  this->expect_code(status_of(this->keys_->enable(t, k.key.id, this->actor_)),
                    ErrorCode::not_found, "enable a destroyed key");
  auto listed = this->keys_->list(t, {}, 100, std::nullopt);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());

  // Nothing sealed remains in the tables.
  const auto versions = this->raw(
      t, "SELECT version, sealed, state FROM key_versions WHERE tenant_id = $1 AND key_id = $2",
      {k.key.id});
  ASSERT_EQ(versions.size(), 2u);
  for (const auto& r : versions) {
    EXPECT_FALSE(r[1].has_value()) << "version " << r[0].value_or("?") << " still sealed";
    EXPECT_EQ(r[2].value_or(""), "destroyed");
  }
  const auto key = this->raw(t,
                             "SELECT state, policy_sealed, policy_json FROM keys WHERE "
                             "tenant_id = $1 AND id = $2",
                             {k.key.id});
  ASSERT_EQ(key.size(), 1u);
  EXPECT_EQ(key[0][0].value_or(""), "destroyed");
  EXPECT_FALSE(key[0][1].has_value());
  EXPECT_FALSE(key[0][2].has_value());
  const auto actions = this->audit_actions(t);
  EXPECT_TRUE(actions.count("keys.destroy.schedule"));
  EXPECT_TRUE(actions.count("keys.destroy"));
}

TYPED_TEST_P(KeysContract, AnotherTenantsKeysAreNotFoundForEveryOperation) {
  const auto a = this->tenant("acme");
  const auto b = this->tenant("globex");
  KeyView k = this->create(a, "secp256r1");
  auto& ks = *this->keys_;
  const auto& id = k.key.id;
  const auto& act = this->actor_;
  const auto now = this->clock_.system_now();
  this->expect_code(status_of(ks.get(b, id)), ErrorCode::not_found, "get");
  this->expect_code(status_of(ks.disable(b, id, act)), ErrorCode::not_found, "disable");
  this->expect_code(status_of(ks.enable(b, id, act)), ErrorCode::not_found, "enable");
  this->expect_code(status_of(ks.rotate(b, id, act)), ErrorCode::not_found, "rotate");
  this->expect_code(status_of(ks.schedule_destruction(b, id, 7, act)), ErrorCode::not_found,
                    "destroy");
  this->expect_code(status_of(ks.set_policy(b, id, "{}", act)), ErrorCode::not_found,
                    "set_policy");
  this->expect_code(status_of(ks.delete_policy(b, id, act)), ErrorCode::not_found,
                    "delete_policy");
  this->expect_code(status_of(ks.for_signing(b, id)), ErrorCode::not_found, "for_signing");
  this->expect_code(status_of(ks.spent_24h(b, id, now)), ErrorCode::not_found, "spent_24h");
  this->expect_code(ks.record_spends(b, id, {{"evm:native", "1"}}, now), ErrorCode::not_found,
                    "record_spends");
  auto listed = ks.list(b, {}, 100, std::nullopt);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  // Nothing changed for the owner.
  auto mine = ks.get(a, id);
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->key.state, "enabled");
  EXPECT_EQ(mine->key.current_version, 1u);
  EXPECT_FALSE(mine->key.policy_json.has_value());
}

TYPED_TEST_P(KeysContract, PoliciesAreStoredCanonicalAndSealed) {
  const auto t = this->tenant("acme");
  KeyView k = this->create(t, "secp256k1");
  for (const char* bad : {"", "[]", "1", "{", R"({"a":1,"a":2})", "{} {}", R"({"a": "x"})",
                          R"({"max_value_per_tx": {"evm:native": "-1"}})"}) {
    this->expect_code(status_of(this->keys_->set_policy(t, k.key.id, bad, this->actor_)),
                      ErrorCode::invalid_argument, bad);
  }
  // The signing-policy parser's canonical form: members and lists sorted, defaults written.
  const std::string canonical =
      R"({"allow_messages":true,"allow_raw_digest":false,"evm_selectors":["0xa9059cbb","none"]})";
  auto set = this->keys_->set_policy(t, k.key.id, R"({ "evm_selectors": ["none", "0xa9059cbb"] })", this->actor_);
  ASSERT_TRUE(set.ok()) << set.error();
  ASSERT_TRUE(set->key.policy_json.has_value());
  EXPECT_EQ(*set->key.policy_json, canonical);
  EXPECT_EQ(set->key.policy_version, 1u);
  EXPECT_FALSE(set->key.policy_sealed.has_value());  // not in views
  auto s = this->keys_->for_signing(t, k.key.id);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->policy_version, 1u);
  ASSERT_FALSE(s->policy_sealed.empty());
  auto opened = this->enclave_->unseal(
      {.tenant_id = t.str(), .object_id = k.key.id, .version = 1, .purpose = "policy"},
      s->policy_sealed, {});
  ASSERT_TRUE(opened.ok()) << opened.error();
  EXPECT_EQ(opened->reveal(), canonical);

  auto del = this->keys_->delete_policy(t, k.key.id, this->actor_);
  ASSERT_TRUE(del.ok()) << del.error();
  EXPECT_FALSE(del->key.policy_json.has_value());
  EXPECT_EQ(del->key.policy_version, 2u);
  auto s2 = this->keys_->for_signing(t, k.key.id);
  ASSERT_TRUE(s2.ok());
  EXPECT_TRUE(s2->policy_sealed.empty());
  EXPECT_EQ(s2->policy_version, 2u);
  auto again = this->keys_->delete_policy(t, k.key.id, this->actor_);  // nothing to delete
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->key.policy_version, 2u);
  const auto actions = this->audit_actions(t);
  EXPECT_TRUE(actions.count("keys.policy.set"));
  EXPECT_TRUE(actions.count("keys.policy.delete"));
}

TYPED_TEST_P(KeysContract, RotationOnScheduleWithAFakeClock) {
  const auto t = this->tenant("acme");
  KeyView due = this->create(t, "secp256r1", "due");
  KeyView never = this->create(t, "secp256r1", "never", 0);
  KeyView off = this->create(t, "secp256k1", "off");
  ASSERT_TRUE(this->keys_->disable(t, off.key.id, this->actor_).ok());
  EXPECT_EQ(this->keys_->rotate_due(this->clock_.system_now()).value_or(-1), 0);
  this->clock_.advance(90 * kDay);
  EXPECT_EQ(this->keys_->rotate_due(this->clock_.system_now()).value_or(-1), 1);
  EXPECT_EQ(this->keys_->rotate_due(this->clock_.system_now()).value_or(-1), 0);
  auto v = this->keys_->get(t, due.key.id);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->key.current_version, 2u);
  ASSERT_EQ(v->versions.size(), 2u);
  EXPECT_EQ(v->versions[0].state, "verify_only");
  EXPECT_EQ(v->versions[1].state, "active");
  EXPECT_NE(v->versions[0].public_key, v->versions[1].public_key);
  EXPECT_NE(v->neo->address, due.neo->address);  // the account follows the current version
  const std::int64_t now_ms = std::chrono::duration_cast<milliseconds>(
                                  this->clock_.system_now().time_since_epoch())
                                  .count();
  EXPECT_EQ(v->key.next_rotation_at.value_or(0), now_ms + 90LL * 86400 * 1000);
  auto s = this->keys_->for_signing(t, due.key.id);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->version, 2u);
  EXPECT_EQ(s->binding.version, 2u);
  EXPECT_EQ(this->keys_->get(t, never.key.id)->key.current_version, 1u);
  EXPECT_EQ(this->keys_->get(t, off.key.id)->key.current_version, 1u);
  // Manual rotation.
  auto m = this->keys_->rotate(t, never.key.id, this->actor_);
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(m->key.current_version, 2u);
  EXPECT_FALSE(m->key.next_rotation_at.has_value());
  EXPECT_TRUE(this->audit_actions(t).count("keys.rotate"));
}

TYPED_TEST_P(KeysContract, AStaleFencingTokenCannotRotate) {
  const auto t = this->tenant("acme");
  KeyView k = this->create(t, "secp256r1");
  auto version = [&](std::uint32_t n) {
    return repo::KeyVersionRow{.key_id = k.key.id,
                               .version = n,
                               .public_key = k.versions[0].public_key,
                               .sealed = std::string("00"),
                               .state = "active",
                               .created_at = 1};
  };
  auto advance = [&](std::uint32_t expected, std::int64_t fence) {
    return this->db_->with_tenant(t, [&](store::Tx& tx) {
      return repo::advance_version(tx, k.key.id, expected, version(expected + 1), std::nullopt,
                                   fence, 1);
    });
  };
  EXPECT_TRUE(advance(1, 10).value_or(false));   // holder with token 10 rotates
  EXPECT_FALSE(advance(1, 11).value_or(true));   // expected version moved on
  EXPECT_FALSE(advance(2, 9).value_or(true));    // an older holder's write is refused
  EXPECT_TRUE(advance(2, 12).value_or(false));   // a newer holder's is not
  EXPECT_TRUE(advance(3, 0).value_or(false));    // manual rotations carry no token
  auto v = this->keys_->get(t, k.key.id);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->key.current_version, 4u);
  EXPECT_EQ(v->key.rotation_fence, 12);
}

// Every change of a key reaches the signing path at once, cached or not; with the cache, a change made outside
// this service (another process on the same file) shows within signing_cache_ttl.
TYPED_TEST_P(KeysContract, EveryKeyChangeReachesTheSigningPathAtOnce) {
  const auto t = this->tenant("acme");
  KeyView k = this->create(t, "secp256r1");
  const std::string& id = k.key.id;
  auto sign_state = [&]() { return this->keys_->for_signing(t, id); };
  auto refusal = [&]() -> std::string {
    auto r = sign_state();
    return r.ok() ? std::string("signable") : r.error().message();
  };
  ASSERT_TRUE(sign_state().ok());
  ASSERT_TRUE(sign_state().ok());
  const auto stats = this->keys_->signing_cache_stats();
  if (TypeParam::kCacheForSigning) {
    EXPECT_EQ(stats.misses, 1u);
    EXPECT_EQ(stats.hits, 1u);
  } else {
    EXPECT_EQ(stats.hits + stats.misses, 0u);
  }
  ASSERT_TRUE(this->keys_->disable(t, id, this->actor_).ok());
  EXPECT_EQ(refusal(), "key is disabled");
  ASSERT_TRUE(this->keys_->enable(t, id, this->actor_).ok());
  ASSERT_TRUE(sign_state().ok());
  ASSERT_TRUE(this->keys_->set_policy(t, id, R"({"allow_raw_digest": true})", this->actor_).ok());
  auto with_policy = sign_state();
  ASSERT_TRUE(with_policy.ok());
  EXPECT_EQ(with_policy->policy_version, 1u);
  EXPECT_FALSE(with_policy->policy_sealed.empty());
  ASSERT_TRUE(this->keys_->delete_policy(t, id, this->actor_).ok());
  EXPECT_TRUE(sign_state()->policy_sealed.empty());
  ASSERT_TRUE(this->keys_->rotate(t, id, this->actor_).ok());
  EXPECT_EQ(sign_state()->version, 2u);
  ASSERT_TRUE(this->keys_->schedule_destruction(t, id, std::nullopt, this->actor_).ok());
  EXPECT_EQ(refusal(), "key is pending destruction");
  ASSERT_TRUE(this->keys_->enable(t, id, this->actor_).ok());
  ASSERT_TRUE(sign_state().ok());
  // Another process's change: at once without the cache, within the TTL with it.
  auto other = this->service();
  ASSERT_TRUE(other->disable(t, id, this->actor_).ok());
  if (TypeParam::kCacheForSigning) {
    EXPECT_TRUE(sign_state().ok());
    this->clock_.advance(KeyOptions{}.signing_cache_ttl + std::chrono::milliseconds(1));
  }
  EXPECT_EQ(refusal(), "key is disabled");
}

// Once disable() has returned, no signing is let through — also not by a read that began before the change
// committed and finished after it (it must not put the old row back into the cache).
TYPED_TEST_P(KeysContract, NoSigningAfterDisableReturnsEvenUnderConcurrentReads) {
  const auto t = this->tenant("acme");
  for (int round = 0; round < 5; ++round) {
    const std::string id = this->create(t, "secp256r1").key.id;
    std::atomic<bool> disabled{false}, stop{false};
    std::atomic<int> late_ok{0}, reads{0};
    std::vector<std::thread> readers;
    for (int i = 0; i < 3; ++i) {
      readers.emplace_back([&] {
        while (!stop) {
          const bool after = disabled.load();
          auto s = this->keys_->for_signing(t, id);
          ++reads;
          if (after && s.ok()) ++late_ok;
        }
      });
    }
    while (reads < 50) std::this_thread::yield();
    ASSERT_TRUE(this->keys_->disable(t, id, this->actor_).ok());
    disabled = true;
    const int at = reads.load();
    while (reads < at + 200) std::this_thread::yield();
    stop = true;
    for (auto& th : readers) th.join();
    EXPECT_EQ(late_ok.load(), 0) << "round " << round;
  }
}

// The same race made certain: the key is disabled between the signing path's read and its caching of the row.
TYPED_TEST_P(KeysContract, AReadOverlappingADisableDoesNotCacheTheOldRow) {
  const auto t = this->tenant("acme");
  const std::string id = this->create(t, "secp256r1").key.id;
  KeyOptions o{.cache_for_signing = TypeParam::kCacheForSigning};
  KeyService* self = nullptr;
  bool once = true;
  o.after_signing_read = [&] {
    if (!std::exchange(once, false)) return;
    auto d = self->disable(t, id, this->actor_);
    EXPECT_TRUE(d.ok()) << d.error();
  };
  KeyService ks(*this->db_, *this->enclave_, this->audit_.get(), *this->cache_, this->clock_, o, &this->registry_);
  self = &ks;
  EXPECT_TRUE(ks.for_signing(t, id).ok());  // read before the disable committed: answered as read
  auto after = ks.for_signing(t, id);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().message(), "key is disabled");
}

// signing_key_in_memory answers only from memory: null until a read put the row there (and never without the
// cache), the cached row after, null again once a change dropped it — and it reads nothing itself.
TYPED_TEST_P(KeysContract, TheInMemoryLookupNeverReads) {
  const auto t = this->tenant("acme");
  const std::string id = this->create(t, "secp256k1").key.id;
  int reads = 0;
  KeyOptions o{.cache_for_signing = TypeParam::kCacheForSigning};
  o.after_signing_read = [&] { ++reads; };
  KeyService ks(*this->db_, *this->enclave_, this->audit_.get(), *this->cache_, this->clock_, o, &this->registry_);
  EXPECT_EQ(ks.signing_key_in_memory(t, id), nullptr);
  EXPECT_EQ(reads, 0);
  auto first = ks.signing_key(t, id);
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_EQ(reads, 1);
  EXPECT_TRUE((*first)->neo_address.empty()) << "no N3 account for a secp256k1 key";
  SigningKey hit = ks.signing_key_in_memory(t, id);
  if (!TypeParam::kCacheForSigning) {
    EXPECT_EQ(hit, nullptr);
    return;
  }
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit, *first) << "the cached row itself, not a copy";
  EXPECT_EQ(reads, 1);
  ASSERT_TRUE(ks.disable(t, id, this->actor_).ok());
  EXPECT_EQ(ks.signing_key_in_memory(t, id), nullptr);
  EXPECT_EQ(ks.signing_key_in_memory(this->tenant("other"), id), nullptr);
  EXPECT_EQ(reads, 1);
}

TYPED_TEST_P(KeysContract, TwoReplicasRotateEachDueKeyExactlyOnce) {
  const auto t = this->tenant("acme");
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(this->create(t, "secp256k1").key.id);
  auto second = this->service();
  this->clock_.advance(91 * kDay);
  std::atomic<int> total{0};
  std::atomic<int> failures{0};
  auto run = [&](KeyService& ks) {
    auto r = ks.rotate_due(this->clock_.system_now());
    if (r.ok()) {
      total += *r;
    } else {
      ++failures;
    }
  };
  std::thread a([&] { run(*this->keys_); });
  std::thread b([&] { run(*second); });
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(total.load(), 4);
  for (const auto& id : ids) {
    auto v = this->keys_->get(t, id);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->key.current_version, 2u) << id;
    EXPECT_EQ(v->versions.size(), 2u) << id;
  }
  // And without the lock (it expired or the cache restarted) the conditional update still holds:
  // concurrent manual rotations of one key make exactly one new version each time.
  std::atomic<int> ok{0}, conflicts{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 3; ++i) {
    ts.emplace_back([&, i] {
      auto r = (i % 2 == 0 ? *this->keys_ : *second).rotate(t, ids[0], this->actor_);
      if (r.ok()) {
        ++ok;
      } else if (r.error().code() == ErrorCode::conflict) {
        ++conflicts;
      }
    });
  }
  for (auto& th : ts) th.join();
  EXPECT_EQ(ok + conflicts, 3);
  auto v = this->keys_->get(t, ids[0]);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->key.current_version, 2u + static_cast<unsigned>(ok.load()));
  EXPECT_EQ(v->versions.size(), v->key.current_version);
}

TYPED_TEST_P(KeysContract, ForSigningNeverSeesAHalfRotatedKey) {
  const auto t = this->tenant("acme");
  KeyView k = this->create(t, "secp256r1");
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, reads{0};
  std::mutex mu;
  std::vector<KeyForSigning> samples;
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&] {
      while (!stop) {
        auto s = this->keys_->for_signing(t, k.key.id);
        ++reads;
        if (!s.ok() || s->sealed.empty() || s->binding.version != s->version ||
            s->key.current_version != s->version) {
          ++bad;
          continue;
        }
        std::lock_guard lk(mu);
        if (samples.empty() || samples.back().version != s->version) samples.push_back(*s);
      }
    });
  }
  for (int i = 0; i < 4; ++i) {
    auto r = this->keys_->rotate(t, k.key.id, this->actor_);
    EXPECT_TRUE(r.ok()) << r.error();
  }
  while (reads < 20) std::this_thread::yield();
  stop = true;
  for (auto& th : readers) th.join();
  EXPECT_EQ(bad.load(), 0);
  auto v = this->keys_->get(t, k.key.id);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->key.current_version, 5u);
  // Every snapshot a reader got is a consistent (version, public key, sealed blob) triple.
  ASSERT_FALSE(samples.empty());
  for (const auto& s : samples) {
    ASSERT_GE(s.version, 1u);
    ASSERT_LE(s.version, 5u);
    EXPECT_EQ(to_hex(s.public_key), v->versions[s.version - 1].public_key);
    auto pub = this->enclave_->public_key(s.binding, s.sealed);
    ASSERT_TRUE(pub.ok()) << pub.error();
    EXPECT_EQ(pub->public_key, s.public_key);
  }
}

TYPED_TEST_P(KeysContract, SpendsAreSummedExactlyOverTheLast24Hours) {
  const auto t = this->tenant("acme");
  KeyView k = this->create(t, "secp256k1");
  const std::string a = "57896044618658097711785492504343953926634992332820282019728792003956564819967";
  const std::string b = "28948022309329048855892746252171976963317496166410141009864396001978282422329";
  const std::string c = "14474011154664524427946373126085988481658748083205070504932198000989141204992";
  const std::string sum =
      "101318078082651670995624611882601919371611236582435493534525386006923988447288";
  auto& ks = *this->keys_;
  const auto t0 = this->clock_.system_now();
  ASSERT_TRUE(ks.record_spends(t, k.key.id, {{"evm:native", "5"}, {"neo:0xabc", "7"}}, t0).ok());
  ASSERT_TRUE(ks.record_spends(t, k.key.id, {{"evm:native", a}}, t0 + hours(1)).ok());
  ASSERT_TRUE(ks.record_spends(t, k.key.id, {{"evm:native", b}, {"evm:native", "0"}},
                               t0 + hours(12))
                  .ok());
  ASSERT_TRUE(ks.record_spends(t, k.key.id, {{"evm:native", c}}, t0 + hours(20)).ok());
  // At t0 + 24h + 1ms the first record (t0) has left the window.
  auto s = ks.spent_24h(t, k.key.id, t0 + kDay + milliseconds(1));
  ASSERT_TRUE(s.ok()) << s.error();
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ((*s)[0], (AssetAmount{"evm:native", sum}));
  // Inside the window both assets count, sorted by asset.
  auto inside = ks.spent_24h(t, k.key.id, t0 + hours(23));
  ASSERT_TRUE(inside.ok());
  ASSERT_EQ(inside->size(), 2u);
  EXPECT_EQ((*inside)[1], (AssetAmount{"neo:0xabc", "7"}));
  auto plus5 = add_decimal_saturating(sum, "5");
  ASSERT_TRUE(plus5.ok());
  EXPECT_EQ((*inside)[0], (AssetAmount{"evm:native", *plus5}));
  // Saturation at 2^256 - 1.
  EXPECT_EQ(add_decimal_saturating(a, a).value_or(""),
            "115792089237316195423570985008687907853269984665640564039457584007913129639934");
  EXPECT_EQ(add_decimal_saturating(a, sum).value_or(""),
            "115792089237316195423570985008687907853269984665640564039457584007913129639935");
  for (const char* bad : {"-1", "1.5", "01", "", "0x10", "1e3",
                          "115792089237316195423570985008687907853269984665640564039457584007913129639936"}) {
    this->expect_code(ks.record_spends(t, k.key.id, {{"evm:native", bad}}, t0),
                      ErrorCode::invalid_argument, bad);
  }
  this->expect_code(ks.record_spends(t, k.key.id, {{"", "1"}}, t0), ErrorCode::invalid_argument,
                    "empty asset");
  // Pruning drops what no longer counts.
  auto pruned = ks.prune_spends(t0 + kDay + hours(2));
  ASSERT_TRUE(pruned.ok()) << pruned.error();
  EXPECT_EQ(*pruned, 3);  // t0 (two assets) and t0 + 1h
}

TYPED_TEST_P(KeysContract, IdempotencyRecordsLiveADay) {
  const auto a = this->tenant("acme");
  const auto b = this->tenant("globex");
  IdempotencyStore idem(*this->db_, this->clock_);
  auto none = idem.get(a, "keys.sign", "k-1");
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(idem.put(a, "keys.sign", "k-1", {.request_hash = "h1", .status = 200, .body = "{}"}).ok());
  auto got = idem.get(a, "keys.sign", "k-1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->request_hash, "h1");
  EXPECT_EQ((*got)->status, 200);
  EXPECT_EQ((*got)->body, "{}");
  this->expect_code(idem.put(a, "keys.sign", "k-1", {.request_hash = "h2", .status = 201}),
                    ErrorCode::conflict, "second put");
  // Scopes and tenants are separate namespaces.
  EXPECT_TRUE(idem.put(a, "keys.create", "k-1", {.request_hash = "h3", .status = 201}).ok());
  EXPECT_FALSE(idem.get(b, "keys.sign", "k-1")->has_value());
  EXPECT_TRUE(idem.put(b, "keys.sign", "k-1", {.request_hash = "h4", .status = 200}).ok());
  this->expect_code(idem.put(a, "keys.sign", "", {.request_hash = "h"}), ErrorCode::invalid_argument,
                    "empty key");
  this->expect_code(idem.put(a, "keys.sign", std::string(256, 'x'), {.request_hash = "h"}),
                    ErrorCode::invalid_argument, "long key");
  // Reserve, then finish or release.
  ASSERT_TRUE(idem.put(a, "keys.sign", "r-1", {.request_hash = "hr", .status = 0}).ok());
  this->expect_code(idem.finish(a, "keys.sign", "r-1", {.request_hash = "other", .status = 200}),
                    ErrorCode::conflict, "finish with another request hash");
  ASSERT_TRUE(idem.finish(a, "keys.sign", "r-1", {.request_hash = "hr", .status = 201, .body = "{\"x\":1}"}).ok());
  EXPECT_EQ(idem.get(a, "keys.sign", "r-1")->value().status, 201);
  EXPECT_EQ(idem.get(a, "keys.sign", "r-1")->value().body, "{\"x\":1}");
  this->expect_code(idem.finish(a, "keys.sign", "r-1", {.request_hash = "hr", .status = 500}),
                    ErrorCode::conflict, "finish twice");
  ASSERT_TRUE(idem.release(a, "keys.sign", "r-1").ok());  // a finished record stays
  EXPECT_TRUE(idem.get(a, "keys.sign", "r-1")->has_value());
  ASSERT_TRUE(idem.put(a, "keys.sign", "r-2", {.request_hash = "hr", .status = 0}).ok());
  ASSERT_TRUE(idem.release(a, "keys.sign", "r-2").ok());
  EXPECT_FALSE(idem.get(a, "keys.sign", "r-2")->has_value());
  EXPECT_TRUE(idem.put(a, "keys.sign", "r-2", {.request_hash = "hr2", .status = 0}).ok());
  // After 24 h the record is gone, may be reused, and is purged.
  this->clock_.advance(kDay + milliseconds(1));
  EXPECT_FALSE(idem.get(a, "keys.sign", "k-1")->has_value());
  EXPECT_TRUE(idem.put(a, "keys.sign", "k-1", {.request_hash = "h5", .status = 200}).ok());
  EXPECT_EQ(idem.get(a, "keys.sign", "k-1")->value().request_hash, "h5");
  EXPECT_EQ(idem.purge_expired().value_or(-1), 4);  // a/keys.create, a/r-1, a/r-2, b/keys.sign
}

TYPED_TEST_P(KeysContract, OperationsAreCountedAndTimed) {
  const auto t = this->tenant("acme");
  KeyView k = this->create(t, "secp256r1");
  (void)this->keys_->get(t, "key_nope");
  const std::string text = this->registry_.expose();
  EXPECT_NE(text.find(R"(nsl_keys_operations_total{op="create",curve="secp256r1",result="ok"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(nsl_keys_operations_total{op="get",curve="",result="not_found"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(nsl_keys_operation_seconds_count{op="create"} 1)"), std::string::npos);
}

REGISTER_TYPED_TEST_SUITE_P(KeysContract, CreateShowsChainAccountsPerCurve, EveryKeyChangeReachesTheSigningPathAtOnce,
                            NoSigningAfterDisableReturnsEvenUnderConcurrentReads,
                            AReadOverlappingADisableDoesNotCacheTheOldRow, TheInMemoryLookupNeverReads,
                            ListingFiltersAndPagesNewestFirst, DisableEnableAndForSigning,
                            DestructionWaitsForGraceThenErasesSealedBytes,
                            AnotherTenantsKeysAreNotFoundForEveryOperation,
                            PoliciesAreStoredCanonicalAndSealed, RotationOnScheduleWithAFakeClock,
                            AStaleFencingTokenCannotRotate, TwoReplicasRotateEachDueKeyExactlyOnce,
                            ForSigningNeverSeesAHalfRotatedKey,
                            SpendsAreSummedExactlyOverTheLast24Hours, IdempotencyRecordsLiveADay,
                            OperationsAreCountedAndTimed);

}  // namespace nsl::keys::contract
