// The identity + token contract suite, instantiated for SQLite (identity_test.cpp) and PostgreSQL
// with the non-owner service role (identity_pgtest.cpp).
//
// Traits: static std::string unavailable_reason(); static std::unique_ptr<store::Database> open();
// (a fresh, migrated database per test).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>

#include "auth/api_key.hpp"
#include "auth/token_service.hpp"
#include "core/clock.hpp"
#include "core/strings.hpp"
#include "enclave/testing/sim_enclave.hpp"
#include "harness/harness.hpp"
#include "services/audit/audit_log.hpp"
#include "services/identity/service.hpp"

namespace nsl::identity::contract {

using auth::Role;
using auth::RoleBinding;

template <class Traits>
class IdentityContract : public ::testing::Test {
 protected:
  void SetUp() override {
    NSL_REQUIRE_AVAILABLE(Traits::unavailable_reason());
    db_ = Traits::open();
    ASSERT_TRUE(db_);
    auto e = enclave::testing::open_sim_enclave(dir_.path());
    ASSERT_TRUE(e.ok()) << e.error();
    enclave_ = std::move(*e);
    audit_ = std::make_unique<audit::AuditLog>(*db_, audit::AuditLogOptions{.clock = &clock_});
    ids_ = std::make_unique<IdentityService>(*db_, audit_.get(), clock_);
  }
  void TearDown() override {
    ids_.reset();
    if (audit_) audit_->stop();
  }

  CreatedTenant tenant(const std::string& name) {
    auto t = ids_->create_tenant(name, {.subject = "operator", .request_id = "req-1"});
    EXPECT_TRUE(t.ok()) << t.error();
    return std::move(*t);
  }
  auth::Principal login(const SecretString& key) {
    auto p = ids_->authenticate_api_key(key.reveal());
    EXPECT_TRUE(p.ok()) << p.error();
    return p.ok() ? std::move(*p) : auth::Principal{.tenant = store::TenantId::generate()};
  }
  std::unique_ptr<auth::TokenService> tokens(auth::JwsAlg alg = auth::JwsAlg::ES256) {
    auto ts = std::make_unique<auth::TokenService>(
        *db_, *enclave_,
        auth::TokenOptions{.issuer = "https://nsl.test", .audience = "nsl", .alg = alg}, clock_);
    auto st = ts->maintain();
    EXPECT_TRUE(st.ok()) << st.error();
    return ts;
  }

  ::nsl::testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<enclave::Enclave> enclave_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<IdentityService> ids_;
};

TYPED_TEST_SUITE_P(IdentityContract);

TYPED_TEST_P(IdentityContract, NewTenantHasAWorkingOwnerKeyAndAuditTrail) {
  CreatedTenant t = this->tenant("acme");
  EXPECT_TRUE(t.admin_token.reveal().starts_with("nsl_"));
  auth::Principal p = this->login(t.admin_token);
  EXPECT_EQ(p.tenant, t.tenant.id);
  EXPECT_EQ(p.subject, "apikey:" + t.admin_key.id);
  for (std::string_view perm : auth::all_permissions()) EXPECT_TRUE(p.allows(perm)) << perm;
  // The stored row holds a hash, never the key.
  auto row = this->ids_->get_api_key(t.tenant.id, t.admin_key.id);
  ASSERT_TRUE(row.ok()) << row.error();
  EXPECT_EQ(row->hash, auth::api_key_hash(t.admin_token.reveal()));
  EXPECT_EQ(row->hash.find(t.admin_token.reveal()), std::string::npos);
  auto page = this->audit_->list(t.tenant.id, {}, std::nullopt, 10);
  ASSERT_TRUE(page.ok()) << page.error();
  std::set<std::string> actions;
  for (const auto& r : page->records) actions.insert(r.event.action);
  EXPECT_EQ(actions, (std::set<std::string>{"tenant.create", "apikey.create"}));
  EXPECT_TRUE(t.audited.ok());
}

// When the audit log cannot take the records, the tenant still comes back with its one-time key
// (it exists either way) and the failure is reported beside it.
TYPED_TEST_P(IdentityContract, ATenantWhoseAuditFailsStillReturnsItsKey) {
  this->audit_->stop();
  auto t = this->ids_->create_tenant("acme", {.subject = "operator"});
  ASSERT_TRUE(t.ok()) << t.error();
  ASSERT_FALSE(t->audited.ok());
  EXPECT_EQ(t->audited.error().code(), ErrorCode::unavailable);
  EXPECT_EQ(this->login(t->admin_token).tenant, t->tenant.id);
}

TYPED_TEST_P(IdentityContract, TenantNamesAreValidatedAndUnique) {
  this->tenant("acme");
  auto dup = this->ids_->create_tenant("acme", {});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code(), ErrorCode::conflict);
  for (const char* bad : {"", "Acme", "-acme", "a b", "x/y", "ünï"}) {
    auto r = this->ids_->create_tenant(bad, {});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::invalid_argument) << bad;
  }
  EXPECT_FALSE(this->ids_->create_tenant(std::string(65, 'a'), {}).ok());
}

