// nsl/services/identity/users.hpp — users of a tenant: passwords (argon2id), TOTP second factor,
// login with lockout, and refresh tokens with rotation and reuse detection.
//
//   UserService users(db, &audit, Clock::real(), enclave);
//   NSL_TRY_ASSIGN(User u, users.create_user(tenant, {"a@example.com", pw, {{Role::viewer, {}}}},
//                                            &caller, actor));
//   NSL_TRY_ASSIGN(auth::Principal p, users.login({.tenant = "acme", .email = .., .password =
//   ..})); NSL_TRY_ASSIGN(IssuedRefresh r, users.issue_refresh(p));           // r.token shown once
//   NSL_TRY_ASSIGN(RotatedRefresh n, users.rotate_refresh(r.token.reveal(), actor));
//
// Rules:
// - Emails are stored lowercase and unique per tenant; passwords are 12..1024 bytes. Nothing this
//   service returns carries a password hash or a TOTP secret, except the one-time enrolment values.
// - Role bindings name the principal "user:<id>"; nobody grants more than they hold
//   (IdentityService::may_grant), and disabling a user needs the same power over its roles.
// - Login failures all answer unauthenticated "invalid credentials" (unknown tenant or email still
//   runs one dummy argon2id verification). After `max_failures` consecutive failures (password or
//   TOTP) the account is locked for `lockout`; while locked every attempt answers the same
//   "invalid credentials" and no password is ever confirmed, so the lock cannot be turned into a
//   password oracle (each attempt is audited as auth.login, result unauthenticated). A TOTP code is
//   asked for ("a TOTP code is required") only after a correct password; a code for a step already
//   used is refused; a wrong code counts as a failure.
// - The TOTP secret is sealed by the enclave under Binding{tenant, "user:<id>", 1, "totp"} and
//   unsealed only to check a code; begin_totp stores it pending, confirm_totp activates it.
// - Refresh tokens: `nslr_<tenant-uuid>_<row id>_<43 base64url chars>` (the tenant id in the token
//   finds the tenant before any tenant context exists; the row id finds the row; only the SHA-256
//   of the whole token is stored). Each rotation spends the presented token and returns the next
//   one of the same family; presenting a spent token revokes the whole family (OAuth 2.1 §4.3.1).
//   A token expires unused after `refresh_ttl`; a family ends `refresh_family_ttl` after its login
//   however often it is rotated (then the user logs in again).
//
// Thread-safety: safe for concurrent use (state lives in the database).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "auth/principal.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/secret_string.hpp"
#include "crypto/password.hpp"
#include "services/identity/repo.hpp"
#include "services/identity/service.hpp"
#include "services/identity/users_repo.hpp"
#include "store/db.hpp"

namespace nsl::enclave {
class Enclave;
}

namespace nsl::identity {

struct UserOptions {
  crypto::PasswordHashParams password_params = crypto::kPasswordDefaultParams;
  std::chrono::seconds refresh_ttl{30LL * 24 * 3600};          // one token: unused this long, it expires
  std::chrono::seconds refresh_family_ttl{90LL * 24 * 3600};  // a family from its login: then log in again
  int max_failures = 5;
  std::chrono::seconds lockout{15 * 60};
  std::string totp_issuer = "nsl";
};

// A user as shown to clients: no password hash, no TOTP secret.
struct User {
  std::string id;
  std::string email;
  bool disabled = false;
  bool totp_enabled = false;
  std::int64_t created_at = 0;
};

struct NewUserRequest {
  std::string email;
  SecretString password;
  std::vector<auth::RoleBinding> roles;  // may be empty (a user without rights until granted)
};

struct CreatedUser {
  User user;
  std::vector<repo::RoleBindingRow> bindings;
};

struct TotpEnrolment {
  SecretString otpauth_uri;  // shown once (QR code)
  SecretString secret;       // base32, shown once
};

struct LoginRequest {
  std::string tenant;  // tenant id or name
  std::string email;
  SecretString password;
  std::optional<std::string> totp;
  std::string request_id;
};

struct IssuedRefresh {
  SecretString token;  // shown once
  std::string family_id;
  std::int64_t expires_at = 0;  // Unix ms
};

struct RotatedRefresh {
  auth::Principal principal;  // the user's current bindings
  IssuedRefresh refresh;
};

class UserService {
 public:
  UserService(store::Database& db, audit::AuditLog* audit, const Clock& clock,
              enclave::Enclave& enclave, UserOptions opts = {});

  // `caller` null = operator. conflict when the email exists in the tenant.
  Result<CreatedUser> create_user(const store::TenantId& tenant, const NewUserRequest& req,
                                  const auth::Principal* caller, const Actor& actor);
  Result<User> get_user(const store::TenantId& tenant, std::string_view id);
  Result<std::vector<User>> list_users(const store::TenantId& tenant, int limit,
                                       std::optional<std::string> after_id);
  // Disables the user and revokes its refresh tokens (idempotent; audited when it changes).
  Result<User> disable_user(const store::TenantId& tenant, std::string_view id,
                            const auth::Principal* caller, const Actor& actor);

  // A new (pending) TOTP secret replacing any earlier pending one; refused (failed_precondition)
  // once TOTP is active.
  Result<TotpEnrolment> begin_totp(const store::TenantId& tenant, std::string_view user_id,
                                   const Actor& actor);
  // Activates the pending secret after one valid code (invalid_argument for a wrong one,
  // failed_precondition when nothing is pending).
  Status confirm_totp(const store::TenantId& tenant, std::string_view user_id,
                      std::string_view code, const Actor& actor);

  // The principal "user:<id>" with the user's role bindings; see the file comment for failures.
  Result<auth::Principal> login(const LoginRequest& req);

  Result<IssuedRefresh> issue_refresh(const auth::Principal& user);
  Result<RotatedRefresh> rotate_refresh(std::string_view presented, const Actor& actor);
  // Revokes the presented token's family; an unknown or malformed token is not an error.
  Status revoke_refresh(std::string_view presented, const Actor& actor);
  // Deletes the tokens of families past their absolute end, in every tenant (background upkeep;
  // idempotent, safe on several replicas at once). Returns how many tokens went.
  Result<std::int64_t> purge_expired_refresh();

 private:
  std::int64_t now_ms() const;
  Status audit(const store::TenantId& tenant, const Actor& actor, std::string action,
               std::string resource, std::string result);
  Result<IssuedRefresh> new_refresh(store::Tx& tx, std::string_view user_id, std::string family_id,
                                    std::int64_t family_expires_at);
  Status login_failure(const store::TenantId& tenant, const repo::UserRow& u, bool counts);

  store::Database& db_;
  audit::AuditLog* audit_;
  const Clock& clock_;
  enclave::Enclave& enclave_;
  UserOptions opts_;
};

// Lowercased email when valid (3..254 bytes, exactly one '@' not at either end, no spaces or
// control characters), else invalid_argument.
Result<std::string> normalize_email(std::string_view email);

}  // namespace nsl::identity
