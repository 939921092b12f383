#include "services/identity/users_repo.hpp"

#include "core/strings.hpp"
#include "store/row_values.hpp"
#include "services/identity/repo.hpp"

namespace nsl::identity::repo {
namespace {

using store::Param;
using store::Row;
using store::Tx;

using store::row::to_int;
using store::row::to_opt_int;

constexpr std::string_view kUserCols =
    "id, email, password_hash, totp_sealed, totp_last_step, failed_logins, locked_until, disabled, "
    "created_at";

Result<UserRow> user_from(const Row& r) {
  if (r.size() != 9) return err::internal("unexpected users row shape");
  UserRow u;
  u.id = r[0].value_or("");
  u.email = r[1].value_or("");
  u.password_hash = r[2].value_or("");
  u.totp_sealed = r[3].value_or("");
  NSL_TRY_ASSIGN(u.totp_last_step, to_int(r[4]));
  NSL_TRY_ASSIGN(u.failed_logins, to_int(r[5]));
  NSL_TRY_ASSIGN(u.locked_until, to_int(r[6]));
  NSL_TRY_ASSIGN(std::int64_t disabled, to_int(r[7]));
  u.disabled = disabled != 0;
  NSL_TRY_ASSIGN(u.created_at, to_int(r[8]));
  return u;
}

constexpr std::string_view kRefreshCols =
    "id, family_id, user_id, hash, created_at, expires_at, used_at, revoked_at, family_expires_at";

Result<RefreshTokenRow> refresh_from(const Row& r) {
  if (r.size() != 9) return err::internal("unexpected refresh_tokens row shape");
  RefreshTokenRow t;
  t.id = r[0].value_or("");
  t.family_id = r[1].value_or("");
  t.user_id = r[2].value_or("");
  t.hash = r[3].value_or("");
  NSL_TRY_ASSIGN(t.created_at, to_int(r[4]));
  NSL_TRY_ASSIGN(t.expires_at, to_int(r[5]));
  NSL_TRY_ASSIGN(t.used_at, to_opt_int(r[6]));
  NSL_TRY_ASSIGN(t.revoked_at, to_opt_int(r[7]));
  NSL_TRY_ASSIGN(t.family_expires_at, to_int(r[8]));
  return t;
}

Param text_or_null(const std::string& s) { return s.empty() ? Param(nullptr) : Param(s); }

}  // namespace

// ---- users ----
Status insert_user(Tx& tx, const UserRow& u) {
  NSL_TRY(tx.exec(
      "INSERT INTO users (tenant_id, id, email, password_hash, totp_sealed, totp_last_step, "
      "failed_logins, locked_until, disabled, created_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
      {tenant_of(tx), u.id, u.email, u.password_hash, text_or_null(u.totp_sealed), u.totp_last_step,
       u.failed_logins, u.locked_until, u.disabled ? 1 : 0, u.created_at}));
  return {};
}

Result<UserRow> get_user(Tx& tx, std::string_view id) {
  NSL_TRY_ASSIGN(store::Rows rows, tx.query("SELECT " + std::string(kUserCols) +
                                                " FROM users WHERE tenant_id = $1 AND id = $2",
                                            {tenant_of(tx), id}));
  if (rows.empty()) return err::not_found("user not found");
  return user_from(rows[0]);
}

Result<std::optional<UserRow>> find_user_by_email(Tx& tx, std::string_view email) {
  NSL_TRY_ASSIGN(store::Rows rows, tx.query("SELECT " + std::string(kUserCols) +
                                                " FROM users WHERE tenant_id = $1 AND email = $2",
                                            {tenant_of(tx), email}));
  if (rows.empty()) return std::optional<UserRow>();
  NSL_TRY_ASSIGN(UserRow u, user_from(rows[0]));
  return std::optional<UserRow>(std::move(u));
}

Result<std::vector<UserRow>> list_users(Tx& tx, int limit, std::optional<std::string> after_id) {
  NSL_TRY_ASSIGN(
      store::Rows rows,
      page_newest_first(tx, "SELECT " + std::string(kUserCols) + " FROM users WHERE tenant_id = $1",
                        limit, after_id));
  std::vector<UserRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    NSL_TRY_ASSIGN(UserRow u, user_from(r));
    out.push_back(std::move(u));
  }
  return out;
}