TYPED_TEST_P(IdentityContract, BadKeysAreRefusedAlikeAndRevocationAndExpiryApply) {
  CreatedTenant t = this->tenant("acme");
  std::string wrong(t.admin_token.reveal());
  wrong[wrong.size() - 3] = wrong[wrong.size() - 3] == 'a' ? 'b' : 'a';
  const std::string unknown_prefix = "nsl_" + std::string(12, 'a') + wrong.substr(16);
  for (const std::string& bad :
       {wrong, unknown_prefix, std::string("nsl_short"), std::string("garbage")}) {
    auto r = this->ids_->authenticate_api_key(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::unauthenticated);
  }
  const auth::Principal owner = this->login(t.admin_token);
  auto k = this->ids_->create_api_key(t.tenant.id,
                                      {.name = "ci",
                                       .roles = {RoleBinding{Role::signer, std::nullopt}},
                                       .ttl = std::chrono::seconds(3600)},
                                      &owner, {.subject = owner.subject});
  ASSERT_TRUE(k.ok()) << k.error();
  EXPECT_TRUE(this->ids_->authenticate_api_key(k->token.reveal()).ok());
  this->clock_.advance(std::chrono::seconds(3601));
  EXPECT_EQ(this->ids_->authenticate_api_key(k->token.reveal()).error().code(),
            ErrorCode::unauthenticated);

  auto k2 = this->ids_->create_api_key(t.tenant.id,
                                       {.name = "ci2", .roles = {RoleBinding{Role::viewer, {}}}},
                                       &owner, {.subject = owner.subject});
  ASSERT_TRUE(k2.ok()) << k2.error();
  auto revoked =
      this->ids_->revoke_api_key(t.tenant.id, k2->key.id, &owner, {.subject = owner.subject});
  ASSERT_TRUE(revoked.ok()) << revoked.error();
  EXPECT_TRUE(revoked->revoked_at.has_value());
  EXPECT_EQ(this->ids_->authenticate_api_key(k2->token.reveal()).error().code(),
            ErrorCode::unauthenticated);
}

