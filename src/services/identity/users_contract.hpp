// The users contract suite (passwords, lockout, TOTP, refresh tokens), instantiated for SQLite
// (users_test.cpp) and PostgreSQL with the non-owner service role (users_pgtest.cpp).
//
// Traits: static std::string unavailable_reason(); static std::unique_ptr<store::Database> open();
// (a fresh, migrated database per test).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <thread>

#include "auth/totp.hpp"
#include "core/clock.hpp"
#include "enclave/testing/sim_enclave.hpp"
#include "harness/harness.hpp"
#include "services/audit/audit_log.hpp"
#include "services/identity/service.hpp"
#include "services/identity/users.hpp"

namespace nsl::identity::contract {

using auth::Role;
using auth::RoleBinding;

template <class Traits>
class UsersContract : public ::testing::Test {
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
    users_ =
        std::make_unique<UserService>(*db_, audit_.get(), clock_, *enclave_,
                                      UserOptions{.password_params = crypto::kPasswordTestParams});
    auto t = ids_->create_tenant("acme", {.subject = "operator"});
    ASSERT_TRUE(t.ok()) << t.error();
    tenant_ = t->tenant.id;
    auto p = ids_->authenticate_api_key(t->admin_token.reveal());
    ASSERT_TRUE(p.ok()) << p.error();
    owner_ = std::make_unique<auth::Principal>(std::move(*p));
  }
  void TearDown() override {
    users_.reset();
    ids_.reset();
    if (audit_) audit_->stop();
  }

  static SecretString pw(std::string_view s = "correct horse battery") { return SecretString(s); }

  User make_user(const std::string& email, std::vector<RoleBinding> roles = {{Role::viewer, {}}}) {
    auto u = users_->create_user(*tenant_, {email, pw(), std::move(roles)}, owner_.get(),
                                 {.subject = owner_->subject});
    EXPECT_TRUE(u.ok()) << u.error();
    return u.ok() ? u->user : User{};
  }
  Result<auth::Principal> login(const std::string& email, std::string_view password,
                                std::optional<std::string> totp = std::nullopt,
                                std::string tenant = "acme") {
    return users_->login({.tenant = std::move(tenant),
                          .email = email,
                          .password = SecretString(password),
                          .totp = std::move(totp)});
  }
  std::int64_t unix_now() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock_.system_now().time_since_epoch())
        .count();
  }
  std::string code(const SecretString& base32, std::int64_t at) {
    auto key = auth::totp_secret_from_base32(base32);
    EXPECT_TRUE(key.ok());
    auto c = auth::totp_code(*key, at);
    EXPECT_TRUE(c.ok());
    return c.ok() ? *c : "";
  }

  ::nsl::testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<enclave::Enclave> enclave_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<IdentityService> ids_;
  std::unique_ptr<UserService> users_;
  std::optional<store::TenantId> tenant_;
  std::unique_ptr<auth::Principal> owner_;
};

TYPED_TEST_SUITE_P(UsersContract);

TYPED_TEST_P(UsersContract, CreateLoginAndRoleBindings) {
  User u = this->make_user("Alice@Example.com");
  EXPECT_EQ(u.email, "alice@example.com");
  EXPECT_FALSE(u.totp_enabled);
  auto p = this->login("ALICE@example.com", "correct horse battery");
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(p->subject, "user:" + u.id);
  EXPECT_EQ(p->tenant, *this->tenant_);
  EXPECT_TRUE(p->allows("keys:read"));
  EXPECT_FALSE(p->allows("keys:create"));
  // By tenant id as well as by name.
  EXPECT_TRUE(
      this->login("alice@example.com", "correct horse battery", {}, this->tenant_->str()).ok());
  // Duplicate (case-insensitive), malformed email, short password.
  auto dup =
      this->users_->create_user(*this->tenant_, {"ALICE@example.com", this->pw(), {}}, nullptr, {});
  EXPECT_EQ(dup.error().code(), ErrorCode::conflict);
  for (const char* bad : {"alice", "a@b@c", "@x.y", "a b@x.y", "x@"}) {
    EXPECT_EQ(this->users_->create_user(*this->tenant_, {bad, this->pw(), {}}, nullptr, {})
                  .error()
                  .code(),
              ErrorCode::invalid_argument)
        << bad;
  }
  EXPECT_EQ(
      this->users_->create_user(*this->tenant_, {"b@x.y", SecretString("short"), {}}, nullptr, {})
          .error()
          .code(),
      ErrorCode::invalid_argument);
  // Nobody grants more than they hold; role bindings to users now work.
  const auth::Principal viewer = *p;
  auto esc = this->users_->create_user(*this->tenant_, {"c@x.y", this->pw(), {{Role::owner, {}}}},
                                       &viewer, {});
  EXPECT_EQ(esc.error().code(), ErrorCode::permission_denied);
  auto rb = this->ids_->create_role_binding(*this->tenant_, "user:" + u.id,
                                            RoleBinding{Role::signer, std::string("key_1")},
                                            this->owner_.get(), {});
  ASSERT_TRUE(rb.ok()) << rb.error();
  auto p2 = this->login("alice@example.com", "correct horse battery");
  ASSERT_TRUE(p2.ok());
  EXPECT_TRUE(p2->allows("keys:sign", std::string_view("key_1")));
  EXPECT_EQ(this->ids_
                ->create_role_binding(*this->tenant_, "user:usr_nope",
                                      RoleBinding{Role::viewer, {}}, nullptr, {})
                .error()
                .code(),
            ErrorCode::not_found);
  auto list = this->users_->list_users(*this->tenant_, 10, std::nullopt);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, u.id);
}