Status record_login_failure(Tx& tx, std::string_view id, std::int64_t max_failures,
                            std::int64_t lock_until) {
  // One statement, so concurrent failures each count (every right-hand side reads the old row).
  NSL_TRY(tx.exec(
      "UPDATE users SET "
      "locked_until = CASE WHEN failed_logins + 1 >= $3 THEN $4 ELSE locked_until END, "
      "failed_logins = CASE WHEN failed_logins + 1 >= $3 THEN 0 ELSE failed_logins + 1 END "
      "WHERE tenant_id = $1 AND id = $2",
      {tenant_of(tx), id, max_failures, lock_until}));
  return {};
}

Status clear_login_failures(Tx& tx, std::string_view id) {
  NSL_TRY(tx.exec("UPDATE users SET failed_logins = 0, locked_until = 0 WHERE tenant_id = $1 AND id = $2",
                  {tenant_of(tx), id}));
  return {};
}

Status set_password_hash(Tx& tx, std::string_view id, std::string_view phc) {
  NSL_TRY(tx.exec("UPDATE users SET password_hash = $3 WHERE tenant_id = $1 AND id = $2",
                  {tenant_of(tx), id, phc}));
  return {};
}

Status set_totp(Tx& tx, std::string_view id, std::string_view sealed_text, std::int64_t last_step) {
  NSL_TRY(tx.exec(
      "UPDATE users SET totp_sealed = $3, totp_last_step = $4 WHERE tenant_id = $1 AND id = $2",
      {tenant_of(tx), id, sealed_text, last_step}));
  return {};
}

Result<bool> advance_totp_step(Tx& tx, std::string_view id, std::int64_t step) {
  NSL_TRY_ASSIGN(std::int64_t n,
                 tx.exec("UPDATE users SET totp_last_step = $3 WHERE tenant_id = $1 AND id = $2 "
                         "AND totp_last_step < $3",
                         {tenant_of(tx), id, step}));
  return n == 1;
}

Status set_user_disabled(Tx& tx, std::string_view id) {
  NSL_TRY(tx.exec("UPDATE users SET disabled = 1 WHERE tenant_id = $1 AND id = $2",
                  {tenant_of(tx), id}));
  return {};
}

// ---- refresh tokens ----
Status insert_refresh_token(Tx& tx, const RefreshTokenRow& r) {
  NSL_TRY(
      tx.exec("INSERT INTO refresh_tokens (tenant_id, id, family_id, user_id, hash, created_at, "
              "expires_at, family_expires_at, used_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
              "NULL, NULL)",
              {tenant_of(tx), r.id, r.family_id, r.user_id, r.hash, r.created_at, r.expires_at,
               r.family_expires_at}));
  return {};
}

Result<std::optional<RefreshTokenRow>> find_refresh_token(Tx& tx, std::string_view id) {
  NSL_TRY_ASSIGN(store::Rows rows,
                 tx.query("SELECT " + std::string(kRefreshCols) +
                              " FROM refresh_tokens WHERE tenant_id = $1 AND id = $2",
                          {tenant_of(tx), id}));
  if (rows.empty()) return std::optional<RefreshTokenRow>();
  NSL_TRY_ASSIGN(RefreshTokenRow r, refresh_from(rows[0]));
  return std::optional<RefreshTokenRow>(std::move(r));
}

Result<bool> mark_refresh_used(Tx& tx, std::string_view id, std::int64_t now_ms) {
  NSL_TRY_ASSIGN(std::int64_t n,
                 tx.exec("UPDATE refresh_tokens SET used_at = $3 WHERE tenant_id = $1 AND id = $2 "
                         "AND used_at IS NULL",
                         {tenant_of(tx), id, now_ms}));
  return n == 1;
}

Status revoke_refresh_family(Tx& tx, std::string_view family_id, std::int64_t now_ms) {
  NSL_TRY(tx.exec(
      "UPDATE refresh_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND family_id = $2 AND "
      "revoked_at IS NULL",
      {tenant_of(tx), family_id, now_ms}));
  return {};
}

Status revoke_refresh_of_user(Tx& tx, std::string_view user_id, std::int64_t now_ms) {
  NSL_TRY(
      tx.exec("UPDATE refresh_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND user_id = $2 AND "
              "revoked_at IS NULL",
              {tenant_of(tx), user_id, now_ms}));
  return {};
}

Result<std::int64_t> purge_refresh_families(Tx& tx, std::int64_t now_ms) {
  return tx.exec("DELETE FROM refresh_tokens WHERE tenant_id = $1 AND family_expires_at < $2",
                 {tenant_of(tx), now_ms});
}

}  // namespace nsl::identity::repo