TYPED_TEST_P(IdentityContract, RolesLimitWhatAKeyMayDoAndNobodyGrantsMoreThanTheyHold) {
  CreatedTenant t = this->tenant("acme");
  const auth::Principal owner = this->login(t.admin_token);
  auto signer_key = this->ids_->create_api_key(
      t.tenant.id, {.name = "signer", .roles = {RoleBinding{Role::signer, std::string("key_1")}}},
      &owner, {.subject = owner.subject});
  ASSERT_TRUE(signer_key.ok()) << signer_key.error();
  const auth::Principal signer = this->login(signer_key->token);
  EXPECT_TRUE(signer.allows("keys:sign", std::string_view("key_1")));
  EXPECT_FALSE(signer.allows("keys:sign", std::string_view("key_2")));
  EXPECT_FALSE(signer.allows("keys:create"));
  EXPECT_FALSE(signer.allows("apikeys:write"));
  // Escalation: an admin cannot mint an owner key; a scoped signer cannot mint a tenant-wide one.
  auto admin_key = this->ids_->create_api_key(
      t.tenant.id, {.name = "adm", .roles = {RoleBinding{Role::admin, {}}}}, &owner,
      {.subject = owner.subject});
  ASSERT_TRUE(admin_key.ok());
  const auth::Principal admin = this->login(admin_key->token);
  auto esc = this->ids_->create_api_key(t.tenant.id,
                                        {.name = "x", .roles = {RoleBinding{Role::owner, {}}}},
                                        &admin, {.subject = admin.subject});
  ASSERT_FALSE(esc.ok());
  EXPECT_EQ(esc.error().code(), ErrorCode::permission_denied);
  // Nor can the admin revoke the owner's key (that would be taking more than it could give).
  auto cut =
      this->ids_->revoke_api_key(t.tenant.id, t.admin_key.id, &admin, {.subject = admin.subject});
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().code(), ErrorCode::permission_denied);
  EXPECT_TRUE(this->ids_->authenticate_api_key(t.admin_token.reveal()).ok());
  auto esc2 = this->ids_->create_role_binding(t.tenant.id, "apikey:" + signer_key->key.id,
                                              RoleBinding{Role::signer, {}}, &signer,
                                              {.subject = signer.subject});
  ASSERT_FALSE(esc2.ok());
  EXPECT_EQ(esc2.error().code(), ErrorCode::permission_denied);
  // Scopes narrow further than roles.
  auto scoped = this->ids_->create_api_key(
      t.tenant.id,
      {.name = "ro", .roles = {RoleBinding{Role::admin, {}}}, .scopes = {"keys:read", "audit:*"}},
      &owner, {.subject = owner.subject});
  ASSERT_TRUE(scoped.ok()) << scoped.error();
  const auth::Principal ro = this->login(scoped->token);
  EXPECT_TRUE(ro.allows("keys:read"));
  EXPECT_TRUE(ro.allows("audit:read"));
  EXPECT_FALSE(ro.allows("keys:create"));
  auto bad_scope = this->ids_->create_api_key(
      t.tenant.id, {.name = "x", .roles = {RoleBinding{Role::viewer, {}}}, .scopes = {"nope:*"}},
      &owner, {});
  EXPECT_EQ(bad_scope.error().code(), ErrorCode::invalid_argument);
}

TYPED_TEST_P(IdentityContract, AnotherTenantsIdsAreNotFound) {
  CreatedTenant a = this->tenant("acme");
  CreatedTenant b = this->tenant("globex");
  auto in_b = this->ids_->get_api_key(b.tenant.id, a.admin_key.id);
  ASSERT_FALSE(in_b.ok());
  EXPECT_EQ(in_b.error().code(), ErrorCode::not_found);
  EXPECT_EQ(this->ids_->revoke_api_key(b.tenant.id, a.admin_key.id, nullptr, {}).error().code(),
            ErrorCode::not_found);
  auto list = this->ids_->list_api_keys(b.tenant.id, 100, std::nullopt);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, b.admin_key.id);
  auto bindings = this->ids_->list_role_bindings(b.tenant.id, 100, std::nullopt);
  ASSERT_TRUE(bindings.ok());
  for (const auto& rb : *bindings) EXPECT_NE(rb.principal, "apikey:" + a.admin_key.id);
  // a's key still works, and only for a.
  EXPECT_EQ(this->login(a.admin_token).tenant, a.tenant.id);
}

TYPED_TEST_P(IdentityContract, ListingPagesNewestFirst) {
  CreatedTenant t = this->tenant("acme");
  const auth::Principal owner = this->login(t.admin_token);
  for (int i = 0; i < 5; ++i) {
    this->clock_.advance(std::chrono::milliseconds(2));
    ASSERT_TRUE(
        this->ids_
            ->create_api_key(t.tenant.id,
                             {.name = "k" + std::to_string(i), .roles = {{Role::viewer, {}}}},
                             &owner, {})
            .ok());
  }
  std::vector<std::string> seen;
  std::optional<std::string> after;
  for (;;) {
    auto page = this->ids_->list_api_keys(t.tenant.id, 2, after);
    ASSERT_TRUE(page.ok()) << page.error();
    for (const auto& k : *page) seen.push_back(k.id);
    if (page->size() < 2) break;
    after = page->back().id;
  }
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend()));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 6u);
}