TYPED_TEST_P(UsersContract, WrongPasswordUnknownUserAndUnknownTenantFailAlike) {
  this->make_user("alice@example.com");
  auto wrong = this->login("alice@example.com", "not the password!");
  auto unknown = this->login("bob@example.com", "correct horse battery");
  auto no_tenant = this->login("alice@example.com", "correct horse battery", {}, "nope");
  for (const auto* r : {&wrong, &unknown, &no_tenant}) {
    ASSERT_FALSE(r->ok());
    EXPECT_EQ(r->error().code(), ErrorCode::unauthenticated);
    EXPECT_EQ(r->error().message(), "invalid credentials");
  }
  auto page = this->audit_->list(*this->tenant_, {}, std::nullopt, 50);
  ASSERT_TRUE(page.ok());
  int failures = 0;
  for (const auto& rec : page->records) {
    if (rec.event.action == "auth.login" && rec.event.result == "unauthenticated") ++failures;
  }
  EXPECT_EQ(failures, 2);  // the wrong password and the unknown user, in the tenant
}

TYPED_TEST_P(UsersContract, LockoutAfterFiveFailuresForFifteenMinutes) {
  this->make_user("alice@example.com");
  // Four failures then a success: the count starts again.
  for (int i = 0; i < 4; ++i)
    EXPECT_FALSE(this->login("alice@example.com", "wrong password!!").ok());
  EXPECT_TRUE(this->login("alice@example.com", "correct horse battery").ok());
  for (int i = 0; i < 5; ++i)
    EXPECT_FALSE(this->login("alice@example.com", "wrong password!!").ok());
  // Locked: even the right password is refused, with the same answer.
  auto locked = this->login("alice@example.com", "correct horse battery");
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(locked.error().message(), "invalid credentials");
  this->clock_.advance(std::chrono::minutes(14));
  EXPECT_FALSE(this->login("alice@example.com", "correct horse battery").ok());
  this->clock_.advance(std::chrono::minutes(1) + std::chrono::seconds(1));
  EXPECT_TRUE(this->login("alice@example.com", "correct horse battery").ok());
}

// Failures arriving together each count (the counter is one UPDATE, not read-then-write), so
// parallel guessing cannot stay under the limit.
TYPED_TEST_P(UsersContract, ConcurrentFailuresAllCountTowardsTheLock) {
  this->make_user("alice@example.com");
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([this] { EXPECT_FALSE(this->login("alice@example.com", "wrong password!!").ok()); });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(this->login("alice@example.com", "correct horse battery").ok());
  this->clock_.advance(std::chrono::minutes(15) + std::chrono::seconds(1));
  EXPECT_TRUE(this->login("alice@example.com", "correct horse battery").ok());
}

