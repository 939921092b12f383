// nsl/services/identity/users_repo.hpp — users and refresh tokens on the store seam (tables of
// migration 2: `users`, `refresh_tokens`).
//
// Same rules as repo.hpp: plain functions over a tenant transaction, every row addressed through
// tx.tenant(), times in Unix milliseconds, not_found for a row the tenant cannot see.
//
//   auto u = db.with_tenant(t, [&](store::Tx& tx) { return repo::find_user_by_email(tx, email); });
//
// `totp_sealed` holds the enclave-sealed TOTP secret as hex, prefixed "pending:" between enrolment
// and its confirmation (a pending secret is never asked for at login). Thread-safety: stateless.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/db.hpp"

namespace nsl::identity::repo {

inline constexpr std::string_view kTotpPendingMark = "pending:";

struct UserRow {
  std::string id;  // "usr_" + 20 hex
  std::string email;
  std::string password_hash;  // PHC string (argon2id)
  std::string totp_sealed;    // "" none, "pending:<hex>" enrolling, "<hex>" active
  std::int64_t totp_last_step = 0;
  std::int64_t failed_logins = 0;
  std::int64_t locked_until = 0;
  bool disabled = false;
  std::int64_t created_at = 0;

  bool totp_enabled() const {
    return !totp_sealed.empty() && !totp_sealed.starts_with(kTotpPendingMark);
  }
};

struct RefreshTokenRow {
  std::string id;  // "rt_" + 20 hex; part of the presented token
  std::string family_id;
  std::string user_id;  // without "user:"
  std::string hash;     // hex SHA-256 of the whole presented token
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;         // this token: created_at + refresh_ttl, capped by the family's
  std::int64_t family_expires_at = 0;  // the family's absolute end, fixed at login
  std::optional<std::int64_t> used_at;
  std::optional<std::int64_t> revoked_at;
};

// ---- users ----
Status insert_user(store::Tx& tx, const UserRow& u);  // conflict on a duplicate email
Result<UserRow> get_user(store::Tx& tx, std::string_view id);
Result<std::optional<UserRow>> find_user_by_email(store::Tx& tx, std::string_view email);
// Newest first, like list_api_keys.
Result<std::vector<UserRow>> list_users(store::Tx& tx, int limit,
                                        std::optional<std::string> after_id);
// One more failed login, atomically: at `max_failures` the count restarts and the account is
// locked until `lock_until`.
Status record_login_failure(store::Tx& tx, std::string_view id, std::int64_t max_failures,
                            std::int64_t lock_until);
Status clear_login_failures(store::Tx& tx, std::string_view id);
Status set_password_hash(store::Tx& tx, std::string_view id, std::string_view phc);
Status set_totp(store::Tx& tx, std::string_view id, std::string_view sealed_text,
                std::int64_t last_step);
// Records `step` as the last TOTP step used; false when it is not newer than the stored one (a
// replay, possibly a concurrent one).
Result<bool> advance_totp_step(store::Tx& tx, std::string_view id, std::int64_t step);
Status set_user_disabled(store::Tx& tx, std::string_view id);

// ---- refresh tokens ----
Status insert_refresh_token(store::Tx& tx, const RefreshTokenRow& r);
Result<std::optional<RefreshTokenRow>> find_refresh_token(store::Tx& tx, std::string_view id);
// Sets used_at once; false when it was already set (spent, possibly concurrently).
Result<bool> mark_refresh_used(store::Tx& tx, std::string_view id, std::int64_t now_ms);
Status revoke_refresh_family(store::Tx& tx, std::string_view family_id, std::int64_t now_ms);
Status revoke_refresh_of_user(store::Tx& tx, std::string_view user_id, std::int64_t now_ms);
// Deletes every token of families past their absolute end (nothing left to detect reuse of);
// returns how many rows went.
Result<std::int64_t> purge_refresh_families(store::Tx& tx, std::int64_t now_ms);

}  // namespace nsl::identity::repo