TYPED_TEST_P(IdentityContract, AccessTokensCarryTheKeysRolesAndVerify) {
  for (auth::JwsAlg alg : {auth::JwsAlg::ES256, auth::JwsAlg::EdDSA, auth::JwsAlg::RS256}) {
    SCOPED_TRACE(std::string(auth::jws_alg_name(alg)));
    CreatedTenant t = this->tenant("t-" + ascii_lower(auth::jws_alg_name(alg)));
    const auth::Principal owner = this->login(t.admin_token);
    auto k = this->ids_->create_api_key(t.tenant.id,
                                        {.name = "s",
                                         .roles = {RoleBinding{Role::signer, std::string("key_9")}},
                                         .scopes = {"keys:sign"}},
                                        &owner, {});
    ASSERT_TRUE(k.ok());
    const auth::Principal signer = this->login(k->token);
    auto ts = this->tokens(alg);
    auto tok = ts->issue(signer);
    ASSERT_TRUE(tok.ok()) << tok.error();
    EXPECT_EQ(tok->expires_in, 900);
    std::string why;
    auto p = ts->verify(tok->token, &why);
    ASSERT_TRUE(p.ok()) << p.error();
    EXPECT_EQ(p->tenant, t.tenant.id);
    EXPECT_EQ(p->subject, signer.subject);
    EXPECT_EQ(p->method, auth::AuthMethod::access_token);
    EXPECT_EQ(p->token_id, tok->jti);
    EXPECT_TRUE(p->allows("keys:sign", std::string_view("key_9")));
    EXPECT_FALSE(p->allows("keys:sign", std::string_view("key_8")));
    EXPECT_FALSE(p->allows("keys:read", std::string_view("key_9")));  // scope narrows
    // Tampering with any part fails.
    std::string bad = tok->token;
    bad[bad.find('.') + 5] ^= 1;
    EXPECT_FALSE(ts->verify(bad, &why).ok());
    // Expiry.
    this->clock_.advance(std::chrono::seconds(900 + 61));
    EXPECT_FALSE(ts->verify(tok->token, &why).ok());
    EXPECT_EQ(why, "expired");
  }
}

TYPED_TEST_P(IdentityContract, SigningKeysRotateWithOverlapAndReplicasAgree) {
  CreatedTenant t = this->tenant("acme");
  const auth::Principal owner = this->login(t.admin_token);
  auto a = this->tokens();
  auto b = this->tokens();  // a second replica on the same database
  auto jwks = a->jwks();
  ASSERT_EQ(jwks["keys"].size(), 2u);  // this period's key and the next one, published ahead
  EXPECT_EQ(b->jwks(), jwks);
  // Just before a period boundary, then across it.
  constexpr std::int64_t kWeek = 7 * 24 * 3600;
  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(this->clock_.system_now().time_since_epoch())
          .count();
  this->clock_.advance(std::chrono::seconds(kWeek - now_s % kWeek - 100));
  auto t1 = a->issue(owner);
  ASSERT_TRUE(t1.ok()) << t1.error();
  EXPECT_TRUE(b->verify(t1->token).ok());
  this->clock_.advance(std::chrono::seconds(200));
  ASSERT_TRUE(a->maintain().ok());
  auto t2 = a->issue(owner);
  ASSERT_TRUE(t2.ok()) << t2.error();
  auto header = [](const std::string& tok) { return tok.substr(0, tok.find('.')); };
  EXPECT_NE(header(t1->token), header(t2->token));  // another kid
  EXPECT_TRUE(a->verify(t1->token).ok());           // the retired key still verifies until expiry
  EXPECT_TRUE(b->verify(t1->token).ok());
  EXPECT_TRUE(b->verify(t2->token).ok());
  EXPECT_EQ(a->jwks()["keys"].size(), 3u);  // retired (until its tokens expire), current, next
  // Long after: the retired key is gone from the JWKS and its tokens are refused.
  this->clock_.advance(std::chrono::seconds(1000));
  ASSERT_TRUE(a->maintain().ok());
  EXPECT_EQ(a->jwks()["keys"].size(), 2u);
  EXPECT_FALSE(a->verify(t1->token).ok());
}

REGISTER_TYPED_TEST_SUITE_P(IdentityContract, NewTenantHasAWorkingOwnerKeyAndAuditTrail,
                            ATenantWhoseAuditFailsStillReturnsItsKey,
                            TenantNamesAreValidatedAndUnique,
                            BadKeysAreRefusedAlikeAndRevocationAndExpiryApply,
                            RolesLimitWhatAKeyMayDoAndNobodyGrantsMoreThanTheyHold,
                            AnotherTenantsIdsAreNotFound, ListingPagesNewestFirst,
                            AccessTokensCarryTheKeysRolesAndVerify,
                            SigningKeysRotateWithOverlapAndReplicasAgree);

}  // namespace nsl::identity::contract