TYPED_TEST_P(UsersContract, TotpEnrolmentLoginAndReplay) {
  User u = this->make_user("alice@example.com");
  auto en = this->users_->begin_totp(*this->tenant_, u.id, {});
  ASSERT_TRUE(en.ok()) << en.error();
  EXPECT_TRUE(en->otpauth_uri.reveal().starts_with("otpauth://totp/"));
  // Pending: not asked for at login yet.
  EXPECT_TRUE(this->login("alice@example.com", "correct horse battery").ok());
  EXPECT_EQ(this->users_->confirm_totp(*this->tenant_, u.id, "000000", {}).error().code(),
            ErrorCode::invalid_argument);
  const std::int64_t t0 = this->unix_now();
  ASSERT_TRUE(
      this->users_->confirm_totp(*this->tenant_, u.id, this->code(en->secret, t0), {}).ok());
  EXPECT_TRUE(this->users_->get_user(*this->tenant_, u.id)->totp_enabled);
  EXPECT_EQ(this->users_->begin_totp(*this->tenant_, u.id, {}).error().code(),
            ErrorCode::failed_precondition);
  auto missing = this->login("alice@example.com", "correct horse battery");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "a TOTP code is required");
  // The code used to confirm cannot log in (same step), nor a wrong one.
  EXPECT_FALSE(
      this->login("alice@example.com", "correct horse battery", this->code(en->secret, t0)).ok());
  this->clock_.advance(std::chrono::seconds(30));
  const std::string c1 = this->code(en->secret, this->unix_now());
  auto ok = this->login("alice@example.com", "correct horse battery", c1);
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_EQ(ok->subject, "user:" + u.id);
  auto replay = this->login("alice@example.com", "correct horse battery", c1);
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.error().message(), "invalid credentials");
  // A wrong password with a valid code is still refused.
  this->clock_.advance(std::chrono::seconds(30));
  EXPECT_FALSE(
      this->login("alice@example.com", "wrong password!!", this->code(en->secret, this->unix_now()))
          .ok());
}

TYPED_TEST_P(UsersContract, RefreshRotatesAndReuseRevokesTheFamily) {
  User u = this->make_user("alice@example.com");
  auto p = this->login("alice@example.com", "correct horse battery");
  ASSERT_TRUE(p.ok());
  auto r0 = this->users_->issue_refresh(*p);
  ASSERT_TRUE(r0.ok()) << r0.error();
  EXPECT_TRUE(r0->token.reveal().starts_with("nslr_" + this->tenant_->str() + "_"));
  auto r1 = this->users_->rotate_refresh(r0->token.reveal(), {});
  ASSERT_TRUE(r1.ok()) << r1.error();
  EXPECT_EQ(r1->principal.subject, "user:" + u.id);
  EXPECT_TRUE(r1->principal.allows("keys:read"));
  EXPECT_EQ(r1->refresh.family_id, r0->family_id);
  auto r2 = this->users_->rotate_refresh(r1->refresh.token.reveal(), {});
  ASSERT_TRUE(r2.ok()) << r2.error();
  // r0 again: reuse. It fails and so does the newest token of its family.
  auto reuse = this->users_->rotate_refresh(r0->token.reveal(), {});
  ASSERT_FALSE(reuse.ok());
  EXPECT_EQ(reuse.error().code(), ErrorCode::unauthenticated);
  EXPECT_FALSE(this->users_->rotate_refresh(r2->refresh.token.reveal(), {}).ok());
  // Another family is untouched; revoke ends it; malformed tokens fail alike.
  auto f2 = this->users_->issue_refresh(*p);
  ASSERT_TRUE(f2.ok());
  ASSERT_TRUE(this->users_->revoke_refresh(f2->token.reveal(), {}).ok());
  EXPECT_FALSE(this->users_->rotate_refresh(f2->token.reveal(), {}).ok());
  std::string tampered(this->users_->issue_refresh(*p)->token.reveal());
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(this->users_->rotate_refresh(tampered, {}).error().code(), ErrorCode::unauthenticated);
  EXPECT_FALSE(this->users_->rotate_refresh("nslr_garbage", {}).ok());
  // Expiry after 30 days.
  auto f3 = this->users_->issue_refresh(*p);
  ASSERT_TRUE(f3.ok());
  this->clock_.advance(std::chrono::hours(24 * 30) + std::chrono::seconds(1));
  EXPECT_FALSE(this->users_->rotate_refresh(f3->token.reveal(), {}).ok());
  auto page =
      this->audit_->list(*this->tenant_, {.action = "auth.refresh.reuse"}, std::nullopt, 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->records.size(), 1u);
}

// Rotation keeps a family alive at most 90 days from its login, however often it is used; its
// tokens are purged after that (and only then: reuse detection needs the spent ones until the end).
TYPED_TEST_P(UsersContract, RefreshFamiliesEndNinetyDaysAfterLogin) {
  this->make_user("alice@example.com");
  auto p = this->login("alice@example.com", "correct horse battery");
  ASSERT_TRUE(p.ok());
  auto r = this->users_->issue_refresh(*p);
  ASSERT_TRUE(r.ok()) << r.error();
  const std::int64_t deadline = r->expires_at + (90 - 30) * 24LL * 3600 * 1000;
  SecretString token = std::move(r->token);
  for (int i = 0; i < 3; ++i) {  // day 29, 58, 87
    this->clock_.advance(std::chrono::hours(24 * 29));
    auto next = this->users_->rotate_refresh(token.reveal(), {});
    ASSERT_TRUE(next.ok()) << "rotation " << i << ": " << next.error();
    token = std::move(next->refresh.token);
    if (i == 2) {
      EXPECT_EQ(next->refresh.expires_at, deadline);  // capped by the family, not +30 days
    }
  }
  auto other = this->users_->issue_refresh(*p);  // a family started at day 87
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(this->users_->purge_expired_refresh().value_or(-1), 0);
  this->clock_.advance(std::chrono::hours(24 * 3) + std::chrono::seconds(1));  // day 90 + 1 s
  auto late = this->users_->rotate_refresh(token.reveal(), {});
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code(), ErrorCode::unauthenticated);
  EXPECT_EQ(this->users_->purge_expired_refresh().value_or(-1), 4);  // the first family's four tokens
  auto fresh = this->users_->rotate_refresh(other->token.reveal(), {});
  EXPECT_TRUE(fresh.ok()) << fresh.error();
}

TYPED_TEST_P(UsersContract, DisabledUsersAreRefused) {
  User u = this->make_user("alice@example.com", {{Role::owner, {}}});
  auto p = this->login("alice@example.com", "correct horse battery");
  ASSERT_TRUE(p.ok());
  auto r = this->users_->issue_refresh(*p);
  ASSERT_TRUE(r.ok());
  // An admin cannot disable an owner.
  User adm = this->make_user("admin@example.com", {{Role::admin, {}}});
  auto admin = this->login("admin@example.com", "correct horse battery");
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(this->users_->disable_user(*this->tenant_, u.id, &*admin, {}).error().code(),
            ErrorCode::permission_denied);
  auto d = this->users_->disable_user(*this->tenant_, u.id, this->owner_.get(), {});
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_TRUE(d->disabled);
  auto again = this->login("alice@example.com", "correct horse battery");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message(), "invalid credentials");
  EXPECT_FALSE(this->users_->rotate_refresh(r->token.reveal(), {}).ok());
  EXPECT_TRUE(this->login("admin@example.com", "correct horse battery").ok());
  (void)adm;
}

TYPED_TEST_P(UsersContract, AnotherTenantsUsersAreNotFound) {
  User u = this->make_user("alice@example.com");
  auto other = this->ids_->create_tenant("globex", {});
  ASSERT_TRUE(other.ok());
  const store::TenantId b = other->tenant.id;
  EXPECT_EQ(this->users_->get_user(b, u.id).error().code(), ErrorCode::not_found);
  EXPECT_EQ(this->users_->disable_user(b, u.id, nullptr, {}).error().code(), ErrorCode::not_found);
  EXPECT_EQ(this->users_->begin_totp(b, u.id, {}).error().code(), ErrorCode::not_found);
  EXPECT_EQ(
      this->ids_->create_role_binding(b, "user:" + u.id, RoleBinding{Role::viewer, {}}, nullptr, {})
          .error()
          .code(),
      ErrorCode::not_found);
  EXPECT_TRUE(this->users_->list_users(b, 10, std::nullopt)->empty());
  EXPECT_FALSE(this->login("alice@example.com", "correct horse battery", {}, "globex").ok());
  EXPECT_TRUE(this->login("alice@example.com", "correct horse battery").ok());
}

REGISTER_TYPED_TEST_SUITE_P(UsersContract, CreateLoginAndRoleBindings,
                            WrongPasswordUnknownUserAndUnknownTenantFailAlike,
                            LockoutAfterFiveFailuresForFifteenMinutes,
                            ConcurrentFailuresAllCountTowardsTheLock, TotpEnrolmentLoginAndReplay,
                            RefreshRotatesAndReuseRevokesTheFamily,
                            RefreshFamiliesEndNinetyDaysAfterLogin, DisabledUsersAreRefused,
                            AnotherTenantsUsersAreNotFound);

}  // namespace nsl::identity::contract
